//! Score files for `qbank equate --new-scores/--old-scores`: one row per examinee with a total
//! score column (and an anchor-score column for NEAT designs), or score/frequency rows.

use std::path::Path;

use super::config::ColumnsConfig;
use super::diagnostics::Diagnostics;
use super::table::Table;

/// Examinee-level total (and anchor) scores read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreColumns {
    pub total: Vec<u32>,
    pub anchor: Option<Vec<u32>>,
}

/// Reads `score_column` (and `anchor_column`), expanding rows by `frequency_column` when given.
pub fn read_scores(
    path: &Path,
    score_column: &str,
    anchor_column: Option<&str>,
    frequency_column: Option<&str>,
    diags: &mut Diagnostics,
) -> ScoreColumns {
    let file = path.display().to_string();
    let required: Vec<&str> = [score_column]
        .into_iter()
        .chain(anchor_column)
        .chain(frequency_column)
        .collect();
    let mut out = ScoreColumns {
        total: Vec::new(),
        anchor: anchor_column.map(|_| Vec::new()),
    };
    let Some(table) = Table::read(
        path,
        &file,
        &required,
        &[],
        &ColumnsConfig::default(),
        diags,
    ) else {
        return out;
    };
    for row in table.rows() {
        let int = |col: &str, diags: &mut Diagnostics| -> Option<u32> {
            let t = row.get(col).unwrap_or("");
            match t.parse::<u32>() {
                Ok(v) => Some(v),
                Err(_) => {
                    diags.error(
                        row.location(col),
                        format!("'{t}' is not a whole number >= 0"),
                    );
                    None
                }
            }
        };
        let total = int(score_column, diags);
        let anchor = anchor_column.map(|c| int(c, diags));
        let count = frequency_column.map(|c| int(c, diags)).unwrap_or(Some(1));
        let (Some(total), Some(count)) = (total, count) else {
            continue;
        };
        if matches!(anchor, Some(None)) {
            continue;
        }
        for _ in 0..count {
            out.total.push(total);
            if let (Some(v), Some(Some(a))) = (out.anchor.as_mut(), anchor) {
                v.push(a);
            }
        }
    }
    out
}
