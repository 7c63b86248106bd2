//! Item-parameter files for `qbank link` and `qbank equate --new-params/--old-params`: a CSV with
//! `item_id, a, b` and optional `c` (empty = 0) and an optional 0/1 column marking common items.

use std::path::Path;

use super::config::ColumnsConfig;
use super::diagnostics::{Diagnostics, Location};
use super::items::BankParams;
use super::table::{parse_bool, Table};

/// One item of a parameter file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamRow {
    pub item_id: String,
    /// a, b, c on the file's metric.
    pub params: BankParams,
    /// From the common-item column, when the file has one.
    pub common: Option<bool>,
}

/// Reads a parameter file; `common_column` names the column marking common items (if any).
pub fn read_params(
    path: &Path,
    common_column: Option<&str>,
    diags: &mut Diagnostics,
) -> Vec<ParamRow> {
    let file = path.display().to_string();
    let optional: Vec<&str> = ["c"].into_iter().chain(common_column).collect();
    let mapping = ColumnsConfig::default();
    let Some(table) = Table::read(
        path,
        &file,
        &["item_id", "a", "b"],
        &optional,
        &mapping,
        diags,
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for row in table.rows() {
        let id = row.get("item_id").unwrap_or("").to_string();
        let num = |col: &str, diags: &mut Diagnostics| -> Option<f64> {
            let t = row.get(col).unwrap_or("");
            if t.is_empty() && col == "c" {
                return Some(0.0);
            }
            match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    diags.error(
                        row.location(col).item(id.as_str()),
                        format!("{col} is '{t}'; expected a number"),
                    );
                    None
                }
            }
        };
        let (Some(a), Some(b), Some(c)) = (num("a", diags), num("b", diags), num("c", diags))
        else {
            continue;
        };
        if a <= 0.0 || !(0.0..1.0).contains(&c) {
            diags.error(
                row.location("a").item(id.as_str()),
                format!("parameters a = {a}, c = {c} out of range (a > 0, 0 <= c < 1)"),
            );
            continue;
        }
        let common = match common_column {
            Some(col) => match parse_bool(row.get(col).unwrap_or("")) {
                Some(v) => Some(v),
                None => {
                    diags.error(
                        Location::file(&file).line(row.line).column(col),
                        "expected 1/0 or true/false",
                    );
                    continue;
                }
            },
            None => None,
        };
        out.push(ParamRow {
            item_id: id,
            params: BankParams { a, b, c },
            common,
        });
    }
    out
}
