//! The calibrated forms: after calibration, per form, the bank-scale parameters of its scored
//! items and its cohort's latent density, worked out once under one rule. Equating, scaling,
//! readiness and the report read them from here.

use crate::exam::Dataset;

use super::em::Calibration;
use super::model::Logistic;
use super::workflow::CalibrationResult;

/// One form after calibration.
#[derive(Debug, Clone)]
pub struct CalibratedForm {
    pub form_id: String,
    /// Bank-scale parameters of the form's scored items that have them (in form order).
    pub scored: Vec<Logistic>,
    /// Every scored item has parameters (otherwise the form has no conversion table).
    pub complete: bool,
    /// Index of the form's cohort among the calibration's latent groups.
    pub group: usize,
    /// The cohort's density on the calibration grid (weights summing to 1).
    pub weights: Vec<f64>,
    /// Mean and SD of the cohort's latent density.
    pub mean: f64,
    pub sd: f64,
}

impl CalibratedForm {
    /// The scored items' parameters when every scored item has them.
    pub fn complete_items(&self) -> Option<&[Logistic]> {
        self.complete.then_some(self.scored.as_slice())
    }
}

/// Every form of a calibrated data set, the base form and the calibration's quadrature grid.
#[derive(Debug, Clone)]
pub struct CalibratedForms {
    pub forms: Vec<CalibratedForm>,
    pub base: usize,
    /// The calibration's quadrature points.
    pub theta: Vec<f64>,
    /// Calibrated (bank-scale) parameters by exam item; None for items without any.
    pub by_item: Vec<Option<Logistic>>,
}

/// The latent group of form `f`'s cohort: its own when the calibration has one density per form,
/// otherwise the single common one.
pub fn cohort_group(cal: &Calibration, n_forms: usize, f: usize) -> usize {
    if cal.latent.len() == n_forms {
        f
    } else {
        0
    }
}

impl CalibratedForms {
    pub fn of(ds: &Dataset, cal: &CalibrationResult) -> CalibratedForms {
        let exam = &ds.exam;
        let mut by_item: Vec<Option<Logistic>> = vec![None; exam.items.len()];
        for (k, &i) in cal.exam_items.iter().enumerate() {
            by_item[i] = Some(cal.calibration.items[k]);
        }
        let c = &cal.calibration;
        let forms = exam
            .forms
            .iter()
            .enumerate()
            .map(|(f, form)| {
                let items: Vec<Option<Logistic>> =
                    form.scored().map(|fi| by_item[fi.item]).collect();
                let group = cohort_group(c, exam.forms.len(), f);
                CalibratedForm {
                    form_id: form.id.clone(),
                    complete: items.iter().all(Option::is_some),
                    scored: items.into_iter().flatten().collect(),
                    group,
                    weights: c.weights(group),
                    mean: c.latent[group].mean,
                    sd: c.latent[group].sd,
                }
            })
            .collect();
        CalibratedForms {
            forms,
            base: exam.base_form(),
            theta: c.grid.theta.clone(),
            by_item,
        }
    }

    pub fn base(&self) -> &CalibratedForm {
        &self.forms[self.base]
    }

    pub fn by_id(&self, id: &str) -> Option<&CalibratedForm> {
        self.forms.iter().find(|f| f.form_id == id)
    }
}
