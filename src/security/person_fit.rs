//! Person fit per attempt: lz (Drasgow, Levine & Williams 1985), lz* (Snijders 2001) corrected
//! for the estimated theta, and the nonparametric U3 (van der Flier 1982), with flags.
//!
//! All sums run over the items the attempt saw (incomplete designs need nothing else).
//!
//! - lz = (l0 - E l0) / sqrt(Var l0), l0 = sum x ln P + (1-x) ln Q, E l0 = sum P ln P + Q ln Q,
//!   Var l0 = sum P Q (ln(P/Q))^2 (Drasgow, Levine & Williams 1985, Brit. J. Math. Stat. Psychol. 38, 67-86). With theta estimated its SD is
//!   below 1, so lower-tail p-values from N(0,1) are conservative.
//! - lz* = (W + c_n r0) / tau_n with W = sum (x - P) w, w = ln(P/Q), r = P'/(PQ),
//!   c_n = sum P' w / sum P' r, tau_n^2 = sum (w - c_n r)^2 P Q, and r0 the estimator's term
//!   (0 for ML, J/(2I) for WLE, (mu - theta)/sigma^2 for MAP): Snijders (2001, Psychometrika 66, 331-342), in
//!   the form of Magis, Raiche & Beland (2012, Applied Psychological Measurement 36, 57-71) and
//!   of PerFit's `lzstar` (R/lzstar.R). Asymptotically N(0,1) with theta estimated.
//! - U3 = (sum of the r largest item log-odds among the attempt's items - sum x log-odds) /
//!   (sum of the r largest - sum of the r smallest), r = number right (van der Flier 1982;
//!   PerFit `U3`). Log-odds are ln(p/(1-p)) of item proportions right. 0 = a perfect Guttman
//!   pattern, 1 = fully reversed.
//!
//! Why U3 rather than normed Ht (Sijtsma 1986): U3 needs only each item's proportion right (well
//! defined in incomplete designs: over the attempts that saw the item) and the attempt's own
//! responses, so it costs O(n log n) per attempt; Ht is a person-by-person covariance with every
//! other respondent over common items, O(N^2) for N attempts and ill-defined when attempts share
//! few items.
//!
//! Flags: lz* in the lower tail, p = Phi(lz*) < alpha (`flagged`). The normal tail is only
//! asymptotic: with 65 3PL items about 1.3% of model-fitting attempts fall below the 1% point.
//! [`person_fit_cutoffs`] therefore also simulates model-fitting attempts, as PerFit's
//! `cutoff(ModelFit = "Parametric")`: resample scored attempts (their item set and estimated
//! theta), draw 3PL responses, re-estimate theta and recompute lz* and U3; the alpha quantile of
//! lz* and the (1 - alpha) quantile of U3 are cutoffs with a false-flag rate of alpha by
//! construction (`flagged_calibrated`: lz* <= cutoff; `flagged_u3`: U3 >= cutoff). U3 has no
//! closed-form null distribution, so it is flagged only this way.

use super::data::{check_single, AttemptData};
use super::error::{check_open, NoValue, SecurityError};
use super::model::ItemBank;
use super::normal_cdf;
use crate::irt::theta::{
    estimate_with, standard_error, GridTables, ThetaGrid, ThetaMethod, ThetaOptions, ThetaWork,
};

mod cutoffs;
pub use cutoffs::{apply_cutoffs, person_fit_cutoffs, FitCutoffs};

/// Person-fit options.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PersonFitOptions {
    /// The theta estimator lz* is corrected for (default ML on [-6, 6]).
    pub theta: ThetaOptions,
    /// One-sided level of the flags (default 0.01).
    pub alpha: f64,
    /// Flag lz* <= this cutoff (see [`person_fit_cutoffs`]); None = no calibrated flag.
    pub lz_star_cutoff: Option<f64>,
    /// Flag U3 >= this cutoff (see [`person_fit_cutoffs`]); None = no U3 flag.
    pub u3_cutoff: Option<f64>,
}

impl Default for PersonFitOptions {
    fn default() -> Self {
        PersonFitOptions {
            theta: ThetaOptions::default(),
            alpha: 0.01,
            lz_star_cutoff: None,
            u3_cutoff: None,
        }
    }
}

/// Person-fit statistics of one attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PersonFit {
    pub n_items: usize,
    pub n_right: usize,
    /// Estimated theta (estimator in the options) and its SE.
    pub theta: f64,
    pub theta_se: f64,
    /// The estimate is a bound: the estimating equation does not hold there, so treat lz* with
    /// care.
    pub theta_at_bound: bool,
    /// ln L(theta) of the attempt's responses at the estimated theta.
    pub log_likelihood: f64,
    /// lz at the estimated theta and its lower-tail N(0,1) p-value (conservative).
    pub lz: f64,
    pub p_lz: f64,
    /// Snijders' lz* for the estimator used, and its lower-tail N(0,1) p-value.
    pub lz_star: f64,
    pub p_lz_star: f64,
    /// p_lz_star < alpha (normal tail).
    pub flagged: bool,
    /// lz* <= the simulated cutoff, when one was given.
    pub flagged_calibrated: Option<bool>,
    /// U3 when item weights were given (None also when U3 is undefined for this attempt).
    pub u3: Option<f64>,
    /// U3 >= cutoff, when both exist.
    pub flagged_u3: Option<bool>,
}

/// Item weights for U3: log-odds of each item's proportion right.
#[derive(Debug, Clone, PartialEq)]
pub struct U3Weights {
    pub log_odds: Vec<f64>,
    /// Rank of each item by decreasing log-odds (ties by item index).
    rank: Vec<u32>,
    /// Log-odds in rank order.
    by_rank: Vec<f64>,
}

impl U3Weights {
    fn from_log_odds(log_odds: Vec<f64>) -> U3Weights {
        let mut order: Vec<u32> = (0..log_odds.len() as u32).collect();
        order.sort_by(|&a, &b| {
            log_odds[b as usize]
                .total_cmp(&log_odds[a as usize])
                .then(a.cmp(&b))
        });
        let mut rank = vec![0u32; log_odds.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        let by_rank = order.iter().map(|&i| log_odds[i as usize]).collect();
        U3Weights {
            log_odds,
            rank,
            by_rank,
        }
    }

    /// From item proportions right, each strictly inside (0, 1).
    pub fn from_p_values(p: &[f64]) -> Result<U3Weights, SecurityError> {
        let mut log_odds = Vec::with_capacity(p.len());
        for (i, &pi) in p.iter().enumerate() {
            if !(pi.is_finite() && pi > 0.0 && pi < 1.0) {
                return Err(SecurityError::BadItem {
                    item: i,
                    field: "p-value",
                    value: pi,
                    expected: "a proportion right strictly between 0 and 1",
                });
            }
            log_odds.push((pi / (1.0 - pi)).ln());
        }
        Ok(U3Weights::from_log_odds(log_odds))
    }

    /// From the data: empirical log-odds ln((right + 0.5) / (wrong + 0.5)) over the attempts that
    /// saw each item (the 0.5 keeps items that everybody or nobody got right finite; PerFit sets
    /// their weight to 0 instead). Items nobody saw get weight 0 (they appear in no attempt).
    pub fn from_data(data: &AttemptData) -> U3Weights {
        let (p, n) = data.item_p_values();
        let log_odds = p
            .iter()
            .zip(&n)
            .map(|(&pi, &m)| {
                if m == 0 {
                    0.0
                } else {
                    let right = pi * m as f64;
                    ((right + 0.5) / (m as f64 - right + 0.5)).ln()
                }
            })
            .collect();
        U3Weights::from_log_odds(log_odds)
    }
}

/// lz of Drasgow, Levine & Williams (1985) at a given theta: (l0 - E l0) / sqrt(Var l0).
pub fn lz_at(bank: &ItemBank, responses: &[(u32, u8)], theta: f64) -> Result<f64, SecurityError> {
    check_single(responses, bank.len())?;
    if !theta.is_finite() {
        return Err(SecurityError::BadOption {
            name: "theta",
            value: theta,
            expected: "a finite theta",
        });
    }
    let s = fit_sums(bank, responses, theta);
    s.lz().map_err(SecurityError::from)
}

/// Snijders' (2001) lz* at a given theta, corrected for the estimator `method` that produced that
/// theta (PerFit `lzstar` with `Ability` supplied).
pub fn lz_star_at(
    bank: &ItemBank,
    responses: &[(u32, u8)],
    theta: f64,
    method: ThetaMethod,
) -> Result<f64, SecurityError> {
    check_single(responses, bank.len())?;
    if !theta.is_finite() {
        return Err(SecurityError::BadOption {
            name: "theta",
            value: theta,
            expected: "a finite theta",
        });
    }
    let s = fit_sums(bank, responses, theta);
    s.lz_star(method, theta).map_err(SecurityError::from)
}

/// U3 of one attempt (van der Flier 1982).
pub fn u3(weights: &U3Weights, responses: &[(u32, u8)]) -> Result<f64, SecurityError> {
    check_single(responses, weights.log_odds.len())?;
    u3_with(weights, responses, &mut Vec::new()).map_err(SecurityError::from)
}

pub(crate) fn u3_with(
    weights: &U3Weights,
    responses: &[(u32, u8)],
    bits: &mut Vec<u64>,
) -> Result<f64, NoValue> {
    let n = responses.len();
    if n == 0 {
        return Err(NoValue::NoResponses);
    }
    let mut r = 0usize;
    let mut observed = 0.0;
    for &(i, x) in responses {
        if x == 1 {
            r += 1;
            observed += weights.log_odds[i as usize];
        }
    }
    if r == 0 {
        return Err(NoValue::AllWrong { n_items: n });
    }
    if r == n {
        return Err(NoValue::AllRight { n_items: n });
    }
    // The attempt's items in decreasing log-odds: their global ranks marked in a bit set, read
    // back in increasing order (a sort of distinct integers).
    bits.resize(weights.by_rank.len().div_ceil(64), 0);
    for &(i, _) in responses {
        let k = weights.rank[i as usize] as usize;
        bits[k >> 6] |= 1 << (k & 63);
    }
    let (mut max, mut min) = (0.0, 0.0);
    let mut position = 0;
    for (w, word) in bits.iter_mut().enumerate() {
        let mut b = std::mem::take(word);
        while b != 0 {
            let k = (w << 6) | b.trailing_zeros() as usize;
            b &= b - 1;
            if position < r {
                max += weights.by_rank[k];
            }
            if position >= n - r {
                min += weights.by_rank[k];
            }
            position += 1;
        }
    }
    let range = max - min;
    if range <= 1e-12 * (1.0 + max.abs()) {
        return Err(NoValue::U3Undefined);
    }
    Ok(((max - observed) / range).clamp(0.0, 1.0))
}

/// Per-attempt sums at one theta behind lz and lz*.
#[derive(Debug, Clone, Copy, Default)]
struct FitSums {
    /// W = sum (x - P) w = l0 - E l0.
    w: f64,
    /// sum w^2 P Q = Var l0.
    v: f64,
    /// sum P' w.
    dp_w: f64,
    /// sum P' r = I.
    info: f64,
    /// sum P'' r = J.
    j: f64,
    /// ln L = sum x ln P + (1 - x) ln Q.
    ln_l: f64,
}

fn fit_sums(bank: &ItemBank, responses: &[(u32, u8)], theta: f64) -> FitSums {
    let mut s = FitSums::default();
    for &(i, x) in responses {
        let e = bank.eval(i as usize, theta);
        let pq = e.p * e.q;
        let w = (e.p / e.q).ln();
        let r = e.dp / pq;
        // w, r and their products are all the lz / lz* sums need.
        s.w += (x as f64 - e.p) * w;
        s.v += w * w * pq;
        s.dp_w += e.dp * w;
        s.info += e.dp * r;
        s.j += e.d2p * r;
        s.ln_l += if x == 1 { e.p.ln() } else { e.q.ln() };
    }
    s
}

impl FitSums {
    fn lz(&self) -> Result<f64, NoValue> {
        if self.v.is_nan() || self.v <= 0.0 {
            return Err(NoValue::ZeroVariance);
        }
        Ok(self.w / self.v.sqrt())
    }

    fn lz_star(&self, method: ThetaMethod, theta: f64) -> Result<f64, NoValue> {
        if self.info.is_nan() || self.info <= 0.0 {
            return Err(NoValue::ZeroVariance);
        }
        let c_n = self.dp_w / self.info;
        // tau^2 = sum (w - c r)^2 PQ = sum w^2 PQ - 2 c sum P' w + c^2 sum P' r.
        let tau2 = self.v - 2.0 * c_n * self.dp_w + c_n * c_n * self.info;
        if tau2.is_nan() || tau2 <= 1e-12 * self.v.max(1e-300) {
            return Err(NoValue::ZeroVariance);
        }
        let r0 = match method {
            ThetaMethod::Ml => 0.0,
            ThetaMethod::Wle => self.j / (2.0 * self.info),
            ThetaMethod::Map { mu, sigma } => (mu - theta) / (sigma * sigma),
        };
        Ok((self.w + c_n * r0) / tau2.sqrt())
    }
}

/// Scratch per thread.
#[derive(Default)]
struct Work {
    theta: ThetaWork,
    bits: Vec<u64>,
}

fn fit_one(
    bank: &ItemBank,
    resp: &[(u32, u8)],
    opts: &PersonFitOptions,
    grid: &ThetaGrid,
    tables: Option<&GridTables>,
    weights: Option<&U3Weights>,
    work: &mut Work,
) -> Result<PersonFit, NoValue> {
    let n = resp.len();
    let n_right = super::data::scorable(resp)?;
    let est = estimate_with(
        bank.items(),
        resp,
        &opts.theta,
        grid,
        tables,
        &mut work.theta,
    )
    .ok_or(NoValue::NoResponses)?;
    let s = fit_sums(bank, resp, est.theta);
    let lz = s.lz()?;
    let lz_star = s.lz_star(opts.theta.method, est.theta)?;
    let p_lz_star = normal_cdf(lz_star);
    let u3 = match weights {
        Some(w) => u3_with(w, resp, &mut work.bits).ok(),
        None => None,
    };
    let flagged_calibrated = opts.lz_star_cutoff.map(|c| lz_star <= c);
    let flagged_u3 = match (u3, opts.u3_cutoff) {
        (Some(u), Some(c)) => Some(u >= c),
        _ => None,
    };
    Ok(PersonFit {
        n_items: n,
        n_right,
        theta: est.theta,
        theta_se: standard_error(opts.theta.method, s.info),
        theta_at_bound: est.at_bound,
        log_likelihood: s.ln_l,
        lz,
        p_lz: normal_cdf(lz),
        lz_star,
        p_lz_star,
        flagged: p_lz_star < opts.alpha,
        flagged_calibrated,
        u3,
        flagged_u3,
    })
}

/// The U3 weights, when given, have one entry per bank item.
fn check_weights(bank: &ItemBank, u3_weights: Option<&U3Weights>) -> Result<(), SecurityError> {
    match u3_weights {
        Some(w) if w.log_odds.len() != bank.len() => Err(SecurityError::LengthMismatch {
            what: "U3 weights (one per bank item)",
            expected: bank.len(),
            found: w.log_odds.len(),
        }),
        _ => Ok(()),
    }
}

fn validate(opts: &PersonFitOptions) -> Result<(), SecurityError> {
    opts.theta.validate()?;
    check_open(
        "alpha",
        opts.alpha,
        0.0,
        1.0,
        "a level strictly between 0 and 1",
    )
}

/// Person fit of one attempt: theta by the chosen estimator, lz and lz* at that theta, U3 when
/// weights are given. All-right and all-wrong patterns have no value (an error with
/// [`SecurityError::is_no_value`] true).
pub fn person_fit(
    bank: &ItemBank,
    responses: &[(u32, u8)],
    opts: &PersonFitOptions,
    u3_weights: Option<&U3Weights>,
) -> Result<PersonFit, SecurityError> {
    validate(opts)?;
    check_single(responses, bank.len())?;
    check_weights(bank, u3_weights)?;
    let grid = opts.theta.start_grid();
    let mut work = Work::default();
    fit_one(bank, responses, opts, &grid, None, u3_weights, &mut work).map_err(SecurityError::from)
}

/// Person fit of every attempt, with counts and the expected number of chance flags.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PersonFitReport {
    /// One entry per attempt, in attempt order.
    pub fits: Vec<Result<PersonFit, NoValue>>,
    pub alpha: f64,
    pub n_scored: usize,
    pub n_no_value: usize,
    pub n_theta_at_bound: usize,
    /// lz* flags.
    pub n_flagged: usize,
    /// alpha * n_scored: the flags expected if every attempt fitted the model.
    pub expected_false_flags: f64,
    pub lz_star_cutoff: Option<f64>,
    pub n_flagged_calibrated: usize,
    pub u3_cutoff: Option<f64>,
    pub n_flagged_u3: usize,
    /// Plain-language reading of the flag count.
    pub note: String,
}

/// Person fit of every attempt (parallel over attempts; identical results for any thread count).
pub fn person_fit_all(
    bank: &ItemBank,
    data: &AttemptData,
    opts: &PersonFitOptions,
    u3_weights: Option<&U3Weights>,
) -> Result<PersonFitReport, SecurityError> {
    validate(opts)?;
    super::data::check_against(bank, data)?;
    check_weights(bank, u3_weights)?;
    let grid = opts.theta.start_grid();
    let tables = GridTables::new(bank.items(), grid.clone(), false);
    let fits = data.map_by_item_set(Work::default, |work, k| {
        fit_one(
            bank,
            data.attempt(k),
            opts,
            &grid,
            Some(&tables),
            u3_weights,
            work,
        )
    });
    Ok(summarise(fits, opts))
}

fn summarise(fits: Vec<Result<PersonFit, NoValue>>, opts: &PersonFitOptions) -> PersonFitReport {
    let alpha = opts.alpha;
    let ok = fits.iter().filter_map(|f| f.as_ref().ok());
    let n_scored = ok.clone().count();
    let n_flagged = ok.clone().filter(|f| f.flagged).count();
    let n_theta_at_bound = ok.clone().filter(|f| f.theta_at_bound).count();
    let n_flagged_calibrated = ok
        .clone()
        .filter(|f| f.flagged_calibrated == Some(true))
        .count();
    let n_flagged_u3 = ok.filter(|f| f.flagged_u3 == Some(true)).count();
    let expected = alpha * n_scored as f64;
    let note = format!(
        "at alpha = {alpha} about 1 in {:.0} attempts is flagged by chance: of {n_scored} scored \
         attempts about {expected:.0} flags are expected even if every attempt fits the model; \
         {n_flagged} were flagged by lz* (normal tail){}{}",
        1.0 / alpha,
        if opts.lz_star_cutoff.is_some() {
            format!(", {n_flagged_calibrated} by lz* (simulated cutoff)")
        } else {
            String::new()
        },
        if opts.u3_cutoff.is_some() {
            format!(", {n_flagged_u3} by U3")
        } else {
            String::new()
        }
    );
    PersonFitReport {
        n_no_value: fits.len() - n_scored,
        fits,
        alpha,
        n_scored,
        n_theta_at_bound,
        n_flagged,
        expected_false_flags: expected,
        lz_star_cutoff: opts.lz_star_cutoff,
        n_flagged_calibrated,
        u3_cutoff: opts.u3_cutoff,
        n_flagged_u3,
        note,
    }
}
