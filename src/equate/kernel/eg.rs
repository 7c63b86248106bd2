//! Kernel equating in the equivalent-groups (EG) design (KE ch. 7), the equating engine shared
//! with the NEAT designs, the SEED (ABW eq. 20) and the PRE (ABW eq. 21).

use nalgebra::DMatrix;

use super::continuization::{optimal_bandwidth_named, Continuized, Kernel};
use super::loglinear::{loglinear_fit_named, LogLinearFit};
use super::KernelError;

/// Bandwidth h: chosen by the penalty function, given, or large enough for the kernel
/// equating to be the linear equating function (KE Theorem 4.5).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bandwidth {
    /// Minimises PEN1 + kappa PEN2 ([`super::optimal_bandwidth`]).
    Optimal,
    Fixed(f64),
    /// h = 1000 s (s the score SD): e_Y(x) is then the linear equating function to ~1e-6.
    Linear,
}

/// Factor of the score SD used for [`Bandwidth::Linear`].
pub(crate) const LINEAR_H_FACTOR: f64 = 1000.0;

pub(crate) fn resolve_bandwidth(
    probs: &[f64],
    kernel: Kernel,
    bandwidth: Bandwidth,
    kappa: f64,
    what: &str,
) -> Result<f64, KernelError> {
    match bandwidth {
        Bandwidth::Optimal => optimal_bandwidth_named(probs, kernel, kappa, what),
        Bandwidth::Fixed(h) => Ok(h),
        Bandwidth::Linear => {
            let (_, var) = super::continuization::moments(probs);
            Ok(LINEAR_H_FACTOR * var.sqrt())
        }
    }
}

/// Options of an EG kernel equating.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct KernelOptions {
    /// Number of power moments of the log-linear presmoothing of X and of Y.
    pub smooth_x: usize,
    pub smooth_y: usize,
    pub kernel: Kernel,
    pub bandwidth_x: Bandwidth,
    pub bandwidth_y: Bandwidth,
    /// Weight of PEN2 in the bandwidth penalty (0 = PEN1 alone, as kequate's default; SNSequate
    /// uses 1).
    pub kappa: f64,
}

impl KernelOptions {
    /// Gaussian kernel, optimal bandwidths by PEN1.
    pub fn new(smooth_x: usize, smooth_y: usize) -> KernelOptions {
        KernelOptions {
            smooth_x,
            smooth_y,
            kernel: Kernel::Gaussian,
            bandwidth_x: Bandwidth::Optimal,
            bandwidth_y: Bandwidth::Optimal,
            kappa: 0.0,
        }
    }
}

/// Percent relative error of the p-th moment (KE ch. 4; ABW eq. 21):
/// PRE(p) = 100 (mu_p(e_Y(X)) - mu_p(Y)) / mu_p(Y), and the same for e_X(Y) against X.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PreRow {
    pub moment: usize,
    /// PRE of e_Y(x) (X equated to Y's scale).
    pub pre_yx: f64,
    /// PRE of e_X(y).
    pub pre_xy: f64,
}

/// A kernel equating of X (scores 0..=J) and Y (0..=K) in both directions, with SEEs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KernelEquating {
    pub kernel: Kernel,
    pub h_x: f64,
    pub h_y: f64,
    pub a_x: f64,
    pub a_y: f64,
    /// Presmoothed X and Y distributions (r and s).
    pub fit_x: LogLinearFit,
    pub fit_y: LogLinearFit,
    /// e_Y(x) for x = 0..=J and its SEE.
    pub e_y: Vec<f64>,
    pub see_y: Vec<f64>,
    /// e_X(y) for y = 0..=K and its SEE.
    pub e_x: Vec<f64>,
    pub see_x: Vec<f64>,
    /// PRE for moments 1..=10.
    pub pre: Vec<PreRow>,
    /// Rows J_eY J_DF C for x = 0..=J (their norms are `see_y`); used by [`seed`].
    #[serde(skip)]
    pub see_vectors_y: DMatrix<f64>,
    #[serde(skip)]
    pub see_vectors_x: DMatrix<f64>,
}

/// Equated scores and the rows J_e J_DF C of one direction: `from` is equated onto `to`'s
/// scale, e(x) = to^-1(from(x)); `from_u` and `to_u` are the Jacobians of the two score
/// distributions in the underlying noise (J_DF C), one row per score.
pub(crate) fn equate_direction(
    from: &Continuized,
    from_u: &DMatrix<f64>,
    to: &Continuized,
    to_u: &DMatrix<f64>,
    to_name: &str,
) -> Result<(Vec<f64>, DMatrix<f64>), KernelError> {
    let n = from.probs.len();
    let dim = from_u.ncols();
    let mut e = Vec::with_capacity(n);
    let mut rows = DMatrix::zeros(n, dim);
    for x in 0..n {
        let xs = x as f64;
        let u = from.cdf(xs);
        let ex = to.quantile_named(u, to_name)?;
        let g = to.pdf(ex);
        if g.is_nan() || g <= 1e-300 {
            return Err(KernelError::ZeroDensity {
                what: to_name.to_string(),
                score: ex,
            });
        }
        // de/d(noise) = [dF(x)/dr U_r - dG(e)/ds U_s] / g(e)  (KE ch. 5; ABW eqs. 17-19).
        let df = from.cdf_gradient(xs);
        let dg = to.cdf_gradient(ex);
        for k in 0..dim {
            let a: f64 = df.iter().enumerate().map(|(j, d)| d * from_u[(j, k)]).sum();
            let b: f64 = dg.iter().enumerate().map(|(j, d)| d * to_u[(j, k)]).sum();
            rows[(x, k)] = (a - b) / g;
        }
        e.push(ex);
    }
    Ok((e, rows))
}

pub(crate) fn row_norms(m: &DMatrix<f64>) -> Vec<f64> {
    m.row_iter().map(|r| r.norm()).collect()
}

/// PRE(p), p = 1..=10, of e_Y(x) (from r, against s) and of e_X(y) (from s, against r).
pub(crate) fn pre_table(r: &[f64], s: &[f64], e_y: &[f64], e_x: &[f64]) -> Vec<PreRow> {
    let moment = |vals: &mut dyn Iterator<Item = f64>, probs: &[f64], p: i32| -> f64 {
        vals.zip(probs).map(|(v, w)| v.powi(p) * w).sum()
    };
    (1..=10)
        .map(|p| {
            let mu_y = moment(&mut (0..s.len()).map(|k| k as f64), s, p);
            let mu_x = moment(&mut (0..r.len()).map(|j| j as f64), r, p);
            let mu_ey = moment(&mut e_y.iter().copied(), r, p);
            let mu_ex = moment(&mut e_x.iter().copied(), s, p);
            PreRow {
                moment: p as usize,
                pre_yx: 100.0 * (mu_ey - mu_y) / mu_y,
                pre_xy: 100.0 * (mu_ex - mu_x) / mu_x,
            }
        })
        .collect()
}

/// Kernel equating in the equivalent-groups design (KE ch. 7): the frequencies of X (scores
/// 0..=J) and Y (0..=K) are presmoothed by univariate log-linear models, continuized, and
/// equated both ways, e_Y(x) = G_hY^-1(F_hX(x)) and e_X(y) = F_hX^-1(G_hY(y)) (ABW eq. 12),
/// with SEE = ||J_e C|| (ABW eq. 19; the EG design function is the identity) and the PRE.
pub fn kernel_equate_eg(
    x_freq: &[f64],
    y_freq: &[f64],
    opts: &KernelOptions,
) -> Result<KernelEquating, KernelError> {
    let fit_x = loglinear_fit_named(x_freq, opts.smooth_x, "form X")?;
    let fit_y = loglinear_fit_named(y_freq, opts.smooth_y, "form Y")?;
    let h_x = resolve_bandwidth(
        &fit_x.fitted,
        opts.kernel,
        opts.bandwidth_x,
        opts.kappa,
        "form X",
    )?;
    let h_y = resolve_bandwidth(
        &fit_y.fitted,
        opts.kernel,
        opts.bandwidth_y,
        opts.kappa,
        "form Y",
    )?;
    let f = Continuized::named(&fit_x.fitted, opts.kernel, h_x, "form X")?;
    let g = Continuized::named(&fit_y.fitted, opts.kernel, h_y, "form Y")?;
    // Noise of dimension T_X + T_Y: r = C_r z_1, s = C_s z_2 (independent samples).
    let (tx, ty) = (fit_x.c_matrix.ncols(), fit_y.c_matrix.ncols());
    let mut u_r = DMatrix::zeros(x_freq.len(), tx + ty);
    u_r.columns_mut(0, tx).copy_from(&fit_x.c_matrix);
    let mut u_s = DMatrix::zeros(y_freq.len(), tx + ty);
    u_s.columns_mut(tx, ty).copy_from(&fit_y.c_matrix);
    let (e_y, see_vectors_y) = equate_direction(&f, &u_r, &g, &u_s, "form Y")?;
    let (e_x, see_vectors_x) = equate_direction(&g, &u_s, &f, &u_r, "form X")?;
    let pre = pre_table(&fit_x.fitted, &fit_y.fitted, &e_y, &e_x);
    Ok(KernelEquating {
        kernel: opts.kernel,
        h_x,
        h_y,
        a_x: f.a,
        a_y: g.a,
        see_y: row_norms(&see_vectors_y),
        see_x: row_norms(&see_vectors_x),
        e_y,
        e_x,
        pre,
        fit_x,
        fit_y,
        see_vectors_y,
        see_vectors_x,
    })
}

/// Difference between two equatings of the same data and its standard error (ABW eq. 20):
/// SEED(x) = ||J_e1 J_DF C - J_e2 J_DF C||.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Seed {
    /// e_Y,1(x) - e_Y,2(x) for x = 0..=J, and its SEED.
    pub diff_y: Vec<f64>,
    pub seed_y: Vec<f64>,
    /// e_X,1(y) - e_X,2(y) for y = 0..=K, and its SEED.
    pub diff_x: Vec<f64>,
    pub seed_x: Vec<f64>,
}

/// The SEED of two EG kernel equatings computed from the same presmoothed distributions (for
/// example an optimal and a [`Bandwidth::Linear`] bandwidth, as KE's Figure 7.7).
pub fn seed(first: &KernelEquating, second: &KernelEquating) -> Result<Seed, KernelError> {
    let same = |a: &LogLinearFit, b: &LogLinearFit| {
        a.fitted.len() == b.fitted.len()
            && a.c_matrix.shape() == b.c_matrix.shape()
            && a.fitted
                .iter()
                .zip(&b.fitted)
                .all(|(p, q)| (p - q).abs() <= 1e-12)
    };
    if !same(&first.fit_x, &second.fit_x) || !same(&first.fit_y, &second.fit_y) {
        return Err(KernelError::SeedMismatch(
            "the two equatings must use the same presmoothed X and Y distributions (same data and moments)"
                .to_string(),
        ));
    }
    let diff = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p - q).collect();
    Ok(Seed {
        diff_y: diff(&first.e_y, &second.e_y),
        seed_y: row_norms(&(&first.see_vectors_y - &second.see_vectors_y)),
        diff_x: diff(&first.e_x, &second.e_x),
        seed_x: row_norms(&(&first.see_vectors_x - &second.see_vectors_x)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: [f64; 13] = [
        2.0, 6.0, 15.0, 30.0, 52.0, 70.0, 81.0, 77.0, 60.0, 41.0, 24.0, 10.0, 4.0,
    ];
    const Y: [f64; 16] = [
        1.0, 3.0, 9.0, 18.0, 33.0, 47.0, 60.0, 66.0, 64.0, 55.0, 42.0, 29.0, 18.0, 9.0, 4.0, 2.0,
    ];

    // derivative: each row J_e C of the SEE is the derivative of the equated score when r (or
    // s) moves along a column of its C matrix, bandwidths fixed; checked by central
    // differences of the whole equating function, both directions, every kernel.
    #[test]
    fn see_vectors_match_finite_differences_of_the_equating_function() {
        for kernel in [Kernel::Gaussian, Kernel::Logistic, Kernel::Uniform] {
            let mut opts = KernelOptions::new(3, 2);
            opts.kernel = kernel;
            let eq = kernel_equate_eg(&X, &Y, &opts).unwrap();
            let (tx, ty) = (eq.fit_x.moments, eq.fit_y.moments);
            for k in 0..tx + ty {
                let eps = 1e-4;
                let perturbed = |s: f64| {
                    let mut r = eq.fit_x.fitted.clone();
                    let mut q = eq.fit_y.fitted.clone();
                    if k < tx {
                        for (j, v) in r.iter_mut().enumerate() {
                            *v += s * eq.fit_x.c_matrix[(j, k)];
                        }
                    } else {
                        for (j, v) in q.iter_mut().enumerate() {
                            *v += s * eq.fit_y.c_matrix[(j, k - tx)];
                        }
                    }
                    let f = Continuized::new(&r, kernel, eq.h_x).unwrap();
                    let g = Continuized::new(&q, kernel, eq.h_y).unwrap();
                    let ey: Vec<f64> = (0..X.len())
                        .map(|x| g.quantile(f.cdf(x as f64)).unwrap())
                        .collect();
                    let ex: Vec<f64> = (0..Y.len())
                        .map(|y| f.quantile(g.cdf(y as f64)).unwrap())
                        .collect();
                    (ey, ex)
                };
                let ((ey1, ex1), (ey0, ex0)) = (perturbed(eps), perturbed(-eps));
                for x in 0..X.len() {
                    let fd = (ey1[x] - ey0[x]) / (2.0 * eps);
                    let an = eq.see_vectors_y[(x, k)];
                    assert!(
                        (fd - an).abs() < 1e-5 * (1.0 + an.abs()),
                        "{kernel:?} d e_Y({x}) / d z_{k}: analytic {an}, finite difference {fd}"
                    );
                }
                for y in 0..Y.len() {
                    let fd = (ex1[y] - ex0[y]) / (2.0 * eps);
                    let an = eq.see_vectors_x[(y, k)];
                    assert!(
                        (fd - an).abs() < 1e-5 * (1.0 + an.abs()),
                        "{kernel:?} d e_X({y}) / d z_{k}: analytic {an}, finite difference {fd}"
                    );
                }
            }
        }
    }
}
