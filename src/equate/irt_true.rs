//! IRT true-score equating (Lord 1980; Kolen & Brennan 2014, section 6.4): a raw score x on the
//! new form is taken as a true score, the theta with TCC_new(theta) = x is found by Newton's
//! method, and its old-form true score TCC_old(theta) is the equivalent. Scores at or below the
//! sum of the new form's guessing parameters have no theta; they are mapped linearly,
//! x * sum(c_old) / sum(c_new) (K&B eq. 6.26), and the maximum score maps to the maximum.
//! The test characteristic curve and its inverse are in [`crate::irt::test_level`].

use crate::irt::test_level::{max_score, score_floor, tcc, theta_for_true_score};
use crate::irt::ItemModel;

/// One row of a true-score conversion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrueScoreRow {
    pub raw: usize,
    /// The theta whose new-form true score is `raw` (None below the guessing floor and at the top).
    pub theta: Option<f64>,
    /// The old-form true-score equivalent.
    pub equivalent: f64,
}

/// True-score equating of every raw score 0..=n of the new form (its items already on the old
/// scale) to the old form.
pub fn true_score_equating<M: ItemModel>(new: &[M], old: &[M]) -> Vec<TrueScoreRow> {
    let n = max_score(new);
    let (cn, co) = (score_floor(new), score_floor(old));
    (0..=n)
        .map(|x| {
            let xf = x as f64;
            if x == n {
                return TrueScoreRow {
                    raw: x,
                    theta: None,
                    equivalent: max_score(old) as f64,
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
