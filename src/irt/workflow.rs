//! Calibration workflows over a data set, thin layers over the one EM engine:
//! - fixed-parameter calibration (FPC; Kim 2006, multiple weights updating / multiple EM cycles):
//!   items with bank parameters keep them, every cohort's latent density is re-estimated each
//!   cycle, and only the items without bank parameters (pretest items) are estimated, so they land
//!   on the bank scale;
//! - concurrent calibration of all items, one latent density per form cohort with the base form's
//!   cohort fixed at N(0, 1) (nonequivalent groups linked through common items).

use crate::exam::Dataset;

use super::em::{calibrate, Calibration, EmOptions};
use super::model::{Logistic, ModelKind, Priors};
use super::se::{covariance, Covariance};
use super::{item_estimates, starting_items, ItemEstimate, Responses};

/// How items were calibrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    FixedParameter,
    Concurrent,
}

/// Options of a data-set calibration.
#[derive(Debug, Clone)]
pub struct CalibrateOptions {
    /// Model of the estimated items.
    pub model: ModelKind,
    /// Scaling constant D (1 logistic, 1.702 normal metric).
    pub scale_d: f64,
    /// Fixed-parameter calibration on the bank; `None` = automatic (FPC when the bank has
    /// parameters for at least one presented item).
    pub fixed_bank: Option<bool>,
    /// One latent density per form cohort (otherwise one for everybody).
    pub group_by_form: bool,
    pub priors: Priors,
    pub em: EmOptions,
    /// Estimated 3PL items with fewer responses than this are estimated as 2PL instead (small-N
    /// pretest items cannot carry a guessing parameter).
    pub small_n_2pl: Option<f64>,
}

impl Default for CalibrateOptions {
    fn default() -> Self {
        CalibrateOptions {
            model: ModelKind::ThreePL,
            scale_d: 1.0,
            fixed_bank: None,
            group_by_form: true,
            priors: Priors {
                c: Some(Priors::DEFAULT_C),
                ..Priors::default()
            },
            em: EmOptions::default(),
            small_n_2pl: None,
        }
    }
}

/// Everything a calibration produced.
#[derive(Debug, Clone)]
pub struct CalibrationResult {
    pub mode: Mode,
    pub responses: Responses,
    /// For each calibrated item (in `responses` order) its index in the exam's items.
    pub exam_items: Vec<usize>,
    pub calibration: Calibration,
    pub covariance: Covariance,
    pub estimates: Vec<ItemEstimate>,
}

/// Calibrates every item presented in the data set.
pub fn calibrate_dataset(ds: &Dataset, opts: &CalibrateOptions) -> CalibrationResult {
    calibrate_dataset_with(ds, opts, &|_| {})
}

/// [`calibrate_dataset`], calling `stage` with the name of each step (EM, standard errors) as it
/// starts, so a caller can time them.
pub fn calibrate_dataset_with(
    ds: &Dataset,
    opts: &CalibrateOptions,
    stage: &dyn Fn(&str),
) -> CalibrationResult {
    let m = &ds.matrix;
    let exam = &ds.exam;
    // Only items somebody saw can be calibrated; remap them to 0..n.
    let mut seen = vec![false; exam.items.len()];
    for a in 0..m.n_attempts() {
        for r in m.responses(a) {
            seen[r.item] = true;
        }
    }
    let exam_items: Vec<usize> = (0..exam.items.len()).filter(|&i| seen[i]).collect();
    let mut remap = vec![u32::MAX; exam.items.len()];
    for (k, &i) in exam_items.iter().enumerate() {
        remap[i] = k as u32;
    }
    let form_ids: Vec<String> = exam.forms.iter().map(|f| f.id.clone()).collect();
    let mut responses = Responses::from_matrix(
        m,
        exam.items.iter().map(|it| it.id.clone()).collect(),
        &form_ids,
        opts.group_by_form,
    );
    responses.remap_items(
        &remap,
        exam_items
            .iter()
            .map(|&i| exam.items[i].id.clone())
            .collect(),
    );

    let has_bank = exam_items.iter().any(|&i| exam.items[i].bank.is_some());
    let fpc = opts.fixed_bank.unwrap_or(has_bank) && has_bank;
    let (n_resp, _) = super::counts(&responses);
    let kinds: Vec<ModelKind> = n_resp
        .iter()
        .map(|&n| match opts.small_n_2pl {
            Some(min) if opts.model == ModelKind::ThreePL && n < min => ModelKind::TwoPL,
            _ => opts.model,
        })
        .collect();
    let mut items = starting_items(&responses, &kinds, opts.scale_d, opts.priors);
    let mut fixed = vec![false; exam_items.len()];
    if fpc {
        for (k, &i) in exam_items.iter().enumerate() {
            if let Some(bp) = exam.items[i].bank {
                items[k] = Logistic::from_abc(bp.a, bp.b, bp.c, opts.scale_d);
                fixed[k] = true;
            }
        }
    }
    let mut em = opts.em.clone();
    if fpc {
        em.reference_group = None;
    } else {
        em.reference_group = Some(if opts.group_by_form {
            exam.base_form()
        } else {
            0
        });
        em.free_reference_sd = opts.model == ModelKind::Rasch;
    }
    stage("IRT calibration: EM");
    let cal = calibrate(&responses, items, fixed, &em);
    stage("IRT calibration: standard errors");
    let cov = covariance(&responses, &cal);
    let estimates = item_estimates(&responses, &cal, &cov);
    CalibrationResult {
        mode: if fpc {
            Mode::FixedParameter
        } else {
            Mode::Concurrent
        },
        responses,
        exam_items,
        calibration: cal,
        covariance: cov,
        estimates,
    }
}

impl CalibrationResult {
    /// The summary written to `calibration.json`.
    pub fn summary(&self, model: ModelKind) -> super::CalibrationSummary {
        super::CalibrationSummary::of(
            &self.responses,
            &self.calibration,
            &self.covariance,
            &self.estimates,
            model,
            Some(self.mode),
        )
    }
}

/// Calibrates plain responses (one group, every item estimated by `model`, the reference
/// density N(0, 1), its SD free for the Rasch model): the calibration, its covariance and the
/// item estimates.
pub fn calibrate_responses(
    data: &Responses,
    model: ModelKind,
    scale_d: f64,
    priors: Priors,
    em: &EmOptions,
) -> (Calibration, Covariance, Vec<ItemEstimate>) {
    calibrate_responses_with(data, model, scale_d, priors, em, &|_| {})
}

/// [`calibrate_responses`], calling `stage` as each step (EM, standard errors) starts.
pub fn calibrate_responses_with(
    data: &Responses,
    model: ModelKind,
    scale_d: f64,
    priors: Priors,
    em: &EmOptions,
    stage: &dyn Fn(&str),
) -> (Calibration, Covariance, Vec<ItemEstimate>) {
    let kinds = vec![model; data.n_items()];
    let items = starting_items(data, &kinds, scale_d, priors);
    let em = EmOptions {
        reference_group: Some(0),
        free_reference_sd: model == ModelKind::Rasch,
        ..em.clone()
    };
    stage("IRT calibration: EM");
    let cal = calibrate(data, items, vec![false; data.n_items()], &em);
    stage("IRT calibration: standard errors");
    let cov = covariance(data, &cal);
    let est = item_estimates(data, &cal, &cov);
    (cal, cov, est)
}
