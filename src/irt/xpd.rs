//! The full cross-product (XPD, empirical) information of the items' free parameters: the sum
//! over persons of w s s', s the person's Fisher score in every free item parameter (the
//! complete-data score at the person's posterior; mirt's `SE.type = "crossprod"`), plus the
//! curvature of the log priors. Unlike the block version in [`super::se`] it keeps the
//! covariances between items, which links and cohort means are made of.
//!
//! Persons who answered the same free items (the attempts of one form) share a dense block: their
//! scores are gathered in columns and the block's outer products summed by one matrix product
//! (`matrixmultiply`'s blocked dgemm) instead of an update per entry and person. Persons whose item
//! set is rare are gathered with zeros for the items they did not answer. Blocks of persons are
//! fixed before any work is shared out and their products added in that order, so the result does
//! not depend on the number of threads.

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::data::Responses;
use super::em::{log_tables, Calibration};
use super::model::ItemModel;
use super::se::{person_posterior, Covariance, SeMethod};

/// Persons per block (columns of one matrix product).
const BLOCK: usize = 2048;
/// Item sets with fewer persons are pooled with the other rare ones.
const MIN_SET: usize = 64;
/// Blocks computed at once before being added to the information (bounds the memory).
const BATCH: usize = 16;

/// [`cross_product_information`] inverted (None when it is not positive definite): the full
/// covariance of the items' free parameters, in the packing order of [`super::em::pack`].
pub fn cross_product_full(data: &Responses, cal: &Calibration) -> Option<DMatrix<f64>> {
    cross_product_information(data, cal)
        .cholesky()
        .map(|c| c.inverse())
}

/// The cross-product covariance from one pass over the persons, for calibrations whose latent
/// densities are all fixed (a form's separate calibration): each item's own block of the
/// information inverted (the item SEs of [`super::se::cross_product_block`]) and, beside, the
/// whole information inverted (`full`, None when it is not positive definite). None when a
/// latent parameter is free (their SEs need [`super::se::covariance`]).
pub fn covariance_with_full(data: &Responses, cal: &Calibration) -> Option<Covariance> {
    if cal.latent.iter().any(|l| l.free.0 || l.free.1) {
        return None;
    }
    let info = cross_product_information(data, cal);
    let mut items = Vec::with_capacity(cal.items.len());
    let mut k = 0;
    for (m, &fixed) in cal.items.iter().zip(&cal.fixed) {
        if fixed {
            items.push(None);
            continue;
        }
        let np = m.free_params().len();
        let block = info.view((k, k), (np, np)).into_owned();
        items.push(
            block
                .cholesky()
                .map(|c| c.inverse())
                .map(|inv| (0..np * np).map(|x| inv[(x / np, x % np)]).collect()),
        );
        k += np;
    }
    Some(Covariance {
        method: SeMethod::CrossProductBlock,
        items,
        latent: vec![(None, None); cal.latent.len()],
        full: info.cholesky().map(|c| c.inverse()),
    })
}

/// The full cross-product information of the items' free parameters plus the curvature of the
/// log priors, in the packing order of [`super::em::pack`] (items only).
pub fn cross_product_information(data: &Responses, cal: &Calibration) -> DMatrix<f64> {
    let q = cal.grid.len();
    let tables = log_tables(&cal.items, &cal.grid);
    let lw = super::em::log_weights(cal);
    let npar: Vec<usize> = cal.items.iter().map(|m| m.free_params().len()).collect();
    let mut offset = Vec::with_capacity(npar.len());
    let mut total = 0;
    for (i, &k) in npar.iter().enumerate() {
        offset.push(total);
        if !cal.fixed[i] {
            total += k;
        }
    }
    // Score tables parameter-major, [(c * 3 + u) * Q + k] for code c = 2 i + x, so that a
    // person's score in a parameter is a dot product with the posterior over the grid.
    let mut table = vec![0.0; cal.items.len() * 2 * 3 * q];
    let mut sc = [0.0; 3];
    for (i, m) in cal.items.iter().enumerate() {
        for (k, &t) in cal.grid.theta.iter().enumerate() {
            for x in 0..2 {
                m.score(t, x, &mut sc[..npar[i]]);
                for (u, s) in sc[..npar[i]].iter().enumerate() {
                    table[((2 * i + x) * 3 + u) * q + k] = *s;
                }
            }
        }
    }
    let blocks = data.item_set_blocks(&cal.fixed, BLOCK, MIN_SET);
    let mut info = DMatrix::<f64>::zeros(total, total);
    for batch in blocks.chunks(BATCH) {
        let parts: Vec<(Vec<usize>, Vec<f64>)> = batch
            .par_iter()
            .map(|b| {
                // the block's parameters: global index of each local row
                let mut params = Vec::new();
                let mut local = vec![usize::MAX; cal.items.len()];
                for &i in &b.items {
                    local[i as usize] = params.len();
                    params.extend(offset[i as usize]..offset[i as usize] + npar[i as usize]);
                }
                let k = params.len();
                let n = b.persons.len();
                // column j: sqrt(w) times person j's scores (zero for items not answered)
                let mut s = vec![0.0; k * n];
                let mut ll = vec![0.0; q];
                for (j, &p) in b.persons.iter().enumerate() {
                    let p = p as usize;
                    let codes = data.codes(p);
                    let tot =
                        person_posterior(&mut ll, &lw[data.group[p] as usize], &tables, codes, q);
                    let f = data.weight[p].sqrt() / tot;
                    let col = &mut s[j * k..(j + 1) * k];
                    for &c in codes {
                        let i = c as usize / 2;
                        if cal.fixed[i] {
                            continue;
                        }
                        for u in 0..npar[i] {
                            let t = &table[(c as usize * 3 + u) * q..][..q];
                            col[local[i] + u] =
                                f * ll.iter().zip(t).map(|(a, b)| a * b).sum::<f64>();
                        }
                    }
                }
                (params, gram(&s, k, n))
            })
            .collect();
        for (params, out) in parts {
            let k = params.len();
            for (b, &gb) in params.iter().enumerate() {
                let col = &mut info.as_mut_slice()[gb * total..(gb + 1) * total];
                for (a, &ga) in params.iter().enumerate() {
                    col[ga] += out[b * k + a];
                }
            }
        }
    }
    let zero = vec![0.0; q];
    for (i, m) in cal.items.iter().enumerate() {
        if cal.fixed[i] {
            continue;
        }
        let k = npar[i];
        let (mut g, mut h) = (vec![0.0; k], vec![0.0; k * k]);
        m.log_lik(&cal.grid.theta, &[&zero, &zero], &mut g, &mut h);
        for u in 0..k {
            for v in 0..k {
                info[(offset[i] + u, offset[i] + v)] -= h[u * k + v];
            }
        }
    }
    info
}

/// S S' (k x k, column-major) of the k x n column-major matrix `s`, by `matrixmultiply`'s blocked
/// dgemm: the sums over the n columns of their outer products.
pub(super) fn gram(s: &[f64], k: usize, n: usize) -> Vec<f64> {
    assert_eq!(s.len(), k * n, "a k x n matrix");
    let mut out = vec![0.0; k * k];
    if k > 0 && n > 0 {
        // SAFETY: `s` holds k x n values (checked above), `out` k x k; the strides describe
        // column-major storage of S (k x n), S' (n x k, the same buffer) and the k x k product.
        unsafe {
            matrixmultiply::dgemm(
                k,
                n,
                k,
                1.0,
                s.as_ptr(),
                1,
                k as isize,
                s.as_ptr(),
                k as isize,
                1,
                0.0,
                out.as_mut_ptr(),
                1,
                k as isize,
            );
        }
    }
    out
}
