//! The EM passes of [`super::em`] from per-item-set moments of the ln-times.
//!
//! An EM pass needs, per attempt j, only W_j = sum w_i and a_j = sum w_i (beta_i - y_ij) over
//! its usable items, and per item sums of y_ij + m_j and (y_ij + m_j)^2 with m_j = a_j / (1/s +
//! W_j): every one of them is a linear or quadratic form in the attempt's ln-times. Attempts
//! with the same usable items (fixed forms give a handful of such sets) therefore enter a pass
//! only through their count n, the sums Y_a = sum_j y_aj and the cross-products
//! C_ab = sum_j y_aj y_bj, gathered once. With B = sum w_i beta_i over the set and Cw = C w:
//! sum_j a_j = n B - w'Y, sum_j a_j^2 = n B^2 - 2 B w'Y + w'Cw and
//! sum_j y_aj a_j = B Y_a - (Cw)_a, so a pass costs O(items^2) per set instead of one sweep of
//! all responses. It is the same algebra as the sweep (rounding differs in the last digits).
//! When the attempts fall into more than [`MAX_SETS`] sets (scattered unusable times), the
//! caller sweeps the responses instead.

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use super::em::EmPass;
use super::{TimeData, CHUNK};

/// Most item sets gathered; more and the EM sweeps the responses.
pub(super) const MAX_SETS: usize = 64;

/// Attempts with one set of usable items (in the attempts' response order): their count, the
/// sums of the ln-times per item and the upper triangle of their cross-products (row-major,
/// `C_ab` at `a * len + b` for a <= b).
#[derive(Debug, Clone)]
pub(super) struct SetMoments {
    pub items: Vec<u32>,
    pub n: f64,
    pub sum: Vec<f64>,
    pub cross: Vec<f64>,
}

impl SetMoments {
    fn new(items: Vec<u32>) -> SetMoments {
        let len = items.len();
        SetMoments {
            items,
            n: 0.0,
            sum: vec![0.0; len],
            cross: vec![0.0; len * len],
        }
    }

    fn add(&mut self, y: &[f64]) {
        let len = y.len();
        self.n += 1.0;
        for (a, &ya) in y.iter().enumerate() {
            self.sum[a] += ya;
            let row = &mut self.cross[a * len + a..(a + 1) * len];
            for (c, &yb) in row.iter_mut().zip(&y[a..]) {
                *c += ya * yb;
            }
        }
    }

    fn merge(&mut self, other: &SetMoments) {
        self.n += other.n;
        for (a, b) in self.sum.iter_mut().zip(&other.sum) {
            *a += b;
        }
        for (a, b) in self.cross.iter_mut().zip(&other.cross) {
            *a += b;
        }
    }

    /// C_ab for any a, b (from the upper triangle).
    #[inline]
    fn c(&self, a: usize, b: usize) -> f64 {
        let len = self.items.len();
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        self.cross[lo * len + hi]
    }
}

/// The moments of the attempts in `range`, sets in order of first appearance; None with more
/// than [`MAX_SETS`] sets.
fn block_moments(data: &TimeData, log_t: &[f32], range: Range<usize>) -> Option<Vec<SetMoments>> {
    let mut ids: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut sets: Vec<SetMoments> = Vec::new();
    let mut items = Vec::new();
    let mut y = Vec::new();
    for j in range {
        items.clear();
        y.clear();
        for r in data.attempt(j) {
            if !log_t[r].is_nan() {
                items.push(data.item[r]);
                y.push(log_t[r] as f64);
            }
        }
        if items.is_empty() {
            continue;
        }
        let id = match ids.get(items.as_slice()) {
            Some(&id) => id,
            None => {
                if sets.len() == MAX_SETS {
                    return None;
                }
                ids.insert(items.clone(), sets.len());
                sets.push(SetMoments::new(items.clone()));
                sets.len() - 1
            }
        };
        sets[id].add(&y);
    }
    Some(sets)
}

/// The moments of every item set of the data, gathered over at most 32 fixed blocks of attempts
/// (fixed by the data's size only) and merged in block order; None when there are more than
/// [`MAX_SETS`] sets.
pub(super) fn set_moments(data: &TimeData, log_t: &[f32]) -> Option<Vec<SetMoments>> {
    let n_att = data.n_attempts();
    let n_blocks = n_att.div_ceil(CHUNK).clamp(1, 32);
    let per_block = n_att.div_ceil(n_blocks);
    let parts: Vec<Option<Vec<SetMoments>>> = (0..n_blocks)
        .into_par_iter()
        .map(|b| block_moments(data, log_t, b * per_block..((b + 1) * per_block).min(n_att)))
        .collect();
    let mut ids: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut sets: Vec<SetMoments> = Vec::new();
    for part in parts {
        for set in part? {
            match ids.get(&set.items) {
                Some(&id) => sets[id].merge(&set),
                None => {
                    if sets.len() == MAX_SETS {
                        return None;
                    }
                    ids.insert(set.items.clone(), sets.len());
                    sets.push(set);
                }
            }
        }
    }
    Some(sets)
}

/// One EM pass (the E-step's sums, see [`super::em`]) from the sets' moments.
pub(super) fn em_pass(sets: &[SetMoments], beta: &[f64], w: &[f64], s: f64) -> EmPass {
    let n_items = beta.len();
    let ln_2pi = (2.0 * std::f64::consts::PI).ln();
    let mut pass = EmPass {
        su: vec![0.0; n_items],
        su2: vec![0.0; n_items],
        sv: vec![0.0; n_items],
        tau2: 0.0,
        tau1: 0.0,
        n_persons: 0.0,
        log_likelihood: 0.0,
    };
    let mut cw = Vec::new();
    for set in sets {
        let len = set.items.len();
        let wi = |a: usize| w[set.items[a] as usize];
        let bi = |a: usize| beta[set.items[a] as usize];
        let w_sum: f64 = (0..len).map(wi).sum();
        let big_b: f64 = (0..len).map(|a| wi(a) * bi(a)).sum();
        let log_w: f64 = (0..len)
            .map(|a| if wi(a) > 0.0 { wi(a).ln() } else { 0.0 })
            .sum();
        cw.clear();
        cw.extend((0..len).map(|a| (0..len).map(|b| set.c(a, b) * wi(b)).sum::<f64>()));
        let w_y: f64 = (0..len).map(|a| wi(a) * set.sum[a]).sum();
        let w_c_w: f64 = (0..len).map(|a| wi(a) * cw[a]).sum();
        let n = set.n;
        // sums over the set's attempts of a_j and a_j^2
        let sum_a = n * big_b - w_y;
        let sum_a2 = n * big_b * big_b - 2.0 * big_b * w_y + w_c_w;
        let precision = 1.0 / s + w_sum;
        let v = 1.0 / precision;
        let sum_m = sum_a * v;
        let sum_m2 = sum_a2 * v * v;
        // sum_j w'(y_j - beta)^2 and the marginal log-likelihood's terms
        let wrr: f64 = (0..len)
            .map(|a| wi(a) * (set.c(a, a) - 2.0 * bi(a) * set.sum[a] + n * bi(a) * bi(a)))
            .sum();
        let c = s / (1.0 + s * w_sum);
        let log_det = -log_w + (1.0 + s * w_sum).ln();
        pass.tau2 += sum_m2 + n * v;
        pass.n_persons += n;
        pass.log_likelihood += -0.5 * (n * (len as f64 * ln_2pi + log_det) + wrr - c * sum_a2);
        pass.tau1 += sum_m;
        for (a, (&i, &cw_a)) in set.items.iter().zip(&cw).enumerate() {
            let i = i as usize;
            let sum_y_m = (big_b * set.sum[a] - cw_a) * v;
            pass.su[i] += set.sum[a] + sum_m;
            pass.su2[i] += set.c(a, a) + 2.0 * sum_y_m + sum_m2;
            pass.sv[i] += n * v;
        }
    }
    pass
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn close(what: &str, a: f64, b: f64) {
        assert!(
            (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())),
            "{what}: moments {a} vs sweep {b}"
        );
    }

    // independent computation: the pass from the sets' moments equals the sweep of the
    // responses (super::em's em_pass) to 1e-9, at parameters away from any estimate, with
    // fixed forms and with some unusable times (more sets); with unusable times scattered
    // widely the sets exceed MAX_SETS and the moments give way to the sweep.
    #[test]
    fn moments_pass_equals_the_sweep_of_the_responses() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let n_items = 30;
        let forms: Vec<Vec<u32>> = (0..4)
            .map(|f| {
                (0..10)
                    .map(|p| ((f * 7 + p * 3) % n_items) as u32)
                    .collect()
            })
            .collect();
        for (p_skip, expect_sets) in [(0.0, true), (0.0005, true), (0.2, false)] {
            let data = TimeData::from_attempts((0..2000).map(|j| {
                forms[j % 4]
                    .iter()
                    .map(|&i| {
                        let s = if rng.gen::<f64>() < p_skip {
                            0.0
                        } else {
                            rng.gen_range(5.0f32..90.0)
                        };
                        (i, s)
                    })
                    .collect::<Vec<_>>()
            }));
            let prep = super::super::em::prepare(&data, n_items, 1).unwrap();
            let sets = set_moments(&data, &prep.log_t);
            assert_eq!(sets.is_some(), expect_sets, "skip share {p_skip}");
            let Some(sets) = sets else { continue };
            let beta: Vec<f64> = (0..n_items).map(|_| rng.gen_range(2.5..4.5)).collect();
            let w: Vec<f64> = (0..n_items).map(|_| rng.gen_range(1.0..9.0)).collect();
            for s in [0.04, 0.3] {
                let m = em_pass(&sets, &beta, &w, s);
                let d = super::super::em::em_pass(&data, &prep, &beta, &w, s);
                for i in 0..n_items {
                    close("sum u", m.su[i], d.su[i]);
                    close("sum u^2", m.su2[i], d.su2[i]);
                    close("sum V", m.sv[i], d.sv[i]);
                }
                close("sum E tau^2", m.tau2, d.tau2);
                close("sum E tau", m.tau1, d.tau1);
                close("persons", m.n_persons, d.n_persons);
                close("log-likelihood", m.log_likelihood, d.log_likelihood);
            }
        }
    }
}
