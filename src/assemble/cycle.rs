//! A data set's next forms: the pool of the next bank, the assembly spec completed from
//! qbank.toml, and pre-equating of the assembled forms before anyone sits them.
//!
//! Pre-equating (Kolen & Brennan 2014, 6.4 and 8.x): an assembled form's items carry bank-scale
//! parameters, so its raw -> scaled table follows by IRT true-score equating to the base form
//! through them ([`crate::scale::conversion_table`]), with the raw cut, the conditional SEM and,
//! under the latest cohort's calibrated latent density, the expected pass rate and decision
//! accuracy and consistency ([`crate::scale::classification`]; Rudner 2005, Lee 2010).

use std::collections::BTreeMap;

use crate::exam::Dataset;
use crate::irt::test_level::{tcc, test_information};
use crate::irt::{CalibratedForms, Logistic};
use crate::scale::{classification, conversion_table, Classification, ConversionTable, Scale};

use super::bank::{BankStatus, BankUpdate, DATA_FLAGS};
use super::health::largest_remainder;
use super::pool::{AttrValue, Item, Pool};
use super::solver::MipStatus;
use super::{Assembly, AtaError, CountSpec, CountValue, Spec};

/// Statuses assembled from by default in a data set.
pub const DEFAULT_ALLOWED: [&str; 2] = ["operational", "ready"];

/// items.csv's enemy column: the default `enemy_column` of a data set's assembly.
pub const ENEMY_COLUMN: &str = "enemy_group";

/// The pool of the next bank: operational, ready and retired items with their parameters
/// (`allowed_status` decides which may be picked; needs-revision items, whose estimates may be
/// out of range, are left out), with attribute columns domain, type, status and, when any item
/// has one, enemy_group.
pub fn bank_pool(bank: &BankUpdate) -> Result<Pool, AtaError> {
    let has_enemies = bank.items.iter().any(|b| b.enemy_group.is_some());
    let items = bank
        .items
        .iter()
        .filter(|b| b.status != BankStatus::NeedsRevision)
        .filter_map(|b| {
            let (a, bb, c) = b.abc?;
            let mut attributes = BTreeMap::from([
                ("domain".to_string(), AttrValue::Text(b.domain.clone())),
                ("type".to_string(), AttrValue::Text(b.item_type.clone())),
                (
                    "status".to_string(),
                    AttrValue::Text(b.status.as_str().to_string()),
                ),
            ]);
            if has_enemies {
                let group = b
                    .enemy_group
                    .clone()
                    .map_or(AttrValue::Missing, AttrValue::Text);
                attributes.insert(ENEMY_COLUMN.to_string(), group);
            }
            Some(Item {
                id: b.item_id.clone(),
                a,
                b: bb,
                c,
                attributes,
            })
        })
        .collect();
    Pool::new(items)
}

/// Fills what a data set supplies and the spec left out: `allowed_status` = operational and
/// ready; `enemy_column` = items.csv's enemy_group when any item has one; `reference_form` = the
/// base form's scored items; and, when no `[[count]]` is on
/// `domain`, the blueprint counts from qbank.toml's domain weights (largest remainder of
/// weight % x length, each exact: min = max).
pub fn complete_spec(spec: &mut Spec, ds: &Dataset) {
    let exam = &ds.exam;
    if spec.allowed_status.is_none() {
        spec.allowed_status = Some(DEFAULT_ALLOWED.map(String::from).to_vec());
    }
    if spec.enemy_column.is_none() && exam.items.iter().any(|i| i.enemy_group.is_some()) {
        spec.enemy_column = Some(ENEMY_COLUMN.to_string());
    }
    if spec.reference_form.is_none() {
        let base = &exam.forms[exam.base_form()];
        spec.reference_form = Some(
            base.scored()
                .map(|fi| exam.items[fi.item].id.clone())
                .collect(),
        );
    }
    if !spec.count.iter().any(|c| c.column == "domain") {
        let weights: Vec<f64> = exam.config.domains.iter().map(|d| d.weight).collect();
        let counts = largest_remainder(spec.length, &weights);
        for (d, n) in exam.config.domains.iter().zip(counts) {
            spec.count.push(CountSpec {
                column: "domain".into(),
                value: CountValue::Text(d.id.clone()),
                min: Some(n),
                max: Some(n),
            });
        }
    }
}

/// The cohort whose latent density stands for the next candidates: that of the form of the
/// latest attempt among full-length forms (at least half the base form's scored items).
pub fn latest_cohort(ds: &Dataset, forms: &CalibratedForms) -> usize {
    let m = &ds.matrix;
    let base_len = ds.exam.forms[ds.exam.base_form()].n_scored();
    (0..m.n_attempts())
        .filter(|&t| 2 * ds.exam.forms[m.form(t)].n_scored() >= base_len)
        .max_by(|&s, &t| m.submitted_at(s).cmp(m.submitted_at(t)).then(s.cmp(&t)))
        .map(|t| m.form(t))
        .filter(|&f| f < forms.forms.len())
        .unwrap_or(forms.base)
}

/// One form's pre-equating.
#[derive(Debug, Clone, PartialEq)]
pub struct PreEquatedForm {
    pub form_id: String,
    pub items: Vec<String>,
    pub table: ConversionTable,
    /// Items per blueprint domain.
    pub blueprint: Vec<(String, usize)>,
    /// Conditional SEM of the scaled score at the raw cut.
    pub csem_at_cut: Option<f64>,
    /// Test information and TCC at the cut theta.
    pub information_at_cut: f64,
    pub tcc_at_cut: f64,
    /// Expected pass rate, accuracy and consistency under the cohort density.
    pub classification: Option<Classification>,
}

/// Pre-equating of every assembled form beside the reference (base) form.
#[derive(Debug, Clone, PartialEq)]
pub struct PreEquating {
    /// The form whose cohort density is used.
    pub cohort_form: String,
    pub cohort_mean: f64,
    pub cohort_sd: f64,
    pub reference: PreEquatedForm,
    pub forms: Vec<PreEquatedForm>,
}

/// Pre-equates each assembled form (see the module doc). `forms` are the calibrated forms of
/// the run (base form items and the cohort density), `scale` the run's reporting scale.
pub fn pre_equate(
    ds: &Dataset,
    assembly: &Assembly,
    spec: &Spec,
    pool: &Pool,
    forms: &CalibratedForms,
    scale: &Scale,
    cohort: usize,
) -> PreEquating {
    let base = forms.base();
    let scale_d = base.scored.first().map_or(1.0, |m| m.scale_d);
    let cohort_form = &forms.forms[cohort];
    let exam = &ds.exam;
    let one = |form_id: &str, ids: Vec<String>, items: &[Logistic], domains: Vec<String>| {
        let table = conversion_table(form_id, items, &base.scored, scale);
        let csem_at_cut = table
            .raw_cut
            .and_then(|r| table.rows.get(r))
            .and_then(|r| r.csem);
        let classification = table.raw_cut.map(|r| {
            classification(
                items,
                r,
                scale.theta_cut,
                &forms.theta,
                &cohort_form.weights,
            )
        });
        let mut blueprint: Vec<(String, usize)> = exam
            .config
            .domains
            .iter()
            .map(|d| (d.id.clone(), domains.iter().filter(|x| **x == d.id).count()))
            .collect();
        blueprint.retain(|(_, n)| *n > 0 || !domains.is_empty());
        PreEquatedForm {
            form_id: form_id.to_string(),
            items: ids,
            csem_at_cut,
            information_at_cut: test_information(items, &[scale.theta_cut])[0],
            tcc_at_cut: tcc(items, scale.theta_cut),
            classification,
            table,
            blueprint,
        }
    };
    let base_form = &exam.forms[forms.base];
    let reference = one(
        &base.form_id,
        base_form
            .scored()
            .map(|fi| exam.items[fi.item].id.clone())
            .collect(),
        &base.scored,
        base_form
            .scored()
            .map(|fi| exam.config.domains[exam.items[fi.item].domain].id.clone())
            .collect(),
    );
    let new_forms = assembly
        .forms
        .iter()
        .enumerate()
        .map(|(f, form)| {
            let picked: Vec<&Item> = form
                .items
                .iter()
                .filter_map(|id| pool.index_of(id).map(|i| &pool.items[i]))
                .collect();
            let models: Vec<Logistic> = picked.iter().map(|it| it.model(scale_d)).collect();
            let domains = picked
                .iter()
                .filter_map(|it| it.attributes.get("domain").and_then(|v| v.as_text()))
                .collect();
            one(&spec.form_id(f), form.items.clone(), &models, domains)
        })
        .collect();
    PreEquating {
        cohort_form: cohort_form.form_id.clone(),
        cohort_mean: cohort_form.mean,
        cohort_sd: cohort_form.sd,
        reference,
        forms: new_forms,
    }
}

/// TIF and TCC of each new form and of the reference form on a theta grid.
#[derive(Debug, Clone, PartialEq)]
pub struct FormCurves {
    pub theta: Vec<f64>,
    /// (form id, information, TCC) per theta; the reference form first when there is one.
    pub forms: Vec<(String, Vec<f64>, Vec<f64>)>,
}

/// Everything the assembly of the next forms produced.
#[derive(Debug, Clone)]
pub struct NextForms {
    /// The spec as used (data-set defaults filled in).
    pub spec: Spec,
    pub pool: Pool,
    pub assembly: Assembly,
    pub curves: FormCurves,
    /// Only with a data set (the scale and the cohort come from its run).
    pub pre_equating: Option<PreEquating>,
    /// Only when the pool has a `domain` column.
    pub health: Option<super::PoolHealth>,
    /// Pretest items per form (the bank's new items, then items held back only for lack of
    /// data; each on one form).
    pub pretest: Vec<Vec<String>>,
    /// What the user should know (e.g. pretest slots left empty).
    pub notes: Vec<String>,
}

/// Theta grid of the curves: -4 to 4 by 0.1.
pub fn curve_grid() -> Vec<f64> {
    (0..=80).map(|k| -4.0 + 0.1 * k as f64).collect()
}

fn curves(pool: &Pool, spec: &Spec, assembly: &Assembly) -> FormCurves {
    let theta = curve_grid();
    let models = |ids: &[String]| -> Vec<Logistic> {
        ids.iter()
            .filter_map(|id| pool.index_of(id))
            .map(|i| pool.items[i].model(spec.d))
            .collect()
    };
    let mut forms = Vec::new();
    let mut push = |id: String, items: Vec<Logistic>| {
        let tif = test_information(&items, &theta);
        let tc = theta.iter().map(|&t| tcc(&items, t)).collect();
        forms.push((id, tif, tc));
    };
    if let Some(r) = &spec.reference_form {
        push("reference".into(), models(r));
    }
    for (f, form) in assembly.forms.iter().enumerate() {
        push(spec.form_id(f), models(&form.items));
    }
    FormCurves { theta, forms }
}

/// What the solve's stop means for the user: a stop by the wall-clock safety net is not
/// reproducible, a stop by the node limit is.
fn solver_notes(assembly: &Assembly, spec: &Spec) -> Vec<String> {
    match assembly.status {
        MipStatus::TimeLimit => vec![format!(
            "the solver was stopped by the {} s time limit before its node limit ({}): another run may return different forms; raise time_limit_seconds or lower node_limit in [solver] for a reproducible stop",
            spec.solver.time_limit_seconds, spec.solver.node_limit
        )],
        MipStatus::NodeLimit => vec![format!(
            "the solver stopped at its node limit ({}) with a gap of {}: the forms are feasible and reproducible but not proven optimal; raise node_limit for a smaller gap",
            spec.solver.node_limit,
            assembly.gap.map_or("unknown".to_string(), |g| format!("{:.2} %", 100.0 * g))
        )],
        _ => Vec::new(),
    }
}

/// `qbank assemble --pool`: assembles from a pool file's items, with the curves and, when the
/// pool has a `domain` column, the pool health.
pub fn assemble_pool(pool: Pool, spec: Spec) -> Result<NextForms, AtaError> {
    let assembly = super::assemble(&pool, &spec)?;
    let curves = curves(&pool, &spec, &assembly);
    let health = pool
        .has_column("domain")
        .then(|| super::pool_health(&pool, &spec, &super::HealthConfig::default()).ok())
        .flatten();
    let mut notes = solver_notes(&assembly, &spec);
    if spec.pretest > 0 {
        notes.push(format!(
            "{} pretest slots per form left empty: a pool file has no unscored new items (a data set fills them with its bank's new items)",
            spec.pretest
        ));
    }
    if !pool.uncalibrated.is_empty() {
        notes.push(format!(
            "{} items without parameters (empty b) left out of the pool",
            pool.uncalibrated.len()
        ));
    }
    Ok(NextForms {
        pretest: vec![Vec::new(); assembly.forms.len()],
        spec,
        pool,
        assembly,
        curves,
        pre_equating: None,
        health,
        notes,
    })
}

/// `qbank assemble DIR` and the assembly stage of `qbank run`: the spec completed from the data
/// set, assembled from the next bank, then pre-equated on the run's scale under the latest
/// cohort's density.
pub fn next_forms(
    ds: &Dataset,
    bank: &BankUpdate,
    forms: &CalibratedForms,
    scale: &Scale,
    mut spec: Spec,
) -> Result<NextForms, AtaError> {
    complete_spec(&mut spec, ds);
    let pool = bank_pool(bank)?;
    let mut next = assemble_pool(pool, spec)?;
    next.notes = solver_notes(&next.assembly, &next.spec);
    // Pretest candidates: never-presented items first, then items held back only for lack of
    // data (they need more responses, not a revision), each on one form, dealt round-robin.
    let new_items = bank.items.iter().filter(|b| b.status == BankStatus::New);
    let more_data = bank.items.iter().filter(|b| b.needs_more_data());
    let n_new = new_items.clone().count();
    let candidates: Vec<&str> = new_items
        .chain(more_data)
        .map(|b| b.item_id.as_str())
        .collect();
    let n_forms = next.assembly.forms.len();
    let slots = next.spec.pretest * n_forms;
    for (k, id) in candidates.iter().take(slots).enumerate() {
        next.pretest[k % n_forms].push(id.to_string());
    }
    let filled = candidates.len().min(slots);
    if slots > 0 {
        next.notes.push(format!(
            "{filled} of {slots} pretest slots filled: {} never-presented items and {} items held back only for lack of data ({}) go back on a form",
            n_new.min(slots),
            filled - n_new.min(slots),
            DATA_FLAGS.join(", ")
        ));
    }
    let cohort = latest_cohort(ds, forms);
    next.pre_equating = Some(pre_equate(
        ds,
        &next.assembly,
        &next.spec,
        &next.pool,
        forms,
        scale,
        cohort,
    ));
    Ok(next)
}
