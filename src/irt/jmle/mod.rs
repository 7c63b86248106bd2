//! Dichotomous Rasch measurement by joint maximum likelihood (JMLE, "UCON"), with the conventions
//! of Winsteps (Linacre, Winsteps manual: LCONV=, RCONV=, CONVERGE=, EXTRSCORE=, STBIAS=,
//! WHEXACT=).
//!
//! This module owns
//! - [`rasch_jmle`]: person measures theta_n and item difficulties b_i of
//!   P(x_ni = 1) = exp(theta_n - b_i) / (1 + exp(theta_n - b_i)), items centred at mean 0,
//!   extreme scores (all right / all wrong, persons and items, removed repeatedly until none is
//!   left) excluded from estimation and measured afterwards at the score adjusted by EXTRSCORE
//!   (0.3 score points), model standard errors 1 / sqrt(sum P (1 - P)), the optional bias
//!   correction (L - 1) / L of the item difficulties;
//! - [`rasch_fit_statistics`]: infit and outfit mean squares and their Wilson-Hilferty ZSTD
//!   (Wright & Masters 1982, Rating Scale Analysis, pp. 100-101), for any given measures.
//!
//! Winsteps stops iterating early by default (LCONV = .005 logits or RCONV = .1 score points,
//! whichever comes first: CONVERGE = E), so its published measures sit a few hundredths of a
//! logit (up to 3-4 % of the spread) inside the exact JMLE solution; [`JmleOptions::winsteps`]
//! reproduces that schedule (PROX start, iterative curve fitting, the same stopping rule),
//! [`JmleOptions::default`] iterates to full convergence.

mod fit;
mod prox;

use fit::fit_statistics;
pub use fit::{rasch_fit_statistics, wilson_hilferty, FitPair, RaschFit, OUTFIT_VARIANCE_FLOOR};
use prox::{centre, extreme_measure, prox};

/// How an iteration improves each measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JmleUpdate {
    /// theta' = theta + (R - E) / V (Newton-Raphson on the joint likelihood), step at most
    /// `max_step` logits.
    NewtonRaphson,
    /// Winsteps' iterative curve fitting: the logistic ogive through the current (measure,
    /// expected score) with the score's bounds as asymptotes is solved for the observed score,
    /// theta' = theta + ln(R / (N - R)) - ln(E / (N - E)).
    CurveFitting,
}

/// When iteration stops (Winsteps' CONVERGE=).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConvergeRule {
    /// The largest logit change <= lconv OR the largest score residual <= rconv (Winsteps' default).
    Either,
    /// Both.
    Both,
}

/// Options of [`rasch_jmle`].
#[derive(Debug, Clone, PartialEq)]
pub struct JmleOptions {
    pub update: JmleUpdate,
    /// Start from PROX estimates (Winsteps), else from 0.
    pub prox_start: bool,
    /// Largest number of PROX iterations (Winsteps' MPROX = 10).
    pub max_prox_iterations: usize,
    /// Largest logit change at convergence (Winsteps' LCONV, default .005).
    pub lconv: f64,
    /// Largest score residual at convergence (Winsteps' RCONV, default .1).
    pub rconv: f64,
    pub converge: ConvergeRule,
    pub max_iterations: usize,
    /// Newton-Raphson steps are capped at this many logits.
    pub max_step: f64,
    /// Score points moved in from an extreme score to measure it (Winsteps' EXTRSCORE = 0.3).
    pub extreme_score_adjustment: f64,
    /// Multiply the item difficulties (and their SEs) by (L - 1) / L (Winsteps' STBIAS = Yes in its
    /// classic form, Wright & Douglas 1977).
    pub bias_correction: bool,
    /// ZSTD with the final + q/3 term (Winsteps' WHEXACT = Yes).
    pub wh_exact: bool,
}

impl Default for JmleOptions {
    /// Full convergence: Newton-Raphson until no measure moves by 1e-7 logits and no score
    /// residual exceeds 1e-6.
    fn default() -> Self {
        JmleOptions {
            update: JmleUpdate::NewtonRaphson,
            prox_start: true,
            max_prox_iterations: 10,
            lconv: 1e-7,
            rconv: 1e-6,
            converge: ConvergeRule::Both,
            max_iterations: 500,
            max_step: 1.0,
            extreme_score_adjustment: 0.3,
            bias_correction: false,
            wh_exact: true,
        }
    }
}

impl JmleOptions {
    /// Winsteps' (3.x) defaults: PROX start, curve fitting, LCONV = .005, RCONV = .1,
    /// CONVERGE = E, EXTRSCORE = .3, STBIAS = No, WHEXACT = Yes.
    pub fn winsteps() -> Self {
        JmleOptions {
            update: JmleUpdate::CurveFitting,
            lconv: 0.005,
            rconv: 0.1,
            converge: ConvergeRule::Either,
            ..JmleOptions::default()
        }
    }
}

/// Why a Rasch analysis cannot be run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JmleError {
    #[error("person {person} has {len} responses but person 0 has {expected}: every row must list every item")]
    Ragged {
        person: usize,
        len: usize,
        expected: usize,
    },
    #[error("person {person}, item {item}: response {value} is not 0 or 1")]
    InvalidResponse {
        person: usize,
        item: usize,
        value: u8,
    },
    #[error("nothing to estimate: after removing extreme scores {persons} persons and {items} items are left (need at least 2 of each)")]
    NothingToEstimate { persons: usize, items: usize },
    #[error("measures given for {got} {what} but the data have {expected}")]
    Mismatch {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("option {name} = {value} is invalid: expected {expected}")]
    InvalidOption {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
}

/// Which extreme score a person or item has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Extreme {
    /// All wrong (a person) or nobody right (an item), on the non-extreme part of the data.
    Minimum,
    /// All right (a person) or everybody right (an item).
    Maximum,
}

/// One person's or item's results.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RaschMeasure {
    /// Person ability or item difficulty in logits; None without responses.
    pub measure: Option<f64>,
    /// Model standard error 1 / sqrt(sum P (1 - P)).
    pub se: Option<f64>,
    /// Raw score and number of responses (all items / persons, as Winsteps' TOTAL columns).
    pub score: usize,
    pub count: usize,
    /// Set when the score is extreme (measured at the adjusted score, not estimated jointly).
    pub extreme: Option<Extreme>,
    /// None for extreme scores.
    pub fit: Option<RaschFit>,
}

/// A JMLE Rasch analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JmleFit {
    pub persons: Vec<RaschMeasure>,
    pub items: Vec<RaschMeasure>,
    pub prox_iterations: usize,
    pub iterations: usize,
    pub converged: bool,
    /// At the last iteration: the largest |observed - expected| score and the largest change.
    pub max_score_residual: f64,
    pub max_logit_change: f64,
    /// (L - 1) / L applied to the item difficulties, when asked for.
    pub bias_correction_factor: Option<f64>,
}

pub(crate) const MISSING: u8 = u8::MAX;

/// Dense responses: 0, 1 or MISSING, row = person.
pub(crate) struct Matrix {
    pub(crate) n_p: usize,
    pub(crate) n_i: usize,
    pub(crate) x: Vec<u8>,
}

impl Matrix {
    pub(crate) fn from_rows(responses: &[Vec<Option<u8>>]) -> Result<Matrix, JmleError> {
        let n_p = responses.len();
        let n_i = responses.first().map_or(0, |r| r.len());
        let mut x = Vec::with_capacity(n_p * n_i);
        for (p, row) in responses.iter().enumerate() {
            if row.len() != n_i {
                return Err(JmleError::Ragged {
                    person: p,
                    len: row.len(),
                    expected: n_i,
                });
            }
            for (i, &v) in row.iter().enumerate() {
                match v {
                    None => x.push(MISSING),
                    Some(v @ (0 | 1)) => x.push(v),
                    Some(v) => {
                        return Err(JmleError::InvalidResponse {
                            person: p,
                            item: i,
                            value: v,
                        })
                    }
                }
            }
        }
        Ok(Matrix { n_p, n_i, x })
    }

    #[inline]
    pub(crate) fn get(&self, p: usize, i: usize) -> u8 {
        self.x[p * self.n_i + i]
    }
}

#[inline]
pub(crate) fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Observed score, count, expected score and variance of each active person and item.
struct Sums {
    p_obs: Vec<f64>,
    p_n: Vec<f64>,
    p_exp: Vec<f64>,
    p_var: Vec<f64>,
    i_obs: Vec<f64>,
    i_n: Vec<f64>,
    i_exp: Vec<f64>,
    i_var: Vec<f64>,
}

fn sums(m: &Matrix, act_p: &[bool], act_i: &[bool], theta: &[f64], b: &[f64]) -> Sums {
    let mut s = Sums {
        p_obs: vec![0.0; m.n_p],
        p_n: vec![0.0; m.n_p],
        p_exp: vec![0.0; m.n_p],
        p_var: vec![0.0; m.n_p],
        i_obs: vec![0.0; m.n_i],
        i_n: vec![0.0; m.n_i],
        i_exp: vec![0.0; m.n_i],
        i_var: vec![0.0; m.n_i],
    };
    for p in 0..m.n_p {
        if !act_p[p] {
            continue;
        }
        for i in 0..m.n_i {
            let x = m.get(p, i);
            if !act_i[i] || x == MISSING {
                continue;
            }
            let pr = logistic(theta[p] - b[i]);
            let v = pr * (1.0 - pr);
            let x = x as f64;
            s.p_obs[p] += x;
            s.p_n[p] += 1.0;
            s.p_exp[p] += pr;
            s.p_var[p] += v;
            s.i_obs[i] += x;
            s.i_n[i] += 1.0;
            s.i_exp[i] += pr;
            s.i_var[i] += v;
        }
    }
    s
}

/// Active (non-extreme) flags of persons and items, and the extreme status of the others.
type Active = (
    Vec<bool>,
    Vec<bool>,
    Vec<Option<Extreme>>,
    Vec<Option<Extreme>>,
);

/// Removes extreme persons and items repeatedly (a person all right on the remaining items,
/// an item nobody got wrong among the remaining persons, ...) until none is left. Returns the
/// active flags and the extreme status of the removed ones.
fn remove_extremes(m: &Matrix) -> Active {
    let mut act_p = vec![true; m.n_p];
    let mut act_i = vec![true; m.n_i];
    let mut ext_p = vec![None; m.n_p];
    let mut ext_i = vec![None; m.n_i];
    loop {
        let mut changed = false;
        for p in 0..m.n_p {
            if !act_p[p] {
                continue;
            }
            let score = score_of((0..m.n_i).filter(|&i| act_i[i]).map(|i| m.get(p, i)));
            if let Some(status) = extreme_status(score) {
                act_p[p] = false;
                ext_p[p] = status;
                changed = true;
            }
        }
        for i in 0..m.n_i {
            if !act_i[i] {
                continue;
            }
            let score = score_of((0..m.n_p).filter(|&p| act_p[p]).map(|p| m.get(p, i)));
            if let Some(status) = extreme_status(score) {
                act_i[i] = false;
                ext_i[i] = status;
                changed = true;
            }
        }
        if !changed {
            return (act_p, act_i, ext_p, ext_i);
        }
    }
}

/// Estimates a dichotomous Rasch model by joint maximum likelihood ("UCON", Wright & Panchapakesan
/// 1969; Wright & Stone 1979, ch. 3; Winsteps' JMLE): the estimation equations set each active
/// person's and item's observed score equal to its expected score, sum_i P_ni = R_n and
/// sum_n P_ni = S_i, with the item difficulties centred at 0. Extreme persons and items are
/// removed repeatedly before estimation and measured afterwards at their score moved in by
/// `extreme_score_adjustment` (against the non-extreme measures); model SEs are
/// 1 / sqrt(sum_k P (1 - P)); fit statistics use the non-extreme part of the data
/// ([`rasch_fit_statistics`]). Rows are persons; `None` is a missing response.
pub fn rasch_jmle(responses: &[Vec<Option<u8>>], opts: &JmleOptions) -> Result<JmleFit, JmleError> {
    for (name, value, ok) in [
        ("lconv", opts.lconv, opts.lconv >= 0.0),
        ("rconv", opts.rconv, opts.rconv >= 0.0),
        ("max_step", opts.max_step, opts.max_step > 0.0),
        (
            "extreme_score_adjustment",
            opts.extreme_score_adjustment,
            opts.extreme_score_adjustment > 0.0 && opts.extreme_score_adjustment < 1.0,
        ),
    ] {
        if !ok || !value.is_finite() {
            return Err(JmleError::InvalidOption {
                name,
                value,
                expected: "a finite positive number (extreme_score_adjustment below 1)",
            });
        }
    }
    let m = Matrix::from_rows(responses)?;
    let (act_p, act_i, ext_p, ext_i) = remove_extremes(&m);
    let n_act_p = act_p.iter().filter(|&&a| a).count();
    let n_act_i = act_i.iter().filter(|&&a| a).count();
    if n_act_p < 2 || n_act_i < 2 {
        return Err(JmleError::NothingToEstimate {
            persons: n_act_p,
            items: n_act_i,
        });
    }
    let mut theta = vec![0.0; m.n_p];
    let mut b = vec![0.0; m.n_i];
    let prox_iterations = if opts.prox_start {
        prox(
            &m,
            &act_p,
            &act_i,
            &mut theta,
            &mut b,
            opts.max_prox_iterations,
        )
    } else {
        0
    };

    let mut iterations = 0;
    let mut converged = false;
    let mut max_resid = f64::INFINITY;
    let mut max_change = f64::INFINITY;
    while iterations < opts.max_iterations {
        iterations += 1;
        let s = sums(&m, &act_p, &act_i, &theta, &b);
        max_resid = 0.0f64;
        max_change = 0.0f64;
        let step = |obs: f64, n: f64, exp: f64, var: f64| match opts.update {
            JmleUpdate::NewtonRaphson => ((obs - exp) / var).clamp(-opts.max_step, opts.max_step),
            JmleUpdate::CurveFitting => (obs / (n - obs)).ln() - (exp / (n - exp)).ln(),
        };
        for p in 0..m.n_p {
            if act_p[p] {
                max_resid = max_resid.max((s.p_obs[p] - s.p_exp[p]).abs());
                let d = step(s.p_obs[p], s.p_n[p], s.p_exp[p], s.p_var[p]);
                theta[p] += d;
                max_change = max_change.max(d.abs());
            }
        }
        let old_b = b.clone();
        for i in 0..m.n_i {
            if act_i[i] {
                max_resid = max_resid.max((s.i_obs[i] - s.i_exp[i]).abs());
                // an item's difficulty moves opposite to its score
                b[i] -= step(s.i_obs[i], s.i_n[i], s.i_exp[i], s.i_var[i]);
            }
        }
        centre(&mut b, &act_i);
        for i in 0..m.n_i {
            if act_i[i] {
                max_change = max_change.max((b[i] - old_b[i]).abs());
            }
        }
        let l_ok = max_change <= opts.lconv;
        let r_ok = max_resid <= opts.rconv;
        if match opts.converge {
            ConvergeRule::Either => l_ok || r_ok,
            ConvergeRule::Both => l_ok && r_ok,
        } {
            converged = true;
            break;
        }
    }

    // Fit and SEs at the final (uncorrected) estimates, on the non-extreme data.
    let theta_opt: Vec<Option<f64>> = (0..m.n_p).map(|p| act_p[p].then_some(theta[p])).collect();
    let b_opt: Vec<Option<f64>> = (0..m.n_i).map(|i| act_i[i].then_some(b[i])).collect();
    let (fit_p, fit_i) = fit_statistics(&m, &theta_opt, &b_opt, opts.wh_exact);
    let s = sums(&m, &act_p, &act_i, &theta, &b);

    // Bias correction of the item difficulties: L = mean number of non-extreme items a
    // non-extreme person answered (the test length for complete data).
    let bias_correction_factor = opts.bias_correction.then(|| {
        let l = (0..m.n_p)
            .filter(|&p| act_p[p])
            .map(|p| s.p_n[p])
            .sum::<f64>()
            / n_act_p as f64;
        (l - 1.0) / l
    });
    let k = bias_correction_factor.unwrap_or(1.0);

    let adj = opts.extreme_score_adjustment;

    let persons = (0..m.n_p)
        .map(|p| {
            let (score, count) = person_score(&m, p);
            if act_p[p] {
                return RaschMeasure {
                    measure: Some(theta[p]),
                    se: Some(1.0 / s.p_var[p].sqrt()),
                    score,
                    count,
                    extreme: None,
                    fit: fit_p[p],
                };
            }
            // measured against the non-extreme items the person answered
            let items: Vec<f64> = (0..m.n_i)
                .filter(|&i| act_i[i] && m.get(p, i) != MISSING)
                .map(|i| k * b[i])
                .collect();
            let (measure, se) = match ext_p[p] {
                Some(e) if !items.is_empty() => {
                    let target = match e {
                        Extreme::Minimum => adj,
                        Extreme::Maximum => items.len() as f64 - adj,
                    };
                    let (t, se) = extreme_measure(&items, target);
                    (Some(t), Some(se))
                }
                _ => (None, None),
            };
            RaschMeasure {
                measure,
                se,
                score,
                count,
                extreme: ext_p[p],
                fit: None,
            }
        })
        .collect();
    let items = (0..m.n_i)
        .map(|i| {
            let (score, count) = item_score(&m, i);
            if act_i[i] {
                return RaschMeasure {
                    measure: Some(k * b[i]),
                    se: Some(k / s.i_var[i].sqrt()),
                    score,
                    count,
                    extreme: None,
                    fit: fit_i[i],
                };
            }
            // an item at difficulty b against persons theta_n behaves as a person at -b
            // against items at -theta_n
            let persons: Vec<f64> = (0..m.n_p)
                .filter(|&p| act_p[p] && m.get(p, i) != MISSING)
                .map(|p| -theta[p])
                .collect();
            let (measure, se) = match ext_i[i] {
                Some(e) if !persons.is_empty() => {
                    // the mirror's score is the item's score
                    let target = match e {
                        Extreme::Minimum => adj,
                        Extreme::Maximum => persons.len() as f64 - adj,
                    };
                    let (t, se) = extreme_measure(&persons, target);
                    (Some(-t), Some(se))
                }
                _ => (None, None),
            };
            RaschMeasure {
                measure,
                se,
                score,
                count,
                extreme: ext_i[i],
                fit: None,
            }
        })
        .collect();
    Ok(JmleFit {
        persons,
        items,
        prox_iterations,
        iterations,
        converged,
        max_score_residual: max_resid,
        max_logit_change: max_change,
        bias_correction_factor,
    })
}

/// Raw score and count of a person over all responses.
fn person_score(m: &Matrix, p: usize) -> (usize, usize) {
    score_of((0..m.n_i).map(|i| m.get(p, i)))
}

/// Raw score and count of an item over all responses.
fn item_score(m: &Matrix, i: usize) -> (usize, usize) {
    score_of((0..m.n_p).map(|p| m.get(p, i)))
}

/// For a (score, count) that cannot be estimated jointly: Some(its extreme status), None inside
/// when there are no responses at all; None when the score is not extreme.
fn extreme_status((r, n): (usize, usize)) -> Option<Option<Extreme>> {
    match (n, r) {
        (0, _) => Some(None),
        (_, 0) => Some(Some(Extreme::Minimum)),
        _ if r == n => Some(Some(Extreme::Maximum)),
        _ => None,
    }
}

fn score_of(x: impl Iterator<Item = u8>) -> (usize, usize) {
    x.filter(|&v| v != MISSING)
        .fold((0, 0), |(r, n), v| (r + v as usize, n + 1))
}
