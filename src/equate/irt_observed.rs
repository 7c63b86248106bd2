//! IRT observed-score equating (Kolen & Brennan 2014, 6.6): the model-implied number-right
//! distributions of both forms in a synthetic population (the Lord-Wingersky recursion over a
//! quadrature with the population's weights), equated by equipercentile.

use crate::irt::test_level::score_distribution;
use crate::irt::ItemModel;

use super::equipercentile::equipercentile;

/// Old-form equivalents of every new-form raw score; both forms' items on the same scale, the
/// synthetic population given by quadrature points and weights.
pub fn observed_score_equating<M: ItemModel>(
    new: &[M],
    old: &[M],
    theta: &[f64],
    weights: &[f64],
) -> Vec<f64> {
    equipercentile(
        &score_distribution(new, theta, weights),
        &score_distribution(old, theta, weights),
    )
}
