//! Standard errors from the observed information at the solution.
//!
//! Small problems (up to [`OAKES_MAX_PARAMS`] free parameters): the full observed information by
//! Oakes' identity, computed as central finite differences of the exact Fisher score (the score
//! of the marginal log-likelihood is the complete-data score at the E-step's posterior; Oakes 1999,
//! as mirt's `SE.type = "Oakes"`). Larger problems: the cross-product of per-person scores
//! (XPD, as mirt's `"crossprod"`), item by item (block diagonal), plus the curvature of the log
//! prior for Bayes modal estimates, and the cross-product of the latent densities' (mean, sd) scores per
//! group (each its own block); it costs one E-step pass.

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::data::Responses;
use super::em::{e_step, log_tables, pack, unpack, Calibration};
use super::model::ItemModel;

/// Above this many free parameters the block-diagonal cross-product is used.
pub const OAKES_MAX_PARAMS: usize = 100;

/// Method used for the standard errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeMethod {
    Oakes,
    CrossProductBlock,
}

/// Covariance of the free parameters, item by item and for the latent densities.
#[derive(Debug, Clone)]
pub struct Covariance {
    pub method: SeMethod,
    /// Per item (empty for fixed items): row-major covariance of its free parameters; `None` when
    /// the information was singular.
    pub items: Vec<Option<Vec<f64>>>,
    /// Per group: SE of (mean, sd) where free.
    pub latent: Vec<(Option<f64>, Option<f64>)>,
    /// Full covariance (Oakes only), in the packing order of [`super::em::pack`].
    pub full: Option<DMatrix<f64>>,
}

/// The Fisher score (gradient of the marginal log-likelihood plus log priors) at `cal`.
pub fn score(data: &Responses, cal: &Calibration) -> Vec<f64> {
    let q = cal.grid.len();
    let tables = log_tables(&cal.items, &cal.grid);
    let weights: Vec<Vec<f64>> = (0..cal.latent.len()).map(|g| cal.weights(g)).collect();
    let lw: Vec<Vec<f64>> = weights
        .iter()
        .map(|w| w.iter().map(|x| x.max(1e-300).ln()).collect())
        .collect();
    let e = e_step(data, &tables, &lw, q);
    let mut s = Vec::new();
    for (i, (m, f)) in cal.items.iter().zip(&cal.fixed).enumerate() {
        if *f {
            continue;
        }
        let n = m.free_params().len();
        let (mut g, mut h) = (vec![0.0; n], vec![0.0; n * n]);
        let r0 = &e.counts[(2 * i) * q..(2 * i + 1) * q];
        let r1 = &e.counts[(2 * i + 1) * q..(2 * i + 2) * q];
        m.log_lik(&cal.grid.theta, &[r0, r1], &mut g, &mut h);
        s.extend(g);
    }
    for (gi, l) in cal.latent.iter().enumerate() {
        let post = &e.group_post[gi * q..(gi + 1) * q];
        let n: f64 = post.iter().sum();
        let w = &weights[gi];
        let v = l.sd * l.sd;
        let du = |t: f64| (t - l.mean) / v;
        let ds = |t: f64| -1.0 / l.sd + (t - l.mean).powi(2) / (v * l.sd);
        let derivs: [(bool, &dyn Fn(f64) -> f64); 2] = [(l.free.0, &du), (l.free.1, &ds)];
        for (free, d) in derivs {
            if free {
                let mean_w: f64 = w.iter().zip(&cal.grid.theta).map(|(w, t)| w * d(*t)).sum();
                let sp: f64 = post
                    .iter()
                    .zip(&cal.grid.theta)
                    .map(|(p, t)| p * d(*t))
                    .sum();
                s.push(sp - n * mean_w);
            }
        }
    }
    s
}

/// Standard errors at the solution `cal`.
pub fn covariance(data: &Responses, cal: &Calibration) -> Covariance {
    let n = cal.n_free();
    if n <= OAKES_MAX_PARAMS {
        oakes(data, cal)
    } else {
        let mut cov = cross_product_block(data, cal);
        // the cohorts' (mean, sd) need the information they share with the items
        if let Some(latent) = super::cohort_se::cohort_se(data, cal) {
            cov.latent = latent;
        }
        cov
    }
}

fn oakes(data: &Responses, cal: &Calibration) -> Covariance {
    let p0 = pack(cal);
    let n = p0.len();
    let cols: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            let h = 1e-4 * (1.0 + p0[j].abs());
            let mut plus = cal.clone();
            let mut v = p0.clone();
            v[j] += h;
            unpack(&mut plus, &v);
            let sp = score(data, &plus);
            let mut minus = cal.clone();
            v[j] -= 2.0 * h;
            unpack(&mut minus, &v);
            let sm = score(data, &minus);
            sp.iter()
                .zip(&sm)
                .map(|(a, b)| (a - b) / (2.0 * h))
                .collect()
        })
        .collect();
    let info = DMatrix::from_fn(n, n, |i, j| -0.5 * (cols[j][i] + cols[i][j]));
    let full = info
        .clone()
        .cholesky()
        .map(|c| c.inverse())
        .or_else(|| info.try_inverse());
    let mut items = Vec::new();
    let mut k = 0;
    for (m, f) in cal.items.iter().zip(&cal.fixed) {
        if *f {
            items.push(None);
            continue;
        }
        let np = m.free_params().len();
        items.push(full.as_ref().and_then(|c| {
            let block: Vec<f64> = (0..np * np).map(|x| c[(k + x / np, k + x % np)]).collect();
            (0..np)
                .all(|u| block[u * np + u] > 0.0 && block[u * np + u].is_finite())
                .then_some(block)
        }));
        k += np;
    }
    let mut latent = Vec::new();
    for l in &cal.latent {
        let mut se = (None, None);
        if l.free.0 {
            se.0 = full.as_ref().map(|c| c[(k, k)].max(0.0).sqrt());
            k += 1;
        }
        if l.free.1 {
            se.1 = full.as_ref().map(|c| c[(k, k)].max(0.0).sqrt());
            k += 1;
        }
        latent.push(se);
    }
    Covariance {
        method: super::se::SeMethod::Oakes,
        items,
        latent,
        full,
    }
}

/// The block-diagonal cross-product covariance (used above [`OAKES_MAX_PARAMS`]).
pub fn cross_product_block(data: &Responses, cal: &Calibration) -> Covariance {
    let q = cal.grid.len();
    let ctx = super::xpd::ScoreContext::new(cal);
    let npar = &ctx.npar;
    let maxp = npar.iter().cloned().max().unwrap_or(1);
    let n_items = cal.items.len();
    // Per group, the scores of the normal density's (mean, sd) at each point minus their mean
    // under the group's weights (the normalisation's term), for the latent cross-products.
    let n_groups = cal.latent.len();
    let latent_scores: Vec<Vec<[f64; 2]>> = cal
        .latent
        .iter()
        .enumerate()
        .map(|(g, l)| {
            let w = cal.weights(g);
            let v = l.sd * l.sd;
            let d: Vec<[f64; 2]> = cal
                .grid
                .theta
                .iter()
                .map(|t| {
                    [
                        (t - l.mean) / v,
                        -1.0 / l.sd + (t - l.mean).powi(2) / (v * l.sd),
                    ]
                })
                .collect();
            let m = [0, 1].map(|u| w.iter().zip(&d).map(|(w, x)| w * x[u]).sum::<f64>());
            d.iter().map(|x| [x[0] - m[0], x[1] - m[1]]).collect()
        })
        .collect();
    let lat_off = n_items * maxp * maxp;
    // Persons by item set in blocks (scores by one matrix product per block); the blocks' sums
    // added in block order, so the result does not depend on the number of threads.
    let blocks = data.item_set_blocks(&cal.fixed, super::xpd::BLOCK, super::xpd::MIN_SET);
    let mut acc = vec![0.0; n_items * maxp * maxp + 4 * n_groups];
    for batch in blocks.chunks(super::xpd::BATCH) {
        let parts: Vec<Vec<f64>> = batch
            .par_iter()
            .map(|b| {
                let bs = ctx.block_scores(data, cal, b);
                let mut acc = vec![0.0; n_items * maxp * maxp + 4 * n_groups];
                for (j, &p) in b.persons.iter().enumerate() {
                    let p = p as usize;
                    let w = data.weight[p];
                    let g = data.group[p] as usize;
                    let post = &bs.post[j * q..(j + 1) * q];
                    let mut sl = [0.0; 2];
                    for (l, x) in post.iter().zip(&latent_scores[g]) {
                        sl[0] += l * x[0];
                        sl[1] += l * x[1];
                    }
                    for u in 0..2 {
                        for v in 0..2 {
                            acc[lat_off + 4 * g + 2 * u + v] += w * sl[u] * sl[v];
                        }
                    }
                    for &c in data.codes(p) {
                        let i = c as usize / 2;
                        if cal.fixed[i] {
                            continue;
                        }
                        let si = &bs.s[j * bs.k + bs.first[i]..][..npar[i]];
                        let blk = &mut acc[i * maxp * maxp..(i + 1) * maxp * maxp];
                        for u in 0..npar[i] {
                            for v in 0..npar[i] {
                                blk[u * maxp + v] += w * si[u] * si[v];
                            }
                        }
                    }
                }
                acc
            })
            .collect();
        for part in parts {
            for (a, x) in acc.iter_mut().zip(&part) {
                *a += x;
            }
        }
    }
    let items = (0..n_items)
        .map(|i| {
            if cal.fixed[i] {
                return None;
            }
            let np = npar[i];
            // Bayes modal: the prior's curvature adds to the information (zero counts = prior only).
            let zero = vec![0.0; q];
            let (mut g, mut h) = (vec![0.0; np], vec![0.0; np * np]);
            cal.items[i].log_lik(&cal.grid.theta, &[&zero, &zero], &mut g, &mut h);
            let m = DMatrix::from_fn(np, np, |u, v| {
                acc[i * maxp * maxp + u * maxp + v] - h[u * np + v]
            });
            let inv = m.cholesky()?.inverse();
            Some((0..np * np).map(|x| inv[(x / np, x % np)]).collect())
        })
        .collect();
    // Latent (mean, sd) of each group: the inverse of its own cross-product block (the blocks
    // between the densities and the items are left out, as between items).
    let latent = cal
        .latent
        .iter()
        .enumerate()
        .map(|(g, l)| {
            if l.histogram.is_some() {
                return (None, None);
            }
            let free: Vec<usize> = [l.free.0, l.free.1]
                .iter()
                .enumerate()
                .filter(|(_, f)| **f)
                .map(|(u, _)| u)
                .collect();
            let k = free.len();
            let m = DMatrix::from_fn(k, k, |a, b| acc[lat_off + 4 * g + 2 * free[a] + free[b]]);
            let Some(inv) = m.cholesky().map(|c| c.inverse()) else {
                return (None, None);
            };
            let mut se = (None, None);
            for (a, &u) in free.iter().enumerate() {
                let v = Some(inv[(a, a)].max(0.0).sqrt());
                if u == 0 {
                    se.0 = v;
                } else {
                    se.1 = v;
                }
            }
            se
        })
        .collect();
    Covariance {
        method: SeMethod::CrossProductBlock,
        items,
        latent,
        full: None,
    }
}

/// A person's posterior over the quadrature points, unnormalised: `ll` gets
/// exp(log prior + sum of the answered rows of `tables` - max) at each point; returns its sum.
pub(super) fn person_posterior(
    ll: &mut [f64],
    log_prior: &[f64],
    tables: &[f64],
    codes: &[u32],
    q: usize,
) -> f64 {
    ll.copy_from_slice(log_prior);
    for &c in codes {
        for (l, t) in ll
            .iter_mut()
            .zip(&tables[c as usize * q..(c as usize + 1) * q])
        {
            *l += t;
        }
    }
    let max = ll.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut tot = 0.0;
    for l in ll.iter_mut() {
        *l = (*l - max).exp();
        tot += *l;
    }
    tot
}
