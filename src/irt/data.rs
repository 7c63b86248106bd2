//! Dichotomous responses as the IRT engine reads them: per person (attempt or response pattern)
//! the items seen and 0/1, a frequency weight and a group. Items not presented are simply absent,
//! so incomplete designs (forms sharing anchors, pools) cost only what was observed.

use std::collections::HashMap;
use std::path::Path;

use crate::exam::diagnostics::{Diagnostics, Location};
use crate::matrix::ResponseMatrix;

/// Sparse 0/1 responses. A response code is `2 * item + x`.
#[derive(Debug, Clone, Default)]
pub struct Responses {
    pub item_ids: Vec<String>,
    pub(crate) offsets: Vec<u64>,
    pub(crate) codes: Vec<u32>,
    /// Frequency weight of each person (1 for attempts; pattern counts for pattern data).
    pub weight: Vec<f64>,
    /// Group of each person (index into `group_names`).
    pub group: Vec<u16>,
    pub group_names: Vec<String>,
    /// Identifier of each person (attempt id or row label).
    pub person_ids: Vec<String>,
}

impl Responses {
    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }
    pub fn n_persons(&self) -> usize {
        self.weight.len()
    }
    pub fn n_groups(&self) -> usize {
        self.group_names.len()
    }
    /// Response codes (2 * item + x) of person `p`.
    pub fn codes(&self, p: usize) -> &[u32] {
        &self.codes[self.offsets[p] as usize..self.offsets[p + 1] as usize]
    }
    pub fn n_responses(&self) -> usize {
        self.codes.len()
    }

    /// Builds from 0/1 rows (`None` = not presented) with weights; one group.
    pub fn from_rows(
        item_ids: Vec<String>,
        rows: &[Vec<Option<u8>>],
        weights: &[f64],
    ) -> Responses {
        let mut r = Responses {
            item_ids,
            offsets: vec![0],
            group_names: vec!["all".into()],
            ..Default::default()
        };
        for (k, row) in rows.iter().enumerate() {
            for (i, x) in row.iter().enumerate() {
                if let Some(x) = x {
                    r.codes.push(2 * i as u32 + (*x > 0) as u32);
                }
            }
            r.offsets.push(r.codes.len() as u64);
            r.weight.push(weights[k]);
            r.group.push(0);
            r.person_ids.push((k + 1).to_string());
        }
        r
    }

    /// Every presented item of every attempt (scored and pretest; omitted = wrong), with the
    /// attempt's form as its group when `group_by_form`.
    pub fn from_matrix(
        m: &ResponseMatrix,
        item_ids: Vec<String>,
        form_ids: &[String],
        group_by_form: bool,
    ) -> Responses {
        let mut codes = Vec::with_capacity(m.n_responses());
        let mut offsets = Vec::with_capacity(m.n_attempts() + 1);
        offsets.push(0);
        let mut group = Vec::with_capacity(m.n_attempts());
        let mut person_ids = Vec::with_capacity(m.n_attempts());
        for a in 0..m.n_attempts() {
            for r in m.responses(a) {
                codes.push(2 * r.item as u32 + r.right as u32);
            }
            offsets.push(codes.len() as u64);
            group.push(if group_by_form { m.form(a) as u16 } else { 0 });
            person_ids.push(m.attempt_id(a).to_string());
        }
        Responses {
            item_ids,
            offsets,
            codes,
            weight: vec![1.0; m.n_attempts()],
            group,
            group_names: if group_by_form {
                form_ids.to_vec()
            } else {
                vec!["all".into()]
            },
            person_ids,
        }
    }

    /// Reads a wide 0/1 CSV: a header of item ids, an optional id column (`id_column`), an
    /// optional frequency-weight column; empty or `NA` = not presented.
    pub fn from_wide_csv(
        path: &Path,
        id_column: Option<&str>,
        weight_column: Option<&str>,
        diags: &mut Diagnostics,
    ) -> Option<Responses> {
        let file = path.display().to_string();
        let mut rdr = match csv::ReaderBuilder::new().from_path(path) {
            Ok(r) => r,
            Err(e) => {
                diags.error(Location::file(&file), format!("cannot open: {e}"));
                return None;
            }
        };
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
            Err(e) => {
                diags.error(
                    Location::file(&file).line(1),
                    format!("cannot read the header: {e}"),
                );
                return None;
            }
        };
        let find =
            |name: Option<&str>, what: &str, diags: &mut Diagnostics| -> Option<Option<usize>> {
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
        let mut r = Responses::from_rows(item_ids, &rows, &weights);
        r.person_ids = ids;
        Some(r)
    }
}
