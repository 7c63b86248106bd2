//! Polynomial log-linear presmoothing (KE ch. 3; Holland & Thayer 2000) of univariate and
//! bivariate score distributions, fitted by maximum likelihood (Newton-Raphson), with the C
//! matrix of the fitted probabilities.

use nalgebra::{DMatrix, DVector};

use super::KernelError;

/// Newton-Raphson stops when every fitted moment (in an orthonormal polynomial basis) matches
/// the observed one to this tolerance (per examinee).
const MOMENT_TOL: f64 = 1e-10;
const MAX_ITER: usize = 100;

/// A univariate log-linear fit: log r_j = alpha + sum_{t=1..T} beta_t x_j^t (KE ch. 3; ABW eq. 7),
/// fitted to the frequencies of scores 0..=J.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogLinearFit {
    /// Fitted score probabilities r_j, j = 0..=J (they sum to 1).
    pub fitted: Vec<f64>,
    /// Number of examinees N.
    pub n: f64,
    /// Number of power moments fitted (T); the fit reproduces the first T sample moments.
    pub moments: usize,
    /// Multinomial log-likelihood sum_j n_j log r_j.
    pub log_likelihood: f64,
    /// AIC = -2 log-likelihood + 2 T.
    pub aic: f64,
    /// Newton-Raphson iterations used.
    pub iterations: usize,
    /// The (J+1) x T matrix C with Cov(r) = C C^T (KE ch. 3, C = N^-1/2 D_r^1/2 Q; ABW eq. 14); its
    /// columns sum to zero.
    #[serde(skip)]
    pub c_matrix: DMatrix<f64>,
}

impl LogLinearFit {
    /// Fitted frequencies N r_j.
    pub fn fitted_frequencies(&self) -> Vec<f64> {
        self.fitted.iter().map(|r| r * self.n).collect()
    }
}

/// Terms of a bivariate log-linear model for (X, A) (ABW eq. 7; kequate's and SNSequate's
/// `degreeXA = c(T_X, T_A, I_X, I_A)`): powers x^1..x^T_X, a^1..a^T_A and the cross moments
/// x^i a^i' for i = 1..=I_X, i' = 1..=I_A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BivariateModel {
    pub moments_x: usize,
    pub moments_a: usize,
    pub cross_x: usize,
    pub cross_a: usize,
}

/// A bivariate log-linear fit of the joint distribution of total X (0..=J) and anchor A (0..=L).
#[derive(Debug, Clone, serde::Serialize)]
pub struct BivariateFit {
    /// Fitted joint probabilities p_jl, stored with X varying fastest: index l (J+1) + j.
    pub fitted: Vec<f64>,
    pub n_x: usize,
    pub n_a: usize,
    /// Number of examinees.
    pub n: f64,
    pub model: BivariateModel,
    pub log_likelihood: f64,
    pub aic: f64,
    pub iterations: usize,
    /// ((J+1)(L+1)) x T matrix C with Cov(vec p) = C C^T, rows in the order of `fitted`.
    #[serde(skip)]
    pub c_matrix: DMatrix<f64>,
}

impl BivariateFit {
    /// Fitted probability of X = j and A = l.
    pub fn p(&self, j: usize, l: usize) -> f64 {
        self.fitted[l * self.n_x + j]
    }
    /// Marginal distribution of X (r_j = sum_l p_jl).
    pub fn marginal_x(&self) -> Vec<f64> {
        (0..self.n_x)
            .map(|j| (0..self.n_a).map(|l| self.p(j, l)).sum())
            .collect()
    }
    /// Marginal distribution of the anchor (t_l = sum_j p_jl).
    pub fn marginal_a(&self) -> Vec<f64> {
        (0..self.n_a)
            .map(|l| (0..self.n_x).map(|j| self.p(j, l)).sum())
            .collect()
    }
}

struct CoreFit {
    probs: Vec<f64>,
    c: DMatrix<f64>,
    log_likelihood: f64,
    iterations: usize,
}

fn check_counts(counts: &[f64], what: &str) -> Result<f64, KernelError> {
    for (score, &value) in counts.iter().enumerate() {
        if !value.is_finite() || value < 0.0 {
            return Err(KernelError::InvalidFrequency {
                what: what.to_string(),
                score,
                value,
            });
        }
    }
    let n: f64 = counts.iter().sum();
    if n <= 0.0 {
        return Err(KernelError::EmptyDistribution {
            what: what.to_string(),
        });
    }
    Ok(n)
}

/// Softmax of the linear predictor.
fn probabilities(eta: &DVector<f64>) -> DVector<f64> {
    let max = eta.max();
    let e = eta.map(|v| (v - max).exp());
    let s = e.sum();
    e / s
}

/// Maximum-likelihood fit of log p = alpha + B beta to the counts (multinomial sampling), and
/// the C matrix (KE ch. 3). `design` holds the cells' values of the model terms (no
/// intercept column).
fn fit_design(counts: &[f64], design: &DMatrix<f64>, what: &str) -> Result<CoreFit, KernelError> {
    let n = check_counts(counts, what)?;
    let m = counts.len();
    let t = design.ncols();
    // Orthonormal basis of span{1, design}: same model, well-conditioned Newton steps.
    let mut full = DMatrix::from_element(m, t + 1, 1.0);
    full.columns_mut(1, t).copy_from(design);
    let qr = full.qr();
    let rdiag = qr.r().diagonal().map(f64::abs);
    let scale = rdiag.max();
    if rdiag.iter().any(|&d| d <= 1e-10 * scale) {
        return Err(KernelError::SingularInformation {
            what: what.to_string(),
        });
    }
    let basis = qr.q().columns(1, t).into_owned();
    let observed = DVector::from_iterator(m, counts.iter().map(|c| c / n));
    let target = basis.transpose() * &observed;
    // Log-likelihood per examinee, up to a constant.
    let loglik = |eta: &DVector<f64>| -> f64 {
        let max = eta.max();
        let lse = max + eta.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        observed.dot(eta) - lse
    };
    let mut beta = DVector::zeros(t);
    let mut iterations = 0;
    let mut residual = f64::INFINITY;
    while iterations < MAX_ITER {
        let eta = &basis * &beta;
        let p = probabilities(&eta);
        let grad = &target - basis.transpose() * &p;
        residual = grad.amax();
        if residual < MOMENT_TOL {
            break;
        }
        iterations += 1;
        // Information per examinee: B^T (D_p - p p^T) B.
        let bp = basis.transpose() * &p;
        let mut weighted = basis.clone();
        for (i, mut row) in weighted.row_iter_mut().enumerate() {
            row *= p[i].sqrt();
        }
        let info = weighted.transpose() * &weighted - &bp * bp.transpose();
        let step = info
            .cholesky()
            .ok_or_else(|| KernelError::SingularInformation {
                what: what.to_string(),
            })?
            .solve(&grad);
        // Step halving on a genuine decrease of the log-likelihood (not on rounding noise).
        let current = loglik(&eta);
        let noise = 1e-13 * (1.0 + current.abs());
        let mut size = 1.0;
        let mut next = &beta + &step;
        for _ in 0..50 {
            if loglik(&(&basis * &next)) >= current - noise {
                break;
            }
            size *= 0.5;
            next = &beta + size * &step;
        }
        beta = next;
        if size * step.amax() < 1e-13 * (1.0 + beta.amax()) && residual < 1e-8 {
            // At the rounding floor: the moments cannot be matched more closely.
            residual = 0.0;
            break;
        }
    }
    if residual >= MOMENT_TOL {
        return Err(KernelError::NotConverged {
            what: what.to_string(),
            iterations,
            residual,
        });
    }
    let p = probabilities(&(&basis * &beta));
    let probs: Vec<f64> = p.iter().copied().collect();
    let log_likelihood = counts
        .iter()
        .zip(&probs)
        .map(|(&c, &pr)| if c > 0.0 { c * pr.ln() } else { 0.0 })
        .sum();
    // C = N^-1/2 D^1/2 Q with Q from the QR decomposition of (D^1/2 - sqrt(p) p^T) B (KE ch. 3):
    // then C C^T = N^-1 (D - p p^T) B [B^T (D - p p^T) B]^-1 B^T (D - p p^T), the asymptotic
    // covariance of the fitted probabilities (KE ch. 3).
    let sqrt_p = p.map(f64::sqrt);
    let pb = basis.transpose() * &p;
    let mut a = DMatrix::zeros(m, t);
    for i in 0..m {
        for k in 0..t {
            a[(i, k)] = sqrt_p[i] * basis[(i, k)] - sqrt_p[i] * pb[k];
        }
    }
    let q = a.qr().q();
    let mut c = DMatrix::zeros(m, t);
    for i in 0..m {
        for k in 0..t {
            c[(i, k)] = sqrt_p[i] * q[(i, k)] / n.sqrt();
        }
    }
    Ok(CoreFit {
        probs,
        c,
        log_likelihood,
        iterations,
    })
}

/// Scores rescaled to [-1, 1] before taking powers (same model, better conditioning).
fn unit_scores(len: usize) -> Vec<f64> {
    let half = ((len.max(2) - 1) as f64) / 2.0;
    (0..len).map(|x| (x as f64 - half) / half).collect()
}

/// Fits the polynomial log-linear model log r_j = alpha + sum_{t=1..moments} beta_t x_j^t to
/// the frequencies of scores 0..=J by maximum likelihood (Newton-Raphson; KE ch. 3, Holland &
/// Thayer 2000). The fitted distribution keeps the first `moments` sample moments.
pub fn loglinear_fit(freq: &[f64], moments: usize) -> Result<LogLinearFit, KernelError> {
    loglinear_fit_named(freq, moments, "score distribution")
}

pub(crate) fn loglinear_fit_named(
    freq: &[f64],
    moments: usize,
    what: &str,
) -> Result<LogLinearFit, KernelError> {
    if moments == 0 {
        return Err(KernelError::NoMoments {
            what: what.to_string(),
        });
    }
    let max = freq.len().saturating_sub(1);
    if moments > max {
        return Err(KernelError::TooManyMoments {
            what: what.to_string(),
            requested: moments,
            scores: freq.len(),
            max,
        });
    }
    let u = unit_scores(freq.len());
    let design = DMatrix::from_fn(freq.len(), moments, |i, k| u[i].powi(k as i32 + 1));
    let core = fit_design(freq, &design, what)?;
    Ok(LogLinearFit {
        n: freq.iter().sum(),
        moments,
        aic: -2.0 * core.log_likelihood + 2.0 * moments as f64,
        log_likelihood: core.log_likelihood,
        iterations: core.iterations,
        fitted: core.probs,
        c_matrix: core.c,
    })
}

/// Fits a bivariate polynomial log-linear model (ABW eq. 7) to the joint frequencies
/// `joint[j][l]` of total score X = j (0..=J) and anchor score A = l (0..=L), by maximum
/// likelihood. The fit keeps the marginal moments up to `moments_x` / `moments_a` and the cross
/// moments E(X^i A^i') for i <= `cross_x`, i' <= `cross_a`.
pub fn bivariate_loglinear_fit(
    joint: &[Vec<f64>],
    model: BivariateModel,
) -> Result<BivariateFit, KernelError> {
    bivariate_fit_named(joint, model, "joint (X, A) distribution")
}

pub(crate) fn bivariate_fit_named(
    joint: &[Vec<f64>],
    model: BivariateModel,
    what: &str,
) -> Result<BivariateFit, KernelError> {
    let n_x = joint.len();
    let n_a = joint.first().map_or(0, Vec::len);
    for (row, r) in joint.iter().enumerate() {
        if r.len() != n_a {
            return Err(KernelError::RaggedTable {
                what: what.to_string(),
                row,
                found: r.len(),
                expected: n_a,
            });
        }
    }
    if model.moments_x == 0 || model.moments_a == 0 {
        return Err(KernelError::NoMoments {
            what: what.to_string(),
        });
    }
    for (requested, len) in [(model.moments_x, n_x), (model.moments_a, n_a)] {
        let max = len.saturating_sub(1);
        if requested > max {
            return Err(KernelError::TooManyMoments {
                what: what.to_string(),
                requested,
                scores: len,
                max,
            });
        }
    }
    let (ux, ua) = (unit_scores(n_x), unit_scores(n_a));
    let cells = n_x * n_a;
    let t = model.moments_x + model.moments_a + model.cross_x * model.cross_a;
    let mut design = DMatrix::zeros(cells, t);
    let mut counts = vec![0.0; cells];
    for l in 0..n_a {
        for j in 0..n_x {
            let i = l * n_x + j;
            counts[i] = joint[j][l];
            let mut k = 0;
            for d in 1..=model.moments_x {
                design[(i, k)] = ux[j].powi(d as i32);
                k += 1;
            }
            for d in 1..=model.moments_a {
                design[(i, k)] = ua[l].powi(d as i32);
                k += 1;
            }
            for dx in 1..=model.cross_x {
                for da in 1..=model.cross_a {
                    design[(i, k)] = ux[j].powi(dx as i32) * ua[l].powi(da as i32);
                    k += 1;
                }
            }
        }
    }
    let core = fit_design(&counts, &design, what)?;
    Ok(BivariateFit {
        n: counts.iter().sum(),
        n_x,
        n_a,
        model,
        aic: -2.0 * core.log_likelihood + 2.0 * t as f64,
        log_likelihood: core.log_likelihood,
        iterations: core.iterations,
        fitted: core.probs,
        c_matrix: core.c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: [f64; 16] = [
        0.0, 3.0, 9.0, 18.0, 33.0, 47.0, 60.0, 66.0, 64.0, 55.0, 42.0, 29.0, 18.0, 9.0, 4.0, 2.0,
    ];

    // property: the ML fit reproduces the first T raw sample moments (Holland & Thayer 2000)
    // and no higher one in general.
    #[test]
    fn fit_preserves_the_first_moments() {
        let n: f64 = F.iter().sum();
        for t in 1..=5 {
            let fit = loglinear_fit(&F, t).unwrap();
            for p in 1..=t {
                let obs: f64 = F
                    .iter()
                    .enumerate()
                    .map(|(x, c)| (x as f64).powi(p as i32) * c / n)
                    .sum();
                let fitted: f64 = fit
                    .fitted
                    .iter()
                    .enumerate()
                    .map(|(x, r)| (x as f64).powi(p as i32) * r)
                    .sum();
                assert!(
                    (obs - fitted).abs() < 1e-8 * obs,
                    "moment {p} of a {t}-moment fit: observed {obs}, fitted {fitted}"
                );
            }
            assert!((fit.fitted.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    // property: C C^T equals KE's covariance of the fitted probabilities (KE ch. 3),
    // (D - r r^T) B [B^T (D - r r^T) B]^-1 B^T (D - r r^T) / N, computed here directly from the
    // raw powers x^t (a different basis from the fit's), and the columns of C sum to zero.
    #[test]
    fn c_matrix_reproduces_the_covariance_formula() {
        let n: f64 = F.iter().sum();
        let t = 3;
        let fit = loglinear_fit(&F, t).unwrap();
        let m = F.len();
        let r = DVector::from_column_slice(&fit.fitted);
        let d = DMatrix::from_diagonal(&r);
        let s = &d - &r * r.transpose();
        let b = DMatrix::from_fn(m, t, |i, k| (i as f64).powi(k as i32 + 1));
        let inner = (b.transpose() * &s * &b).try_inverse().unwrap();
        let cov = &s * &b * inner * b.transpose() * &s / n;
        let cct = &fit.c_matrix * fit.c_matrix.transpose();
        let scale = cov.amax();
        for i in 0..m {
            for j in 0..m {
                assert!(
                    (cov[(i, j)] - cct[(i, j)]).abs() < 1e-9 * scale,
                    "Cov(r_{i}, r_{j}): formula {}, C C^T {}",
                    cov[(i, j)],
                    cct[(i, j)]
                );
            }
        }
        for k in 0..t {
            assert!(
                fit.c_matrix.column(k).sum().abs() < 1e-14,
                "column {k} of C sums to 0"
            );
        }
    }

    // property: the bivariate fit keeps the marginal moments and the cross moment E(XA).
    #[test]
    fn bivariate_fit_preserves_marginal_and_cross_moments() {
        let joint: Vec<Vec<f64>> = (0..9)
            .map(|j| {
                (0..5)
                    .map(|l| ((j * 3 + l * 5 + j * l) % 11 + (j + l) % 3) as f64)
                    .collect()
            })
            .collect();
        let model = BivariateModel {
            moments_x: 2,
            moments_a: 2,
            cross_x: 1,
            cross_a: 1,
        };
        let fit = bivariate_loglinear_fit(&joint, model).unwrap();
        let n: f64 = joint.iter().flatten().sum();
        let moment = |g: &dyn Fn(f64, f64) -> f64, p: &dyn Fn(usize, usize) -> f64| -> f64 {
            (0..9)
                .flat_map(|j| (0..5).map(move |l| (j, l)))
                .map(|(j, l)| g(j as f64, l as f64) * p(j, l))
                .sum()
        };
        let obs = |j: usize, l: usize| joint[j][l] / n;
        let fitted = |j: usize, l: usize| fit.p(j, l);
        type Term<'a> = (&'a str, &'a dyn Fn(f64, f64) -> f64);
        let terms: [Term; 5] = [
            ("X", &|x, _| x),
            ("X^2", &|x, _| x * x),
            ("A", &|_, a| a),
            ("A^2", &|_, a| a * a),
            ("XA", &|x, a| x * a),
        ];
        for (name, g) in terms {
            let (o, f) = (moment(g, &obs), moment(g, &fitted));
            assert!(
                (o - f).abs() < 1e-8 * o.abs().max(1.0),
                "E({name}): observed {o}, fitted {f}"
            );
        }
        let mx: f64 = fit.marginal_x().iter().sum();
        assert!((mx - 1.0).abs() < 1e-12);
    }

    // property: unusable input gives typed errors naming the problem.
    #[test]
    fn bad_input_gives_errors() {
        assert!(matches!(
            loglinear_fit(&[0.0, 0.0, 0.0], 1),
            Err(KernelError::EmptyDistribution { .. })
        ));
        assert!(matches!(
            loglinear_fit(&[1.0, f64::NAN, 2.0], 1),
            Err(KernelError::InvalidFrequency { score: 1, .. })
        ));
        assert!(matches!(
            loglinear_fit(&[1.0, -2.0, 2.0], 1),
            Err(KernelError::InvalidFrequency { .. })
        ));
        assert!(matches!(
            loglinear_fit(&[1.0, 2.0, 2.0], 3),
            Err(KernelError::TooManyMoments {
                requested: 3,
                max: 2,
                ..
            })
        ));
        assert!(matches!(
            loglinear_fit(&[1.0, 2.0, 2.0], 0),
            Err(KernelError::NoMoments { .. })
        ));
        let ragged = vec![vec![1.0, 2.0], vec![3.0]];
        let model = BivariateModel {
            moments_x: 1,
            moments_a: 1,
            cross_x: 0,
            cross_a: 0,
        };
        assert!(matches!(
            bivariate_loglinear_fit(&ragged, model),
            Err(KernelError::RaggedTable { row: 1, .. })
        ));
    }
}
