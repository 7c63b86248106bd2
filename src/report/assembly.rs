//! Files of the bank's next cycle: the next bank (`bank/items.csv`, `bank/changes.csv`), the
//! assembled forms (`forms.csv`, `assembly.json`, `tif_tcc.csv`), their pre-equating
//! (`conversion_FORM.csv`, `preequating.json`), the pool health (`pool_health.csv`), their
//! figures, and the report's "Next item bank" and "Assembled forms" sections.

use std::path::Path;

use serde_json::json;

use super::doc::Doc;
use super::figures::{self, Chart, Series};
use super::files::{fmt_f, write_csv, WriteError};
use super::tables::{write_conversion_table, write_json};
use super::{f, pct};
use crate::assemble::bank::{BankStatus, BankUpdate};
use crate::assemble::cycle::{NextForms, PreEquatedForm};
use crate::assemble::PoolHealth;

const BANK_HEADER: [&str; 18] = [
    "item_id",
    "domain",
    "type",
    "key",
    "options",
    "a",
    "b",
    "c",
    "enemy_group",
    "status",
    "previous",
    "n",
    "se_b",
    "fit_p",
    "dif_category",
    "run_date",
    "flags",
    "reason",
];

/// Writes `DIR/items.csv` (items.csv's columns with enemy_group, plus status, previous status, n, se_b, fit_p,
/// dif_category, run_date, flags and reason) and `DIR/changes.csv` (item_id, from, to, flags,
/// reason: every item whose status or flags changed).
pub fn write_bank(dir: &Path, bank: &BankUpdate) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(WriteError::at(dir))?;
    let opt = |x: Option<f64>, d: usize| x.map(|v| fmt_f(v, d)).unwrap_or_default();
    let p = dir.join("items.csv");
    write_csv(
        &p,
        &BANK_HEADER,
        bank.items.iter().map(|b| {
            vec![
                b.item_id.clone(),
                b.domain.clone(),
                b.item_type.clone(),
                b.key.clone(),
                b.options.to_string(),
                opt(b.abc.map(|x| x.0), 4),
                opt(b.abc.map(|x| x.1), 4),
                opt(b.abc.map(|x| x.2), 4),
                b.enemy_group.clone().unwrap_or_default(),
                b.status.as_str().to_string(),
                b.previous.to_string(),
                opt(b.n, 0),
                opt(b.se_b, 4),
                opt(b.fit_p, 4),
                b.dif_category.map(String::from).unwrap_or_default(),
                bank.run_date.clone(),
                b.flags.join("|"),
                b.reason.clone(),
            ]
        }),
    )
    .map_err(WriteError::at(&p))?;
    let p = dir.join("changes.csv");
    write_csv(
        &p,
        &["item_id", "from", "to", "flags", "reason"],
        bank.changes().map(|b| {
            vec![
                b.item_id.clone(),
                b.previous.to_string(),
                b.status.as_str().to_string(),
                b.flags.join("|"),
                b.reason.clone(),
            ]
        }),
    )
    .map_err(WriteError::at(&p))
}

/// Writes the assembled forms into `dir`: `forms.csv` (form_id, position, item_id, scored),
/// `assembly.json`, `tif_tcc.csv`, with a data set `conversion_FORM.csv` per new form and
/// `preequating.json`, with a domain column `pool_health.csv`; figures in `dir/figures`.
pub fn write_next_forms(dir: &Path, next: &NextForms, timings: bool) -> Result<(), WriteError> {
    // Wall-clock seconds differ between runs; they are written only when asked for, so that the
    // same inputs give byte-identical outputs.
    let secs = |x: f64| timings.then_some(x);
    std::fs::create_dir_all(dir.join("figures")).map_err(WriteError::at(dir))?;
    let spec = &next.spec;
    let a = &next.assembly;
    let p = dir.join("forms.csv");
    write_csv(
        &p,
        &["form_id", "position", "item_id", "scored"],
        a.forms.iter().enumerate().flat_map(|(f, form)| {
            let scored = form.items.iter().map(|id| (id, true));
            let pretest = next.pretest[f].iter().map(|id| (id, false));
            scored
                .chain(pretest)
                .enumerate()
                .map(move |(k, (id, scored))| {
                    vec![
                        spec.form_id(f),
                        (k + 1).to_string(),
                        id.clone(),
                        scored.to_string(),
                    ]
                })
        }),
    )
    .map_err(WriteError::at(&p))?;
    let forms: Vec<_> = a
        .forms
        .iter()
        .enumerate()
        .map(|(f, form)| {
            json!({
                "form_id": spec.form_id(f),
                "items": form.items.len(),
                "pretest_items": next.pretest[f].len(),
                "objective_value": form.objective_value,
                "curve": form.curve,
                "constraints": form.constraints,
                "status": a.status,
                "gap": a.gap,
                "seconds": secs(a.seconds),
            })
        })
        .collect();
    let summary = json!({
        "backend": a.backend,
        "status": a.status,
        "objective_value": a.objective_value,
        "best_bound": a.best_bound,
        "gap": a.gap,
        "gap_definition": a.gap_definition,
        "lp_bound": a.lp_bound,
        "gap_to_lp_bound": a.gap_to_lp_bound,
        "nodes": a.nodes,
        "seconds": secs(a.seconds),
        "solver_seconds": secs(a.solver_seconds),
        "anchors": a.anchors,
        "max_item_exposure": a.max_item_exposure,
        "spec": spec,
        "notes": next.notes,
        "forms": forms,
    });
    write_json(&dir.join("assembly.json"), &summary)?;
    let c = &next.curves;
    let p = dir.join("tif_tcc.csv");
    write_csv(
        &p,
        &["form_id", "theta", "information", "tcc"],
        c.forms.iter().flat_map(|(id, tif, tcc)| {
            c.theta.iter().enumerate().map(move |(k, t)| {
                vec![id.clone(), fmt_f(*t, 1), fmt_f(tif[k], 4), fmt_f(tcc[k], 4)]
            })
        }),
    )
    .map_err(WriteError::at(&p))?;
    for chart in curve_charts(next) {
        figures::write(&chart, &dir.join("figures"))?;
    }
    if let Some(pre) = &next.pre_equating {
        for form in &pre.forms {
            write_conversion_table(dir, &form.table)?;
        }
        let row = |x: &PreEquatedForm| {
            json!({
                "form_id": x.form_id,
                "raw_cut": x.table.raw_cut,
                "true_score_cut": x.table.true_score_cut,
                "tcc_at_cut": x.tcc_at_cut,
                "information_at_cut": x.information_at_cut,
                "csem_at_cut": x.csem_at_cut,
                "classification": x.classification,
                "blueprint": x.blueprint,
            })
        };
        write_json(
            &dir.join("preequating.json"),
            &json!({
                "cohort_form": pre.cohort_form,
                "cohort_mean": pre.cohort_mean,
                "cohort_sd": pre.cohort_sd,
                "theta_cut": pre.reference.table.theta_cut,
                "reference": row(&pre.reference),
                "forms": pre.forms.iter().map(row).collect::<Vec<_>>(),
            }),
        )?;
    }
    if let Some(h) = &next.health {
        write_health(dir, h)?;
        figures::write(&health_chart(h), &dir.join("figures"))?;
    }
    Ok(())
}

fn write_health(dir: &Path, h: &PoolHealth) -> Result<(), WriteError> {
    let p = dir.join("pool_health.csv");
    write_csv(
        &p,
        &[
            "domain",
            "b_band",
            "operational",
            "ready",
            "allowed",
            "need",
            "shortfall",
        ],
        health_rows(h),
    )
    .map_err(WriteError::at(&p))
}

fn health_rows(h: &PoolHealth) -> Vec<Vec<String>> {
    h.rows
        .iter()
        .map(|r| {
            let n = |s: &str| r.by_status.get(s).copied().unwrap_or(0).to_string();
            vec![
                r.domain.clone(),
                r.band.label(),
                n("operational"),
                n("ready"),
                r.allowed.to_string(),
                r.need.to_string(),
                r.shortfall.to_string(),
            ]
        })
        .collect()
}

/// TIF and TCC of every new form beside the reference form's.
fn curve_charts(next: &NextForms) -> [Chart; 2] {
    let c = &next.curves;
    let series = |which: usize| -> Vec<Series> {
        c.forms
            .iter()
            .map(|(id, tif, tcc)| Series {
                label: id.clone(),
                points: c
                    .theta
                    .iter()
                    .zip(if which == 0 { tif } else { tcc })
                    .map(|(&t, &y)| (t, y))
                    .collect(),
            })
            .collect()
    };
    let cut = next
        .pre_equating
        .as_ref()
        .map(|p| p.reference.table.theta_cut);
    let mut tif = Chart::lines(
        "assembled_tif",
        "Test information of the assembled forms and the reference form",
        "theta",
        "information",
        series(0),
    );
    let mut tcc = Chart::lines(
        "assembled_tcc",
        "Test characteristic curves of the assembled forms and the reference form",
        "theta",
        "expected raw score",
        series(1),
    );
    if let Some(t) = cut {
        tif.vline = Some((t, "theta at the cut".into()));
        tcc.vline = Some((t, "theta at the cut".into()));
    }
    [tif, tcc]
}

/// Items available and needed per domain x b band.
fn health_chart(h: &PoolHealth) -> Chart {
    let offset = |dx: f64, pick: fn(&crate::assemble::HealthRow) -> usize| -> Vec<(f64, f64)> {
        h.rows
            .iter()
            .enumerate()
            .map(|(k, r)| (k as f64 + dx, pick(r) as f64))
            .collect()
    };
    let mut c = Chart::lines(
        "pool_health",
        &format!(
            "Pool health: items available and needed for {} forms",
            h.forms
        ),
        "domain and b band (bands low to high within each domain)",
        "items",
        vec![
            Series {
                label: "available (allowed status)".into(),
                points: offset(-0.2, |r| r.allowed),
            },
            Series {
                label: "needed".into(),
                points: offset(0.2, |r| r.need),
            },
        ],
    );
    c.bar_width = Some(0.4);
    let bands = h
        .rows
        .iter()
        .filter(|r| r.domain == h.rows[0].domain)
        .count();
    c.x_names = h
        .rows
        .iter()
        .enumerate()
        .map(|(k, r)| {
            if k % bands == bands / 2 {
                r.domain.clone()
            } else {
                String::new()
            }
        })
        .collect();
    c
}

/// The report's "Next item bank" section: status counts and the changes.
pub fn bank_section(doc: &mut Doc, bank: &BankUpdate) -> Result<(), WriteError> {
    doc.section("bank", "Next item bank");
    let counts: Vec<String> = [
        BankStatus::Operational,
        BankStatus::Ready,
        BankStatus::NeedsRevision,
        BankStatus::Retired,
        BankStatus::New,
    ]
    .iter()
    .map(|&s| format!("{} {}", bank.count(s), s.as_str()))
    .collect();
    doc.p(&format!(
        "bank/items.csv holds every item with its status for the next cycle ({}), by the [bank] rules: at least {} responses, SE(b) at most {}, S-X2 p at least {}{}, no review flag of the kinds {}. Bank items keep their parameters; drift is flagged, never re-estimated.",
        counts.join(", "),
        bank.rules.min_n,
        bank.rules.max_se_b,
        bank.rules.misfit_p,
        if bank.rules.no_dif_c { ", no ETS C DIF" } else { "" },
        bank.rules.review_flags.join(", ")
    ));
    doc.table(
        "bank_changes",
        &["item", "from", "to", "flags", "reason"],
        bank.changes()
            .map(|b| {
                vec![
                    b.item_id.clone(),
                    b.previous.to_string(),
                    b.status.as_str().to_string(),
                    b.flags.join(", "),
                    b.reason.clone(),
                ]
            })
            .collect(),
    )
}

/// The report's "Assembled forms" section: the solve, the blueprint met, raw cuts side by side
/// with the expected pass rates, the TIF/TCC figures and the pool health.
pub fn assembled_section(doc: &mut Doc, next: &NextForms) -> Result<(), WriteError> {
    let a = &next.assembly;
    doc.section("assembled", "Assembled forms");
    doc.p(&format!(
        "{} forms of {} items assembled from the next bank by a mixed-integer program ({}): status {:?}, objective {}, gap {} (the node count, and with --timings the solver's seconds, are in assembly.json). Every constraint is recomputed from the selected items.",
        a.forms.len(),
        next.spec.length,
        a.backend,
        a.status,
        f(a.objective_value, 4),
        a.gap.map_or("not reported".into(), pct),
    ));
    let names: Vec<String> = a.forms[0]
        .constraints
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let mut header = vec!["form".to_string()];
    header.extend(names.iter().cloned());
    let header_ref: Vec<&str> = header.iter().map(String::as_str).collect();
    doc.table(
        "assembled_constraints",
        &header_ref,
        a.forms
            .iter()
            .enumerate()
            .map(|(k, form)| {
                let mut row = vec![next.spec.form_id(k)];
                row.extend(form.constraints.iter().map(|c| {
                    let v = if c.value.fract() == 0.0 {
                        f(c.value, 0)
                    } else {
                        f(c.value, 3)
                    };
                    format!("{v}{}", if c.met { "" } else { " (not met)" })
                }));
                row
            })
            .collect(),
    )?;
    if !next.notes.is_empty() {
        doc.list(&next.notes, true);
    }
    if let Some(pre) = &next.pre_equating {
        doc.p(&format!(
            "Pre-equated through the bank parameters (IRT true-score equating to the base form's scale); expected pass rates, decision accuracy and consistency under the latent density of form {}'s cohort (mean {}, SD {}).",
            pre.cohort_form,
            f(pre.cohort_mean, 2),
            f(pre.cohort_sd, 2)
        ));
        let row = |x: &PreEquatedForm, label: &str| {
            let c = x.classification.as_ref();
            vec![
                format!("{}{label}", x.form_id),
                x.table.raw_cut.map(|r| r.to_string()).unwrap_or_default(),
                f(x.tcc_at_cut, 2),
                f(x.information_at_cut, 2),
                x.csem_at_cut.map(|v| f(v, 1)).unwrap_or_default(),
                c.map(|c| pct(c.p_pass)).unwrap_or_default(),
                c.map(|c| pct(c.accuracy)).unwrap_or_default(),
                c.map(|c| pct(c.consistency)).unwrap_or_default(),
                x.blueprint
                    .iter()
                    .map(|(d, n)| format!("{d} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        };
        let mut rows = vec![row(&pre.reference, " (reference)")];
        rows.extend(pre.forms.iter().map(|x| row(x, "")));
        doc.table(
            "assembled_cuts",
            &[
                "form",
                "raw cut",
                "TCC at the cut",
                "information at the cut",
                "CSEM at the cut",
                "expected pass rate",
                "decision accuracy",
                "decision consistency",
                "blueprint",
            ],
            rows,
        )?;
    }
    let [tif, tcc] = curve_charts(next);
    doc.pair();
    doc.figure(
        &tif,
        "Test information of each new form beside the reference form's.",
    )?;
    doc.figure(
        &tcc,
        "Test characteristic curves: at the cut they set each form's raw cut.",
    )?;
    doc.end_group();
    if let Some(h) = &next.health {
        doc.subsection("Pool health", false);
        if h.shortfalls.is_empty() {
            doc.p("The pool has enough items in every domain and b band for these forms.");
        } else {
            doc.list(&h.shortfalls, true);
        }
        doc.figure(&health_chart(h), &h.rule)?;
        doc.table(
            "pool_health",
            &[
                "domain",
                "b band",
                "operational",
                "ready",
                "allowed",
                "need",
                "shortfall",
            ],
            health_rows(h),
        )?;
    }
    Ok(())
}
