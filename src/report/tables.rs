//! The CSV and JSON files of each stage: validation, calibration (item parameters, scores, test
//! information, local dependence), equating (conversion tables, links, anchor drift, classical
//! NEAT tables) and the file-based link and equate commands.

use std::path::Path;

use serde::Serialize;

use super::files::{fmt_f, fmt_opt, write_atomic, write_csv, WriteError};
use crate::equate::classical::Conversion;
use crate::equate::linking::LinkMethod;
use crate::equate::workflow::{FormLink, NeatTable};
use crate::equate::LinkedParams;
use crate::exam::{Dataset, Diagnostics};
use crate::irt::fit::Q3Pair;
use crate::irt::scoring::PersonScore;
use crate::irt::test_level::{summed_score_table, test_information};
use crate::irt::{CalibratedForms, ItemEstimate, Responses};
use crate::scale::equating::Equating;
use crate::scale::ConversionTable;

/// Writes the diagnostics as `validation.csv` (severity, file, line, column, item, message).
pub fn write_validation(path: &Path, diags: &Diagnostics) -> Result<(), WriteError> {
    write_csv(
        path,
        &["severity", "file", "line", "column", "item", "message"],
        diags.iter().map(|d| {
            vec![
                d.severity.as_str().to_string(),
                d.location.file.clone(),
                d.location.line.map(|l| l.to_string()).unwrap_or_default(),
                d.location.column.clone().unwrap_or_default(),
                d.location.item.clone().unwrap_or_default(),
                d.message.clone(),
            ]
        }),
    )
    .map_err(WriteError::at(path))
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), WriteError> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        writeln!(w)
    })
    .map_err(WriteError::at(path))
}

/// Writes `item_params.csv`: IRT (a, b, c) and slope-intercept (a, d, c) parameters with SEs.
pub fn write_item_params(path: &Path, estimates: &[ItemEstimate]) -> Result<(), WriteError> {
    use super::files::fmt_f;
    let opt = |x: Option<f64>| x.map(|v| fmt_f(v, 4)).unwrap_or_default();
    write_csv(
        path,
        &[
            "item_id", "model", "status", "a", "b", "c", "d", "se_a", "se_b", "se_c", "se_d", "n",
            "s_x2", "df", "p", "infit", "outfit", "flags",
        ],
        estimates.iter().map(|e| {
            vec![
                e.item_id.clone(),
                e.model.as_str().to_string(),
                if e.fixed { "fixed" } else { "estimated" }.to_string(),
                fmt_f(e.a, 4),
                fmt_f(e.b, 4),
                fmt_f(e.c, 4),
                fmt_f(e.d, 4),
                opt(e.se_a),
                opt(e.se_b),
                opt(e.se_c),
                opt(e.se_d),
                fmt_f(e.n, 0),
                e.fit.as_ref().map(|f| fmt_f(f.s_x2, 3)).unwrap_or_default(),
                e.fit.as_ref().map(|f| f.df.to_string()).unwrap_or_default(),
                e.fit
                    .as_ref()
                    .map(|f| fmt_f(f.p_value, 4))
                    .unwrap_or_default(),
                e.fit
                    .as_ref()
                    .map(|f| fmt_f(f.infit, 3))
                    .unwrap_or_default(),
                e.fit
                    .as_ref()
                    .map(|f| fmt_f(f.outfit, 3))
                    .unwrap_or_default(),
                e.flags.join("; "),
            ]
        }),
    )
    .map_err(WriteError::at(path))
}
/// Writes `local_dependence.csv`: item pairs whose Q3 exceeds the mean by the flagging margin.
pub fn write_local_dependence(
    out: &Path,
    data: &Responses,
    (mean, pairs): &(f64, Vec<Q3Pair>),
) -> Result<(), WriteError> {
    let p = out.join("local_dependence.csv");
    write_csv(
        &p,
        &["item_a", "item_b", "q3", "mean_q3"],
        pairs.iter().map(|q| {
            vec![
                data.item_ids[q.item_a].clone(),
                data.item_ids[q.item_b].clone(),
                fmt_f(q.q3, 4),
                fmt_f(*mean, 4),
            ]
        }),
    )
    .map_err(WriteError::at(&p))?;
    Ok(())
}

/// Writes `scores.csv`: EAP (posterior SD), MAP (SE) and ML (SE, flag) of every person.
pub fn write_scores(
    out: &Path,
    data: &Responses,
    scores: &[PersonScore],
) -> Result<(), WriteError> {
    use super::files::fmt_f;
    let p = out.join("scores.csv");
    write_csv(
        &p,
        &[
            "attempt_id",
            "eap",
            "psd",
            "map",
            "map_se",
            "ml",
            "ml_se",
            "ml_flag",
        ],
        scores.iter().zip(&data.person_ids).map(|(s, id)| {
            vec![
                id.clone(),
                fmt_f(s.eap, 4),
                fmt_f(s.psd, 4),
                fmt_f(s.map, 4),
                fmt_f(s.map_se, 4),
                fmt_f(s.ml, 4),
                fmt_f(s.ml_se, 4),
                s.ml_flag.unwrap_or("").to_string(),
            ]
        }),
    )
    .map_err(WriteError::at(&p))
}

/// Writes `test_information.csv` (per form, the information of its scored items and the
/// conditional SE 1 / sqrt(I) at theta = -4, -3.9, ..., 4) and `summed_scores.csv` (per form, the
/// Lord-Wingersky summed-score table of its scored items under its cohort's latent density:
/// probability, EAP and posterior SD of each raw score).
pub fn write_test_information(
    out: &Path,
    ds: &Dataset,
    forms: &CalibratedForms,
) -> Result<(), WriteError> {
    use super::files::fmt_f;
    let theta: Vec<f64> = (0..=80).map(|k| -4.0 + 0.1 * k as f64).collect();
    let (mut info_rows, mut sum_rows) = (Vec::new(), Vec::new());
    for (f, form) in ds.exam.forms.iter().enumerate() {
        let cf = &forms.forms[f];
        let info = test_information(&cf.scored, &theta);
        for (t, i) in theta.iter().zip(info) {
            info_rows.push(vec![
                form.id.clone(),
                fmt_f(*t, 1),
                fmt_f(i, 4),
                fmt_f(1.0 / i.sqrt(), 4),
            ]);
        }
        let table = summed_score_table(&cf.scored, &forms.theta, &cf.weights);
        for r in table {
            sum_rows.push(vec![
                form.id.clone(),
                r.score.to_string(),
                fmt_f(r.probability, 6),
                fmt_f(r.eap, 4),
                fmt_f(r.psd, 4),
            ]);
        }
    }
    let p = out.join("test_information.csv");
    write_csv(&p, &["form_id", "theta", "information", "csem"], info_rows)
        .map_err(WriteError::at(&p))?;
    let p = out.join("summed_scores.csv");
    write_csv(
        &p,
        &["form_id", "raw", "probability", "eap", "psd"],
        sum_rows,
    )
    .map_err(WriteError::at(&p))
}

/// Writes a conversion as `conversion.csv` (raw, equivalent, se) and `equating.json`.
pub fn write_conversion(out: &Path, conv: &Conversion) -> Result<(), WriteError> {
    use super::files::fmt_f;
    let p = out.join("conversion.csv");
    write_csv(
        &p,
        &["raw", "equivalent", "se"],
        conv.equivalents.iter().enumerate().map(|(x, e)| {
            vec![
                x.to_string(),
                fmt_f(*e, 4),
                conv.se.as_ref().map(|s| fmt_f(s[x], 4)).unwrap_or_default(),
            ]
        }),
    )
    .map_err(WriteError::at(&p))?;
    let p = out.join("equating.json");
    write_json(&p, conv)
}

/// Writes `conversion_FORM.csv` of every form, `linking.csv`, `anchor_drift.csv` and
/// `equating.json`.
pub fn write_equating(out: &Path, eq: &Equating) -> Result<(), WriteError> {
    for t in &eq.tables {
        write_conversion_table(out, t)?;
    }
    let links = &eq.summary.links;
    let p = out.join("linking.csv");
    write_csv(
        &p,
        &[
            "form_id",
            "method",
            "A",
            "B",
            "se_A",
            "se_B",
            "cov_AB",
            "path",
            "n_common",
            "anchors_flagged",
        ],
        links.iter().map(|l| {
            let mut row = link_row(l, 6);
            row.splice(
                4..4,
                [
                    fmt_opt(l.se_a, 6),
                    fmt_opt(l.se_b, 6),
                    fmt_opt(l.cov_ab, 8),
                    l.path.join(">"),
                ],
            );
            row
        }),
    )
    .map_err(WriteError::at(&p))?;
    let p = out.join("anchor_drift.csv");
    write_csv(
        &p,
        &[
            "form_id",
            "item_id",
            "b_base",
            "b_linked",
            "displacement",
            "se",
            "z",
            "p_value",
            "p_holm",
            "flagged",
        ],
        links.iter().flat_map(|l| {
            l.anchors.iter().map(move |a| {
                vec![
                    l.form_id.clone(),
                    a.item_id.clone(),
                    fmt_f(a.b_old, 4),
                    fmt_f(a.b_new_on_old, 4),
                    fmt_f(a.displacement, 4),
                    fmt_f(a.se, 4),
                    fmt_f(a.z, 3),
                    fmt_f(a.p_value, 4),
                    fmt_f(a.p_holm, 4),
                    a.flagged.to_string(),
                ]
            })
        }),
    )
    .map_err(WriteError::at(&p))?;
    write_json(&out.join("equating.json"), &eq.summary)
}

/// Writes `conversion_FORM.csv`: raw, theta, base equivalents, scaled (unrounded and reported),
/// pass and CSEM.
pub fn write_conversion_table(out: &Path, t: &ConversionTable) -> Result<(), WriteError> {
    let p = out.join(format!("conversion_{}.csv", t.form_id));
    write_csv(
        &p,
        &[
            "raw",
            "theta",
            "base_equivalent",
            "base_equivalent_observed",
            "scaled_unrounded",
            "scaled",
            "pass",
            "csem",
            "se_equating",
            "se_equating_observed",
        ],
        t.rows.iter().map(|r| {
            vec![
                r.raw.to_string(),
                r.theta.map(|x| fmt_f(x, 4)).unwrap_or_default(),
                fmt_f(r.base_equivalent, 4),
                r.base_equivalent_observed
                    .map(|x| fmt_f(x, 4))
                    .unwrap_or_default(),
                fmt_f(r.unrounded, 2),
                fmt_f(r.reported, 0),
                r.pass.to_string(),
                r.csem.map(|x| fmt_f(x, 2)).unwrap_or_default(),
                r.se_equating.map(|x| fmt_f(x, 4)).unwrap_or_default(),
                r.se_equating_observed
                    .map(|x| fmt_f(x, 4))
                    .unwrap_or_default(),
            ]
        }),
    )
    .map_err(WriteError::at(&p))?;
    Ok(())
}

/// form, method, A, B, common items, anchors flagged (A and B with `decimals`).
pub fn link_row(l: &FormLink, decimals: usize) -> Vec<String> {
    vec![
        l.form_id.clone(),
        l.link.method.as_str().to_string(),
        fmt_f(l.link.slope, decimals),
        fmt_f(l.link.intercept, decimals),
        l.n_common.to_string(),
        l.anchors.iter().filter(|a| a.flagged).count().to_string(),
    ]
}

/// Writes `classical_FORM.csv` for each form with classical NEAT conversions: the equivalents of
/// each method by raw score.
pub fn write_neat_tables(out: &Path, neat: &[NeatTable]) -> Result<(), WriteError> {
    for t in neat {
        let convs = &t.conversions;
        let mut header = vec!["raw".to_string()];
        header.extend(convs.iter().map(|c| c.method.clone()));
        let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
        let p = out.join(format!("classical_{}.csv", t.form_id));
        write_csv(
            &p,
            &header_refs,
            (0..=t.max_raw).map(|raw| {
                std::iter::once(raw.to_string())
                    .chain(convs.iter().map(|c| {
                        c.equivalents
                            .get(raw)
                            .map(|e| fmt_f(*e, 4))
                            .unwrap_or_default()
                    }))
                    .collect::<Vec<_>>()
            }),
        )
        .map_err(WriteError::at(&p))?;
    }
    Ok(())
}

/// Writes `linking.csv` (every method) and `new_params_linked.csv` (the new form's parameters
/// moved onto the old scale by `method`).
pub fn write_links(out: &Path, lp: &LinkedParams, method: LinkMethod) -> Result<(), WriteError> {
    let p = out.join("linking.csv");
    write_csv(
        &p,
        &[
            "method",
            "A",
            "B",
            "se_A",
            "se_B",
            "cov_AB",
            "n_common",
            "symmetric",
        ],
        lp.links.iter().map(|l| {
            vec![
                l.method.as_str().to_string(),
                fmt_f(l.A, 6),
                fmt_f(l.B, 6),
                fmt_opt(l.se_A, 6),
                fmt_opt(l.se_B, 6),
                fmt_opt(l.cov_AB, 8),
                lp.common.len().to_string(),
                lp.symmetric.to_string(),
            ]
        }),
    )
    .map_err(WriteError::at(&p))?;
    let chosen = lp.link(method);
    let p = out.join("new_params_linked.csv");
    write_csv(
        &p,
        &["item_id", "a", "b", "c", "common"],
        lp.new.items.iter().map(|it| {
            let t = chosen.transform_item(it);
            vec![
                it.item_id.clone(),
                fmt_f(t.a, 6),
                fmt_f(t.b, 6),
                fmt_f(t.c, 6),
                lp.common.contains(&it.item_id).to_string(),
            ]
        }),
    )
    .map_err(WriteError::at(&p))?;
    Ok(())
}
