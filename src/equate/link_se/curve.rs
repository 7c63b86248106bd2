//! The characteristic-curve criteria (Haebara 1980; Stocking & Lord 1983) with their gradient
//! and Hessian in (A, B), minimised by damped Newton; the derivatives of (A, B) with respect to
//! both forms' item parameters come from implicit differentiation of the first-order conditions,
//! d(A, B)/d gamma = -H^{-1} dG/d gamma (Ogasawara 2001; Battauz 2015, section 2.1).

use nalgebra::DMatrix;

use super::constants::{moment_link, Common, LinkOptions};
use super::error::LinkError;
use super::params::{logistic, FormEstimates, ItemParams3pl};
use crate::equate::linking::LinkMethod;

type Jac = DMatrix<f64>;

/// Which way a half of the criterion transforms.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Half {
    /// new items onto the old scale (a / A, A b + B), points on the old scale
    Forward,
    /// old items onto the new scale (a A, (b - B) / A), points on the new scale
    Backward,
}

/// Probability of a transformed item and its derivatives with respect to phi = (A, B) and to the
/// item's own (a, b, c).
struct TDeriv {
    p: f64,
    p_phi: [f64; 2],
    p_phiphi: [[f64; 2]; 2],
    p_g: [f64; 3],
    p_phig: [[f64; 3]; 2],
}

#[allow(non_snake_case)]
fn transformed(it: &ItemParams3pl, theta: f64, A: f64, B: f64, d: f64, half: Half) -> TDeriv {
    let (a, b, c) = (it.a, it.b, it.c);
    // z = D a* (theta - b*) and its derivatives
    let (z, z_phi, z_phiphi, z_g, z_phig) = match half {
        Half::Forward => {
            let u = (theta - B) / A;
            (
                d * a * (u - b),
                [-d * a * u / A, -d * a / A],
                [
                    [2.0 * d * a * u / (A * A), d * a / (A * A)],
                    [d * a / (A * A), 0.0],
                ],
                [d * (u - b), -d * a],
                [[-d * u / A, 0.0], [-d / A, 0.0]],
            )
        }
        Half::Backward => {
            let v = A * theta + B;
            (
                d * a * (v - b),
                [d * a * theta, d * a],
                [[0.0; 2]; 2],
                [d * (v - b), -d * a],
                [[d * theta, 0.0], [d, 0.0]],
            )
        }
    };
    let psi = logistic(z);
    let s1 = psi * (1.0 - psi);
    let s2 = s1 * (1.0 - 2.0 * psi);
    let q = 1.0 - c;
    let mut p_phiphi = [[0.0; 2]; 2];
    let mut p_phig = [[0.0; 3]; 2];
    for k in 0..2 {
        for l in 0..2 {
            p_phiphi[k][l] = q * (s2 * z_phi[k] * z_phi[l] + s1 * z_phiphi[k][l]);
        }
        for g in 0..2 {
            p_phig[k][g] = q * (s2 * z_phi[k] * z_g[g] + s1 * z_phig[k][g]);
        }
        p_phig[k][2] = -s1 * z_phi[k];
    }
    TDeriv {
        p: c + q * psi,
        p_phi: [q * s1 * z_phi[0], q * s1 * z_phi[1]],
        p_phiphi,
        p_g: [q * s1 * z_g[0], q * s1 * z_g[1], 1.0 - psi],
        p_phig,
    }
}

/// The criterion at (A, B) with gradient and Hessian in (A, B).
#[derive(Debug, Clone, Copy)]
struct CurveEval {
    f: f64,
    grad: [f64; 2],
    hess: [[f64; 2]; 2],
}

struct Curve<'a> {
    forms: [&'a FormEstimates; 2],
    idx: [&'a [usize]; 2],
    theta: &'a [f64],
    w: &'a [f64],
    d: f64,
    method: LinkMethod,
    symmetric: bool,
}

impl Curve<'_> {
    /// Criterion, gradient and Hessian at (A, B); with `cross`, also dG/d gamma of the new (0)
    /// and old (1) form (2 x 3n each), G the gradient.
    #[allow(non_snake_case)]
    fn eval(&self, A: f64, B: f64, mut cross: Option<&mut [DMatrix<f64>; 2]>) -> CurveEval {
        let mut e = CurveEval {
            f: 0.0,
            grad: [0.0; 2],
            hess: [[0.0; 2]; 2],
        };
        let halves: &[Half] = if self.symmetric {
            &[Half::Forward, Half::Backward]
        } else {
            &[Half::Forward]
        };
        let m = self.idx[0].len();
        let mut ts: Vec<TDeriv> = Vec::with_capacity(m);
        let mut ps: Vec<(f64, [f64; 3])> = Vec::with_capacity(m);
        for &half in halves {
            // form transformed (tr) and form matched (tg)
            let (tr, tg) = match half {
                Half::Forward => (0, 1),
                Half::Backward => (1, 0),
            };
            for (&th, &wq) in self.theta.iter().zip(self.w) {
                ts.clear();
                ps.clear();
                for j in 0..m {
                    let it = &self.forms[tr].items[self.idx[tr][j]];
                    ts.push(transformed(it, th, A, B, self.d, half));
                    let target = &self.forms[tg].items[self.idx[tg][j]];
                    ps.push((target.p(th, self.d), target.p_grad(th, self.d)));
                }
                match self.method {
                    LinkMethod::Haebara => {
                        for j in 0..m {
                            let t = &ts[j];
                            let r = ps[j].0 - t.p;
                            e.f += 0.5 * wq * r * r;
                            for k in 0..2 {
                                e.grad[k] -= wq * r * t.p_phi[k];
                                for l in 0..2 {
                                    e.hess[k][l] +=
                                        wq * (t.p_phi[k] * t.p_phi[l] - r * t.p_phiphi[k][l]);
                                }
                            }
                            if let Some(cr) = cross.as_deref_mut() {
                                let (ci, cg) = (3 * self.idx[tr][j], 3 * self.idx[tg][j]);
                                for k in 0..2 {
                                    for g in 0..3 {
                                        cr[tr][(k, ci + g)] +=
                                            wq * (t.p_g[g] * t.p_phi[k] - r * t.p_phig[k][g]);
                                        cr[tg][(k, cg + g)] -= wq * ps[j].1[g] * t.p_phi[k];
                                    }
                                }
                            }
                        }
                    }
                    _ => {
                        let mut r = 0.0;
                        let mut tphi = [0.0; 2];
                        let mut tphiphi = [[0.0; 2]; 2];
                        for (t, p) in ts.iter().zip(&ps) {
                            r += p.0 - t.p;
                            for k in 0..2 {
                                tphi[k] += t.p_phi[k];
                                tphiphi[k][0] += t.p_phiphi[k][0];
                                tphiphi[k][1] += t.p_phiphi[k][1];
                            }
                        }
                        e.f += 0.5 * wq * r * r;
                        for k in 0..2 {
                            e.grad[k] -= wq * r * tphi[k];
                            for l in 0..2 {
                                e.hess[k][l] += wq * (tphi[k] * tphi[l] - r * tphiphi[k][l]);
                            }
                        }
                        if let Some(cr) = cross.as_deref_mut() {
                            for j in 0..m {
                                let t = &ts[j];
                                let (ci, cg) = (3 * self.idx[tr][j], 3 * self.idx[tg][j]);
                                for k in 0..2 {
                                    for g in 0..3 {
                                        cr[tr][(k, ci + g)] +=
                                            wq * (t.p_g[g] * tphi[k] - r * t.p_phig[k][g]);
                                        cr[tg][(k, cg + g)] -= wq * ps[j].1[g] * tphi[k];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        e
    }
}

/// Damped Newton (Levenberg-Marquardt on the exact Hessian) from (a0, b0); with `fix_a` only B
/// moves. Returns the minimiser, or None if no descent is possible before convergence.
fn newton_minimise(
    eval: &dyn Fn(f64, f64) -> CurveEval,
    a0: f64,
    b0: f64,
    fix_a: bool,
) -> Option<(f64, f64, CurveEval)> {
    let (mut a, mut b) = (a0, b0);
    let mut e = eval(a, b);
    if !e.f.is_finite() {
        return None;
    }
    let mut lambda: f64 = 0.0;
    for _ in 0..500 {
        let mut accepted = None;
        for _ in 0..60 {
            let s11 = e.hess[0][0].abs().max(1e-12);
            let s22 = e.hess[1][1].abs().max(1e-12);
            let h11 = e.hess[0][0] + lambda * s11;
            let h22 = e.hess[1][1] + lambda * s22;
            let h12 = e.hess[0][1];
            let step = if fix_a {
                (h22 > 0.0).then(|| (0.0, -e.grad[1] / h22))
            } else {
                let det = h11 * h22 - h12 * h12;
                (h11 > 0.0 && det > 0.0).then(|| {
                    (
                        -(h22 * e.grad[0] - h12 * e.grad[1]) / det,
                        -(h11 * e.grad[1] - h12 * e.grad[0]) / det,
                    )
                })
            };
            let grow = |l: f64| if l == 0.0 { 1e-6 } else { l * 10.0 };
            let Some((da, db)) = step else {
                lambda = grow(lambda);
                continue;
            };
            let (na, nb) = (a + da, b + db);
            if !(na > 0.0 && na.is_finite() && nb.is_finite()) {
                lambda = grow(lambda);
                continue;
            }
            let ne = eval(na, nb);
            // Descent, or (near the minimum, where f no longer resolves the step) no rise beyond
            // rounding and a smaller gradient: the iteration then converges on G(A, B) = 0 to
            // full precision, which the finite-difference and implicit derivatives rely on.
            let gnorm = |e: &CurveEval| e.grad[0].hypot(e.grad[1]);
            let rounding = 1e-13 * e.f.abs();
            if ne.f.is_finite()
                && (ne.f < e.f || (ne.f <= e.f + rounding && gnorm(&ne) < gnorm(&e)))
            {
                accepted = Some((na, nb, ne, da, db));
                break;
            }
            lambda = grow(lambda);
        }
        let Some((na, nb, ne, da, db)) = accepted else {
            break;
        };
        a = na;
        b = nb;
        e = ne;
        lambda = if lambda < 1e-5 { 0.0 } else { lambda / 10.0 };
        if da.abs() <= 1e-15 * (1.0 + a.abs()) && db.abs() <= 1e-15 * (1.0 + b.abs()) {
            break;
        }
    }
    // converged if the undamped Newton step at the final point is negligible
    let (h11, h12, h22) = (e.hess[0][0], e.hess[0][1], e.hess[1][1]);
    let (da, db) = if fix_a {
        if h22 <= 0.0 {
            return None;
        }
        (0.0, -e.grad[1] / h22)
    } else {
        let det = h11 * h22 - h12 * h12;
        if !(h11 > 0.0 && det > 0.0) {
            return None;
        }
        (
            -(h22 * e.grad[0] - h12 * e.grad[1]) / det,
            -(h11 * e.grad[1] - h12 * e.grad[0]) / det,
        )
    };
    (da.abs() <= 1e-10 * (1.0 + a.abs()) && db.abs() <= 1e-10 * (1.0 + b.abs()))
        .then_some((a, b, e))
}

/// Haebara and Stocking-Lord: minimise the criterion, then d(A, B)/d gamma = -H^{-1} dG/d gamma.
#[allow(clippy::type_complexity)]
pub(crate) fn curve_link(
    new: &FormEstimates,
    old: &FormEstimates,
    common: &Common,
    method: LinkMethod,
    opts: &LinkOptions,
    fix_a: bool,
) -> Result<(f64, f64, Jac, Jac, Option<f64>), LinkError> {
    let curve = Curve {
        forms: [new, old],
        idx: [&common.new_idx, &common.old_idx],
        theta: &opts.curve.theta,
        w: &opts.curve.weights,
        d: opts.d,
        method,
        symmetric: opts.curve.symmetric,
    };
    let eval = |a: f64, b: f64| curve.eval(if fix_a { 1.0 } else { a }, b, None);
    // starting values: mean-sigma (qbank's), then (1, 0) (equateIRT's); keep the lower minimum
    let mut starts = Vec::new();
    if !fix_a {
        for m in [LinkMethod::MeanSigma, LinkMethod::MeanMean] {
            if let Ok((a, b, _, _)) = moment_link(new, old, common, m, false) {
                if a.is_finite() && a > 0.0 && b.is_finite() {
                    starts.push((a, b));
                    break;
                }
            }
        }
    }
    starts.push((1.0, 0.0));
    let mut best: Option<(f64, f64, CurveEval)> = None;
    for (a0, b0) in starts {
        if let Some(sol) = newton_minimise(&eval, a0, b0, fix_a) {
            if best.as_ref().is_none_or(|b| sol.2.f < b.2.f) {
                best = Some(sol);
            }
        }
    }
    let Some((a, b, _)) = best else {
        return Err(LinkError::NotConverged {
            method: method.as_str(),
            new: new.name.clone(),
            old: old.name.clone(),
            detail: "no minimum with a positive-definite Hessian was found from the mean-sigma \
                     or (A, B) = (1, 0) starting values"
                .into(),
        });
    };
    let a = if fix_a { 1.0 } else { a };
    let mut cross = [
        DMatrix::zeros(2, new.n_params()),
        DMatrix::zeros(2, old.n_params()),
    ];
    let e = curve.eval(a, b, Some(&mut cross));
    let [cn, co] = cross;
    let solve = |c: &DMatrix<f64>| -> DMatrix<f64> {
        let mut out = DMatrix::zeros(2, c.ncols());
        let (h11, h12, h22) = (e.hess[0][0], e.hess[0][1], e.hess[1][1]);
        let det = h11 * h22 - h12 * h12;
        for j in 0..c.ncols() {
            if fix_a {
                out[(1, j)] = -c[(1, j)] / h22;
            } else {
                out[(0, j)] = -(h22 * c[(0, j)] - h12 * c[(1, j)]) / det;
                out[(1, j)] = -(h11 * c[(1, j)] - h12 * c[(0, j)]) / det;
            }
        }
        out
    };
    Ok((a, b, solve(&cn), solve(&co), Some(e.f)))
}
