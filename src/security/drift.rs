//! Compromised items over time: per item and time window, the observed number right (or right
//! and fast) against its expectation given each respondent's OTHER responses, standardised, and
//! an upper CUSUM over windows that says from which window an item looks exposed.
//!
//! Expected value of a response. For respondent i and item j the expectation is the posterior
//! predictive pi_ij = P(x_ij = 1 | x_i,-j) = int P_j(theta) p(theta | x_i,-j) dtheta with the
//! calibration's N(mu, sigma^2) latent distribution as prior: the respondent's ability
//! estimated without item j. Under the model x_ij given the other responses is exactly
//! Bernoulli(pi_ij) and respondents are independent, so per window
//! z = (sum x - sum pi) / sqrt(sum pi (1 - pi)) has mean 0 and variance 1 exactly and is close to
//! N(0,1) once a window has a few dozen responses. A plug-in P_j(theta_hat_-j) with an ML or WLE
//! theta is biased by the estimator's bias and the curvature of P; with thousands of responses a
//! window that bias alone becomes several z units, i.e. a false drift signal, which is why the
//! posterior predictive is used. It is computed from one posterior per attempt on a fixed grid:
//! dividing out item j's likelihood gives pi_ij = sum_q post_q / sum_q post_q / P_j(q) when
//! x_ij = 1 and sum_q post_q P_j/Q_j / sum_q post_q / Q_j when x_ij = 0, so the cost is one
//! grid pass per response (no leave-one-out re-estimation).
//!
//! "Right and fast" (optional): with a standardised log response-time residual e_ij per response
//! (N(0,1) under the lognormal response-time model, e.g. from
//! [`crate::irt::response_time::standardised_residuals`]), the window statistic counts responses that are
//! right and faster than expected by the threshold, y = x * [e < -delta], against
//! pi_ij * Phi(-delta) (speed and accuracy independent given the person parameters, van der
//! Linden 2007).
//!
//! The CUSUM (see [`super::cusum`]): C_t = max(0, C_{t-1} + z_t - k); an item is flagged at the
//! first window with C_t > h. For a flagged item, the window from which it looks exposed is the
//! maximum-likelihood change point over the whole series (a retrospective, forensic estimate):
//! tau = argmax over windows of (sum_{t >= tau} z_t)^2 / (number of used windows from tau), among
//! tau with a positive sum, i.e. the step from mean 0 to an unknown positive mean that fits the
//! z series best (Hinkley 1971). The start of the signalling CUSUM excursion is biased early
//! (chance positive z before the leak start the excursion) and is kept as `excursion_start`.
//! Windows with fewer than `min_responses` responses leave C unchanged and are not used.
//!
//! Sums are accumulated in fixed point (2^-32 units, exact integer addition), so the result is
//! bit-identical whatever the number of threads.

use rayon::prelude::*;

use super::cusum::{cusum_arl, cusum_threshold};
use super::data::{check_single, AttemptData};
use super::error::{check_open, SecurityError};
use super::model::ItemBank;
use super::normal_cdf;
use crate::irt::theta::{GridTables, ThetaGrid};

/// What the window statistic counts.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "statistic", rename_all = "snake_case")]
pub enum DriftStatistic {
    /// Responses right.
    ProportionCorrect,
    /// Responses right and with log-time residual below -threshold.
    RightAndFast { threshold: f64 },
}

/// Options of the drift monitor.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DriftOptions {
    /// Latent distribution of the calibration: the prior of the posterior predictive.
    pub prior_mean: f64,
    pub prior_sd: f64,
    /// Grid points over prior_mean +- 6 prior_sd (default 61, spacing 0.2 SD: the rectangle
    /// rule is then accurate to about 1e-9 for a posterior SD of 0.24, 2e-7 with 49 points).
    pub quad_points: usize,
    /// "Fast" means a log-time residual below -fast_threshold (default 1: about 16% of
    /// responses are fast under the model). Used only when residuals are given.
    pub fast_threshold: f64,
    /// CUSUM reference value k (default 0.5: tuned to a shift of one z unit).
    pub cusum_k: f64,
    /// Probability that an unchanged item is flagged at least once over all the windows.
    pub false_alarm_prob: f64,
    /// Windows with fewer responses to the item are skipped (default 30).
    pub min_responses: usize,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions {
            prior_mean: 0.0,
            prior_sd: 1.0,
            quad_points: 61,
            fast_threshold: 1.0,
            cusum_k: 0.5,
            false_alarm_prob: 0.01,
            min_responses: 30,
        }
    }
}

/// One item in one window.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WindowStat {
    pub window: usize,
    /// Responses to the item in the window.
    pub n: u64,
    /// Observed share (right, or right and fast).
    pub observed: f64,
    /// Expected share given each respondent's other responses.
    pub expected: f64,
    /// (observed - expected) count over its SD; None when the window was skipped.
    pub z: Option<f64>,
    /// CUSUM after this window.
    pub cusum: f64,
}

/// One item's exposure monitor.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemExposure {
    pub item: usize,
    pub n_responses: u64,
    pub windows: Vec<WindowStat>,
    /// First window with CUSUM > h.
    pub flagged_at: Option<usize>,
    /// Maximum-likelihood change point (see the module doc): the first window that looks
    /// exposed. None when not flagged.
    pub exposed_from: Option<usize>,
    /// Window where the signalling CUSUM excursion began (the classic CUSUM change-point
    /// estimate, biased early).
    pub excursion_start: Option<usize>,
    pub max_cusum: f64,
}

/// One statistic's monitor over the bank.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DriftMonitor {
    pub statistic: DriftStatistic,
    pub items: Vec<ItemExposure>,
    /// Items with at least one window used.
    pub n_items_monitored: usize,
    pub n_flagged: usize,
    /// false_alarm_prob * n_items_monitored.
    pub expected_false_flags: f64,
    pub note: String,
}

/// The drift monitors: proportion right always, right-and-fast when residuals were given.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DriftReport {
    pub proportion_correct: DriftMonitor,
    pub right_and_fast: Option<DriftMonitor>,
    pub n_windows: usize,
    pub cusum_k: f64,
    pub cusum_h: f64,
    pub false_alarm_prob: f64,
    /// In-control average run length (windows) of the chosen (k, h).
    pub arl_in_control: f64,
}

/// Posterior-predictive machinery on a fixed grid.
struct Predictive {
    tables: GridTables,
    ln_prior: Vec<f64>,
}

impl Predictive {
    fn new(bank: &ItemBank, mean: f64, sd: f64, points: usize) -> Predictive {
        let z = ThetaGrid::new(-6.0, 6.0, points);
        let grid = ThetaGrid {
            points: z.points.iter().map(|&v| mean + sd * v).collect(),
        };
        let ln_prior = z.points.iter().map(|&v| -0.5 * v * v).collect();
        Predictive {
            tables: GridTables::new(bank.items(), grid, true),
            ln_prior,
        }
    }

    /// pi_ij for every response of the attempt into `out` (same order); `post` is scratch.
    fn attempt(&self, resp: &[(u32, u8)], post: &mut Vec<f64>, out: &mut Vec<f64>) {
        let g = self.tables.g();
        post.clear();
        post.extend_from_slice(&self.ln_prior);
        for &(i, x) in resp {
            self.tables.add_loglik(i as usize, x, post);
        }
        let max = post.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for v in post.iter_mut() {
            *v = (*v - max).exp();
        }
        // Only grid points where the posterior is above 1e-16 of its mode matter.
        let lo = post.iter().position(|&v| v > 1e-16).unwrap_or(0);
        let hi = post.iter().rposition(|&v| v > 1e-16).map_or(g, |k| k + 1);
        let post = &post[lo..hi];
        let total: f64 = post.iter().sum();
        out.clear();
        for &(i, x) in resp {
            let base = i as usize * g;
            let rng = base + lo..base + hi;
            let pi = if x == 1 {
                total / GridTables::dot(post, &self.tables.inv_p[rng])
            } else {
                GridTables::dot(post, &self.tables.p_over_q[rng.clone()])
                    / GridTables::dot(post, &self.tables.inv_q[rng])
            };
            out.push(pi.clamp(0.0, 1.0));
        }
    }
}

fn validate(opts: &DriftOptions) -> Result<(), SecurityError> {
    if !opts.prior_mean.is_finite() {
        return Err(SecurityError::BadOption {
            name: "prior_mean",
            value: opts.prior_mean,
            expected: "a finite mean",
        });
    }
    if !(opts.prior_sd.is_finite() && opts.prior_sd > 0.0) {
        return Err(SecurityError::BadOption {
            name: "prior_sd",
            value: opts.prior_sd,
            expected: "a positive SD",
        });
    }
    if opts.quad_points < 11 {
        return Err(SecurityError::BadOption {
            name: "quad_points",
            value: opts.quad_points as f64,
            expected: "at least 11 points",
        });
    }
    if !opts.fast_threshold.is_finite() {
        return Err(SecurityError::BadOption {
            name: "fast_threshold",
            value: opts.fast_threshold,
            expected: "a finite residual threshold (e.g. 1)",
        });
    }
    Ok(())
}

/// P(x_j = 1 | the attempt's other responses) for each response of one attempt (same order): the
/// posterior predictive under a N(prior_mean, prior_sd^2) latent distribution.
pub fn expected_without_item(
    bank: &ItemBank,
    responses: &[(u32, u8)],
    prior_mean: f64,
    prior_sd: f64,
    quad_points: usize,
) -> Result<Vec<f64>, SecurityError> {
    validate(&DriftOptions {
        prior_mean,
        prior_sd,
        quad_points,
        ..DriftOptions::default()
    })?;
    check_single(responses, bank.len())?;
    let pred = Predictive::new(bank, prior_mean, prior_sd, quad_points);
    let mut post = Vec::new();
    let mut out = Vec::new();
    pred.attempt(responses, &mut post, &mut out);
    Ok(out)
}

/// Fixed-point scale: a cell can hold 2^31 responses before its i64 sums could overflow.
const FIXED: f64 = (1u64 << 32) as f64;

/// v in [0, 1] to fixed point (rounded to nearest).
#[inline]
fn fixed(v: f64) -> i64 {
    (v * FIXED + 0.5) as i64
}

/// One statistic's sums in one (item, window) cell: observed count, expected and variance
/// (fixed point).
#[derive(Debug, Clone, Copy, Default)]
struct Stat {
    obs: u64,
    exp: i64,
    var: i64,
}

impl Stat {
    #[inline]
    fn add(&mut self, y: u8, p: f64) {
        self.obs += y as u64;
        self.exp += fixed(p);
        self.var += fixed(p * (1.0 - p));
    }

    fn merge(&mut self, other: &Stat) {
        self.obs += other.obs;
        self.exp += other.exp;
        self.var += other.var;
    }
}

/// One (item, window) cell: its response count and the sums of each statistic, side by side (a
/// response updates one cache line, not seven arrays).
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    n: u64,
    right: Stat,
    fast: Stat,
}

/// Per (item, window) cells (item-major), with the scratch of the posterior predictive.
struct Acc {
    cells: Vec<Cell>,
    post: Vec<f64>,
    pi: Vec<f64>,
}

impl Acc {
    fn new(cells: usize) -> Acc {
        Acc {
            cells: vec![Cell::default(); cells],
            post: Vec::new(),
            pi: Vec::new(),
        }
    }

    fn merge(mut self, other: Acc) -> Acc {
        for (a, b) in self.cells.iter_mut().zip(&other.cells) {
            a.n += b.n;
            a.right.merge(&b.right);
            a.fast.merge(&b.fast);
        }
        self
    }
}

/// Maximum-likelihood change point of a step from mean 0 to a positive mean in the used z.
fn change_point(ws: &[WindowStat]) -> Option<usize> {
    let mut best: Option<(f64, usize)> = None;
    let (mut sum, mut n) = (0.0, 0usize);
    for w in ws.iter().rev() {
        if let Some(z) = w.z {
            sum += z;
            n += 1;
            if sum > 0.0 {
                let score = sum * sum / n as f64;
                if best.is_none_or(|(b, _)| score >= b) {
                    best = Some((score, w.window));
                }
            }
        }
    }
    best.map(|(_, w)| w)
}

/// Per item: window statistics, CUSUM and the window from which it looks exposed, for the
/// proportion right and, when `log_time_residuals` are given, for right-and-fast responses
/// (both from one pass over the data).
///
/// `windows` holds one window index per attempt (an attempt's responses share its date), each
/// below `n_windows`; `log_time_residuals` holds one standardised residual per response, aligned
/// with [`AttemptData::responses`].
pub fn item_drift_over_time(
    bank: &ItemBank,
    data: &AttemptData,
    windows: &[u32],
    n_windows: usize,
    log_time_residuals: Option<&[f32]>,
    opts: &DriftOptions,
) -> Result<DriftReport, SecurityError> {
    validate(opts)?;
    super::data::check_against(bank, data)?;
    if windows.len() != data.len() {
        return Err(SecurityError::LengthMismatch {
            what: "windows (one per attempt)",
            expected: data.len(),
            found: windows.len(),
        });
    }
    if let Some((attempt, &window)) = windows
        .iter()
        .enumerate()
        .find(|(_, &w)| w as usize >= n_windows)
    {
        return Err(SecurityError::WindowOutOfRange {
            attempt,
            window,
            n_windows,
        });
    }
    let fast = match log_time_residuals {
        None => None,
        Some(res) => {
            if res.len() != data.responses().len() {
                return Err(SecurityError::LengthMismatch {
                    what: "log-time residuals (one per response)",
                    expected: data.responses().len(),
                    found: res.len(),
                });
            }
            if let Some((position, &v)) = res.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(SecurityError::BadLogTime {
                    position,
                    value: v as f64,
                });
            }
            Some((res, opts.fast_threshold, normal_cdf(-opts.fast_threshold)))
        }
    };
    check_open(
        "false_alarm_prob",
        opts.false_alarm_prob,
        0.0,
        1.0,
        "a probability strictly between 0 and 1",
    )?;
    let h = cusum_threshold(opts.cusum_k, n_windows.max(1), opts.false_alarm_prob)?;

    let pred = Predictive::new(bank, opts.prior_mean, opts.prior_sd, opts.quad_points);
    let cells = bank.len() * n_windows;
    let acc = data
        .by_item_set()
        .into_par_iter()
        .with_min_len(4096)
        .fold(
            || Acc::new(cells),
            |mut acc, k| {
                let k = k as usize;
                let resp = data.attempt(k);
                let w = windows[k] as usize;
                let mut pi = std::mem::take(&mut acc.pi);
                pred.attempt(resp, &mut acc.post, &mut pi);
                let off = data.offset(k);
                for (pos, (&(i, x), &p)) in resp.iter().zip(&pi).enumerate() {
                    let cell = &mut acc.cells[i as usize * n_windows + w];
                    cell.n += 1;
                    cell.right.add(x, p);
                    if let Some((res, thr, q_fast)) = fast {
                        let is_fast = (res[off + pos] as f64) < -thr;
                        cell.fast.add(u8::from(x == 1 && is_fast), p * q_fast);
                    }
                }
                acc.pi = pi;
                acc
            },
        )
        .reduce(|| Acc::new(cells), Acc::merge);

    let proportion_correct = monitor(
        DriftStatistic::ProportionCorrect,
        &acc.cells,
        |c| &c.right,
        bank.len(),
        n_windows,
        h,
        opts,
    );
    let right_and_fast = fast.map(|_| {
        monitor(
            DriftStatistic::RightAndFast {
                threshold: opts.fast_threshold,
            },
            &acc.cells,
            |c| &c.fast,
            bank.len(),
            n_windows,
            h,
            opts,
        )
    });
    Ok(DriftReport {
        proportion_correct,
        right_and_fast,
        n_windows,
        cusum_k: opts.cusum_k,
        cusum_h: h,
        false_alarm_prob: opts.false_alarm_prob,
        arl_in_control: cusum_arl(opts.cusum_k, h, 0.0),
    })
}

fn monitor(
    statistic: DriftStatistic,
    cells: &[Cell],
    stat: impl Fn(&Cell) -> &Stat,
    n_items: usize,
    n_windows: usize,
    h: f64,
    opts: &DriftOptions,
) -> DriftMonitor {
    let mut items = Vec::with_capacity(n_items);
    for item in 0..n_items {
        let mut ws = Vec::with_capacity(n_windows);
        let mut c: f64 = 0.0;
        let mut start = None;
        let mut flagged_at = None;
        let mut excursion_start = None;
        let mut max_cusum: f64 = 0.0;
        let mut n_item = 0;
        for w in 0..n_windows {
            let cell = &cells[item * n_windows + w];
            let n = cell.n;
            n_item += n;
            let sums = stat(cell);
            let obs = sums.obs as f64;
            let exp = sums.exp as f64 / FIXED;
            let var = sums.var as f64 / FIXED;
            let z = if n as usize >= opts.min_responses.max(1) && var > 1e-9 {
                Some((obs - exp) / var.sqrt())
            } else {
                None
            };
            if let Some(z) = z {
                let was_zero = c <= 0.0;
                c = (c + z - opts.cusum_k).max(0.0);
                if c > 0.0 && was_zero {
                    start = Some(w);
                }
                if c > h && flagged_at.is_none() {
                    flagged_at = Some(w);
                    excursion_start = start;
                }
            }
            max_cusum = max_cusum.max(c);
            ws.push(WindowStat {
                window: w,
                n,
                observed: if n > 0 { obs / n as f64 } else { 0.0 },
                expected: if n > 0 { exp / n as f64 } else { 0.0 },
                z,
                cusum: c,
            });
        }
        let exposed_from = flagged_at.and_then(|_| change_point(&ws));
        items.push(ItemExposure {
            item,
            n_responses: n_item,
            windows: ws,
            flagged_at,
            exposed_from,
            excursion_start,
            max_cusum,
        });
    }
    let n_items_monitored = items
        .iter()
        .filter(|it| it.windows.iter().any(|w| w.z.is_some()))
        .count();
    let n_flagged = items.iter().filter(|it| it.flagged_at.is_some()).count();
    let expected = opts.false_alarm_prob * n_items_monitored as f64;
    let note = format!(
        "h = {h:.3} with k = {} makes an unchanged item signal at least once in {n_windows} \
         windows with probability {}: of {n_items_monitored} monitored items about \
         {expected:.1} are flagged by chance; {n_flagged} were flagged",
        opts.cusum_k, opts.false_alarm_prob
    );
    DriftMonitor {
        statistic,
        items,
        n_items_monitored,
        n_flagged,
        expected_false_flags: expected,
        note,
    }
}
