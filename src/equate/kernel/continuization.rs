//! Kernel continuization of a discrete score distribution (KE ch. 4) and the penalty
//! functions that choose the bandwidth (KE ch. 4; Andersson, Bränberg & Wiberg 2013, the
//! kequate paper, "ABW" below, eqs. 9-11).

use statrs::function::erf::erfc;

use super::KernelError;

/// The kernel of the continuization, in its standard form (as SNSequate): N(0, 1), the
/// standard logistic (variance pi^2 / 3; Lee & von Davier 2011) or U(-1/2, 1/2) (variance 1/12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kernel {
    #[default]
    Gaussian,
    Logistic,
    Uniform,
}

impl Kernel {
    pub fn parse(s: &str) -> Option<Kernel> {
        match s.to_ascii_lowercase().as_str() {
            "gaussian" | "gauss" | "normal" => Some(Kernel::Gaussian),
            "logistic" | "logis" => Some(Kernel::Logistic),
            "uniform" | "unif" => Some(Kernel::Uniform),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Kernel::Gaussian => "gaussian",
            Kernel::Logistic => "logistic",
            Kernel::Uniform => "uniform",
        }
    }
    /// Variance of the kernel distribution.
    pub fn variance(self) -> f64 {
        match self {
            Kernel::Gaussian => 1.0,
            Kernel::Logistic => std::f64::consts::PI.powi(2) / 3.0,
            Kernel::Uniform => 1.0 / 12.0,
        }
    }
    /// Kernel distribution function K(z).
    pub fn cdf(self, z: f64) -> f64 {
        match self {
            Kernel::Gaussian => 0.5 * erfc(-z / std::f64::consts::SQRT_2),
            Kernel::Logistic => {
                if z >= 0.0 {
                    1.0 / (1.0 + (-z).exp())
                } else {
                    let e = z.exp();
                    e / (1.0 + e)
                }
            }
            Kernel::Uniform => (z + 0.5).clamp(0.0, 1.0),
        }
    }
    /// Kernel density k(z).
    pub fn pdf(self, z: f64) -> f64 {
        match self {
            Kernel::Gaussian => (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt(),
            Kernel::Logistic => {
                let e = (-z.abs()).exp();
                e / ((1.0 + e) * (1.0 + e))
            }
            Kernel::Uniform => {
                if z.abs() <= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
    /// Derivative k'(z) of the density (zero almost everywhere for the uniform kernel).
    pub fn pdf_derivative(self, z: f64) -> f64 {
        match self {
            Kernel::Gaussian => -z * self.pdf(z),
            Kernel::Logistic => self.pdf(z) * (1.0 - 2.0 * self.cdf(z)),
            Kernel::Uniform => 0.0,
        }
    }
}

/// A discrete distribution on the scores 0..=J continuized by a kernel (KE ch. 4; ABW eqs. 9-10):
/// X(h) = a (X + h V) + (1 - a) mu, V ~ kernel, a = sqrt(s^2 / (s^2 + var_K h^2)), with
/// distribution function F_h(x) = sum_j r_j K(R_j(x)), R_j(x) = (x - a x_j - (1 - a) mu) / (a h).
/// X(h) has the mean and variance of X whatever h (KE ch. 4).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Continuized {
    /// Score probabilities r_j of the scores 0..=J.
    pub probs: Vec<f64>,
    pub kernel: Kernel,
    /// Bandwidth h.
    pub h: f64,
    /// a = sqrt(s^2 / (s^2 + var_K h^2)).
    pub a: f64,
    /// Mean and variance of the discrete distribution (and of the continuized one).
    pub mean: f64,
    pub variance: f64,
}

pub(crate) fn moments(probs: &[f64]) -> (f64, f64) {
    let mean: f64 = probs.iter().enumerate().map(|(j, r)| j as f64 * r).sum();
    let var: f64 = probs
        .iter()
        .enumerate()
        .map(|(j, r)| (j as f64 - mean).powi(2) * r)
        .sum();
    (mean, var)
}

impl Continuized {
    /// Continuizes the probabilities `probs` of the scores 0..=J with bandwidth `h`.
    pub fn new(probs: &[f64], kernel: Kernel, h: f64) -> Result<Continuized, KernelError> {
        Continuized::named(probs, kernel, h, "score distribution")
    }

    pub(crate) fn named(
        probs: &[f64],
        kernel: Kernel,
        h: f64,
        what: &str,
    ) -> Result<Continuized, KernelError> {
        if !(h.is_finite() && h > 0.0) {
            return Err(KernelError::InvalidBandwidth {
                what: what.to_string(),
                value: h,
            });
        }
        let total: f64 = probs.iter().sum();
        if probs.is_empty() || total.is_nan() || total <= 0.0 {
            return Err(KernelError::EmptyDistribution {
                what: what.to_string(),
            });
        }
        let probs: Vec<f64> = probs.iter().map(|r| r / total).collect();
        let (mean, variance) = moments(&probs);
        if variance.is_nan() || variance <= 1e-12 {
            return Err(KernelError::ZeroVariance {
                what: what.to_string(),
            });
        }
        let a = (variance / (variance + kernel.variance() * h * h)).sqrt();
        Ok(Continuized {
            probs,
            kernel,
            h,
            a,
            mean,
            variance,
        })
    }

    /// R_j(x) = (x - a x_j - (1 - a) mu) / (a h) (ABW eq. 9).
    fn r(&self, x: f64, j: usize) -> f64 {
        (x - self.a * j as f64 - (1.0 - self.a) * self.mean) / (self.a * self.h)
    }

    /// F_h(x) = sum_j r_j K(R_j(x)) (ABW eq. 9).
    pub fn cdf(&self, x: f64) -> f64 {
        self.probs
            .iter()
            .enumerate()
            .map(|(j, r)| r * self.kernel.cdf(self.r(x, j)))
            .sum()
    }

    /// f_h(x) = sum_j r_j k(R_j(x)) / (a h), the derivative of F_h.
    pub fn pdf(&self, x: f64) -> f64 {
        self.probs
            .iter()
            .enumerate()
            .map(|(j, r)| r * self.kernel.pdf(self.r(x, j)))
            .sum::<f64>()
            / (self.a * self.h)
    }

    /// f_h'(x), used by the penalty PEN2.
    pub fn pdf_derivative(&self, x: f64) -> f64 {
        self.probs
            .iter()
            .enumerate()
            .map(|(j, r)| r * self.kernel.pdf_derivative(self.r(x, j)))
            .sum::<f64>()
            / (self.a * self.h).powi(2)
    }

    /// The x with F_h(x) = u, for 0 < u < 1 (bracketed Newton steps, bisection fallback).
    pub fn quantile(&self, u: f64) -> Result<f64, KernelError> {
        self.quantile_named(u, "score distribution")
    }

    pub(crate) fn quantile_named(&self, u: f64, what: &str) -> Result<f64, KernelError> {
        if !(u > 0.0 && u < 1.0) {
            return Err(KernelError::NotInvertible {
                what: what.to_string(),
                u,
            });
        }
        let top = (self.probs.len() - 1) as f64;
        let (mut lo, mut hi) = (-1.0, top + 1.0);
        let mut width = top + 2.0;
        let mut expansions = 0;
        while self.cdf(lo) > u || self.cdf(hi) < u {
            if expansions > 200 {
                return Err(KernelError::NotInvertible {
                    what: what.to_string(),
                    u,
                });
            }
            width *= 2.0;
            if self.cdf(lo) > u {
                lo -= width;
            }
            if self.cdf(hi) < u {
                hi += width;
            }
            expansions += 1;
        }
        let mut x = 0.5 * (lo + hi);
        for _ in 0..300 {
            let fx = self.cdf(x) - u;
            if fx == 0.0 {
                break;
            }
            if fx < 0.0 {
                lo = x;
            } else {
                hi = x;
            }
            let d = self.pdf(x);
            let newton = if d > 0.0 { x - fx / d } else { f64::NAN };
            if newton > lo && newton < hi {
                let step = newton - x;
                x = newton;
                if step.abs() <= 1e-12 * (1.0 + x.abs()) {
                    break;
                }
            } else {
                x = 0.5 * (lo + hi);
                if hi - lo <= 1e-13 * (1.0 + x.abs()) {
                    break;
                }
            }
        }
        Ok(x)
    }

    /// The gradient of F_h(x) in the score probabilities, dF_h(x)/dr_j = K(R_j(x)) - M_j(x) f_h(x)
    /// with M_j(x) = (1/2) (x - mu)(1 - a^2) ((x_j - mu)/s)^2 + (1 - a) x_j (KE ch. 5;
    /// the same for every kernel). Valid for directions that keep sum r_j = 1, which is how the
    /// C matrices use it.
    pub fn cdf_gradient(&self, x: f64) -> Vec<f64> {
        let f = self.pdf(x);
        let (mu, var, a) = (self.mean, self.variance, self.a);
        (0..self.probs.len())
            .map(|j| {
                let xj = j as f64;
                let m = 0.5 * (x - mu) * (1.0 - a * a) * (xj - mu).powi(2) / var + (1.0 - a) * xj;
                self.kernel.cdf(self.r(x, j)) - m * f
            })
            .collect()
    }
}

/// PEN1(h) = sum_j (r_j - f_h(x_j))^2 (KE ch. 4; first term of ABW eq. 11).
pub fn pen1(probs: &[f64], kernel: Kernel, h: f64) -> Result<f64, KernelError> {
    let c = Continuized::new(probs, kernel, h)?;
    Ok(pen1_of(&c))
}

fn pen1_of(c: &Continuized) -> f64 {
    c.probs
        .iter()
        .enumerate()
        .map(|(j, r)| (r - c.pdf(j as f64)).powi(2))
        .sum()
}

/// PEN2(h) = sum_j A_j (1 - B_j) (KE ch. 4; second term of ABW eq. 11): the number of scores x_j near which the
/// density has a local minimum, f_h' < 0 at x_j - 1/4 and f_h' > 0 at x_j + 1/4 (as SNSequate
/// and kequate's `wpen = 1/4`). Always 0 for the uniform kernel, whose density is flat.
pub fn pen2(probs: &[f64], kernel: Kernel, h: f64) -> Result<f64, KernelError> {
    let c = Continuized::new(probs, kernel, h)?;
    Ok(pen2_of(&c))
}

fn pen2_of(c: &Continuized) -> f64 {
    (0..c.probs.len())
        .filter(|&j| {
            let x = j as f64;
            c.pdf_derivative(x - 0.25) < 0.0 && c.pdf_derivative(x + 0.25) > 0.0
        })
        .count() as f64
}

/// Bandwidth search interval and grid step.
const H_MIN: f64 = 0.05;
const H_MAX: f64 = 3.0;
const H_STEP: f64 = 0.01;

/// The bandwidth minimising PEN1(h) + kappa PEN2(h) (ABW eq. 11) over (0, 3] (SNSequate's
/// interval): the best point of a 0.01 grid from 0.05, refined by golden-section search
/// between its neighbours.
pub fn optimal_bandwidth(probs: &[f64], kernel: Kernel, kappa: f64) -> Result<f64, KernelError> {
    optimal_bandwidth_named(probs, kernel, kappa, "score distribution")
}

pub(crate) fn optimal_bandwidth_named(
    probs: &[f64],
    kernel: Kernel,
    kappa: f64,
    what: &str,
) -> Result<f64, KernelError> {
    let pen = |h: f64| -> Result<f64, KernelError> {
        let c = Continuized::named(probs, kernel, h, what)?;
        let p2 = if kappa != 0.0 {
            kappa * pen2_of(&c)
        } else {
            0.0
        };
        Ok(pen1_of(&c) + p2)
    };
    let steps = ((H_MAX - H_MIN) / H_STEP).round() as usize;
    let grid: Vec<f64> = (0..=steps).map(|i| H_MIN + i as f64 * H_STEP).collect();
    let mut best = (0, f64::INFINITY);
    for (i, &h) in grid.iter().enumerate() {
        let v = pen(h)?;
        if v < best.1 {
            best = (i, v);
        }
    }
    let (mut lo, mut hi) = (
        grid[best.0.saturating_sub(1)],
        grid[(best.0 + 1).min(grid.len() - 1)],
    );
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (hi - g * (hi - lo), lo + g * (hi - lo));
    let (mut fc, mut fd) = (pen(c)?, pen(d)?);
    while hi - lo > 1e-9 {
        if fc <= fd {
            hi = d;
            d = c;
            fd = fc;
            c = hi - g * (hi - lo);
            fc = pen(c)?;
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + g * (hi - lo);
            fd = pen(d)?;
        }
    }
    let h = 0.5 * (lo + hi);
    // Keep the grid point if the refinement landed on a worse value (PEN2 is a step function).
    Ok(if pen(h)? <= best.1 { h } else { grid[best.0] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs() -> Vec<f64> {
        let f = [2.0, 5.0, 11.0, 20.0, 31.0, 38.0, 35.0, 27.0, 18.0, 9.0, 4.0];
        let n: f64 = f.iter().sum();
        f.iter().map(|v| v / n).collect()
    }

    // derivative: dF_h(x)/dr (KE ch. 5) against central differences of F_h(x) along
    // directions that keep sum r = 1 (mean, variance and a recomputed), for every kernel.
    #[test]
    fn cdf_gradient_matches_finite_differences() {
        let r = probs();
        let dirs: Vec<Vec<f64>> = (0..r.len())
            .map(|j| {
                (0..r.len())
                    .map(|i| if i == j { 1.0 } else { 0.0 } - r[i])
                    .collect()
            })
            .collect();
        for kernel in [Kernel::Gaussian, Kernel::Logistic, Kernel::Uniform] {
            let h = if kernel == Kernel::Uniform { 1.3 } else { 0.7 };
            for x in [-0.4, 2.2, 5.0, 7.7, 10.3] {
                let grad = Continuized::new(&r, kernel, h).unwrap().cdf_gradient(x);
                for (j, d) in dirs.iter().enumerate() {
                    let eps = 1e-6;
                    let shifted = |s: f64| -> f64 {
                        let p: Vec<f64> = r.iter().zip(d).map(|(a, b)| a + s * b).collect();
                        Continuized::new(&p, kernel, h).unwrap().cdf(x)
                    };
                    let fd = (shifted(eps) - shifted(-eps)) / (2.0 * eps);
                    let an: f64 = grad.iter().zip(d).map(|(g, b)| g * b).sum();
                    assert!(
                        (fd - an).abs() < 1e-6,
                        "{kernel:?} dF({x})/dr along e_{j}: analytic {an}, finite difference {fd}"
                    );
                }
            }
        }
    }

    // derivative: the density and its derivative are the derivatives of the CDF and density.
    #[test]
    fn pdf_and_its_derivative_match_finite_differences() {
        let r = probs();
        for kernel in [Kernel::Gaussian, Kernel::Logistic] {
            let c = Continuized::new(&r, kernel, 0.6).unwrap();
            for x in [-1.0, 0.3, 4.6, 9.9] {
                let e = 1e-5;
                let fd_pdf = (c.cdf(x + e) - c.cdf(x - e)) / (2.0 * e);
                let fd_der = (c.pdf(x + e) - c.pdf(x - e)) / (2.0 * e);
                assert!((fd_pdf - c.pdf(x)).abs() < 1e-8, "{kernel:?} f({x})");
                assert!(
                    (fd_der - c.pdf_derivative(x)).abs() < 1e-7,
                    "{kernel:?} f'({x})"
                );
            }
        }
    }

    // property: quantile inverts the CDF.
    #[test]
    fn quantile_inverts_cdf() {
        let r = probs();
        for kernel in [Kernel::Gaussian, Kernel::Logistic, Kernel::Uniform] {
            let c = Continuized::new(&r, kernel, 1.1).unwrap();
            for u in [1e-6, 0.01, 0.3, 0.5, 0.77, 0.999] {
                let x = c.quantile(u).unwrap();
                assert!((c.cdf(x) - u).abs() < 1e-12, "{kernel:?} F(F^-1({u}))");
            }
            assert!(c.quantile(0.0).is_err() && c.quantile(1.0).is_err());
        }
    }
}
