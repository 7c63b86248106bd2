//! Chains of links, the identity test of a circular chain, the scale-drift test between paths
//! that link the same two forms, and the bisector of such paths (Battauz 2013; equateIRT's
//! `chainec`, `id.test`, `sd.test`, `bisectorec`).

use nalgebra::DMatrix;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::constants::{link_with_options, LinkEstimate, LinkKind, LinkOptions};
use super::error::LinkError;
use super::params::FormEstimates;
use super::sensitivity::Sensitivity;
use crate::equate::linking::LinkMethod;

/// A Wald chi-square test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WaldTest {
    /// What is tested, e.g. the path.
    pub label: String,
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

fn path_label(path: &[String]) -> String {
    path.join(".")
}

fn chi2_sf(x: f64, df: usize) -> f64 {
    match ChiSquared::new(df as f64) {
        Ok(d) => d.sf(x.max(0.0)),
        Err(_) => f64::NAN,
    }
}

fn same_method(links: &[&LinkEstimate]) -> Result<LinkMethod, LinkError> {
    let first = links[0].method;
    for l in links {
        if l.method != first {
            return Err(LinkError::MixedMethods {
                first: first.as_str(),
                other: l.method.as_str(),
            });
        }
    }
    Ok(first)
}

/// Chain of direct (or chained) links, each ending on the form the next one starts from:
/// A = prod A_k, B_{1..k} = A_k B_{1..k-1} + B_k (Battauz 2013; Battauz 2015, section 2.2, the
/// equations of A_p and B_p),
/// with the Jacobian by the chain rule; forms met twice (a circular chain) are one parameter
/// vector, so the covariance terms between the steps that share them are kept.
pub fn chain(links: &[LinkEstimate]) -> Result<LinkEstimate, LinkError> {
    if links.is_empty() {
        return Err(LinkError::TooFewLinks {
            what: "a chain",
            needed: 1,
            got: 0,
        });
    }
    let refs: Vec<&LinkEstimate> = links.iter().collect();
    let method = same_method(&refs)?;
    let mut path = links[0].path();
    let (mut a, mut b) = (1.0, 0.0);
    let mut jac = Sensitivity::zeros(2);
    for (k, l) in links.iter().enumerate() {
        if k > 0 && links[k - 1].old_form != l.new_form {
            return Err(LinkError::ChainBreak {
                position: k,
                old: links[k - 1].old_form.clone(),
                next_new: l.new_form.clone(),
            });
        }
        if k > 0 {
            path.extend(l.path().into_iter().skip(1));
        }
        // (A, B) <- (A_l A, A_l B + B_l)
        let prev = DMatrix::from_row_slice(2, 2, &[l.A, 0.0, 0.0, l.A]);
        let step = DMatrix::from_row_slice(2, 2, &[a, 0.0, b, 1.0]);
        let mut next = Sensitivity::zeros(2);
        next.add_scaled(&prev, &jac)?;
        next.add_scaled(&step, &l.jacobian)?;
        jac = next;
        b = l.A * b + l.B;
        a *= l.A;
    }
    Ok(LinkEstimate::assemble(
        method,
        &links[0].new_form,
        &links[links.len() - 1].old_form,
        LinkKind::Chain { path },
        a,
        b,
        None,
        jac,
    ))
}

/// Direct links between consecutive forms of `forms` (each onto the next), chained.
pub fn chain_forms(
    forms: &[&FormEstimates],
    method: LinkMethod,
    opts: &LinkOptions,
) -> Result<LinkEstimate, LinkError> {
    if forms.len() < 2 {
        return Err(LinkError::TooFewLinks {
            what: "a chain of forms",
            needed: 2,
            got: forms.len(),
        });
    }
    let links = forms
        .windows(2)
        .map(|w| link_with_options(w[0], w[1], method, opts))
        .collect::<Result<Vec<_>, _>>()?;
    chain(&links)
}

/// x' V^{-1} x; V is treated as singular when its smallest eigenvalue is below 1e-12 times the
/// largest, or when every variance is below 1e-24 (standard errors below 1e-12 on quantities of
/// order 1: an exact identity such as a mean-mean circle, not a sampling variance).
fn wald(x: &[f64], v: &DMatrix<f64>, what: &str) -> Result<f64, LinkError> {
    let n = x.len();
    let xv = DMatrix::from_column_slice(n, 1, x);
    let eig = nalgebra::SymmetricEigen::new(v.clone()).eigenvalues;
    let max = eig.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let min = eig.iter().cloned().fold(f64::INFINITY, f64::min);
    if !(max > 1e-24 && min > 1e-12 * max) {
        return Err(LinkError::SingularCovariance {
            what: what.to_string(),
        });
    }
    let inv =
        v.clone()
            .cholesky()
            .map(|c| c.inverse())
            .ok_or_else(|| LinkError::SingularCovariance {
                what: what.to_string(),
            })?;
    let s = (xv.transpose() * inv * &xv)[(0, 0)];
    if !s.is_finite() {
        return Err(LinkError::SingularCovariance {
            what: what.to_string(),
        });
    }
    Ok(s)
}

/// Identity test of a circular chain (first form = last form): Wald chi-square on 2 df of
/// (A - 1, B) with the delta-method covariance (Battauz 2015, "Tests for drifts"; equateIRT's
/// `id.test`).
pub fn identity_test(circular: &LinkEstimate) -> Result<WaldTest, LinkError> {
    if circular.new_form != circular.old_form {
        return Err(LinkError::NotCircular {
            new: circular.new_form.clone(),
            old: circular.old_form.clone(),
        });
    }
    let v = circular.covariance()?;
    let label = path_label(&circular.path());
    let statistic = wald(
        &[circular.A - 1.0, circular.B],
        &v,
        &format!("(A, B) of {label}"),
    )?;
    Ok(WaldTest {
        label,
        statistic,
        df: 2,
        p_value: chi2_sf(statistic, 2),
    })
}

fn check_ends(paths: &[&LinkEstimate]) -> Result<(), LinkError> {
    let (n0, o0) = (&paths[0].new_form, &paths[0].old_form);
    for (i, p) in paths.iter().enumerate() {
        if &p.new_form != n0 || &p.old_form != o0 {
            return Err(LinkError::DifferentEnds {
                index: i,
                new: p.new_form.clone(),
                old: p.old_form.clone(),
                expected_new: n0.clone(),
                expected_old: o0.clone(),
            });
        }
    }
    Ok(())
}

/// Joint delta-method covariance of (A_1, B_1, A_2, B_2, ...) of several links (shared forms
/// give the covariance between paths).
pub fn joint_covariance(paths: &[&LinkEstimate]) -> Result<DMatrix<f64>, LinkError> {
    let parts: Vec<&Sensitivity> = paths.iter().map(|p| &p.jacobian).collect();
    Sensitivity::stack(&parts)?.covariance()
}

/// Scale-drift test: do k paths (chains or direct links) between the same two forms give the
/// same (A, B)? Wald chi-square on 2 (k - 1) df of the differences from the first path, with the
/// joint covariance of all paths (Battauz 2015; equateIRT's `sd.test`).
pub fn scale_drift_test(paths: &[&LinkEstimate]) -> Result<WaldTest, LinkError> {
    if paths.len() < 2 {
        return Err(LinkError::TooFewLinks {
            what: "the scale-drift test",
            needed: 2,
            got: paths.len(),
        });
    }
    same_method(paths)?;
    check_ends(paths)?;
    let k = paths.len();
    let v = joint_covariance(paths)?;
    let mut c = DMatrix::zeros(2 * (k - 1), 2 * k);
    let mut diff = Vec::with_capacity(2 * (k - 1));
    for i in 1..k {
        for j in 0..2 {
            let r = 2 * (i - 1) + j;
            c[(r, j)] = 1.0;
            c[(r, 2 * i + j)] = -1.0;
        }
        diff.push(paths[0].A - paths[i].A);
        diff.push(paths[0].B - paths[i].B);
    }
    let vc = &c * v * c.transpose();
    let label = format!("{}.{}", paths[0].new_form, paths[0].old_form);
    let statistic = wald(&diff, &vc, &format!("the path differences of {label}"))?;
    let df = 2 * (k - 1);
    Ok(WaldTest {
        label,
        statistic,
        df,
        p_value: chi2_sf(statistic, df),
    })
}

/// Path weights n_p of the bisector.
#[derive(Debug, Clone, PartialEq)]
pub enum BisectorWeights {
    /// n_p = 1 (the bisector proper).
    Unweighted,
    /// Given non-negative n_p, one per path.
    Given(Vec<f64>),
    /// n_p minimising Var(A*) + Var(B*) = E Var(A* theta + B* | theta) for theta ~ N(0, 1)
    /// (Battauz 2013; Battauz 2015, section 2.3), by Nelder-Mead on log n_p.
    MinimumVariance,
}

/// Bisector partials: rows (A*, B*), columns (A_1, B_1, A_2, B_2, ...).
#[allow(non_snake_case)]
fn bisector_point(a: &[f64], b: &[f64], n: &[f64]) -> (f64, f64, Vec<f64>, DMatrix<f64>) {
    let k = a.len();
    let w: Vec<f64> = (0..k).map(|p| n[p] / (1.0 + a[p] * a[p]).sqrt()).collect();
    let W: f64 = w.iter().sum();
    let mA = (0..k).map(|p| a[p] * w[p]).sum::<f64>() / W;
    let mB = (0..k).map(|p| b[p] * w[p]).sum::<f64>() / W;
    let mut g = DMatrix::zeros(2, 2 * k);
    for p in 0..k {
        let r = a[p] / (1.0 + a[p] * a[p]);
        let wp = w[p] / W;
        g[(0, 2 * p)] = wp * (1.0 - a[p] * r) + mA * wp * r;
        g[(1, 2 * p)] = -b[p] * wp * r + mB * wp * r;
        g[(1, 2 * p + 1)] = wp;
    }
    (mA, mB, w.iter().map(|x| x / W).collect(), g)
}

/// Bisector of several paths linking the same two forms (Holland & Strawderman 2011; Battauz
/// 2013): A* = sum w_p A_p, B* = sum w_p B_p with w_p proportional to n_p (1 + A_p^2)^(-1/2),
/// and its delta-method covariance through every form of every path (equateIRT's
/// `bisectorec`). The reported weights are the normalised n_p.
pub fn bisector(
    paths: &[&LinkEstimate],
    weights: &BisectorWeights,
) -> Result<LinkEstimate, LinkError> {
    if paths.len() < 2 {
        return Err(LinkError::TooFewLinks {
            what: "the bisector",
            needed: 2,
            got: paths.len(),
        });
    }
    let method = same_method(paths)?;
    check_ends(paths)?;
    let k = paths.len();
    let a: Vec<f64> = paths.iter().map(|p| p.A).collect();
    let b: Vec<f64> = paths.iter().map(|p| p.B).collect();
    let n: Vec<f64> = match weights {
        BisectorWeights::Unweighted => vec![1.0; k],
        BisectorWeights::Given(v) => {
            if v.len() != k {
                return Err(LinkError::BadWeights {
                    reason: format!("{} weights for {k} paths", v.len()),
                });
            }
            if v.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || v.iter().sum::<f64>() <= 0.0 {
                return Err(LinkError::BadWeights {
                    reason: "weights must be non-negative, finite and not all zero".into(),
                });
            }
            v.clone()
        }
        BisectorWeights::MinimumVariance => {
            let v = joint_covariance(paths)?;
            let objective = |x: &[f64]| {
                let mut n = vec![1.0; k];
                for (p, xi) in x.iter().enumerate() {
                    n[p + 1] = xi.clamp(-50.0, 50.0).exp();
                }
                let (_, _, _, g) = bisector_point(&a, &b, &n);
                let vv = &g * &v * g.transpose();
                vv[(0, 0)] + vv[(1, 1)]
            };
            let x = nelder_mead(&objective, &vec![0.0; k - 1], 1e-13, 5000);
            let mut n = vec![1.0; k];
            for (p, xi) in x.iter().enumerate() {
                n[p + 1] = xi.clamp(-50.0, 50.0).exp();
            }
            n
        }
    };
    let total: f64 = n.iter().sum();
    let n_norm: Vec<f64> = n.iter().map(|x| x / total).collect();
    let (a_star, b_star, _, g) = bisector_point(&a, &b, &n_norm);
    let mut jac = Sensitivity::zeros(2);
    for (p, path) in paths.iter().enumerate() {
        let gp = g.columns(2 * p, 2).into_owned();
        jac.add_scaled(&gp, &path.jacobian)?;
    }
    Ok(LinkEstimate::assemble(
        method,
        &paths[0].new_form,
        &paths[0].old_form,
        LinkKind::Bisector {
            paths: paths.iter().map(|p| p.path()).collect(),
            weights: n_norm,
        },
        a_star,
        b_star,
        None,
        jac,
    ))
}

/// Nelder-Mead minimisation (standard coefficients 1, 2, 0.5, 0.5) from `x0` with unit initial
/// steps; stops when the simplex's function values agree to `ftol` (relative) or after `max_iter`
/// iterations.
fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, x0: &[f64], ftol: f64, max_iter: usize) -> Vec<f64> {
    let n = x0.len();
    if n == 0 {
        return Vec::new();
    }
    let mut simplex: Vec<Vec<f64>> = vec![x0.to_vec()];
    for i in 0..n {
        let mut x = x0.to_vec();
        x[i] += 1.0;
        simplex.push(x);
    }
    let mut fx: Vec<f64> = simplex.iter().map(|x| f(x)).collect();
    let comb = |a: &[f64], b: &[f64], t: f64| -> Vec<f64> {
        a.iter().zip(b).map(|(x, y)| x + t * (y - x)).collect()
    };
    for _ in 0..max_iter {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&i, &j| fx[i].total_cmp(&fx[j]));
        simplex = order.iter().map(|&i| simplex[i].clone()).collect();
        fx = order.iter().map(|&i| fx[i]).collect();
        if (fx[n] - fx[0]).abs() <= ftol * (fx[0].abs() + 1e-300) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|x| x[j]).sum::<f64>() / n as f64)
            .collect();
        let xr = comb(&centroid, &simplex[n], -1.0);
        let fr = f(&xr);
        if fr < fx[0] {
            let xe = comb(&centroid, &simplex[n], -2.0);
            let fe = f(&xe);
            if fe < fr {
                simplex[n] = xe;
                fx[n] = fe;
            } else {
                simplex[n] = xr;
                fx[n] = fr;
            }
        } else if fr < fx[n - 1] {
            simplex[n] = xr;
            fx[n] = fr;
        } else {
            let xc = if fr < fx[n] {
                comb(&centroid, &xr, 0.5)
            } else {
                comb(&centroid, &simplex[n], 0.5)
            };
            let fc = f(&xc);
            if fc < fx[n].min(fr) {
                simplex[n] = xc;
                fx[n] = fc;
            } else {
                for i in 1..=n {
                    simplex[i] = comb(&simplex[0], &simplex[i], 0.5);
                    fx[i] = f(&simplex[i]);
                }
            }
        }
    }
    let best = (0..=n)
        .min_by(|&i, &j| fx[i].total_cmp(&fx[j]))
        .unwrap_or(0);
    simplex[best].clone()
}

/// A chain of links with its tests.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChainResult {
    pub steps: Vec<LinkEstimate>,
    /// The composed link of the first form onto the last.
    pub chain: LinkEstimate,
    /// Delta-method covariance of the composed (A, B) (None without covariance files).
    pub covariance: Option<[[f64; 2]; 2]>,
    /// Wald test of (A, B) = (1, 0) when the chain returns to its first form.
    pub identity_test: Option<WaldTest>,
    /// The direct link of the end forms (with `--compare-direct`).
    pub direct: Option<LinkEstimate>,
    /// Wald test of the chain against the direct link (with `--compare-direct`).
    pub scale_drift_test: Option<WaldTest>,
    /// Why a test was not computed, when one was asked for.
    pub notes: Vec<String>,
}

/// Several paths between the same two forms and their bisectors (`qbank link --path`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bisectors {
    /// Each path's composed link.
    pub paths: Vec<LinkEstimate>,
    /// Equal n_p (Holland & Strawderman 2011).
    pub bisector: LinkEstimate,
    /// Weights minimising Var(A*) + Var(B*) (with covariance matrices only).
    pub weighted_bisector: Option<LinkEstimate>,
}
