//! Item fit and local dependence.
//!
//! - S-X2 (Orlando & Thissen 2000): persons grouped by their summed score; observed proportion
//!   right per score group against the model's, E_ik = sum_q w_q P_i(q) S*_{k-1}(q) / sum_q w_q
//!   S_k(q), with S and S* the Lord-Wingersky distributions with and without the item. Score groups
//!   whose expected right or wrong count is below 1 are merged into their neighbours from both tails
//!   inward (as R mirt's `itemfit`, `mincell = 1`); df = groups - free item parameters. In an
//!   incomplete design the statistic is computed within each group (form) over the persons who saw
//!   all of that form's items, and chi-squares and dfs are added over forms.
//! - Infit and outfit mean squares (Wright & Masters 1982) with the persons' EAP thetas:
//!   outfit = mean z^2, infit = sum (x - P)^2 / sum P (1 - P).
//! - Yen's Q3 (1984): correlations of the residuals x - P(EAP) between item pairs over the persons
//!   who saw both; pairs whose Q3 exceeds the mean Q3 by more than 0.2 are reported (Christensen,
//!   Makransky & Horton 2017).

use rayon::prelude::*;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::data::Responses;
use super::em::Calibration;
use super::model::{ItemModel, Logistic};
use super::scoring::PersonScore;
use super::test_level::lord_wingersky;

/// Fit of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFit {
    pub s_x2: f64,
    pub df: usize,
    pub p_value: f64,
    pub infit: f64,
    pub outfit: f64,
}

/// A locally dependent pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Q3Pair {
    pub item_a: usize,
    pub item_b: usize,
    pub q3: f64,
}

/// Default excess of Q3 over its mean that flags a pair.
pub const Q3_EXCESS: f64 = 0.2;

/// S-X2 of every item, summed over groups (forms); NaN where no score group was left.
pub fn s_x2(data: &Responses, cal: &Calibration) -> Vec<(f64, usize)> {
    let n_items = data.n_items();
    let mut chi = vec![0.0; n_items];
    let mut df = vec![0usize; n_items];
    let mut any = vec![false; n_items];
    for g in 0..data.n_groups() {
        let (sub, items) = data.select_group(g as u16);
        let k = items.len();
        if k < 2 {
            continue;
        }
        let params: Vec<Logistic> = items.iter().map(|&i| cal.items[i]).collect();
        let weights = cal.weights(g);
        let theta = &cal.grid.theta;
        // Observed: per score, number of persons and number right on each item.
        let mut n_s = vec![0.0; k + 1];
        let mut right = vec![vec![0.0; k + 1]; k];
        for p in 0..sub.n_persons() {
            let codes = sub.codes(p);
            if codes.len() != k {
                continue;
            }
            let s = codes.iter().filter(|c| *c & 1 == 1).count();
            n_s[s] += sub.weight[p];
            for &c in codes.iter().filter(|c| *c & 1 == 1) {
                right[c as usize / 2][s] += sub.weight[p];
            }
        }
        let full = lord_wingersky(&params, theta);
        let denom: Vec<f64> = (0..=k)
            .map(|s| full.iter().zip(&weights).map(|(d, w)| w * d[s]).sum())
            .collect();
        for j in 0..k {
            let rest: Vec<Logistic> = params
                .iter()
                .enumerate()
                .filter(|(x, _)| *x != j)
                .map(|(_, m)| *m)
                .collect();
            let without = lord_wingersky(&rest, theta);
            // Score groups 1..k-1: (N, observed right, expected right).
            let mut cells: Vec<(f64, f64, f64)> = (1..k)
                .map(|s| {
                    let num: f64 = without
                        .iter()
                        .zip(&weights)
                        .zip(theta)
                        .map(|((d, w), t)| w * params[j].expected_score(*t) * d[s - 1])
                        .sum();
                    let e = num / denom[s];
                    (n_s[s], right[j][s], n_s[s] * e)
                })
                .filter(|c| c.0 > 0.0)
                .collect();
            collapse(&mut cells);
            let stat: f64 = cells
                .iter()
                .map(|&(n, o, e)| {
                    let pe = e / n;
                    n * (o / n - pe).powi(2) / (pe * (1.0 - pe))
                })
                .sum();
            let free = if cal.fixed[items[j]] {
                0
            } else {
                cal.items[items[j]].free_params().len()
            };
            if cells.len() > free && stat.is_finite() {
                chi[items[j]] += stat;
                df[items[j]] += cells.len() - free;
                any[items[j]] = true;
            }
        }
    }
    (0..n_items)
        .map(|i| {
            if any[i] {
                (chi[i], df[i])
            } else {
                (f64::NAN, 0)
            }
        })
        .collect()
}

/// Merges cells whose expected right or wrong count is below 1 into their neighbours, from both
/// ends toward the middle.
fn collapse(cells: &mut Vec<(f64, f64, f64)>) {
    let small = |c: &(f64, f64, f64)| c.2 < 1.0 || c.0 - c.2 < 1.0;
    while cells.len() > 1 && small(&cells[0]) {
        let c = cells.remove(0);
        cells[0] = (cells[0].0 + c.0, cells[0].1 + c.1, cells[0].2 + c.2);
    }
    while cells.len() > 1 && small(&cells[cells.len() - 1]) {
        let c = cells.pop().expect("non-empty");
        let last = cells.len() - 1;
        cells[last] = (
            cells[last].0 + c.0,
            cells[last].1 + c.1,
            cells[last].2 + c.2,
        );
    }
}

/// S-X2 with p-values plus infit/outfit with the persons' EAPs.
pub fn item_fit(data: &Responses, cal: &Calibration, scores: &[PersonScore]) -> Vec<ItemFit> {
    let sx2 = s_x2(data, cal);
    let n = data.n_items();
    let (mut z2, mut cnt, mut r2, mut var) =
        (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for (p, score) in scores.iter().enumerate().take(data.n_persons()) {
        let w = data.weight[p];
        for &c in data.codes(p) {
            let i = c as usize / 2;
            let pr = cal.items[i].expected_score(score.eap);
            let r = (c & 1) as f64 - pr;
            let v = pr * (1.0 - pr);
            z2[i] += w * r * r / v;
            cnt[i] += w;
            r2[i] += w * r * r;
            var[i] += w * v;
        }
    }
    (0..n)
        .map(|i| {
            let (s, df) = sx2[i];
            let p_value = if df > 0 && s.is_finite() {
                ChiSquared::new(df as f64)
                    .map(|d| 1.0 - d.cdf(s))
                    .unwrap_or(f64::NAN)
            } else {
                f64::NAN
            };
            ItemFit {
                s_x2: s,
                df,
                p_value,
                outfit: z2[i] / cnt[i],
                infit: r2[i] / var[i],
            }
        })
        .collect()
}

/// Yen's Q3 for every pair of items seen together by at least `min_pairs` persons; returns the
/// mean Q3 and the pairs above mean + `excess`.
pub fn q3(
    data: &Responses,
    cal: &Calibration,
    scores: &[PersonScore],
    min_pairs: f64,
    excess: f64,
) -> (f64, Vec<Q3Pair>) {
    let n = data.n_items();
    // Sums for correlations: n, sx, sy, sxx, syy, sxy per pair (upper triangle, dense: n is small
    // per form; for large pools only pairs that co-occur get mass).
    let idx = |a: usize, b: usize| a * n + b;
    let mut acc = vec![[0.0f64; 6]; n * n];
    // Persons who saw the same items in blocks: a block's sums over persons are its residual
    // matrix's Gram matrix (one dgemm) and column sums, added to every pair of its items.
    let blocks = data.item_set_blocks(&vec![false; n], super::xpd::BLOCK, super::xpd::MIN_SET);
    for batch in blocks.chunks(super::xpd::BATCH) {
        let sums: Vec<Option<BlockSums>> = batch
            .par_iter()
            .map(|b| (!b.pooled).then(|| block_sums(data, cal, scores, b)))
            .collect();
        for (b, sums) in batch.iter().zip(sums) {
            let Some(sums) = sums else {
                // rare item sets: person by person
                for &p in &b.persons {
                    add_person_pairs(data, cal, scores, p as usize, &mut acc, n);
                }
                continue;
            };
            let k = b.items.len();
            for y in 0..k {
                for x in 0..y {
                    let s = &mut acc[idx(b.items[x] as usize, b.items[y] as usize)];
                    s[0] += sums.weight;
                    s[1] += sums.sum[x];
                    s[2] += sums.sum[y];
                    s[3] += sums.cross[x * k + x];
                    s[4] += sums.cross[y * k + y];
                    s[5] += sums.cross[y * k + x];
                }
            }
        }
    }
    let mut pairs = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let s = acc[idx(a, b)];
            if s[0] < min_pairs {
                continue;
            }
            let cov = s[5] / s[0] - s[1] / s[0] * s[2] / s[0];
            let va = s[3] / s[0] - (s[1] / s[0]).powi(2);
            let vb = s[4] / s[0] - (s[2] / s[0]).powi(2);
            if va > 0.0 && vb > 0.0 {
                pairs.push(Q3Pair {
                    item_a: a,
                    item_b: b,
                    q3: cov / (va * vb).sqrt(),
                });
            }
        }
    }
    let mean = if pairs.is_empty() {
        f64::NAN
    } else {
        pairs.iter().map(|p| p.q3).sum::<f64>() / pairs.len() as f64
    };
    pairs.retain(|p| p.q3 > mean + excess);
    (mean, pairs)
}

/// A block's weighted sums of residuals x - P(EAP): total weight, per item sum, and the cross
/// products of every pair (k x k, column-major).
struct BlockSums {
    weight: f64,
    sum: Vec<f64>,
    cross: Vec<f64>,
}

fn block_sums(
    data: &Responses,
    cal: &Calibration,
    scores: &[PersonScore],
    b: &super::data::PersonBlock,
) -> BlockSums {
    let k = b.items.len();
    let mut local = vec![usize::MAX; data.n_items()];
    for (x, &i) in b.items.iter().enumerate() {
        local[i as usize] = x;
    }
    let mut r = vec![0.0; k * b.persons.len()];
    let mut sum = vec![0.0; k];
    let mut weight = 0.0;
    for (j, &p) in b.persons.iter().enumerate() {
        let p = p as usize;
        let (w, eap) = (data.weight[p], scores[p].eap);
        weight += w;
        let sw = w.sqrt();
        for &c in data.codes(p) {
            let i = c as usize / 2;
            let ri = (c & 1) as f64 - cal.items[i].expected_score(eap);
            sum[local[i]] += w * ri;
            r[j * k + local[i]] = sw * ri;
        }
    }
    BlockSums {
        weight,
        sum,
        cross: super::xpd::gram(&r, k, b.persons.len()),
    }
}

/// Adds person `p`'s residual pairs to the Q3 sums.
fn add_person_pairs(
    data: &Responses,
    cal: &Calibration,
    scores: &[PersonScore],
    p: usize,
    acc: &mut [[f64; 6]],
    n: usize,
) {
    let resid: Vec<(usize, f64)> = data
        .codes(p)
        .iter()
        .map(|&c| {
            let i = c as usize / 2;
            (
                i,
                (c & 1) as f64 - cal.items[i].expected_score(scores[p].eap),
            )
        })
        .collect();
    let w = data.weight[p];
    for (x, &(i, ri)) in resid.iter().enumerate() {
        for &(j, rj) in &resid[x + 1..] {
            let (a, b, ra, rb) = if i < j {
                (i, j, ri, rj)
            } else {
                (j, i, rj, ri)
            };
            let s = &mut acc[a * n + b];
            s[0] += w;
            s[1] += w * ra;
            s[2] += w * rb;
            s[3] += w * ra * ra;
            s[4] += w * rb * rb;
            s[5] += w * ra * rb;
        }
    }
}
