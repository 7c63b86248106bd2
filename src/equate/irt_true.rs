//! IRT true-score equating (Lord 1980; Kolen & Brennan 2014, section 6.4): a raw score x on the
//! new form is taken as a true score, the theta with TCC_new(theta) = x is found by Newton's
//! method, and its old-form true score TCC_old(theta) is the equivalent. Scores at or below the
//! sum of the new form's guessing parameters have no theta; they are mapped linearly,
//! x * sum(c_old) / sum(c_new) (K&B eq. 6.26), and the maximum score maps to the maximum.

use crate::irt::Logistic;

/// One row of a true-score conversion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrueScoreRow {
    pub raw: usize,
    /// The theta whose new-form true score is `raw` (None below the guessing floor and at the top).
    pub theta: Option<f64>,
    /// The old-form true-score equivalent.
    pub equivalent: f64,
}

/// Test characteristic curve: expected number right at theta.
pub fn tcc(items: &[Logistic], theta: f64) -> f64 {
    items.iter().map(|m| m.p(theta)).sum()
}

/// Derivative of the test characteristic curve with respect to theta.
pub fn tcc_slope(items: &[Logistic], theta: f64) -> f64 {
    items
        .iter()
        .map(|m| {
            let z = m.scale_d * m.a * theta + m.d;
            let psi = 1.0 / (1.0 + (-z).exp());
            (1.0 - m.c) * psi * (1.0 - psi) * m.scale_d * m.a
        })
        .sum()
}

/// The theta at which the test characteristic curve equals `score` (which must lie strictly
/// between the sum of the c's and the number of items): Newton's method safeguarded by bisection.
pub fn theta_for_true_score(items: &[Logistic], score: f64) -> Option<f64> {
    let floor: f64 = items.iter().map(|m| m.c).sum();
    if !(score > floor && score < items.len() as f64) {
        return None;
    }
    let (mut lo, mut hi) = (-40.0, 40.0);
    let mut t = 0.0;
    for _ in 0..200 {
        let f = tcc(items, t) - score;
        if f.abs() < 1e-12 {
            return Some(t);
        }
        if f > 0.0 {
            hi = t;
        } else {
            lo = t;
        }
        let slope = tcc_slope(items, t);
        let next = t - f / slope;
        t = if slope > 0.0 && next > lo && next < hi {
            next
        } else {
            0.5 * (lo + hi)
        };
        if hi - lo < 1e-13 {
            break;
        }
    }
    Some(t)
}

/// True-score equating of every raw score 0..=n of the new form (its items already on the old
/// scale) to the old form.
pub fn true_score_equating(new: &[Logistic], old: &[Logistic]) -> Vec<TrueScoreRow> {
    let n = new.len();
    let (cn, co): (f64, f64) = (new.iter().map(|m| m.c).sum(), old.iter().map(|m| m.c).sum());
    (0..=n)
        .map(|x| {
            let xf = x as f64;
            if x == n {
                return TrueScoreRow {
                    raw: x,
                    theta: None,
                    equivalent: old.len() as f64,
                };
            }
            match theta_for_true_score(new, xf) {
                Some(t) => TrueScoreRow {
                    raw: x,
                    theta: Some(t),
                    equivalent: tcc(old, t),
                },
                None => TrueScoreRow {
                    raw: x,
                    theta: None,
                    equivalent: if cn > 0.0 { xf * co / cn } else { 0.0 },
                },
            }
        })
        .collect()
}
