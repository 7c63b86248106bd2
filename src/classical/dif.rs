//! Mantel-Haenszel DIF of every item (Holland & Thayer 1988; ETS categories after Zwick 2012):
//! strata are (form, scored total), pooled over forms, thin strata merged upward until both
//! groups are present.

use std::collections::BTreeMap;

use super::stats::{mantel_haenszel, MantelHaenszel};
use crate::exam::Dataset;

/// Which groups DIF compares: a group column of candidates.csv and its reference and focal values.
#[derive(Debug, Clone, PartialEq)]
pub struct DifSpec {
    pub column: String,
    pub reference: String,
    pub focal: String,
}

/// DIF of one item (pooled over forms, matching on the scored total within each form).
#[derive(Debug, Clone, PartialEq)]
pub struct DifResult {
    pub item_id: String,
    pub n_reference: f64,
    pub n_focal: f64,
    pub mh: Option<MantelHaenszel>,
    /// "assessed", or why not.
    pub status: String,
}

/// Mantel-Haenszel DIF of every item, strata = (form, scored total) with thin strata merged
/// upward until both groups are present.
pub(super) fn dif_analysis(
    ds: &Dataset,
    spec: &DifSpec,
    raw: &[u32],
    min_group: f64,
) -> Vec<DifResult> {
    let m = &ds.matrix;
    let exam = &ds.exam;
    let Some(cands) = &exam.candidates else {
        return Vec::new();
    };
    let Some(values) = cands.group(&spec.column) else {
        return Vec::new();
    };
    // Group of each attempt: 0 reference, 1 focal, None otherwise.
    let group: Vec<Option<usize>> = (0..m.n_attempts())
        .map(|a| {
            let v = cands
                .index
                .get(m.candidate_id(m.candidate(a)))
                .map(|&c| values[c].as_str())?;
            if v == spec.reference {
                Some(0)
            } else if v == spec.focal {
                Some(1)
            } else {
                None
            }
        })
        .collect();
    // cells[item * n_forms + form][raw] = [ref right, ref wrong, focal right, focal wrong],
    // allocated when the item is first seen on the form; a cell with no count is no stratum.
    let n_forms = exam.forms.len();
    let mut cells: Vec<Vec<[f64; 4]>> = vec![Vec::new(); exam.items.len() * n_forms];
    for a in 0..m.n_attempts() {
        let Some(g) = group[a] else { continue };
        let (form, score) = (m.form(a), raw[a] as usize);
        for r in m.responses(a) {
            let by_score = &mut cells[r.item * n_forms + form];
            if by_score.len() <= score {
                by_score.resize(score + 1, [0.0; 4]);
            }
            by_score[score][2 * g + (!r.right) as usize] += 1.0;
        }
    }
    let mut out = Vec::new();
    for i in 0..exam.items.len() {
        // The strata in (form, raw score) order.
        let strata: Vec<(usize, &[f64; 4])> = cells[i * n_forms..(i + 1) * n_forms]
            .iter()
            .enumerate()
            .flat_map(|(form, by_score)| {
                by_score
                    .iter()
                    .filter(|c| c.iter().sum::<f64>() > 0.0)
                    .map(move |c| (form, c))
            })
            .collect();
        if strata.is_empty() {
            continue;
        }
        let n_ref: f64 = strata.iter().map(|(_, c)| c[0] + c[1]).sum();
        let n_focal: f64 = strata.iter().map(|(_, c)| c[2] + c[3]).sum();
        let item_id = exam.items[i].id.clone();
        if n_ref < min_group || n_focal < min_group {
            out.push(DifResult {
                item_id,
                n_reference: n_ref,
                n_focal,
                mh: None,
                status: format!("not assessable: fewer than {min_group} candidates in a group"),
            });
            continue;
        }
        let mut merged: Vec<[f64; 4]> = Vec::new();
        let mut pending: Option<(usize, [f64; 4])> = None;
        for (form, c) in strata {
            let mut cell = *c;
            if let Some((pf, p)) = pending.take() {
                if pf == form {
                    for k in 0..4 {
                        cell[k] += p[k];
                    }
                } else if let Some(last) = merged.last_mut() {
                    for k in 0..4 {
                        last[k] += p[k];
                    }
                }
            }
            if cell[0] + cell[1] > 0.0 && cell[2] + cell[3] > 0.0 {
                merged.push(cell);
            } else {
                pending = Some((form, cell));
            }
        }
        if let (Some((_, p)), Some(last)) = (pending, merged.last_mut()) {
            for k in 0..4 {
                last[k] += p[k];
            }
        }
        let mh = mantel_haenszel(&merged);
        out.push(DifResult {
            item_id,
            n_reference: n_ref,
            n_focal,
            status: if mh.is_some() {
                "assessed".into()
            } else {
                "not assessable: degenerate tables (no variation)".into()
            },
            mh,
        });
    }
    out
}

/// The DIF comparison `qbank run` makes when candidates.csv has group columns: the first group
/// column, its most frequent value as the reference group and the second most frequent as focal.
pub fn default_dif(ds: &Dataset) -> Option<DifSpec> {
    let c = ds.exam.candidates.as_ref()?;
    let (name, values) = c.groups.first()?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.iter().filter(|v| !v.is_empty()) {
        *counts.entry(v.as_str()).or_default() += 1;
    }
    let mut by_size: Vec<(&str, usize)> = counts.into_iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    match by_size.as_slice() {
        [(r, _), (f, _), ..] => Some(DifSpec {
            column: name.clone(),
            reference: r.to_string(),
            focal: f.to_string(),
        }),
        _ => None,
    }
}
