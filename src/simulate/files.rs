//! The simulated data set's tables (items.csv, forms.csv, candidates.csv) and its truth
//! (truth/items.csv, truth/candidates.csv and, with planted security cases, truth/leak.csv and
//! truth/security.csv). attempts.csv is written while it is drawn (see `responses`).

use std::io;
use std::path::Path;

use super::bank::{Role, SimForm, SimItem};
use super::leak;
use super::people::{SimAttempt, SimCandidate};
use super::responses::letters;
use super::{attempt_id as att_id, candidate_id as cand_id};
use super::{DOMAINS, FOCAL, GROUP_COLUMN, REFERENCE, SLOPE, THETA_CUT};
use crate::exam::dates::civil_from_days;
use crate::report::files::{fmt_f, write_csv};

/// Everything but attempts.csv, into `out` (which has a `truth` folder).
pub(super) fn write_tables(
    out: &Path,
    items: &[SimItem],
    forms: &[SimForm],
    candidates: &[SimCandidate],
    official: &[Option<f64>],
    attempts: &[SimAttempt],
) -> io::Result<()> {
    write_csv(
        &out.join("items.csv"),
        &["item_id", "domain", "type", "key", "options", "a", "b", "c"],
        items.iter().map(|it| {
            let bank = if it.role == Role::Pretest {
                [String::new(), String::new(), String::new()]
            } else {
                // Operational and reserve items carry their true values as bank parameters.
                [fmt_f(it.a, 4), fmt_f(it.b, 4), fmt_f(it.c, 4)]
            };
            vec![
                it.id.clone(),
                DOMAINS[it.domain].0.to_string(),
                if it.multiple { "multiple" } else { "single" }.to_string(),
                letters(it.listed_key),
                it.options.to_string(),
                bank[0].clone(),
                bank[1].clone(),
                bank[2].clone(),
            ]
        }),
    )?;
    write_csv(
        &out.join("forms.csv"),
        &["form_id", "position", "item_id", "scored"],
        forms.iter().flat_map(|f| {
            f.items.iter().enumerate().map(|(p, (i, s))| {
                vec![
                    f.id.clone(),
                    (p + 1).to_string(),
                    items[*i].id.clone(),
                    s.to_string(),
                ]
            })
        }),
    )?;
    write_csv(
        &out.join("candidates.csv"),
        &[
            "candidate_id",
            GROUP_COLUMN,
            "official_passed",
            "official_scaled",
        ],
        candidates
            .iter()
            .zip(official)
            .enumerate()
            .map(|(k, (c, off))| {
                let (passed, scaled) = match off {
                    Some(t) => {
                        let s = (700.0 + SLOPE * (t - THETA_CUT))
                            .round()
                            .clamp(100.0, 1000.0);
                        ((s >= 700.0).to_string(), format!("{s}"))
                    }
                    None => (String::new(), String::new()),
                };
                vec![
                    cand_id(k),
                    if c.focal { FOCAL } else { REFERENCE }.to_string(),
                    passed,
                    scaled,
                ]
            }),
    )?;
    write_csv(
        &out.join("truth/items.csv"),
        &[
            "item_id",
            "domain",
            "type",
            "true_key",
            "listed_key",
            "a",
            "b",
            "c",
            "role",
            "planted",
            "dif_shift",
        ],
        items.iter().map(|it| {
            vec![
                it.id.clone(),
                DOMAINS[it.domain].0.to_string(),
                if it.multiple { "multiple" } else { "single" }.to_string(),
                letters(it.key),
                letters(it.listed_key),
                fmt_f(it.a, 6),
                fmt_f(it.b, 6),
                fmt_f(it.c, 6),
                it.role.as_str().to_string(),
                it.planted.to_string(),
                fmt_f(it.dif, 3),
            ]
        }),
    )?;
    write_csv(
        &out.join("truth/candidates.csv"),
        &[
            "attempt_id",
            "candidate_id",
            "form_id",
            "attempt_number",
            "theta",
            "weak_domain",
            GROUP_COLUMN,
        ],
        attempts.iter().enumerate().map(|(k, at)| {
            let c = &candidates[at.candidate];
            vec![
                att_id(k),
                cand_id(at.candidate),
                forms[at.form].id.clone(),
                at.number.to_string(),
                fmt_f(at.theta, 6),
                DOMAINS[c.weak_domain].0.to_string(),
                if c.focal { FOCAL } else { REFERENCE }.to_string(),
            ]
        }),
    )?;
    Ok(())
}

/// truth/leak.csv (the leaked items and the date from which) and truth/security.csv (each
/// attempt's planted kind).
pub(super) fn write_leak_truth(out: &Path, items: &[SimItem], plan: &leak::Plan) -> io::Result<()> {
    let (y, m, d) = civil_from_days(20_458 + plan.cfg.from_day.ceil() as i64);
    let from = format!("{y:04}-{m:02}-{d:02}");
    write_csv(
        &out.join("truth/leak.csv"),
        &["item_id", "leaked_from"],
        items
            .iter()
            .zip(&plan.leaked)
            .filter(|(_, &l)| l)
            .map(|(it, _)| vec![it.id.clone(), from.clone()]),
    )?;
    write_csv(
        &out.join("truth/security.csv"),
        &["attempt_id", "kind"],
        plan.kind
            .iter()
            .enumerate()
            .map(|(k, kind)| vec![att_id(k), kind.as_str().to_string()]),
    )?;
    Ok(())
}
