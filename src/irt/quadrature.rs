//! Rectangular quadrature over the latent trait (Bock & Aitkin 1981): equally spaced points with
//! weights proportional to the latent density at the points, normalised to sum to 1 (as mirt).

/// Equally spaced points on [-range, range].
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub theta: Vec<f64>,
}

impl Grid {
    /// `n` points on [-range, range] (mirt's default: 61 points on [-6, 6]).
    pub fn new(n: usize, range: f64) -> Grid {
        let n = n.max(2);
        let step = 2.0 * range / (n - 1) as f64;
        Grid {
            theta: (0..n).map(|i| -range + step * i as f64).collect(),
        }
    }
    pub fn len(&self) -> usize {
        self.theta.len()
    }
    pub fn is_empty(&self) -> bool {
        self.theta.is_empty()
    }
    /// Normalised N(mean, sd) weights at the points.
    pub fn normal_weights(&self, mean: f64, sd: f64) -> Vec<f64> {
        let w: Vec<f64> = self
            .theta
            .iter()
            .map(|t| (-0.5 * ((t - mean) / sd).powi(2)).exp())
            .collect();
        let s: f64 = w.iter().sum();
        w.into_iter().map(|x| x / s).collect()
    }
}

/// Weights proportional to exp(log density) at the points, scaled so the largest is 1 (no
/// overflow or underflow of the mode whatever the log-likelihood's size).
pub fn relative_weights(log_density: &[f64]) -> Vec<f64> {
    let max = log_density
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    log_density.iter().map(|l| (l - max).exp()).collect()
}

/// Mean and SD of theta under (unnormalised) weights at the points: EAP and posterior SD when
/// the weights are a posterior (Bock & Mislevy 1982).
pub fn moments(weights: &[f64], theta: &[f64]) -> (f64, f64) {
    let s: f64 = weights.iter().sum();
    let mean = weights.iter().zip(theta).map(|(w, t)| w * t).sum::<f64>() / s;
    let var = weights
        .iter()
        .zip(theta)
        .map(|(w, t)| w * (t - mean).powi(2))
        .sum::<f64>()
        / s;
    (mean, var.sqrt())
}
