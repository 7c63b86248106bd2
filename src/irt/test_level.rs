//! Test-level IRT, generic over [`ItemModel`]: the test characteristic curve (TCC), its slope and
//! inverse, the Lord-Wingersky distribution of the summed score, test information and the
//! conditional variance of the summed score. Equating, scaling, readiness and the report build
//! on these; none of them needs to know which item model is in use.

use super::model::ItemModel;
use super::quadrature::moments;

/// Test characteristic curve: the expected summed score at theta, sum_i E[X_i | theta]
/// (Lord 1980, eq. 4-5).
pub fn tcc<M: ItemModel>(items: &[M], theta: f64) -> f64 {
    items.iter().map(|m| m.expected_score(theta)).sum()
}

/// Derivative of the test characteristic curve with respect to theta.
pub fn tcc_slope<M: ItemModel>(items: &[M], theta: f64) -> f64 {
    items.iter().map(|m| m.expected_score_slope(theta)).sum()
}

/// Highest summed score of the items.
pub fn max_score<M: ItemModel>(items: &[M]) -> usize {
    items.iter().map(|m| m.max_score()).sum()
}

/// The TCC's lower asymptote: the sum of the items' (for the 3PL, the sum of the c's).
pub fn score_floor<M: ItemModel>(items: &[M]) -> f64 {
    items.iter().map(|m| m.lower_asymptote()).sum()
}

/// The theta at which the test characteristic curve equals `score` (which must lie strictly
/// between the TCC's lower asymptote and the maximum score): Newton's method safeguarded by
/// bisection (Kolen & Brennan 2014, eq. 6.21).
pub fn theta_for_true_score<M: ItemModel>(items: &[M], score: f64) -> Option<f64> {
    let floor = score_floor(items);
    if !(score > floor && score < max_score(items) as f64) {
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

/// The Lord-Wingersky recursion (Lord & Wingersky 1984; Thissen et al. 1995 for polytomous
/// items): for each theta, P(summed score = s | theta), s = 0..=max score.
pub fn lord_wingersky<M: ItemModel>(items: &[M], theta: &[f64]) -> Vec<Vec<f64>> {
    let mut probs = Vec::new();
    theta
        .iter()
        .map(|&t| {
            let mut dist = vec![1.0];
            for m in items {
                probs.resize(m.n_categories(), 0.0);
                m.probs(t, &mut probs);
                let mut next = vec![0.0; dist.len() + m.max_score()];
                for (s, &f) in dist.iter().enumerate() {
                    for (k, &p) in probs.iter().enumerate() {
                        next[s + k] += f * p;
                    }
                }
                dist = next;
            }
            dist
        })
        .collect()
}

/// Model-implied relative frequencies of the summed score 0..=max in a population given by
/// quadrature points and weights (Kolen & Brennan 2014, eq. 6.25).
pub fn score_distribution<M: ItemModel>(items: &[M], theta: &[f64], weights: &[f64]) -> Vec<f64> {
    let lw = lord_wingersky(items, theta);
    (0..=max_score(items))
        .map(|s| lw.iter().zip(weights).map(|(d, w)| w * d[s]).sum())
        .collect()
}

/// One row of a summed-score table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SummedScoreRow {
    pub score: usize,
    /// Model-implied probability of the score in the population.
    pub probability: f64,
    pub eap: f64,
    pub psd: f64,
}

/// Summed-score EAP table of a set of items under a population density given by quadrature
/// points and weights (Thissen et al. 1995).
pub fn summed_score_table<M: ItemModel>(
    items: &[M],
    theta: &[f64],
    weights: &[f64],
) -> Vec<SummedScoreRow> {
    let lw = lord_wingersky(items, theta);
    (0..=max_score(items))
        .map(|s| {
            let joint: Vec<f64> = lw.iter().zip(weights).map(|(d, w)| d[s] * w).collect();
            let p: f64 = joint.iter().sum();
            let (eap, psd) = moments(&joint, theta);
            SummedScoreRow {
                score: s,
                probability: p,
                eap,
                psd,
            }
        })
        .collect()
}

/// Test information sum_i I_i(theta) at each theta.
pub fn test_information<M: ItemModel>(items: &[M], theta: &[f64]) -> Vec<f64> {
    theta
        .iter()
        .map(|&t| items.iter().map(|m| m.information(t)).sum())
        .collect()
}

/// Conditional variance of the summed score at theta, sum_i Var(X_i | theta) (Lord 1980, eq. 4-3).
pub fn score_variance<M: ItemModel>(items: &[M], theta: f64) -> f64 {
    items.iter().map(|m| m.score_variance(theta)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irt::{Logistic, ModelKind};

    fn items() -> [Logistic; 3] {
        [
            Logistic::new(ModelKind::ThreePL, 1.2, -0.5, 0.2, 1.0),
            Logistic::new(ModelKind::TwoPL, 0.7, 0.3, 0.0, 1.0),
            Logistic::new(ModelKind::ThreePL, 1.9, 1.1, 0.1, 1.7),
        ]
    }

    /// Derivative: the TCC's slope against central differences of the TCC.
    #[test]
    fn tcc_slope_matches_finite_differences() {
        let items = items();
        for t in [-2.0, 0.0, 0.8, 2.5] {
            let h = 1e-5;
            let fd = (tcc(&items, t + h) - tcc(&items, t - h)) / (2.0 * h);
            assert!((tcc_slope(&items, t) - fd).abs() < 1e-7, "theta {t}");
        }
    }

    /// Property: the inverse of the TCC returns the theta it came from.
    #[test]
    fn theta_for_true_score_inverts_the_tcc() {
        let items = items();
        for t in [-1.5, 0.0, 1.2] {
            let back = theta_for_true_score(&items, tcc(&items, t)).expect("inside the range");
            assert!((back - t).abs() < 1e-9, "theta {t}: {back}");
        }
        assert_eq!(
            theta_for_true_score(&items, 0.2),
            None,
            "below the guessing floor"
        );
    }

    /// Reference (enumeration): Lord-Wingersky equals the sum over all response patterns.
    #[test]
    fn lord_wingersky_equals_enumeration() {
        let items = items();
        for t in [-2.0, 0.0, 0.8] {
            let lw = &lord_wingersky(&items, &[t])[0];
            let mut brute = [0.0; 4];
            for pattern in 0..8u32 {
                let mut pr = 1.0;
                for (i, m) in items.iter().enumerate() {
                    let x = pattern >> i & 1 == 1;
                    pr *= if x { m.p(t) } else { 1.0 - m.p(t) };
                }
                brute[pattern.count_ones() as usize] += pr;
            }
            for s in 0..4 {
                assert!((lw[s] - brute[s]).abs() < 1e-12, "theta {t} score {s}");
            }
            assert!((lw.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    /// Reference (definition): the summed score's conditional variance equals the variance of
    /// the Lord-Wingersky distribution.
    #[test]
    fn score_variance_equals_the_variance_of_the_distribution() {
        let items = items();
        let t = 0.4;
        let d = &lord_wingersky(&items, &[t])[0];
        let mean: f64 = d.iter().enumerate().map(|(s, p)| s as f64 * p).sum();
        let var: f64 = d
            .iter()
            .enumerate()
            .map(|(s, p)| (s as f64 - mean).powi(2) * p)
            .sum();
        assert!((mean - tcc(&items, t)).abs() < 1e-12);
        assert!((var - score_variance(&items, t)).abs() < 1e-12);
    }
}
