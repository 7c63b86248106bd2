//! Item preknowledge at the person level for a known set of suspected (compromised) items: the
//! signed likelihood-ratio statistic of Sinharay (2017, J. Educ. Behav. Stat. 42, 46-68).
//!
//! With C the attempt's suspected items and N the rest, and bounded ML estimates theta_C (on C
//! only), theta_N (on N only) and theta_hat (on all items),
//!
//!   L = 2 [ln L(theta_C; x_C) + ln L(theta_N; x_N) - ln L(theta_hat; x)]
//!
//! is asymptotically chi-square(1) when the candidate's ability is the same on both sets, and the
//! signed root L_s = sign(theta_C - theta_N) sqrt(L) is asymptotically N(0,1). Preknowledge makes
//! the candidate better on C, so the test is one-sided: p = 1 - Phi(L_s).
//!
//! Extreme sub-patterns (all right on C is the typical preknowledge pattern) have no finite ML:
//! every estimate is bounded ML on [lower, upper] (default [-4, 4]), so theta_C is the upper
//! bound and ln L(theta_C; x_C) the supremum of the likelihood on the interval; `lr` and
//! `statistic` are that bounded-parameter LR and its signed root. Its N(0,1) tail is badly off
//! there (in simulation 28% of clean candidates who were all right on C were flagged at
//! alpha = 0.05, lifting the overall false-flag rate to 6.2%), so for an all-right C sub-pattern
//! the p-value is the probability of that outcome given the other responses: all right is the
//! most extreme outcome on C for any statistic increasing in the C responses, and under the null
//! p = P(all right on C | x_N) = int prod_{i in C} P_i(theta) p(theta | x_N) dtheta with the
//! calibration's N(mu, sigma^2) latent distribution as prior. Then P(all right on C and
//! p < alpha) <= alpha exactly under the model (the overall rate in the same simulation: 4.7%).
//! An all-wrong C sub-pattern is the least extreme outcome: p = 1. `p_value_method` says which
//! was used. An attempt that is all right or all wrong overall has no value.

use super::data::{check_single, AttemptData};
use super::error::{check_open, NoValue, SecurityError};
use super::model::ItemBank;
use super::normal_cdf;
use crate::irt::theta::{
    estimate_with, loglik, solve, GridTables, RawEstimate, ThetaGrid, ThetaMethod, ThetaOptions,
    ThetaWork,
};

/// Options of the preknowledge test.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PreknowledgeOptions {
    /// Bounds of the ML estimates (default [-4, 4]).
    pub lower: f64,
    pub upper: f64,
    /// One-sided level (default 0.05).
    pub alpha: f64,
    /// Minimum responses to suspected items (default 1).
    pub min_suspected: usize,
    /// Minimum responses to the other items (default 1).
    pub min_rest: usize,
    /// Latent N(mean, sd^2) distribution, used only for the p-value of an all-right C
    /// sub-pattern (default N(0, 1)).
    pub prior_mean: f64,
    pub prior_sd: f64,
}

impl Default for PreknowledgeOptions {
    fn default() -> Self {
        PreknowledgeOptions {
            lower: -4.0,
            upper: 4.0,
            alpha: 0.05,
            min_suspected: 1,
            min_rest: 1,
            prior_mean: 0.0,
            prior_sd: 1.0,
        }
    }
}

/// How the p-value of the preknowledge test was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PValueMethod {
    /// 1 - Phi(signed root of L) (Sinharay 2017).
    Asymptotic,
    /// All right on C: P(all right on C | the other responses) under the prior.
    ExactAllRightOnSuspected,
    /// All wrong on C: 1.
    AllWrongOnSuspected,
}

/// Sinharay's (2017) likelihood-ratio test of one attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PreknowledgeTest {
    pub n_suspected: usize,
    pub n_rest: usize,
    pub theta_all: f64,
    pub theta_suspected: f64,
    pub theta_rest: f64,
    pub suspected_at_bound: bool,
    pub rest_at_bound: bool,
    /// L = 2 [lnL_C(theta_C) + lnL_N(theta_N) - lnL(theta_hat)] >= 0.
    pub lr: f64,
    /// Signed root L_s = sign(theta_C - theta_N) sqrt(L).
    pub statistic: f64,
    /// 1 - Phi(L_s), or the exact tail for an extreme C sub-pattern (see `p_value_method`).
    pub p_value: f64,
    pub p_value_method: PValueMethod,
    /// p_value < alpha.
    pub flagged: bool,
}

#[derive(Default)]
struct Work {
    theta: ThetaWork,
    c: Vec<(u32, u8)>,
    n: Vec<(u32, u8)>,
    grid: Vec<f64>,
    obj: Vec<f64>,
}

/// Prediction grid: 61 points over prior_mean +- 6 prior_sd.
const PRED_POINTS: usize = 61;

fn prediction_grid(opts: &PreknowledgeOptions) -> ThetaGrid {
    let z = ThetaGrid::new(-6.0, 6.0, PRED_POINTS);
    ThetaGrid {
        points: z
            .points
            .iter()
            .map(|&v| opts.prior_mean + opts.prior_sd * v)
            .collect(),
    }
}

/// P(all right on C | x_N) = sum_q w_q L_N(q) prod_C P(q) / sum_q w_q L_N(q) on the prediction
/// grid (w_q the normal prior). `tables`, when given, must be built on [`prediction_grid`].
fn all_right_predictive(
    bank: &ItemBank,
    c: &[(u32, u8)],
    n: &[(u32, u8)],
    opts: &PreknowledgeOptions,
    tables: Option<&GridTables>,
    buf: &mut Vec<f64>,
) -> f64 {
    let grid = prediction_grid(opts);
    let g = grid.len();
    buf.clear();
    buf.resize(2 * g, 0.0);
    let (ln_post, ln_c) = buf.split_at_mut(g);
    match tables {
        Some(t) => {
            for &(i, x) in n {
                t.add_loglik(i as usize, x, ln_post);
            }
            for &(i, _) in c {
                t.add_loglik(i as usize, 1, ln_c);
            }
        }
        None => {
            for (q, &theta) in grid.points.iter().enumerate() {
                for &(i, x) in n {
                    let e = bank.eval(i as usize, theta);
                    ln_post[q] += if x == 1 { e.p.ln() } else { e.q.ln() };
                }
                for &(i, _) in c {
                    ln_c[q] += bank.eval(i as usize, theta).p.ln();
                }
            }
        }
    }
    for (q, &theta) in grid.points.iter().enumerate() {
        let z = (theta - opts.prior_mean) / opts.prior_sd;
        ln_post[q] -= 0.5 * z * z;
    }
    let max = ln_post.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mut num, mut den) = (0.0, 0.0);
    for q in 0..g {
        let w = (ln_post[q] - max).exp();
        den += w;
        num += w * ln_c[q].exp();
    }
    (num / den).clamp(0.0, 1.0)
}

fn validate(opts: &PreknowledgeOptions) -> Result<ThetaOptions, SecurityError> {
    check_open(
        "alpha",
        opts.alpha,
        0.0,
        1.0,
        "a level strictly between 0 and 1",
    )?;
    if !(opts.prior_mean.is_finite() && opts.prior_sd.is_finite() && opts.prior_sd > 0.0) {
        return Err(SecurityError::BadOption {
            name: "prior_sd",
            value: opts.prior_sd,
            expected: "a finite prior mean and a positive prior SD",
        });
    }
    let t = ThetaOptions {
        method: ThetaMethod::Ml,
        lower: opts.lower,
        upper: opts.upper,
    };
    t.validate()?;
    Ok(t)
}

#[allow(clippy::too_many_arguments)]
fn test_one(
    bank: &ItemBank,
    resp: &[(u32, u8)],
    suspected: &[bool],
    opts: &PreknowledgeOptions,
    topts: &ThetaOptions,
    grid: &ThetaGrid,
    tables: Option<&GridTables>,
    pred_tables: Option<&GridTables>,
    known_all: Option<(f64, f64)>,
    work: &mut Work,
) -> Result<PreknowledgeTest, NoValue> {
    super::data::scorable(resp)?;
    work.c.clear();
    work.n.clear();
    for &r in resp {
        if suspected[r.0 as usize] {
            work.c.push(r);
        } else {
            work.n.push(r);
        }
    }
    if work.c.len() < opts.min_suspected.max(1) {
        return Err(NoValue::TooFewSuspected {
            n: work.c.len(),
            min: opts.min_suspected.max(1),
        });
    }
    if work.n.len() < opts.min_rest.max(1) {
        return Err(NoValue::TooFewRest {
            n: work.n.len(),
            min: opts.min_rest.max(1),
        });
    }
    let items = bank.items();
    let (all, est_c, est_n) = match tables {
        Some(t) => {
            // One pass over the tables: the pooled objective is the sum of the two parts.
            let g = grid.len();
            work.obj.clear();
            work.obj.resize(3 * g, 0.0);
            let (oc, rest) = work.obj.split_at_mut(g);
            let (on, oa) = rest.split_at_mut(g);
            for &(i, x) in &work.c {
                t.add_loglik(i as usize, x, oc);
            }
            for &(i, x) in &work.n {
                t.add_loglik(i as usize, x, on);
            }
            let all = match known_all {
                Some((theta, _)) => RawEstimate {
                    theta,
                    at_bound: false,
                    iterations: 0,
                },
                None => {
                    for ((a, c), n) in oa.iter_mut().zip(oc.iter()).zip(on.iter()) {
                        *a = c + n;
                    }
                    solve(items, resp, topts, grid, oa).ok_or(NoValue::NoResponses)?
                }
            };
            (
                all,
                solve(items, &work.c, topts, grid, oc).ok_or(NoValue::NoResponses)?,
                solve(items, &work.n, topts, grid, on).ok_or(NoValue::NoResponses)?,
            )
        }
        None => (
            estimate_with(items, resp, topts, grid, None, &mut work.theta)
                .ok_or(NoValue::NoResponses)?,
            estimate_with(items, &work.c, topts, grid, None, &mut work.theta)
                .ok_or(NoValue::NoResponses)?,
            estimate_with(items, &work.n, topts, grid, None, &mut work.theta)
                .ok_or(NoValue::NoResponses)?,
        ),
    };
    let ll_all = match known_all {
        Some((_, ll)) if tables.is_some() => ll,
        _ => loglik(items, resp, all.theta),
    };
    let ll_c = loglik(items, &work.c, est_c.theta);
    let ll_n = loglik(items, &work.n, est_n.theta);
    // theta_hat maximises lnL_C + lnL_N over the same interval, so L >= 0 up to rounding.
    let lr = (2.0 * (ll_c + ll_n - ll_all)).max(0.0);
    let diff = est_c.theta - est_n.theta;
    let sign = if diff > 0.0 {
        1.0
    } else if diff < 0.0 {
        -1.0
    } else {
        0.0
    };
    let statistic = sign * lr.sqrt();
    let c_right = work.c.iter().filter(|r| r.1 == 1).count();
    let (p_value, p_value_method) = if c_right == work.c.len() {
        let p = all_right_predictive(bank, &work.c, &work.n, opts, pred_tables, &mut work.grid);
        (p, PValueMethod::ExactAllRightOnSuspected)
    } else if c_right == 0 {
        (1.0, PValueMethod::AllWrongOnSuspected)
    } else {
        (1.0 - normal_cdf(statistic), PValueMethod::Asymptotic)
    };
    Ok(PreknowledgeTest {
        n_suspected: work.c.len(),
        n_rest: work.n.len(),
        theta_all: all.theta,
        theta_suspected: est_c.theta,
        theta_rest: est_n.theta,
        suspected_at_bound: est_c.at_bound,
        rest_at_bound: est_n.at_bound,
        lr,
        statistic,
        p_value,
        p_value_method,
        flagged: p_value < opts.alpha,
    })
}

/// Sinharay's (2017) signed likelihood-ratio test of preknowledge for one attempt; `suspected`
/// has one entry per bank item.
pub fn preknowledge_lr(
    bank: &ItemBank,
    responses: &[(u32, u8)],
    suspected: &[bool],
    opts: &PreknowledgeOptions,
) -> Result<PreknowledgeTest, SecurityError> {
    let topts = validate(opts)?;
    check_suspected(bank, suspected)?;
    check_single(responses, bank.len())?;
    let grid = topts.start_grid();
    let mut work = Work::default();
    test_one(
        bank, responses, suspected, opts, &topts, &grid, None, None, None, &mut work,
    )
    .map_err(SecurityError::from)
}

fn check_suspected(bank: &ItemBank, suspected: &[bool]) -> Result<(), SecurityError> {
    if suspected.len() != bank.len() {
        return Err(SecurityError::LengthMismatch {
            what: "suspected flags (one per bank item)",
            expected: bank.len(),
            found: suspected.len(),
        });
    }
    Ok(())
}

/// The test for every attempt.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PreknowledgeReport {
    pub tests: Vec<Result<PreknowledgeTest, NoValue>>,
    pub alpha: f64,
    pub n_tested: usize,
    pub n_flagged: usize,
    /// alpha * n_tested.
    pub expected_false_flags: f64,
    pub note: String,
}

/// Sinharay's test for every attempt (parallel; identical results for any thread count).
pub fn preknowledge_lr_all(
    bank: &ItemBank,
    data: &AttemptData,
    suspected: &[bool],
    opts: &PreknowledgeOptions,
) -> Result<PreknowledgeReport, SecurityError> {
    preknowledge_lr_all_given(bank, data, suspected, opts, None)
}

/// Margin inside the bounds within which a given theta on all items is taken as theta_hat.
const KNOWN_MARGIN: f64 = 0.5;

/// [`preknowledge_lr_all`] with each attempt's bounded ML theta on all its items already
/// estimated (person fit with ML does that, on wider bounds, with the same solver and the same
/// grid points), with ln L at it: a known theta at least 0.5 inside this test's bounds is that
/// attempt's theta_hat (the same root, to the solver's 1e-10) and its ln L the test's
/// ln L(theta_hat; x), which saves one of its three estimates and one of its three likelihoods.
/// `theta_all` has one (theta, ln L) entry per attempt; None (or a theta near the bounds) means
/// estimate it here.
pub fn preknowledge_lr_all_given(
    bank: &ItemBank,
    data: &AttemptData,
    suspected: &[bool],
    opts: &PreknowledgeOptions,
    theta_all: Option<&[Option<(f64, f64)>]>,
) -> Result<PreknowledgeReport, SecurityError> {
    let topts = validate(opts)?;
    if let Some(t) = theta_all {
        if t.len() != data.len() {
            return Err(SecurityError::LengthMismatch {
                what: "known thetas (one per attempt)",
                expected: data.len(),
                found: t.len(),
            });
        }
    }
    let known = |k: usize| {
        theta_all
            .and_then(|t| t[k])
            .filter(|&(t, _)| t > opts.lower + KNOWN_MARGIN && t < opts.upper - KNOWN_MARGIN)
    };
    check_suspected(bank, suspected)?;
    super::data::check_against(bank, data)?;
    let grid = topts.start_grid();
    let tables = GridTables::new(bank.items(), grid.clone(), false);
    let pred_tables = GridTables::new(bank.items(), prediction_grid(opts), false);
    let tests: Vec<Result<PreknowledgeTest, NoValue>> =
        data.map_by_item_set(Work::default, |work, k| {
            test_one(
                bank,
                data.attempt(k),
                suspected,
                opts,
                &topts,
                &grid,
                Some(&tables),
                Some(&pred_tables),
                known(k),
                work,
            )
        });
    let n_tested = tests.iter().filter(|t| t.is_ok()).count();
    let n_flagged = tests
        .iter()
        .filter(|t| matches!(t, Ok(t) if t.flagged))
        .count();
    let expected = opts.alpha * n_tested as f64;
    let note = format!(
        "at alpha = {} about 1 in {:.0} tested attempts is flagged by chance: of {n_tested} \
         tested attempts about {expected:.0} flags are expected with no preknowledge at all; \
         {n_flagged} were flagged",
        opts.alpha,
        1.0 / opts.alpha
    );
    Ok(PreknowledgeReport {
        tests,
        alpha: opts.alpha,
        n_tested,
        n_flagged,
        expected_false_flags: expected,
        note,
    })
}
