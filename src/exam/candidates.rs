//! Optional `candidates.csv`: candidate ids plus group columns (for DIF) and optional official
//! outcomes (`official_passed`, `official_scaled`) for checking readiness predictions.

use std::collections::HashMap;

use super::diagnostics::Diagnostics;
use super::table::{parse_bool, Table};

#[derive(Debug, Clone, Default)]
pub struct Candidates {
    pub ids: Vec<String>,
    pub index: HashMap<String, usize>,
    /// Group columns (every column not otherwise known), by name, one value per candidate.
    pub groups: Vec<(String, Vec<String>)>,
    pub official_passed: Option<Vec<Option<bool>>>,
    pub official_scaled: Option<Vec<Option<f64>>>,
}

pub(crate) const CANDIDATE_COLUMNS: [&str; 1] = ["candidate_id"];
pub(crate) const OUTCOME_COLUMNS: [&str; 2] = ["official_passed", "official_scaled"];

impl Candidates {
    pub fn group(&self, name: &str) -> Option<&[String]> {
        self.groups
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

pub fn read_candidates(table: &Table, diags: &mut Diagnostics) -> Candidates {
    let mut c = Candidates::default();
    let mut groups: Vec<(usize, String, Vec<String>)> = table
        .extra
        .iter()
        .map(|(i, n)| (*i, n.clone(), Vec::new()))
        .collect();
    let mut passed = table.has("official_passed").then(Vec::new);
    let mut scaled = table.has("official_scaled").then(Vec::new);
    for row in table.rows() {
        let id = row.get("candidate_id").unwrap_or("");
        if id.is_empty() {
            diags.error(row.location("candidate_id"), "empty candidate_id");
            continue;
        }
        if c.index.contains_key(id) {
            diags.error(
                row.location("candidate_id"),
                format!("candidate '{id}' appears twice"),
            );
            continue;
        }
        let mut outcome_ok = true;
        let p = row.get("official_passed").unwrap_or("");
        let p = if p.is_empty() {
            None
        } else {
            let v = parse_bool(p);
            if v.is_none() {
                diags.error(
                    row.location("official_passed"),
                    format!("official_passed '{p}' is not true, false or empty"),
                );
                outcome_ok = false;
            }
            v
        };
        let s = row.get("official_scaled").unwrap_or("");
        let s = if s.is_empty() {
            None
        } else {
            let v = s.parse::<f64>().ok().filter(|v| v.is_finite());
            if v.is_none() {
                diags.error(
                    row.location("official_scaled"),
                    format!("official_scaled '{s}' is not a number or empty"),
                );
                outcome_ok = false;
            }
            v
        };
        if !outcome_ok {
            continue;
        }
        if let Some(v) = passed.as_mut() {
            v.push(p);
        }
        if let Some(v) = scaled.as_mut() {
            v.push(s);
        }
        c.index.insert(id.to_string(), c.ids.len());
        c.ids.push(id.to_string());
        for (idx, _, values) in groups.iter_mut() {
            values.push(row.field(*idx).to_string());
        }
    }
    c.groups = groups.into_iter().map(|(_, n, v)| (n, v)).collect();
    c.official_passed = passed;
    c.official_scaled = scaled;
    c
}
