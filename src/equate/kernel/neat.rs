//! Kernel equating in the non-equivalent groups with anchor test (NEAT) design (KE ch. 10):
//! chain equating (CE) and post-stratification equating (PSE), each with bivariate log-linear
//! presmoothing of (X, A) in population P and (Y, A) in population Q.

use nalgebra::DMatrix;

use super::continuization::{Continuized, Kernel};
use super::eg::{equate_direction, pre_table, resolve_bandwidth, row_norms, Bandwidth, PreRow};
use super::loglinear::{bivariate_fit_named, BivariateFit, BivariateModel};
use super::KernelError;

/// Joint frequency table n[j][l] of total scores j (0..=max_total) and anchor scores l
/// (0..=max_anchor) from paired examinee scores.
pub fn joint_frequencies(
    total: &[u32],
    anchor: &[u32],
    max_total: usize,
    max_anchor: usize,
) -> Result<Vec<Vec<f64>>, KernelError> {
    let what = "joint frequencies";
    if total.len() != anchor.len() {
        return Err(KernelError::LengthMismatch {
            what: what.to_string(),
            total: total.len(),
            anchor: anchor.len(),
        });
    }
    let mut table = vec![vec![0.0; max_anchor + 1]; max_total + 1];
    for (index, (&x, &a)) in total.iter().zip(anchor).enumerate() {
        for (score, max) in [(x, max_total), (a, max_anchor)] {
            if score as usize > max {
                return Err(KernelError::ScoreOutOfRange {
                    what: what.to_string(),
                    index,
                    score,
                    max,
                });
            }
        }
        table[x as usize][a as usize] += 1.0;
    }
    Ok(table)
}

/// NEAT equating method.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NeatMethod {
    /// Chain equating through the anchor: e_Y(x) = G_hY^-1(H_Q(H_P^-1(F_hX(x)))) (KE ch. 10),
    /// X and A continuized in P, A and Y in Q.
    ChainEquating,
    /// Post-stratification on the synthetic population T = w P + (1 - w) Q (KE ch. 10; ABW eq. 8).
    PostStratification { w: f64 },
}

/// Options of a NEAT kernel equating.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct NeatOptions {
    pub method: NeatMethod,
    /// Bivariate log-linear models of (X, A) in P and (Y, A) in Q.
    pub model_xa: BivariateModel,
    pub model_ya: BivariateModel,
    pub kernel: Kernel,
    /// Bandwidth policy for every continuized distribution (X and Y; and A in P and in Q for CE).
    pub bandwidth: Bandwidth,
    /// Weight of PEN2 in the bandwidth penalty.
    pub kappa: f64,
}

/// Bandwidths used; the anchor ones for chain equating only.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct NeatBandwidths {
    pub h_x: f64,
    pub h_y: f64,
    pub h_ap: Option<f64>,
    pub h_aq: Option<f64>,
}

/// A NEAT kernel equating of X (0..=J) and Y (0..=K) in both directions with SEEs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NeatEquating {
    pub method: NeatMethod,
    pub kernel: Kernel,
    pub bandwidths: NeatBandwidths,
    pub fit_xa: BivariateFit,
    pub fit_ya: BivariateFit,
    /// Score distributions equated: the synthetic r and s (PSE) or X in P and Y in Q (CE).
    pub r: Vec<f64>,
    pub s: Vec<f64>,
    pub e_y: Vec<f64>,
    pub see_y: Vec<f64>,
    pub e_x: Vec<f64>,
    pub see_x: Vec<f64>,
    /// PRE on the synthetic population (PSE only).
    pub pre: Option<Vec<PreRow>>,
    #[serde(skip)]
    pub see_vectors_y: DMatrix<f64>,
    #[serde(skip)]
    pub see_vectors_x: DMatrix<f64>,
}

/// Joint probabilities of one population with the dimensions of its table.
#[derive(Clone, Copy)]
pub(crate) struct Joint<'a> {
    pub p: &'a [f64],
    pub n_x: usize,
    pub n_a: usize,
}

impl Joint<'_> {
    fn at(&self, j: usize, l: usize) -> f64 {
        self.p[l * self.n_x + j]
    }
    fn marginal_a(&self) -> Vec<f64> {
        (0..self.n_a)
            .map(|l| (0..self.n_x).map(|j| self.at(j, l)).sum())
            .collect()
    }
    fn marginal_x(&self) -> Vec<f64> {
        (0..self.n_x)
            .map(|j| (0..self.n_a).map(|l| self.at(j, l)).sum())
            .collect()
    }
}

/// The PSE design function (ABW eq. 8): r_j = sum_l p_jl (w + (1 - w) t_Ql / t_Pl),
/// s_k = sum_l q_kl ((1 - w) + w t_Pl / t_Ql).
pub(crate) fn pse_design(p: Joint, q: Joint, w: f64) -> Result<(Vec<f64>, Vec<f64>), KernelError> {
    let (tp, tq) = (p.marginal_a(), q.marginal_a());
    for l in 0..p.n_a {
        if !(tp[l] > 0.0 && tq[l] > 0.0) {
            return Err(KernelError::EmptyAnchorScore {
                what: "post-stratification".to_string(),
                anchor: l,
            });
        }
    }
    let r = (0..p.n_x)
        .map(|j| {
            (0..p.n_a)
                .map(|l| p.at(j, l) * (w + (1.0 - w) * tq[l] / tp[l]))
                .sum()
        })
        .collect();
    let s = (0..q.n_x)
        .map(|k| {
            (0..q.n_a)
                .map(|l| q.at(k, l) * ((1.0 - w) + w * tp[l] / tq[l]))
                .sum()
        })
        .collect();
    Ok((r, s))
}

/// Jacobian of the PSE design function: (dr/dvec P, dr/dvec Q, ds/dvec P, ds/dvec Q).
pub(crate) fn pse_jacobian(
    p: Joint,
    q: Joint,
    w: f64,
) -> (DMatrix<f64>, DMatrix<f64>, DMatrix<f64>, DMatrix<f64>) {
    let (tp, tq) = (p.marginal_a(), q.marginal_a());
    let (jn, kn, ln) = (p.n_x, q.n_x, p.n_a);
    let mut dr_dp = DMatrix::zeros(jn, jn * ln);
    let mut dr_dq = DMatrix::zeros(jn, kn * ln);
    let mut ds_dp = DMatrix::zeros(kn, jn * ln);
    let mut ds_dq = DMatrix::zeros(kn, kn * ln);
    for l in 0..ln {
        for j in 0..jn {
            for jj in 0..jn {
                let own = if j == jj {
                    w + (1.0 - w) * tq[l] / tp[l]
                } else {
                    0.0
                };
                dr_dp[(j, l * jn + jj)] = own - p.at(j, l) * (1.0 - w) * tq[l] / (tp[l] * tp[l]);
            }
            for kk in 0..kn {
                dr_dq[(j, l * kn + kk)] = p.at(j, l) * (1.0 - w) / tp[l];
            }
        }
        for k in 0..kn {
            for kk in 0..kn {
                let own = if k == kk {
                    (1.0 - w) + w * tp[l] / tq[l]
                } else {
                    0.0
                };
                ds_dq[(k, l * kn + kk)] = own - q.at(k, l) * w * tp[l] / (tq[l] * tq[l]);
            }
            for jj in 0..jn {
                ds_dp[(k, l * jn + jj)] = q.at(k, l) * w / tq[l];
            }
        }
    }
    (dr_dp, dr_dq, ds_dp, ds_dq)
}

/// Sums the rows of C (cells ordered with the total score fastest) over the anchor (marginal
/// of the total) or over the total (marginal of the anchor).
fn marginal_c(c: &DMatrix<f64>, n_x: usize, n_a: usize, of_anchor: bool) -> DMatrix<f64> {
    let rows = if of_anchor { n_a } else { n_x };
    let mut out = DMatrix::zeros(rows, c.ncols());
    for l in 0..n_a {
        for j in 0..n_x {
            let target = if of_anchor { l } else { j };
            for k in 0..c.ncols() {
                out[(target, k)] += c[(l * n_x + j, k)];
            }
        }
    }
    out
}

/// Places `m` in columns `offset..` of a matrix with `dim` columns.
fn embed(m: &DMatrix<f64>, dim: usize, offset: usize) -> DMatrix<f64> {
    let mut out = DMatrix::zeros(m.nrows(), dim);
    out.columns_mut(offset, m.ncols()).copy_from(m);
    out
}

fn dot_rows(grad: &[f64], u: &DMatrix<f64>, k: usize) -> f64 {
    grad.iter().enumerate().map(|(j, g)| g * u[(j, k)]).sum()
}

/// One direction of the chain: `from` (in the first population) onto `to` (in the second)
/// through the anchor continuized in the first (`a_from`) and second (`a_to`) populations,
/// with the Jacobians of each distribution in the noise.
#[allow(clippy::too_many_arguments)]
fn chain_direction(
    from: (&Continuized, &DMatrix<f64>),
    a_from: (&Continuized, &DMatrix<f64>),
    a_to: (&Continuized, &DMatrix<f64>),
    to: (&Continuized, &DMatrix<f64>),
    names: (&str, &str),
) -> Result<(Vec<f64>, DMatrix<f64>), KernelError> {
    let n = from.0.probs.len();
    let dim = from.1.ncols();
    let mut e = Vec::with_capacity(n);
    let mut rows = DMatrix::zeros(n, dim);
    for x in 0..n {
        let xs = x as f64;
        let u = from.0.cdf(xs);
        let a = a_from.0.quantile_named(u, names.0)?;
        let v = a_to.0.cdf(a);
        let ex = to.0.quantile_named(v, names.1)?;
        let (h_from, h_to, g) = (a_from.0.pdf(a), a_to.0.pdf(a), to.0.pdf(ex));
        for (density, name, at) in [(h_from, names.0, a), (g, names.1, ex)] {
            if density.is_nan() || density <= 1e-300 {
                return Err(KernelError::ZeroDensity {
                    what: name.to_string(),
                    score: at,
                });
            }
        }
        let (df, dhf, dht, dg) = (
            from.0.cdf_gradient(xs),
            a_from.0.cdf_gradient(a),
            a_to.0.cdf_gradient(a),
            to.0.cdf_gradient(ex),
        );
        for k in 0..dim {
            let da = (dot_rows(&df, from.1, k) - dot_rows(&dhf, a_from.1, k)) / h_from;
            let dv = h_to * da + dot_rows(&dht, a_to.1, k);
            rows[(x, k)] = (dv - dot_rows(&dg, to.1, k)) / g;
        }
        e.push(ex);
    }
    Ok((e, rows))
}

/// Kernel equating in the NEAT design (KE ch. 10). `xa[j][l]` and `ya[k][l]` are the joint
/// frequencies of (X, A) in population P and (Y, A) in Q (see [`joint_frequencies`]); both
/// tables need the same anchor score range 0..=L. Each is presmoothed by a bivariate log-linear
/// model; the SEE is ||J_e J_DF C|| with C = diag(C_P, C_Q) (ABW eqs. 14-19).
pub fn kernel_equate_neat(
    xa: &[Vec<f64>],
    ya: &[Vec<f64>],
    opts: &NeatOptions,
) -> Result<NeatEquating, KernelError> {
    let fit_xa = bivariate_fit_named(xa, opts.model_xa, "(X, A) in population P")?;
    let fit_ya = bivariate_fit_named(ya, opts.model_ya, "(Y, A) in population Q")?;
    if fit_xa.n_a != fit_ya.n_a {
        return Err(KernelError::AnchorMismatch {
            what: "NEAT design".to_string(),
            p: fit_xa.n_a,
            q: fit_ya.n_a,
        });
    }
    let p = Joint {
        p: &fit_xa.fitted,
        n_x: fit_xa.n_x,
        n_a: fit_xa.n_a,
    };
    let q = Joint {
        p: &fit_ya.fitted,
        n_x: fit_ya.n_x,
        n_a: fit_ya.n_a,
    };
    let (tp_dim, tq_dim) = (fit_xa.c_matrix.ncols(), fit_ya.c_matrix.ncols());
    let dim = tp_dim + tq_dim;
    let bw = |probs: &[f64], what: &str| {
        resolve_bandwidth(probs, opts.kernel, opts.bandwidth, opts.kappa, what)
    };
    match opts.method {
        NeatMethod::PostStratification { w } => {
            if !(0.0..=1.0).contains(&w) {
                return Err(KernelError::InvalidWeight(w));
            }
            let (r, s) = pse_design(p, q, w)?;
            let (dr_dp, dr_dq, ds_dp, ds_dq) = pse_jacobian(p, q, w);
            let (cp, cq) = (&fit_xa.c_matrix, &fit_ya.c_matrix);
            let u_r = embed(&(&dr_dp * cp), dim, 0) + embed(&(&dr_dq * cq), dim, tp_dim);
            let u_s = embed(&(&ds_dp * cp), dim, 0) + embed(&(&ds_dq * cq), dim, tp_dim);
            let h_x = bw(&r, "form X (synthetic population)")?;
            let h_y = bw(&s, "form Y (synthetic population)")?;
            let f = Continuized::named(&r, opts.kernel, h_x, "form X (synthetic population)")?;
            let g = Continuized::named(&s, opts.kernel, h_y, "form Y (synthetic population)")?;
            let (e_y, vy) = equate_direction(&f, &u_r, &g, &u_s, "form Y (synthetic population)")?;
            let (e_x, vx) = equate_direction(&g, &u_s, &f, &u_r, "form X (synthetic population)")?;
            let pre = Some(pre_table(&r, &s, &e_y, &e_x));
            Ok(NeatEquating {
                method: opts.method,
                kernel: opts.kernel,
                bandwidths: NeatBandwidths {
                    h_x,
                    h_y,
                    h_ap: None,
                    h_aq: None,
                },
                r,
                s,
                see_y: row_norms(&vy),
                see_x: row_norms(&vx),
                e_y,
                e_x,
                pre,
                see_vectors_y: vy,
                see_vectors_x: vx,
                fit_xa,
                fit_ya,
            })
        }
        NeatMethod::ChainEquating => {
            let (r, tp) = (p.marginal_x(), p.marginal_a());
            let (s, tq) = (q.marginal_x(), q.marginal_a());
            let (cp, cq) = (&fit_xa.c_matrix, &fit_ya.c_matrix);
            let u_r = embed(&marginal_c(cp, p.n_x, p.n_a, false), dim, 0);
            let u_tp = embed(&marginal_c(cp, p.n_x, p.n_a, true), dim, 0);
            let u_tq = embed(&marginal_c(cq, q.n_x, q.n_a, true), dim, tp_dim);
            let u_s = embed(&marginal_c(cq, q.n_x, q.n_a, false), dim, tp_dim);
            let names = ["form X in P", "anchor in P", "anchor in Q", "form Y in Q"];
            let h_x = bw(&r, names[0])?;
            let h_ap = bw(&tp, names[1])?;
            let h_aq = bw(&tq, names[2])?;
            let h_y = bw(&s, names[3])?;
            let f = Continuized::named(&r, opts.kernel, h_x, names[0])?;
            let hp = Continuized::named(&tp, opts.kernel, h_ap, names[1])?;
            let hq = Continuized::named(&tq, opts.kernel, h_aq, names[2])?;
            let g = Continuized::named(&s, opts.kernel, h_y, names[3])?;
            let (e_y, vy) = chain_direction(
                (&f, &u_r),
                (&hp, &u_tp),
                (&hq, &u_tq),
                (&g, &u_s),
                (names[1], names[3]),
            )?;
            let (e_x, vx) = chain_direction(
                (&g, &u_s),
                (&hq, &u_tq),
                (&hp, &u_tp),
                (&f, &u_r),
                (names[2], names[0]),
            )?;
            Ok(NeatEquating {
                method: opts.method,
                kernel: opts.kernel,
                bandwidths: NeatBandwidths {
                    h_x,
                    h_y,
                    h_ap: Some(h_ap),
                    h_aq: Some(h_aq),
                },
                r,
                s,
                see_y: row_norms(&vy),
                see_x: row_norms(&vx),
                e_y,
                e_x,
                pre: None,
                see_vectors_y: vy,
                see_vectors_x: vx,
                fit_xa,
                fit_ya,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::bivariate_loglinear_fit;
    use super::*;

    fn joint(p: &[f64]) -> Joint<'_> {
        Joint { p, n_x: 11, n_a: 5 }
    }

    /// A small synthetic NEAT data set: X, Y in 0..=10, anchor in 0..=4.
    fn tables() -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
        let make = |shift: f64| -> Vec<Vec<f64>> {
            (0..11)
                .map(|j| {
                    (0..5)
                        .map(|l| {
                            let z = (j as f64 - 5.0 - shift) / 2.5;
                            let u = (l as f64 - 2.0 - shift / 2.5) / 1.2;
                            (200.0 * (-(z * z + u * u - 1.2 * z * u) / 1.1).exp()).round() + 1.0
                        })
                        .collect()
                })
                .collect()
        };
        (make(0.0), make(0.8))
    }

    // derivative: the PSE design-function Jacobian against central differences.
    #[test]
    fn pse_jacobian_matches_finite_differences() {
        let (xa, ya) = tables();
        let model = BivariateModel {
            moments_x: 2,
            moments_a: 2,
            cross_x: 1,
            cross_a: 1,
        };
        let fp = bivariate_loglinear_fit(&xa, model).unwrap();
        let fq = bivariate_loglinear_fit(&ya, model).unwrap();
        let w = 0.3;
        let (dr_dp, dr_dq, ds_dp, ds_dq) = pse_jacobian(joint(&fp.fitted), joint(&fq.fitted), w);
        let eps = 1e-7;
        for cell in 0..fp.fitted.len() {
            for (which, dr, ds) in [(0, &dr_dp, &ds_dp), (1, &dr_dq, &ds_dq)] {
                let run = |s: f64| {
                    let (mut p, mut q) = (fp.fitted.clone(), fq.fitted.clone());
                    if which == 0 {
                        p[cell] += s
                    } else {
                        q[cell] += s
                    }
                    pse_design(joint(&p), joint(&q), w).unwrap()
                };
                let ((r1, s1), (r0, s0)) = (run(eps), run(-eps));
                for j in 0..11 {
                    let fd_r = (r1[j] - r0[j]) / (2.0 * eps);
                    let fd_s = (s1[j] - s0[j]) / (2.0 * eps);
                    assert!(
                        (fd_r - dr[(j, cell)]).abs() < 1e-6,
                        "dr_{j}/d cell {cell} of population {which}"
                    );
                    assert!(
                        (fd_s - ds[(j, cell)]).abs() < 1e-6,
                        "ds_{j}/d cell {cell} of population {which}"
                    );
                }
            }
        }
    }

    /// Equated scores from joint probabilities with fixed bandwidths (the definition, without
    /// derivatives), for the finite-difference checks.
    fn equate_from(p: &[f64], q: &[f64], eq: &NeatEquating) -> (Vec<f64>, Vec<f64>) {
        let (pj, qj) = (joint(p), joint(q));
        let k = eq.kernel;
        let b = eq.bandwidths;
        match eq.method {
            NeatMethod::PostStratification { w } => {
                let (r, s) = pse_design(pj, qj, w).unwrap();
                let f = Continuized::new(&r, k, b.h_x).unwrap();
                let g = Continuized::new(&s, k, b.h_y).unwrap();
                (
                    (0..11)
                        .map(|x| g.quantile(f.cdf(x as f64)).unwrap())
                        .collect(),
                    (0..11)
                        .map(|y| f.quantile(g.cdf(y as f64)).unwrap())
                        .collect(),
                )
            }
            NeatMethod::ChainEquating => {
                let f = Continuized::new(&pj.marginal_x(), k, b.h_x).unwrap();
                let hp = Continuized::new(&pj.marginal_a(), k, b.h_ap.unwrap()).unwrap();
                let hq = Continuized::new(&qj.marginal_a(), k, b.h_aq.unwrap()).unwrap();
                let g = Continuized::new(&qj.marginal_x(), k, b.h_y).unwrap();
                (
                    (0..11)
                        .map(|x| {
                            g.quantile(hq.cdf(hp.quantile(f.cdf(x as f64)).unwrap()))
                                .unwrap()
                        })
                        .collect(),
                    (0..11)
                        .map(|y| {
                            f.quantile(hp.cdf(hq.quantile(g.cdf(y as f64)).unwrap()))
                                .unwrap()
                        })
                        .collect(),
                )
            }
        }
    }

    // derivative: the SEE rows J_e J_DF C of CE and PSE against central differences of the
    // equating functions when P or Q moves along a column of its C matrix.
    #[test]
    fn neat_see_vectors_match_finite_differences() {
        let (xa, ya) = tables();
        let model = BivariateModel {
            moments_x: 2,
            moments_a: 2,
            cross_x: 1,
            cross_a: 1,
        };
        for method in [
            NeatMethod::ChainEquating,
            NeatMethod::PostStratification { w: 0.4 },
        ] {
            for kernel in [Kernel::Gaussian, Kernel::Logistic] {
                let opts = NeatOptions {
                    method,
                    model_xa: model,
                    model_ya: model,
                    kernel,
                    bandwidth: Bandwidth::Optimal,
                    kappa: 0.0,
                };
                let eq = kernel_equate_neat(&xa, &ya, &opts).unwrap();
                let tp = eq.fit_xa.c_matrix.ncols();
                for k in 0..tp + eq.fit_ya.c_matrix.ncols() {
                    let eps = 1e-4;
                    let run = |s: f64| {
                        let (mut p, mut q) = (eq.fit_xa.fitted.clone(), eq.fit_ya.fitted.clone());
                        if k < tp {
                            for (i, v) in p.iter_mut().enumerate() {
                                *v += s * eq.fit_xa.c_matrix[(i, k)];
                            }
                        } else {
                            for (i, v) in q.iter_mut().enumerate() {
                                *v += s * eq.fit_ya.c_matrix[(i, k - tp)];
                            }
                        }
                        equate_from(&p, &q, &eq)
                    };
                    let ((ey1, ex1), (ey0, ex0)) = (run(eps), run(-eps));
                    for x in 0..11 {
                        for (name, e1, e0, rows) in [
                            ("e_Y", &ey1, &ey0, &eq.see_vectors_y),
                            ("e_X", &ex1, &ex0, &eq.see_vectors_x),
                        ] {
                            let fd = (e1[x] - e0[x]) / (2.0 * eps);
                            let an = rows[(x, k)];
                            assert!(
                                (fd - an).abs() < 1e-5 * (1.0 + an.abs()),
                                "{method:?} {kernel:?} d {name}({x}) / d z_{k}: analytic {an}, finite difference {fd}"
                            );
                        }
                    }
                }
            }
        }
    }
}
