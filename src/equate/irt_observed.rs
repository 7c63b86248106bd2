//! IRT observed-score equating (Kolen & Brennan 2014, 6.6): the model-implied number-right
//! distributions of both forms in a synthetic population (the Lord-Wingersky recursion over a
//! quadrature with the population's weights), equated by equipercentile.

use crate::irt::scoring::lord_wingersky;
use crate::irt::Logistic;

use super::equipercentile::equipercentile;

/// Model-implied relative frequencies of the number-right score 0..=n.
pub fn score_distribution(items: &[Logistic], theta: &[f64], weights: &[f64]) -> Vec<f64> {
    let lw = lord_wingersky(items, theta);
    (0..=items.len())
        .map(|s| lw.iter().zip(weights).map(|(d, w)| w * d[s]).sum())
        .collect()
}

/// Old-form equivalents of every new-form raw score; both forms' items on the same scale, the
/// synthetic population given by quadrature points and weights.
pub fn observed_score_equating(
    new: &[Logistic],
    old: &[Logistic],
    theta: &[f64],
    weights: &[f64],
) -> Vec<f64> {
    equipercentile(
        &score_distribution(new, theta, weights),
        &score_distribution(old, theta, weights),
    )
}
