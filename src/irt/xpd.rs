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
pub(super) const BLOCK: usize = 2048;
/// Item sets with fewer persons are pooled with the other rare ones.
pub(super) const MIN_SET: usize = 64;
/// Blocks computed at once before being added to the information (bounds the memory).
pub(super) const BATCH: usize = 16;

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
    let ctx = ScoreContext::new(cal);
    let total = ctx.n_params;
    let blocks = data.item_set_blocks(&cal.fixed, BLOCK, MIN_SET);
    let mut info = DMatrix::<f64>::zeros(total, total);
    for batch in blocks.chunks(BATCH) {
        let parts: Vec<(Vec<usize>, Vec<f64>)> = batch
            .par_iter()
            .map(|b| {
                let mut bs = ctx.block_scores(data, cal, b);
                // column j times sqrt(w_j): the Gram matrix is then sum_j w_j s_j s_j'
                for (j, &p) in b.persons.iter().enumerate() {
                    let f = data.weight[p as usize].sqrt();
                    bs.s[j * bs.k..(j + 1) * bs.k]
                        .iter_mut()
                        .for_each(|x| *x *= f);
                }
                let g = gram(&bs.s, bs.k, b.persons.len());
                (bs.params, g)
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
        let k = ctx.npar[i];
        let (mut g, mut h) = (vec![0.0; k], vec![0.0; k * k]);
        m.log_lik(&cal.grid.theta, &[&zero, &zero], &mut g, &mut h);
        for u in 0..k {
            for v in 0..k {
                info[(ctx.offset[i] + u, ctx.offset[i] + v)] -= h[u * k + v];
            }
        }
    }
    info
}

/// What every block's scores need: the items' log-probability tables on the grid, the groups'
/// log weights, and each item's number of free parameters and offset in the packing order.
pub(super) struct ScoreContext {
    tables: Vec<f64>,
    log_w: Vec<Vec<f64>>,
    pub(super) npar: Vec<usize>,
    pub(super) offset: Vec<usize>,
    pub(super) n_params: usize,
}

/// A block's persons: their normalised posteriors and their Fisher scores in the free
/// parameters of the block's items.
pub(super) struct BlockScores {
    /// Global (packing-order) index of each local parameter.
    pub(super) params: Vec<usize>,
    /// Local index of each exam item's first parameter (usize::MAX when not in the block).
    pub(super) first: Vec<usize>,
    /// Local parameters.
    pub(super) k: usize,
    /// Column j (k values): person j's score, sum_q post(q) d ln P(x | theta_q) / d parameter;
    /// zero for items the person did not answer.
    pub(super) s: Vec<f64>,
    /// Row j (Q values): person j's posterior over the grid.
    pub(super) post: Vec<f64>,
}

impl ScoreContext {
    pub(super) fn new(cal: &Calibration) -> ScoreContext {
        let npar: Vec<usize> = cal.items.iter().map(|m| m.free_params().len()).collect();
        let mut offset = Vec::with_capacity(npar.len());
        let mut n_params = 0;
        for (i, &k) in npar.iter().enumerate() {
            offset.push(n_params);
            if !cal.fixed[i] {
                n_params += k;
            }
        }
        ScoreContext {
            tables: log_tables(&cal.items, &cal.grid),
            log_w: super::em::log_weights(cal),
            npar,
            offset,
            n_params,
        }
    }

    /// The posteriors and scores of block `b`'s persons. The scores are two matrix products,
    /// posteriors (persons x points) times the items' per-category score tables (points x
    /// parameters, for a wrong and for a right answer), of which each person takes the columns of
    /// its answers: one dgemm instead of a dot product over the grid per response and parameter.
    pub(super) fn block_scores(
        &self,
        data: &Responses,
        cal: &Calibration,
        b: &super::data::PersonBlock,
    ) -> BlockScores {
        let q = cal.grid.len();
        let n = b.persons.len();
        let mut first = vec![usize::MAX; cal.items.len()];
        let mut params = Vec::new();
        for &i in &b.items {
            let i = i as usize;
            first[i] = params.len();
            params.extend(self.offset[i]..self.offset[i] + self.npar[i]);
        }
        let k = params.len();
        // [T0 | T1], Q x 2k column-major: the score of each parameter at each point, wrong / right
        let mut table = vec![0.0; q * 2 * k];
        let mut sc = [0.0; 3];
        for &i in &b.items {
            let i = i as usize;
            let np = self.npar[i];
            for (kq, &th) in cal.grid.theta.iter().enumerate() {
                for x in 0..2 {
                    cal.items[i].score(th, x, &mut sc[..np]);
                    for (u, v) in sc[..np].iter().enumerate() {
                        table[(x * k + first[i] + u) * q + kq] = *v;
                    }
                }
            }
        }
        let mut post = vec![0.0; n * q];
        for (j, &p) in b.persons.iter().enumerate() {
            let p = p as usize;
            let ll = &mut post[j * q..(j + 1) * q];
            let g = data.group[p] as usize;
            let tot = person_posterior(ll, &self.log_w[g], &self.tables, data.codes(p), q);
            ll.iter_mut().for_each(|l| *l /= tot);
        }
        // both = post (n x Q, row-major) x table (Q x 2k): n x 2k, column-major
        let mut both = vec![0.0; n * 2 * k];
        if n > 0 && k > 0 {
            // SAFETY: post holds n x Q (row-major: row stride Q), table Q x 2k (column stride Q),
            // both n x 2k (column stride n).
            unsafe {
                matrixmultiply::dgemm(
                    n,
                    q,
                    2 * k,
                    1.0,
                    post.as_ptr(),
                    q as isize,
                    1,
                    table.as_ptr(),
                    1,
                    q as isize,
                    0.0,
                    both.as_mut_ptr(),
                    1,
                    n as isize,
                );
            }
        }
        let mut s = vec![0.0; k * n];
        for (j, &p) in b.persons.iter().enumerate() {
            for &c in data.codes(p as usize) {
                let i = c as usize / 2;
                if cal.fixed[i] {
                    continue;
                }
                let x = (c & 1) as usize;
                for u in 0..self.npar[i] {
                    s[j * k + first[i] + u] = both[j + (x * k + first[i] + u) * n];
                }
            }
        }
        BlockScores {
            params,
            first,
            k,
            s,
            post,
        }
    }
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
