//! A plain wide 0/1 matrix (`qbank calibrate --matrix FILE.csv`): a header of item ids, an optional
//! id column, an optional frequency-weight column (response-pattern data); empty or `NA` = not
//! presented. This lets anyone compare qbank with other IRT software on the same file.

use std::collections::HashMap;
use std::path::Path;

use super::diagnostics::{Diagnostics, Location};

/// A wide 0/1 matrix as read: item ids, one row per person (None = not presented), person ids
/// and frequency weights.
#[derive(Debug, Clone, PartialEq)]
pub struct WideMatrix {
    pub item_ids: Vec<String>,
    pub person_ids: Vec<String>,
    pub rows: Vec<Vec<Option<u8>>>,
    pub weights: Vec<f64>,
}

/// Reads a wide 0/1 CSV: a header of item ids, an optional id column (`id_column`), an
/// optional frequency-weight column; empty or `NA` = not presented.
pub fn read_wide_matrix(
    path: &Path,
    id_column: Option<&str>,
    weight_column: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<WideMatrix> {
    let file = path.display().to_string();
    let mut rdr = match csv::ReaderBuilder::new().from_path(path) {
        Ok(r) => r,
        Err(e) => {
            diags.error(Location::file(&file), format!("cannot open: {e}"));
            return None;
        }
    };
    let header = super::import::header(&mut rdr, &file, diags)?;
    let find = |name: Option<&str>, what: &str, diags: &mut Diagnostics| -> Option<Option<usize>> {
        match name {
            None => Some(None),
            Some(n) => match header.iter().position(|h| h == n) {
                Some(i) => Some(Some(i)),
                None => {
                    diags.error(
                        Location::file(&file).line(1).column(n),
                        format!("no {what} column '{n}' in the header"),
                    );
                    None
                }
            },
        }
    };
    let id_col = find(id_column, "id", diags)?;
    let w_col = find(weight_column, "weight", diags)?;
    let item_cols: Vec<usize> = (0..header.len())
        .filter(|i| Some(*i) != id_col && Some(*i) != w_col)
        .collect();
    let mut seen = HashMap::new();
    for &i in &item_cols {
        if let Some(prev) = seen.insert(header[i].clone(), i) {
            let _ = prev;
            diags.error(
                Location::file(&file).line(1).column(header[i].as_str()),
                format!("item '{}' appears twice in the header", header[i]),
            );
        }
    }
    let item_ids: Vec<String> = item_cols.iter().map(|&i| header[i].clone()).collect();
    let mut rows = Vec::new();
    let mut weights = Vec::new();
    let mut ids = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                diags.error(
                    Location::file(&file).line(line),
                    format!("malformed CSV: {e}"),
                );
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let mut row = Vec::with_capacity(item_cols.len());
        let mut ok = true;
        for &i in &item_cols {
            let f = rec.get(i).unwrap_or("").trim();
            row.push(match f {
                "" | "NA" | "na" | "." => None,
                "0" => Some(0),
                "1" => Some(1),
                other => {
                    diags.error(
                        Location::file(&file).line(line).column(header[i].as_str()),
                        format!("'{other}' is not 0, 1 or empty (not presented)"),
                    );
                    ok = false;
                    None
                }
            });
        }
        let w = match w_col {
            None => 1.0,
            Some(c) => match rec.get(c).unwrap_or("").trim().parse::<f64>() {
                Ok(w) if w.is_finite() && w >= 0.0 => w,
                _ => {
                    diags.error(
                        Location::file(&file).line(line).column(header[c].as_str()),
                        "the weight is not a number >= 0",
                    );
                    ok = false;
                    0.0
                }
            },
        };
        if ok {
            ids.push(match id_col {
                Some(c) => rec.get(c).unwrap_or("").to_string(),
                None => (rows.len() + 1).to_string(),
            });
            rows.push(row);
            weights.push(w);
        }
    }
    if diags.has_errors() {
        return None;
    }
    Some(WideMatrix {
        item_ids,
        person_ids: ids,
        rows,
        weights,
    })
}
