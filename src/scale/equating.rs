//! Equating a data set's forms onto the reporting scale: each form's raw -> scaled table from the
//! bank-scale parameters of its scored items (IRT true-score equating, with observed-score
//! equivalents beside), its pass rate and decision accuracy at the cut, and the separate-calibration
//! links of each form to the base form with anchor drift.

use serde::Serialize;

use crate::equate::irt_observed::observed_score_equating;
use crate::equate::link_se::DriftOptions;
use crate::equate::linking::LinkMethod;
use crate::equate::workflow::{
    separate_links, FormLink, ObservedPopulation, SeparateOptions, Unlinked,
};
use crate::exam::Dataset;
use crate::irt::workflow::CalibrationResult;
use crate::irt::{CalibratedForms, EmOptions, ItemModel, ModelKind, Priors};

use super::{classification, conversion_table, ConversionTable, Scale, ScaleError};

/// Per-form facts of the equating, for `equating.json`.
#[derive(Debug, Clone, Serialize)]
pub struct FormEquating {
    pub form_id: String,
    pub scored_items: usize,
    /// Mean b of the form's scored items: harder forms have higher raw cuts.
    pub mean_b: f64,
    pub raw_cut: Option<usize>,
    pub true_score_cut: f64,
    pub attempts: usize,
    /// Share of the form's attempts at or above 700 by its conversion table.
    pub pass_rate: f64,
    /// Decision accuracy and consistency at the raw cut for the form's cohort (model-implied).
    pub classification: Option<super::Classification>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EquatingSummary {
    pub method: &'static str,
    pub scale: super::Scale,
    pub base_form: String,
    pub forms: Vec<FormEquating>,
    pub links: Vec<FormLink>,
    /// The base form's expected raw score at the cut theta with its SE (its own calibration).
    pub base_raw_cut: Option<crate::equate::workflow::RawCutSe>,
    /// Forms that could not be linked to the base form by separate calibration, and why.
    pub unlinked: Vec<Unlinked>,
    /// Options of the anchor drift tests.
    pub drift: DriftOptions,
    pub warnings: Vec<String>,
}

/// The scale and every form's conversion table.
#[derive(Debug, Clone)]
pub struct FormTables {
    pub scale: Scale,
    pub tables: Vec<ConversionTable>,
    /// Forms without a table, and why.
    pub skipped: Vec<String>,
}

/// Conversion tables of every form from the calibrated (bank-scale) parameters of its scored
/// items; forms with a scored item that was not calibrated are skipped with a message.
pub fn form_tables(ds: &Dataset, forms: &CalibratedForms) -> Result<FormTables, ScaleError> {
    let base = forms
        .base()
        .complete_items()
        .ok_or(ScaleError::NoBaseParameters)?;
    let scale = Scale::from_config(&ds.exam.config.scale, base)?;
    let mut tables = Vec::new();
    let mut skipped = Vec::new();
    for form in &forms.forms {
        match form.complete_items() {
            Some(items) => tables.push(conversion_table(&form.form_id, items, base, &scale)),
            None => skipped.push(format!(
                "form {}: a scored item has no responses and no bank parameters",
                form.form_id
            )),
        }
    }
    Ok(FormTables {
        scale,
        tables,
        skipped,
    })
}

/// Everything the equating stage produced.
#[derive(Debug, Clone)]
pub struct Equating {
    pub summary: EquatingSummary,
    pub tables: Vec<ConversionTable>,
}

/// The equating stage: conversion tables on the reporting scale with IRT observed-score
/// equivalents (Lord-Wingersky score distributions in the synthetic population weighting the
/// form's and the base form's cohorts equally, then equipercentile; Kolen & Brennan 2014, 6.6),
/// pass rates by the tables, decision accuracy and consistency at each raw cut, and each form's
/// separate calibration linked to the base form by Stocking-Lord with anchor drift.
pub fn equate_forms(
    ds: &Dataset,
    cal: &CalibrationResult,
    forms: &CalibratedForms,
    model: ModelKind,
    priors: Priors,
    em: &EmOptions,
) -> Result<Equating, ScaleError> {
    let FormTables {
        scale,
        mut tables,
        skipped: mut warnings,
    } = form_tables(ds, forms)?;
    let base = forms.base();
    let mut populations = Vec::new();
    for t in tables.iter_mut() {
        let form = forms.by_id(&t.form_id).expect("tables are made per form");
        let synthetic: Vec<f64> = form
            .weights
            .iter()
            .zip(&base.weights)
            .map(|(a, b)| 0.5 * (a + b))
            .collect();
        let observed =
            observed_score_equating(&form.scored, &base.scored, &forms.theta, &synthetic);
        populations.push(ObservedPopulation {
            form_id: t.form_id.clone(),
            theta: forms.theta.clone(),
            weights: synthetic,
        });
        for r in t.rows.iter_mut() {
            r.base_equivalent_observed = observed.get(r.raw).copied();
        }
    }
    let drift = DriftOptions::default();
    let scored = |form_id: &str, id: &str| {
        ds.exam
            .forms
            .iter()
            .find(|f| f.id == form_id)
            .is_some_and(|f| f.scored().any(|fi| ds.exam.items[fi.item].id == id))
    };
    let theta_cut = tables.first().map(|t| t.theta_cut).unwrap_or(0.0);
    let separate = separate_links(
        cal,
        forms.base as u16,
        &SeparateOptions {
            model,
            priors,
            method: LinkMethod::StockingLord,
            em,
            drift: &drift,
            theta_cut,
            observed: &populations,
        },
        &scored,
    );
    for t in tables.iter_mut() {
        if let Some(l) = separate.links.iter().find(|l| l.form_id == t.form_id) {
            for r in t.rows.iter_mut() {
                r.se_equating = l.se_equating.get(r.raw).copied().flatten();
                r.se_equating_observed = l.se_equating_observed.get(r.raw).copied().flatten();
            }
        }
    }
    for l in &separate.links {
        for a in l.anchors.iter().filter(|a| a.flagged) {
            warnings.push(format!(
                "anchor {} on form {} moved by {:+.2} in b after linking (SE {:.2}, Holm-adjusted p {:.3}; flagged when p < {} and |displacement| > {})",
                a.item_id, l.form_id, a.displacement, a.se, a.p_holm, drift.alpha, drift.threshold
            ));
        }
    }
    for u in &separate.unlinked {
        warnings.push(format!(
            "form {} is not linked to the base form by separate calibration: {}",
            u.form_id, u.reason
        ));
    }
    let m = &ds.matrix;
    let mut per_form = Vec::new();
    for t in &tables {
        let f = ds.exam.form_index(&t.form_id).unwrap_or(0);
        let (mut n, mut pass) = (0usize, 0usize);
        for a in (0..m.n_attempts()).filter(|&a| m.form(a) == f) {
            n += 1;
            let raw = m.raw_score(a) as usize;
            pass += t.rows.get(raw).map(|r| r.pass as usize).unwrap_or(0);
        }
        let form = &forms.forms[f];
        let bs: Vec<f64> = form.scored.iter().map(|m| m.difficulty()).collect();
        per_form.push(FormEquating {
            form_id: t.form_id.clone(),
            scored_items: ds.exam.forms[f].n_scored(),
            mean_b: bs.iter().sum::<f64>() / bs.len().max(1) as f64,
            raw_cut: t.raw_cut,
            true_score_cut: t.true_score_cut,
            attempts: n,
            pass_rate: if n > 0 {
                pass as f64 / n as f64
            } else {
                f64::NAN
            },
            classification: t
                .raw_cut
                .map(|c| classification(&form.scored, c, t.theta_cut, &forms.theta, &form.weights)),
        });
    }
    Ok(Equating {
        summary: EquatingSummary {
            method: "irt-true-score",
            scale,
            base_form: ds.exam.config.base_form.clone(),
            forms: per_form,
            base_raw_cut: separate.base_raw_cut,
            links: separate.links,
            unlinked: separate.unlinked,
            drift,
            warnings,
        },
        tables,
    })
}
