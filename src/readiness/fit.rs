//! Learning the growth model from the program's own official outcomes, and checking it.
//!
//! Parameters: the growth per attempt g, its SD s (the random walk of [`Context::filter`]) and
//! the practice -> exam shift delta (ability at the official exam = ability after the last
//! practice attempt + delta). For a candidate with practice responses y_1..y_J and an official
//! outcome o (passed or not) the likelihood is
//!
//!   p(y_1..y_J | g, s) * P(o | y, g, s, delta),
//!   P(passed | y) = sum_k pi_J(theta_k) Phi((theta_k + delta - theta_cut) / exam_se),
//!
//! the first factor from the forward filter (the marginal likelihood of a state-space model),
//! pi_J the filtered posterior after the last attempt. The sum over candidates with an official
//! outcome is maximised by Newton's method over (g, ln s, delta) with central finite-difference
//! derivatives; SEs from the inverse observed information (delta method for s). Evaluated by
//! K-fold cross-validation over those candidates (each fold predicted by the model fitted on the
//! others): Brier score, log loss, and the calibration intercept and slope of a logistic
//! regression of the outcome on logit(predicted) (Cox 1958), for the defaults and the fit.

use std::borrow::Cow;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::exam::Dataset;
use crate::irt::em::newton_step;

use super::cohort::{bins, Bin};
use super::posterior::{weighted_sum, Walk};
use super::{practice_attempt, Context};

/// The growth model's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GrowthParams {
    pub growth: f64,
    pub growth_sd: f64,
    pub shift: f64,
}

/// Maximum-likelihood estimates with SEs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrowthEstimate {
    pub params: GrowthParams,
    pub growth_se: f64,
    pub growth_sd_se: f64,
    pub shift_se: f64,
    pub log_likelihood: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// How well one set of predictions matched the official outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionScores {
    pub brier: f64,
    pub log_loss: f64,
    /// a and b of logit P(passed) = a + b logit(predicted): 0 and 1 when calibrated; b < 1 means
    /// too extreme predictions, b > 1 too cautious ones.
    pub calibration_intercept: f64,
    pub calibration_slope: f64,
    /// Reliability diagram (10 bins of the predictions).
    pub reliability: Vec<Bin>,
}

/// K-fold cross-validation of the defaults against the fitted model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossValidation {
    pub folds: usize,
    pub candidates: usize,
    /// The defaults' predictions (nothing is fitted, so every fold is predicted the same way).
    pub defaults: PredictionScores,
    /// Each fold predicted by the model fitted on the other folds.
    pub fitted: PredictionScores,
}

/// The growth model used for every candidate, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelFit {
    /// "fitted" or "defaults".
    pub source: String,
    /// Plain words: what was done and why.
    pub note: String,
    /// Candidates with an official outcome (and practice attempts).
    pub candidates: usize,
    pub min_candidates: usize,
    pub defaults: GrowthParams,
    pub used: GrowthParams,
    pub estimate: Option<GrowthEstimate>,
    pub cross_validation: Option<CrossValidation>,
}

/// Folds of the cross-validation, and the seed of their assignment.
pub const FOLDS: usize = 5;
const FOLD_SEED: u64 = 20_260_119;
const MAX_ITERATIONS: usize = 40;
/// Finite-difference step in (g, ln s, delta).
const H: f64 = 1e-3;

/// One candidate with an official outcome: the forward filter after the first attempt (which
/// does not depend on the growth model, so it is computed once), each later attempt's
/// log-likelihood on the grid (time order) and the outcome.
pub struct OutcomeCase {
    /// Log marginal likelihood of the first attempt.
    first_log_lik: f64,
    after_first: AfterFirst,
    /// Log-likelihoods of the later attempts.
    later: Vec<Vec<f64>>,
    passed: bool,
}

/// The posterior after the first attempt: its weights when no attempt follows (all the outcome
/// needs), else its normalised log (where the filter goes on).
enum AfterFirst {
    Weights(Vec<f64>),
    LogPosterior(Vec<f64>),
}

/// The candidates of `ds` with an official outcome and at least one attempt.
pub fn outcome_cases(ds: &Dataset, ctx: &Context) -> Vec<OutcomeCase> {
    let Some(cs) = ds.exam.candidates.as_ref() else {
        return Vec::new();
    };
    let Some(passed) = cs.official_passed.as_ref() else {
        return Vec::new();
    };
    let m = &ds.matrix;
    let mut by_candidate: Vec<Vec<usize>> = vec![Vec::new(); m.n_candidates()];
    for a in 0..m.n_attempts() {
        by_candidate[m.candidate(a)].push(a);
    }
    by_candidate
        .par_iter()
        .enumerate()
        .filter_map(|(c, list)| {
            let k = *cs.index.get(m.candidate_id(c))?;
            let passed = passed[k]?;
            let mut attempts: Vec<_> = list.iter().map(|&a| practice_attempt(m, a)).collect();
            attempts.sort_by(|x, y| x.submitted_at.cmp(&y.submitted_at));
            let first = attempts.first()?;
            let (first_log_lik, lp) = ctx.filter_first(first.form, &ctx.log_lik(&first.responses));
            let later: Vec<Vec<f64>> = attempts[1..]
                .iter()
                .map(|a| ctx.log_lik(&a.responses))
                .collect();
            let after_first = if later.is_empty() {
                AfterFirst::Weights(lp.iter().map(|l| l.exp()).collect())
            } else {
                AfterFirst::LogPosterior(lp)
            };
            Some(OutcomeCase {
                first_log_lik,
                after_first,
                later,
                passed,
            })
        })
        .collect()
}

impl Context {
    /// The context with the growth model `p` (and the 90 % interval of the growth).
    pub fn with_params(mut self, p: GrowthParams, growth_interval: (f64, f64)) -> Context {
        self.opts.growth = p.growth;
        self.opts.growth_sd = p.growth_sd;
        self.shift = p.shift;
        self.growth_interval = growth_interval;
        self
    }

    /// The growth model in use.
    pub fn params(&self) -> GrowthParams {
        GrowthParams {
            growth: self.opts.growth,
            growth_sd: self.opts.growth_sd,
            shift: self.shift,
        }
    }
}

/// What every case's terms under one set of parameters share: the random walk's kernel and the
/// factors of P(passing the exam) at the grid points.
struct Shared<'a> {
    ctx: &'a Context,
    walk: Walk,
    exam_pass: Vec<f64>,
}

impl Shared<'_> {
    fn of<'a>(ctx: &'a Context, p: &GrowthParams) -> Shared<'a> {
        Shared {
            ctx,
            walk: Walk::new(p.growth, p.growth_sd),
            exam_pass: ctx.exam_pass_table(p.shift),
        }
    }

    /// (log-likelihood of the case, P(passing the exam)).
    fn case_terms(&self, c: &OutcomeCase) -> (f64, f64) {
        let (ll, w) = filtered(self.ctx, c, &self.walk);
        outcome_terms(ll, &w, &self.exam_pass, c.passed)
    }
}

/// The log marginal likelihood of a case's practice responses and the weights of the posterior
/// after its last attempt, under the growth model of `walk`.
fn filtered<'c>(ctx: &Context, c: &'c OutcomeCase, walk: &Walk) -> (f64, Cow<'c, [f64]>) {
    match &c.after_first {
        AfterFirst::Weights(w) => (c.first_log_lik, Cow::Borrowed(w)),
        AfterFirst::LogPosterior(lp) => {
            let (ll, lp) = ctx.filter_continue(c.first_log_lik, lp.clone(), &c.later, walk);
            (ll, Cow::Owned(lp.iter().map(|l| l.exp()).collect()))
        }
    }
}

/// (the case's log-likelihood with its outcome, P(passing the exam)) from [`filtered`]'s values.
fn outcome_terms(ll: f64, w: &[f64], exam_pass: &[f64], passed: bool) -> (f64, f64) {
    let q = weighted_sum(w, exam_pass).clamp(1e-12, 1.0 - 1e-12);
    (ll + if passed { q.ln() } else { (1.0 - q).ln() }, q)
}

/// The joint log-likelihood of practice responses and official outcomes (summed in case order,
/// so identical whatever the thread count).
fn log_likelihood(ctx: &Context, cases: &[&OutcomeCase], p: &GrowthParams) -> f64 {
    let shared = Shared::of(ctx, p);
    let parts: Vec<f64> = cases.par_iter().map(|c| shared.case_terms(c).0).collect();
    parts.iter().sum()
}

/// [`log_likelihood`] at several points (in the internal coordinates of [`to_params`]) in one
/// pass over the cases: a case's posterior is filtered once per distinct (g, ln s) among the
/// points and its outcome term computed once per distinct shift it needs (a case with one
/// attempt depends on the shift only). Each value is the same sum, in case order, as
/// [`log_likelihood`]'s.
fn log_likelihoods(ctx: &Context, cases: &[&OutcomeCase], points: &[[f64; 3]]) -> Vec<f64> {
    let n = points.len();
    // distinct (g, ln s) and shifts, and each point's index into them
    let distinct = |key: &dyn Fn(&[f64; 3]) -> Vec<u64>| {
        let mut keys: Vec<Vec<u64>> = Vec::new();
        let index: Vec<usize> = points
            .iter()
            .map(|x| {
                let k = key(x);
                keys.iter().position(|y| *y == k).unwrap_or_else(|| {
                    keys.push(k);
                    keys.len() - 1
                })
            })
            .collect();
        (keys.len(), index)
    };
    let (n_walks, walk_of) = distinct(&|x| vec![x[0].to_bits(), x[1].to_bits()]);
    let (n_shifts, shift_of) = distinct(&|x| vec![x[2].to_bits()]);
    let first_with = |of: &[usize], k: usize| of.iter().position(|&m| m == k).unwrap_or(0);
    let walks: Vec<Walk> = (0..n_walks)
        .map(|k| {
            let p = to_params(&points[first_with(&walk_of, k)]);
            Walk::new(p.growth, p.growth_sd)
        })
        .collect();
    let tables: Vec<Vec<f64>> = (0..n_shifts)
        .map(|k| ctx.exam_pass_table(to_params(&points[first_with(&shift_of, k)]).shift))
        .collect();
    let parts: Vec<Vec<f64>> = cases
        .par_iter()
        .map(|c| match &c.after_first {
            AfterFirst::Weights(w) => {
                let by_shift: Vec<f64> = tables
                    .iter()
                    .map(|t| outcome_terms(c.first_log_lik, w, t, c.passed).0)
                    .collect();
                shift_of.iter().map(|&k| by_shift[k]).collect()
            }
            AfterFirst::LogPosterior(_) => {
                let mut out = vec![0.0; n];
                for (k, walk) in walks.iter().enumerate() {
                    let (ll, w) = filtered(ctx, c, walk);
                    for m in (0..n).filter(|&m| walk_of[m] == k) {
                        out[m] = outcome_terms(ll, &w, &tables[shift_of[m]], c.passed).0;
                    }
                }
                out
            }
        })
        .collect();
    (0..n).map(|m| parts.iter().map(|v| v[m]).sum()).collect()
}

fn to_params(x: &[f64; 3]) -> GrowthParams {
    GrowthParams {
        growth: x[0],
        growth_sd: x[1].exp(),
        shift: x[2],
    }
}

/// Gradient and Hessian of `f` at `x` by central differences with step `H`; `f_many` evaluates
/// `f` at all the points at once.
fn derivatives(
    f_many: &dyn Fn(&[[f64; 3]]) -> Vec<f64>,
    x: &[f64; 3],
    f0: f64,
) -> ([f64; 3], [f64; 9]) {
    let point = |d: &[(usize, f64)]| {
        let mut y = *x;
        for &(i, s) in d {
            y[i] += s * H;
        }
        y
    };
    // The points in the order the formulas below use them.
    let mut steps: Vec<Vec<(usize, f64)>> = Vec::new();
    for i in 0..3 {
        steps.push(vec![(i, 1.0)]);
        steps.push(vec![(i, -1.0)]);
        for j in 0..i {
            for (si, sj) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)] {
                steps.push(vec![(i, si), (j, sj)]);
            }
        }
    }
    let points: Vec<[f64; 3]> = steps.iter().map(|d| point(d)).collect();
    let values = f_many(&points);
    let at =
        |d: &[(usize, f64)]| values[steps.iter().position(|s| s == d).expect("a listed point")];
    let mut grad = [0.0; 3];
    let mut hess = [0.0; 9];
    for i in 0..3 {
        let (up, down) = (at(&[(i, 1.0)]), at(&[(i, -1.0)]));
        grad[i] = (up - down) / (2.0 * H);
        hess[i * 3 + i] = (up - 2.0 * f0 + down) / (H * H);
        for j in 0..i {
            let v = (at(&[(i, 1.0), (j, 1.0)])
                - at(&[(i, 1.0), (j, -1.0)])
                - at(&[(i, -1.0), (j, 1.0)])
                + at(&[(i, -1.0), (j, -1.0)]))
                / (4.0 * H * H);
            hess[i * 3 + j] = v;
            hess[j * 3 + i] = v;
        }
    }
    (grad, hess)
}

/// Maximum-likelihood estimates of the growth model from `cases`, starting at `start` (see the
/// module documentation); damped Newton steps (halved until the likelihood does not decrease).
pub fn estimate(ctx: &Context, cases: &[&OutcomeCase], start: GrowthParams) -> GrowthEstimate {
    let f = |x: &[f64; 3]| log_likelihood(ctx, cases, &to_params(x));
    let f_many = |xs: &[[f64; 3]]| log_likelihoods(ctx, cases, xs);
    let mut x = [start.growth, start.growth_sd.max(0.01).ln(), start.shift];
    let mut fx = f(&x);
    let mut converged = false;
    let mut iterations = 0;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let (grad, hess) = derivatives(&f_many, &x, fx);
        let step = newton_step(&grad, &hess);
        let mut t = 1.0;
        let mut moved = false;
        for _ in 0..20 {
            // No step longer than 1 in any coordinate.
            let big = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
            let k = t * if big > 1.0 { 1.0 / big } else { 1.0 };
            let y = [x[0] + k * step[0], x[1] + k * step[1], x[2] + k * step[2]];
            let fy = f(&y);
            if fy >= fx {
                let gain = fy - fx;
                x = y;
                fx = fy;
                moved = true;
                converged = gain < 1e-6 && step.iter().all(|s| (k * s).abs() < 1e-4);
                break;
            }
            t /= 2.0;
        }
        if !moved || converged {
            converged = true;
            break;
        }
    }
    let (_, hess) = derivatives(&f_many, &x, fx);
    let neg = nalgebra::Matrix3::from_fn(|i, j| -hess[i * 3 + j]);
    let cov = neg
        .try_inverse()
        .unwrap_or(nalgebra::Matrix3::from_element(f64::NAN));
    let se = |i: usize| cov[(i, i)].max(0.0).sqrt();
    let params = to_params(&x);
    GrowthEstimate {
        params,
        growth_se: se(0),
        growth_sd_se: params.growth_sd * se(1),
        shift_se: se(2),
        log_likelihood: fx,
        iterations,
        converged,
    }
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// Brier score, log loss, calibration intercept and slope (logistic regression of the outcome
/// on logit(p) by Newton's method; Cox 1958) and the reliability diagram of predictions `p`.
pub fn prediction_scores(p: &[f64], y: &[bool]) -> PredictionScores {
    let n = p.len() as f64;
    let yv = |k: usize| y[k] as u8 as f64;
    let brier = (0..p.len()).map(|k| (p[k] - yv(k)).powi(2)).sum::<f64>() / n;
    let log_loss = -(0..p.len())
        .map(|k| {
            let q = p[k].clamp(1e-12, 1.0 - 1e-12);
            if y[k] {
                q.ln()
            } else {
                (1.0 - q).ln()
            }
        })
        .sum::<f64>()
        / n;
    let z: Vec<f64> = p.iter().map(|&q| logit(q)).collect();
    let mut ab = [0.0, 1.0];
    for _ in 0..50 {
        let (mut g, mut h) = ([0.0; 2], [0.0; 4]);
        for (&zk, &yk) in z.iter().zip(y) {
            let m = 1.0 / (1.0 + (-(ab[0] + ab[1] * zk)).exp());
            let r = yk as u8 as f64 - m;
            let w = m * (1.0 - m);
            g[0] += r;
            g[1] += r * zk;
            h[0] -= w;
            h[1] -= w * zk;
            h[2] -= w * zk;
            h[3] -= w * zk * zk;
        }
        let d = newton_step(&g, &h);
        ab[0] += d[0];
        ab[1] += d[1];
        if d.iter().all(|v| v.abs() < 1e-10) {
            break;
        }
    }
    PredictionScores {
        brier,
        log_loss,
        calibration_intercept: ab[0],
        calibration_slope: ab[1],
        reliability: bins(10, p.iter().zip(y).map(|(&q, &o)| (q, Some(o)))),
    }
}

/// K-fold cross-validation over `cases`: folds by a seeded shuffle; each fold predicted by the
/// model fitted on the others (started at `start`, the fit on all cases).
pub fn cross_validate(
    ctx: &Context,
    cases: &[OutcomeCase],
    defaults: &GrowthParams,
    start: GrowthParams,
) -> CrossValidation {
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(FOLD_SEED));
    let mut fold = vec![0; cases.len()];
    for (pos, &k) in order.iter().enumerate() {
        fold[k] = pos % FOLDS;
    }
    let y: Vec<bool> = cases.iter().map(|c| c.passed).collect();
    let shared = Shared::of(ctx, defaults);
    let before: Vec<f64> = cases.iter().map(|c| shared.case_terms(c).1).collect();
    let mut after = vec![f64::NAN; cases.len()];
    for f in 0..FOLDS {
        let train: Vec<&OutcomeCase> = (0..cases.len())
            .filter(|&k| fold[k] != f)
            .map(|k| &cases[k])
            .collect();
        let est = estimate(ctx, &train, start);
        let shared = Shared::of(ctx, &est.params);
        for k in (0..cases.len()).filter(|&k| fold[k] == f) {
            after[k] = shared.case_terms(&cases[k]).1;
        }
    }
    CrossValidation {
        folds: FOLDS,
        candidates: cases.len(),
        defaults: prediction_scores(&before, &y),
        fitted: prediction_scores(&after, &y),
    }
}

/// The growth model for `ds`: fitted to the official outcomes when at least
/// `opts.fit_min_outcomes` candidates have one (and `opts.fit_growth`), else the defaults of
/// qbank.toml; with the cross-validation of both.
pub fn fit_model(ds: &Dataset, ctx: &Context) -> ModelFit {
    let o = &ctx.opts;
    let defaults = ctx.params();
    let cases = if o.fit_growth {
        outcome_cases(ds, ctx)
    } else {
        Vec::new()
    };
    let n = cases.len();
    let keep = |note: String| ModelFit {
        source: "defaults".into(),
        note,
        candidates: n,
        min_candidates: o.fit_min_outcomes,
        defaults,
        used: defaults,
        estimate: None,
        cross_validation: None,
    };
    if !o.fit_growth {
        return keep(
            "fit_growth = false in qbank.toml: the growth model's defaults are used".into(),
        );
    }
    if n == 0 {
        return keep("no official outcomes in candidates.csv: the growth model keeps its defaults and its predictions have not been checked against real results".into());
    }
    if n < o.fit_min_outcomes {
        return keep(format!(
            "only {n} candidates have an official outcome (at least {} are needed to estimate the growth model): the defaults are used",
            o.fit_min_outcomes
        ));
    }
    let all: Vec<&OutcomeCase> = cases.iter().collect();
    let est = estimate(ctx, &all, defaults);
    let cv = cross_validate(ctx, &cases, &defaults, est.params);
    ModelFit {
        source: "fitted".into(),
        note: format!(
            "estimated by maximum likelihood from the practice responses and official outcomes of {n} candidates"
        ),
        candidates: n,
        min_candidates: o.fit_min_outcomes,
        defaults,
        used: est.params,
        estimate: Some(est),
        cross_validation: Some(cv),
    }
}
