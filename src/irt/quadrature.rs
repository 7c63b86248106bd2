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

/// n-point Gauss-Hermite rule for the standard normal density (nodes ascending, weights summing
/// to 1). Nodes of the physicists' rule by Newton's method on the orthonormal Hermite recurrence
/// with the usual asymptotic starting values (Press et al., Numerical Recipes, `gauher`).
pub fn gauss_hermite_normal(n: usize) -> (Vec<f64>, Vec<f64>) {
    let pim4 = std::f64::consts::PI.powf(-0.25);
    let nf = n as f64;
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let m = n.div_ceil(2);
    let mut z = 0.0;
    for i in 0..m {
        z = match i {
            0 => (2.0 * nf + 1.0).sqrt() - 1.85575 * (2.0 * nf + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * nf.powf(0.426) / z,
            2 => 1.86 * z - 0.86 * x[0],
            3 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 2],
        };
        let mut pp = 1.0;
        for _ in 0..100 {
            let mut p1 = pim4;
            let mut p2 = 0.0;
            for j in 1..=n {
                let p3 = p2;
                p2 = p1;
                let jf = j as f64;
                p1 = z * (2.0 / jf).sqrt() * p2 - ((jf - 1.0) / jf).sqrt() * p3;
            }
            pp = (2.0 * nf).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() <= 1e-15 * z.abs().max(1.0) {
                break;
            }
        }
        x[i] = z;
        x[n - 1 - i] = -z;
        w[i] = 2.0 / (pp * pp);
        w[n - 1 - i] = w[i];
    }
    let s2 = std::f64::consts::SQRT_2;
    let sp = std::f64::consts::PI.sqrt();
    let mut nodes: Vec<(f64, f64)> = x.iter().zip(&w).map(|(x, w)| (s2 * x, w / sp)).collect();
    nodes.sort_by(|a, b| a.0.total_cmp(&b.0));
    nodes.into_iter().unzip()
}
