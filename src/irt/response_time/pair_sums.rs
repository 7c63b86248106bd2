//! The attempt sums behind the expected information of the lognormal model (see
//! [`super::em`]'s `standard_errors`), for one block of attempts: for every pair of items
//! a <= b, sum_j c_j and sum_j c_j^2 over the attempts j holding both (c_j = s / (1 + s W_j)), per
//! item sum_j (1 + s W_j)^-2, and the speed-variance term sum_j (W_j / (1 + s W_j))^2 / 2.
//!
//! Done directly, every attempt adds to all n (n + 1) / 2 pairs of its items: 2,145 pairs for 65
//! items, two billion additions at 1,000,000 attempts. But fixed forms give few distinct item
//! sets: two pairs whose items share the same sets of attempts get the same sums, so
//! [`block_sums`] numbers the item sets of the block, groups the pairs by which sets hold both
//! items, and sums c_j once per group, over the attempts in order. Every sum therefore adds the
//! same numbers in the same order as the direct pass: the results are bit-for-bit the same. A
//! block with more than 128 distinct item sets (scattered unusable times) takes the direct pass.

use std::collections::HashMap;
use std::ops::Range;

use super::TimeData;

/// What the sums need: the data, the usable ln-times (NaN = unusable), w_i = alpha_i^2, the
/// speed variance s, and each item's index among the `k` estimated items (`u32::MAX` if not
/// estimated).
pub(super) struct PairInput<'a> {
    pub data: &'a TimeData,
    pub log_t: &'a [f32],
    pub w: &'a [f64],
    pub s: f64,
    pub compact: &'a [u32],
    pub k: usize,
}

/// Layout of the result: pair (a, b), a <= b, at `2 (a k + b)` (sum c) and `2 (a k + b) + 1` (sum
/// c^2); item a's sum of (1 + s W)^-2 at `2 k^2 + a`; the speed-variance term at `2 k^2 + k`.
pub(super) fn len(k: usize) -> usize {
    2 * k * k + k + 1
}

/// One attempt's estimated items (compact indices, in response order) and its W_j = sum of w_i,
/// or None without usable times.
fn attempt_items(input: &PairInput, j: usize, idx: &mut Vec<u32>) -> Option<f64> {
    idx.clear();
    let mut w_sum = 0.0;
    for r in input.data.attempt(j) {
        if input.log_t[r].is_nan() {
            continue;
        }
        let i = input.data.item[r] as usize;
        w_sum += input.w[i];
        idx.push(input.compact[i]);
    }
    if idx.is_empty() {
        return None;
    }
    Some(w_sum)
}

/// (c, c^2, g) of an attempt with W = `w_sum`, and its speed-variance term.
fn attempt_terms(s: f64, w_sum: f64) -> ([f64; 3], f64) {
    let c = s / (1.0 + s * w_sum);
    let g = 1.0 / ((1.0 + s * w_sum) * (1.0 + s * w_sum));
    let t = w_sum / (1.0 + s * w_sum);
    ([c, c * c, g], 0.5 * t * t)
}

/// The sums of the attempts in `range`, attempt by attempt.
fn block_sums_direct(input: &PairInput, range: Range<usize>) -> Vec<f64> {
    let k = input.k;
    let mut acc = vec![0.0; len(k)];
    let mut idx = Vec::new();
    for j in range {
        let Some(w_sum) = attempt_items(input, j, &mut idx) else {
            continue;
        };
        idx.sort_unstable();
        let ([c, c2, g], tt) = attempt_terms(input.s, w_sum);
        // sorted, so that (a, b) with a <= b walks row a of the upper triangle forwards
        for (p, &a) in idx.iter().enumerate() {
            let a = a as usize;
            acc[2 * k * k + a] += g;
            let row = &mut acc[2 * a * k..2 * (a + 1) * k];
            for &bb in &idx[p..] {
                row[2 * bb as usize] += c;
                row[2 * bb as usize + 1] += c2;
            }
        }
        acc[2 * k * k + k] += tt;
    }
    acc
}

/// Most distinct item sets a block may have for the grouped pass (bits of a `u128`).
const MAX_SETS: usize = 128;

/// The sums of the attempts in `range`, grouped by item set (bit-identical to the direct pass).
pub(super) fn block_sums(input: &PairInput, range: Range<usize>) -> Vec<f64> {
    let k = input.k;
    let mut acc = vec![0.0; len(k)];
    // Pass 1: each attempt's set (numbered by first appearance, looked up by its items in
    // response order: one set met in two orders gets two numbers that hold the same items, which
    // changes no sum) and terms.
    let mut set_id: HashMap<Vec<u32>, u32> = HashMap::new();
    let mut sets: Vec<Vec<u32>> = Vec::new();
    let mut terms: Vec<(u32, [f64; 3])> = Vec::with_capacity(range.len());
    let mut idx = Vec::new();
    for j in range.clone() {
        let Some(w_sum) = attempt_items(input, j, &mut idx) else {
            continue;
        };
        let (cg, tt) = attempt_terms(input.s, w_sum);
        acc[2 * k * k + k] += tt;
        let id = match set_id.get(idx.as_slice()) {
            Some(&id) => id,
            None => {
                if sets.len() == MAX_SETS {
                    return block_sums_direct(input, range);
                }
                let id = sets.len() as u32;
                set_id.insert(idx.clone(), id);
                sets.push(idx.clone());
                id
            }
        };
        terms.push((id, cg));
    }
    // Which sets hold each item; items with the same sets form a class.
    let mut mask = vec![0u128; k];
    for (u, set) in sets.iter().enumerate() {
        for &a in set {
            mask[a as usize] |= 1u128 << u;
        }
    }
    let mut class_masks: Vec<u128> = Vec::new();
    let class: Vec<u32> = mask
        .iter()
        .map(|&m| {
            if m == 0 {
                return u32::MAX;
            }
            match class_masks.iter().position(|&c| c == m) {
                Some(p) => p as u32,
                None => {
                    class_masks.push(m);
                    (class_masks.len() - 1) as u32
                }
            }
        })
        .collect();
    // Each pair of classes: the sets holding both, numbered as groups.
    let nc = class_masks.len();
    let mut group_masks: Vec<u128> = Vec::new();
    let mut group_index: HashMap<u128, u32> = HashMap::new();
    let mut group_of = vec![u32::MAX; nc * nc];
    for p in 0..nc {
        for q in 0..nc {
            let m = class_masks[p] & class_masks[q];
            if m == 0 {
                continue;
            }
            group_of[p * nc + q] = *group_index.entry(m).or_insert_with(|| {
                group_masks.push(m);
                (group_masks.len() - 1) as u32
            });
        }
    }
    // Pass 2: each group's sums over its attempts, in attempt order.
    let groups_of_set: Vec<Vec<usize>> = (0..sets.len())
        .map(|u| {
            (0..group_masks.len())
                .filter(|&gi| group_masks[gi] >> u & 1 == 1)
                .collect()
        })
        .collect();
    let mut sums = vec![[0.0f64; 3]; group_masks.len()];
    for (id, cg) in &terms {
        for &gi in &groups_of_set[*id as usize] {
            let s = &mut sums[gi];
            s[0] += cg[0];
            s[1] += cg[1];
            s[2] += cg[2];
        }
    }
    // Pass 3: every pair and item takes its group's sums.
    for a in 0..k {
        let ca = class[a];
        if ca == u32::MAX {
            continue;
        }
        let row = ca as usize * nc;
        acc[2 * k * k + a] = sums[group_of[row + ca as usize] as usize][2];
        for b in a..k {
            let cb = class[b];
            if cb == u32::MAX {
                continue;
            }
            let gi = group_of[row + cb as usize];
            if gi != u32::MAX {
                acc[2 * (a * k + b)] = sums[gi as usize][0];
                acc[2 * (a * k + b) + 1] = sums[gi as usize][1];
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    // property: the grouped pass gives bit-identical sums to the direct pass, with fixed forms,
    // with one item set met in two orders, with scattered unusable times and with more distinct
    // sets than the grouped pass takes.
    #[test]
    fn grouped_sums_equal_direct_sums_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n_items = 40;
        let mut forms: Vec<Vec<u32>> = (0..5)
            .map(|f| {
                (0..12)
                    .map(|p| ((f * 7 + p * 3) % n_items) as u32)
                    .collect()
            })
            .collect();
        // a sixth form: the first one's items in reverse order
        forms.push(forms[0].iter().rev().copied().collect());
        for (n_att, p_missing, n_forms) in [
            (3000, 0.0, 5),
            (3000, 0.0, 6),
            (3000, 0.002, 5),
            (400, 0.3, 5),
        ] {
            let data = TimeData::from_attempts((0..n_att).map(|j| {
                let f = &forms[j % n_forms];
                f.iter()
                    .map(|&i| (i, rng.gen_range(5.0f32..90.0)))
                    .collect::<Vec<_>>()
            }));
            let log_t: Vec<f32> = data
                .seconds
                .iter()
                .map(|&s| {
                    if rng.gen::<f64>() < p_missing {
                        f32::NAN
                    } else {
                        s.ln()
                    }
                })
                .collect();
            let w: Vec<f64> = (0..n_items).map(|_| rng.gen_range(1.0..9.0)).collect();
            let mut compact = vec![u32::MAX; n_items];
            let mut k = 0;
            for f in &forms {
                for &i in f {
                    if compact[i as usize] == u32::MAX {
                        compact[i as usize] = k;
                        k += 1;
                    }
                }
            }
            let input = PairInput {
                data: &data,
                log_t: &log_t,
                w: &w,
                s: 0.09,
                compact: &compact,
                k: k as usize,
            };
            let direct = block_sums_direct(&input, 0..n_att);
            let grouped = block_sums(&input, 0..n_att);
            for (pos, (d, g)) in direct.iter().zip(&grouped).enumerate() {
                assert_eq!(
                    d.to_bits(),
                    g.to_bits(),
                    "{n_att} attempts, missing share {p_missing}: entry {pos}: direct {d} vs grouped {g}"
                );
            }
        }
    }
}
