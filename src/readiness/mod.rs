//! Readiness analytics for practice candidates: "would I pass, and what should I study?", with the
//! uncertainty of every figure.
//!
//! Per attempt (Bock & Mislevy 1982 EAP over a fine grid, prior = the attempt's form cohort density
//! from the calibration):
//! - the reported scaled score from the form's conversion table, with a 90 % interval
//!   `scaled ± 1.645 CSEM` (the table's conditional SEM; Lord 1980), clipped to the scale;
//! - P(pass) = P(theta > theta_cut | responses), integrated over the posterior.
//!
//! Per candidate:
//! - a combined posterior of the current ability over all attempts that allows for growth: theta
//!   follows a Gaussian random walk between attempts, theta_{j+1} = theta_j + growth + e,
//!   e ~ N(0, growth_sd^2) (a state-space model, filtered on the grid like a hidden Markov model:
//!   predict by convolving the posterior with the step density, update with the attempt's
//!   likelihood), starting from the first attempt's form cohort density;
//! - consistency: how many of the last k full-length attempts (`consistency_attempts`) reached
//!   the target score;
//! - a status ([`status`]: one rule, whose words are made from the same thresholds);
//! - a domain profile over the last k attempts: observed minus expected score at the cut on each
//!   domain's items (attempts weighted decay^age, age 0 = latest), with a binomial-compound SE; its cost in scaled points is
//!   `weight_d/100 * n_base * shortfall_d * (scaled points per raw point at the cut)`; the weakest
//!   domain is the one that costs the most; study shares are proportional to the positive costs.
//!
//! Files: [`posterior`] (the grid posterior and the growth filter), [`candidate`] (per attempt and
//! per candidate), [`status`], [`domains`] (domain profile and study plan), [`cohort`].

pub mod candidate;
pub mod cohort;
pub mod domains;
pub mod fit;
pub mod posterior;
pub mod status;
pub mod subscores;
#[cfg(test)]
mod tests;

use crate::exam::config::ReadinessConfig;
use crate::exam::Dataset;
use crate::irt::em::log_tables;
use crate::irt::model::ItemModel;
use crate::irt::quadrature::Grid;
use crate::irt::test_level::{tcc_slope, test_information};
use crate::irt::{CalibratedForms, Logistic};
use crate::scale::{ConversionTable, Scale};

pub use candidate::{
    assess, assess_candidate, practice_attempt, AttemptReadiness, CandidateReadiness,
    PracticeAttempt,
};
pub use cohort::{
    cohort, growth_model, Bin, Cohort, CurvePoint, DomainCount, OutcomeCheck, StatusShare,
};
pub use domains::{advice, plan_text, Advice, DomainProfile};
pub use fit::{
    fit_model, CrossValidation, GrowthEstimate, GrowthParams, ModelFit, PredictionScores,
};
pub use status::Status;

/// z of a two-sided 90 % normal interval.
pub const Z90: f64 = 1.644_853_626_951_472_2;

/// Posterior grid: theta from -GRID_RANGE to GRID_RANGE in steps of `STEP`.
const GRID_RANGE: f64 = 5.0;
const GRID_POINTS: usize = 201;
const STEP: f64 = 2.0 * GRID_RANGE / (GRID_POINTS - 1) as f64;

/// What readiness needs to know of a form.
#[derive(Debug, Clone)]
pub struct FormContext {
    pub id: String,
    /// The form's raw -> scaled table (None: scaled scores come from the EAP instead).
    pub table: Option<ConversionTable>,
    /// Mean and SD of the form cohort's ability density (the prior).
    pub prior: (f64, f64),
    pub n_scored: usize,
    /// As long as the base form (a diagnostic is not).
    pub full_length: bool,
}

/// Items, forms, blueprint and scale: everything that is the same for all candidates.
#[derive(Debug, Clone)]
pub struct Context {
    /// Calibrated (bank-scale) parameters by exam item; None for items without any.
    pub items: Vec<Option<Logistic>>,
    pub item_domain: Vec<usize>,
    /// Blueprint domains: (id, weight in percent).
    pub domains: Vec<(String, f64)>,
    /// Domain names for plain-word output (may be empty).
    pub domain_names: Vec<String>,
    pub forms: Vec<FormContext>,
    pub scale: Scale,
    /// Scored items on the base form.
    pub base_items: usize,
    /// Scaled points per raw point at the cut on the base form: slope / TCC'(theta_cut).
    pub points_per_raw: f64,
    /// SE of theta at the cut on the base form, 1 / sqrt(I(theta_cut)): the official exam's own
    /// measurement error there.
    pub exam_se: f64,
    /// Practice -> exam shift of ability (theta units) in P(passing the exam): 0, or estimated
    /// from official outcomes ([`fit`]).
    pub shift: f64,
    /// 90 % interval of the growth per attempt (its estimate twice when it is a default).
    pub growth_interval: (f64, f64),
    /// Haberman's PRMSE per domain from the data's forms (None: not computed); decides which
    /// domains may be named with fewer items ([`domains`]).
    pub subscores: Option<subscores::PooledSubscores>,
    /// Each form's index into `subscores.per_form` (None: not analysed).
    pub subscore_form: Vec<Option<usize>>,
    pub opts: ReadinessConfig,
    theta: Vec<f64>,
    /// Per exam item: log Q at the grid points, then log P (empty for items without parameters).
    log_tables: Vec<Vec<f64>>,
    /// Per exam item: P at the grid points, exp of the log P of `log_tables` (empty for items
    /// without parameters).
    p_tables: Vec<Vec<f64>>,
    /// Per exam item: P at the cut theta.
    p_cut: Vec<f64>,
    /// [`Context::exam_pass_table`] at `shift` (the shift it was computed for), filled once.
    exam_pass: std::sync::OnceLock<(f64, Vec<f64>)>,
}

impl Context {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        items: Vec<Option<Logistic>>,
        item_domain: Vec<usize>,
        domains: Vec<(String, f64)>,
        forms: Vec<FormContext>,
        scale: Scale,
        base: &[Logistic],
        opts: ReadinessConfig,
    ) -> Context {
        let grid = Grid::new(GRID_POINTS, GRID_RANGE);
        let log_tables: Vec<Vec<f64>> = items
            .iter()
            .map(|m| match m {
                None => Vec::new(),
                Some(m) => log_tables(std::slice::from_ref(m), &grid),
            })
            .collect();
        let p_tables = log_tables
            .iter()
            .map(|t| t[t.len() / 2..].iter().map(|l| l.exp()).collect())
            .collect();
        let theta = grid.theta;
        let mut probs = [0.0; 2];
        let p_cut = items
            .iter()
            .map(|m| {
                m.map(|m| {
                    m.probs(scale.theta_cut, &mut probs);
                    probs[1]
                })
                .unwrap_or(f64::NAN)
            })
            .collect();
        let slope = tcc_slope(base, scale.theta_cut);
        let info = test_information(base, &[scale.theta_cut])[0];
        Context {
            items,
            item_domain,
            domains,
            domain_names: Vec::new(),
            forms,
            base_items: base.len(),
            points_per_raw: if slope > 0.0 {
                scale.slope / slope
            } else {
                f64::NAN
            },
            exam_se: if info > 0.0 {
                1.0 / info.sqrt()
            } else {
                f64::INFINITY
            },
            scale,
            shift: 0.0,
            growth_interval: (opts.growth, opts.growth),
            subscores: None,
            subscore_form: Vec::new(),
            opts,
            theta,
            log_tables,
            p_tables,
            p_cut,
            exam_pass: std::sync::OnceLock::new(),
        }
    }

    /// The context of a calibrated data set: bank-scale parameters, each form's conversion table
    /// and cohort density, the blueprint and qbank.toml's readiness settings.
    pub fn of(
        ds: &Dataset,
        forms: &CalibratedForms,
        scale: &Scale,
        tables: &[ConversionTable],
    ) -> Context {
        let exam = &ds.exam;
        let base_n = exam.forms[exam.base_form()].n_scored();
        let form_contexts = exam
            .forms
            .iter()
            .zip(&forms.forms)
            .map(|(form, cf)| FormContext {
                id: form.id.clone(),
                table: tables.iter().find(|t| t.form_id == form.id).cloned(),
                prior: (cf.mean, cf.sd),
                n_scored: form.n_scored(),
                full_length: form.n_scored() >= base_n,
            })
            .collect();
        let mut ctx = Context::new(
            forms.by_item.clone(),
            (0..exam.items.len()).map(|i| ds.matrix.domain(i)).collect(),
            exam.config
                .domains
                .iter()
                .map(|d| (d.id.clone(), d.weight))
                .collect(),
            form_contexts,
            *scale,
            &forms.base().scored,
            exam.config.readiness.clone(),
        );
        ctx.domain_names = exam.config.domains.iter().map(|d| d.name.clone()).collect();
        if let Some((pooled, index)) = domains::domain_prmse(ds) {
            ctx.subscores = Some(pooled);
            ctx.subscore_form = index;
        }
        ctx
    }

    /// The id of domain `d` (e.g. "D2").
    pub fn domain_id(&self, d: usize) -> &str {
        &self.domains[d].0
    }
}
