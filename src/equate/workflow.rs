//! Equating a data set's forms: separate calibrations linked to the base form through their
//! common items (with anchor drift), and raw -> theta -> scaled conversion tables from the
//! bank-scale parameters of each form's scored items.

use crate::exam::Dataset;
use crate::irt::workflow::CalibrationResult;
use crate::irt::{calibrate, starting_items, EmOptions, Logistic, ModelKind, Priors};
use crate::scale::{conversion_table, ConversionTable, Scale};

use super::linking::{link, CurveOptions, Link, LinkMethod};

/// An anchor's difficulty on the base scale and after linking its form's separate calibration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AnchorDrift {
    pub item_id: String,
    pub b_base: f64,
    pub b_linked: f64,
    pub displacement: f64,
    pub flagged: bool,
}

/// One form linked onto the base form's scale.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FormLink {
    pub form_id: String,
    pub link: Link,
    pub n_common: usize,
    pub anchors: Vec<AnchorDrift>,
}

impl FormLink {
    /// form, method, A, B, common items, anchors flagged (A and B with `decimals`).
    pub fn summary_row(&self, decimals: usize) -> Vec<String> {
        use crate::output::fmt_f;
        vec![
            self.form_id.clone(),
            self.link.method.as_str().to_string(),
            fmt_f(self.link.slope, decimals),
            fmt_f(self.link.intercept, decimals),
            self.n_common.to_string(),
            self.anchors
                .iter()
                .filter(|a| a.flagged)
                .count()
                .to_string(),
        ]
    }

    /// Per anchor: form, item, b on the bank, b linked, displacement (with `decimals`).
    pub fn drift_rows(&self, decimals: usize) -> impl Iterator<Item = (&AnchorDrift, Vec<String>)> {
        use crate::output::fmt_f;
        self.anchors.iter().map(move |a| {
            (
                a,
                vec![
                    self.form_id.clone(),
                    a.item_id.clone(),
                    fmt_f(a.b_base, decimals),
                    fmt_f(a.b_linked, decimals),
                    fmt_f(a.displacement, decimals),
                ],
            )
        })
    }
}

/// Forms sharing fewer items with the base form are not linked separately (too little to link on).
pub const MIN_COMMON: usize = 10;

/// Forms with fewer items are not calibrated separately (a short diagnostic cannot carry a 3PL).
pub const MIN_FORM_ITEMS: usize = 20;

/// Default threshold on |b displacement| for flagging anchor drift (theta units).
pub const DRIFT_THRESHOLD: f64 = 0.5;

/// Calibrates every form separately (its own N(0, 1) scale, 2PL/3PL as `model`), then links each
/// form onto the base form through the items they share, reporting the displacement of each
/// common item's b after linking (item parameter drift).
pub fn separate_links(
    cal: &CalibrationResult,
    base_group: u16,
    model: ModelKind,
    method: LinkMethod,
    em: &EmOptions,
) -> Vec<FormLink> {
    let data = &cal.responses;
    let priors = Priors {
        c: (model == ModelKind::ThreePL).then_some(Priors::DEFAULT_C),
        ..Priors::default()
    };
    // A form's own calibration; None for forms too short to carry it.
    let fit = |g: u16| -> Option<(Vec<usize>, Vec<Logistic>)> {
        let (sub, items) = data.select_group(g);
        if sub.n_items() < MIN_FORM_ITEMS {
            return None;
        }
        let start = starting_items(
            &sub,
            &vec![model; sub.n_items()],
            cal.calibration.items[0].scale_d,
            priors,
        );
        let opts = EmOptions {
            reference_group: Some(0),
            empirical_histogram: false,
            ..em.clone()
        };
        let c = calibrate(&sub, start, vec![false; sub.n_items()], &opts);
        Some((items, c.items))
    };
    let Some((base_items, base_params)) = fit(base_group) else {
        return Vec::new();
    };
    (0..data.n_groups() as u16)
        .filter(|&g| g != base_group)
        .filter_map(|g| {
            let (items, params) = fit(g)?;
            let common: Vec<(usize, usize)> = items
                .iter()
                .enumerate()
                .filter_map(|(k, i)| base_items.iter().position(|j| j == i).map(|kb| (k, kb)))
                .collect();
            if common.len() < MIN_COMMON {
                return None;
            }
            let new: Vec<Logistic> = common.iter().map(|&(k, _)| params[k]).collect();
            let old: Vec<Logistic> = common.iter().map(|&(_, kb)| base_params[kb]).collect();
            let l = link(&new, &old, method, &CurveOptions::default()).ok()?;
            let anchors = common
                .iter()
                .map(|&(k, kb)| {
                    let b_linked = l.transform(&params[k]).b();
                    let b_base = base_params[kb].b();
                    AnchorDrift {
                        item_id: data.item_ids[items[k]].clone(),
                        b_base,
                        b_linked,
                        displacement: b_linked - b_base,
                        flagged: (b_linked - b_base).abs() > DRIFT_THRESHOLD,
                    }
                })
                .collect();
            Some(FormLink {
                form_id: data.group_names[g as usize].clone(),
                link: l,
                n_common: common.len(),
                anchors,
            })
        })
        .collect()
}

/// Conversion tables of every form from the calibrated (bank-scale) parameters of its scored
/// items; forms with a scored item that was not calibrated are skipped with a message.
pub fn form_tables(
    ds: &Dataset,
    cal: &CalibrationResult,
) -> Result<(Scale, Vec<ConversionTable>, Vec<String>), String> {
    let exam = &ds.exam;
    let mut by_exam_item: Vec<Option<Logistic>> = vec![None; exam.items.len()];
    for (k, &i) in cal.exam_items.iter().enumerate() {
        by_exam_item[i] = Some(cal.calibration.items[k]);
    }
    let scored = |f: usize| -> Option<Vec<Logistic>> {
        exam.forms[f]
            .scored()
            .map(|fi| by_exam_item[fi.item])
            .collect()
    };
    let base = scored(exam.base_form())
        .ok_or("the base form has scored items nobody answered: no scale")?;
    let scale = Scale::from_config(&exam.config.scale, &base)?;
    let mut tables = Vec::new();
    let mut skipped = Vec::new();
    for (f, form) in exam.forms.iter().enumerate() {
        match scored(f) {
            Some(items) => tables.push(conversion_table(&form.id, &items, &base, &scale)),
            None => skipped.push(format!(
                "form {}: a scored item has no responses and no bank parameters",
                form.id
            )),
        }
    }
    Ok((scale, tables, skipped))
}
