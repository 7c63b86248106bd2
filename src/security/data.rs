//! Attempts in an incomplete design: each attempt is a list of (item index, 0/1) responses to the
//! items it saw, stored back to back (one allocation) with offsets.

use rayon::prelude::*;

use super::error::{NoValue, SecurityError};
use super::model::ItemBank;

/// The number right of a pattern that person-level statistics can score: not empty, not all
/// right, not all wrong.
pub(crate) fn scorable(resp: &[(u32, u8)]) -> Result<usize, NoValue> {
    let n = resp.len();
    if n == 0 {
        return Err(NoValue::NoResponses);
    }
    let right = resp.iter().filter(|r| r.1 == 1).count();
    if right == 0 {
        return Err(NoValue::AllWrong { n_items: n });
    }
    if right == n {
        return Err(NoValue::AllRight { n_items: n });
    }
    Ok(right)
}

/// The data were checked against a bank of this size.
pub(crate) fn check_against(bank: &ItemBank, data: &AttemptData) -> Result<(), SecurityError> {
    if data.n_items() != bank.len() {
        return Err(SecurityError::LengthMismatch {
            what: "attempt data checked against a bank",
            expected: bank.len(),
            found: data.n_items(),
        });
    }
    Ok(())
}

/// Validated responses of many attempts: attempt `k` is `responses[offsets[k]..offsets[k + 1]]`.
/// Attempts per block of [`AttemptData::by_item_set`].
const ITEM_SET_BLOCK: usize = 1 << 14;

#[derive(Debug, Clone, PartialEq)]
pub struct AttemptData {
    n_items: usize,
    offsets: Vec<usize>,
    responses: Vec<(u32, u8)>,
}

/// Checks one attempt's responses: item in range, score 0/1, no item twice. `seen` is scratch of
/// length `n_items`, all false on entry and on return.
pub(crate) fn check_attempt(
    responses: &[(u32, u8)],
    n_items: usize,
    seen: &mut [bool],
) -> Result<(), SecurityError> {
    let mut result = Ok(());
    let mut marked = 0;
    for (position, &(item, score)) in responses.iter().enumerate() {
        let i = item as usize;
        if i >= n_items {
            result = Err(SecurityError::ItemOutOfRange {
                position,
                item,
                n_items,
            });
            break;
        }
        if score > 1 {
            result = Err(SecurityError::BadScore {
                position,
                item,
                score,
            });
            break;
        }
        if seen[i] {
            result = Err(SecurityError::DuplicateItem { position, item });
            break;
        }
        seen[i] = true;
        marked = position + 1;
    }
    for &(item, _) in &responses[..marked] {
        seen[item as usize] = false;
    }
    result
}

/// Checks a single attempt against a bank of `n_items` (allocates its own scratch).
pub(crate) fn check_single(responses: &[(u32, u8)], n_items: usize) -> Result<(), SecurityError> {
    let mut seen = vec![false; n_items];
    check_attempt(responses, n_items, &mut seen)
}

impl AttemptData {
    /// Builds from offsets (length n_attempts + 1, starting at 0, non-decreasing, ending at
    /// `responses.len()`) and validates every response against a bank of `n_items` items.
    pub fn new(
        n_items: usize,
        offsets: Vec<usize>,
        responses: Vec<(u32, u8)>,
    ) -> Result<AttemptData, SecurityError> {
        let n_responses = responses.len();
        if offsets.first() != Some(&0) {
            return Err(SecurityError::BadOffsets {
                position: 0,
                value: offsets.first().copied().unwrap_or(usize::MAX),
                n_responses,
            });
        }
        for (k, w) in offsets.windows(2).enumerate() {
            if w[1] < w[0] || w[1] > n_responses {
                return Err(SecurityError::BadOffsets {
                    position: k + 1,
                    value: w[1],
                    n_responses,
                });
            }
        }
        if offsets.last() != Some(&n_responses) {
            return Err(SecurityError::BadOffsets {
                position: offsets.len() - 1,
                value: offsets[offsets.len() - 1],
                n_responses,
            });
        }
        let data = AttemptData {
            n_items,
            offsets,
            responses,
        };
        // First invalid attempt in attempt order (deterministic whatever the thread count).
        let first_bad = (0..data.len())
            .into_par_iter()
            .map_init(
                || vec![false; n_items],
                |seen, k| {
                    check_attempt(data.attempt(k), n_items, seen)
                        .err()
                        .map(|e| (k, e))
                },
            )
            .flatten()
            .min_by_key(|(k, _)| *k);
        if let Some((attempt, e)) = first_bad {
            return Err(SecurityError::InAttempt {
                attempt,
                source: Box::new(e),
            });
        }
        Ok(data)
    }

    /// Builds from one response list per attempt.
    pub fn from_attempts(
        n_items: usize,
        attempts: &[Vec<(u32, u8)>],
    ) -> Result<AttemptData, SecurityError> {
        let mut offsets = Vec::with_capacity(attempts.len() + 1);
        offsets.push(0);
        let mut responses = Vec::with_capacity(attempts.iter().map(Vec::len).sum());
        for a in attempts {
            responses.extend_from_slice(a);
            offsets.push(responses.len());
        }
        AttemptData::new(n_items, offsets, responses)
    }

    /// Number of attempts.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of items in the bank the data were checked against.
    pub fn n_items(&self) -> usize {
        self.n_items
    }

    /// The responses of attempt `k`.
    #[inline]
    pub fn attempt(&self, k: usize) -> &[(u32, u8)] {
        &self.responses[self.offsets[k]..self.offsets[k + 1]]
    }

    /// Offset of attempt `k`'s first response in [`AttemptData::responses`].
    #[inline]
    pub fn offset(&self, k: usize) -> usize {
        self.offsets[k]
    }

    /// All responses back to back.
    pub fn responses(&self) -> &[(u32, u8)] {
        &self.responses
    }

    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// A key per attempt for grouping attempts by the items they saw: FNV-1a over the item
    /// indices (equal sets in equal order get equal keys; a collision only mixes two groups).
    fn item_set_keys(&self) -> Vec<u64> {
        (0..self.len())
            .into_par_iter()
            .map(|k| {
                self.attempt(k)
                    .iter()
                    .fold(0xcbf2_9ce4_8422_2325u64, |h, &(i, _)| {
                        (h ^ i as u64).wrapping_mul(0x0100_0000_01b3)
                    })
            })
            .collect()
    }

    /// The attempts grouped by the items they saw within fixed blocks of [`ITEM_SET_BLOCK`]
    /// attempts (in a block, attempts on one form together, in attempt order within a group):
    /// taken in this order, a pass keeps the grid tables of one form's items in the cache instead
    /// of all the bank's.
    pub(crate) fn by_item_set(&self) -> Vec<u32> {
        let keys = self.item_set_keys();
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order
            .par_chunks_mut(ITEM_SET_BLOCK)
            .for_each(|block| block.sort_unstable_by_key(|&k| (keys[k as usize], k)));
        order
    }

    /// `f(scratch, k)` of every attempt k, in attempt order: computed in parallel over the blocks
    /// of [`Self::by_item_set`], each block's attempts taken in its order (for the cache) and put
    /// back in attempt order; each thread has its own scratch from `init`. The same values as a
    /// pass in attempt order.
    pub(crate) fn map_by_item_set<T: Send, S>(
        &self,
        init: impl Fn() -> S + Sync + Send,
        f: impl Fn(&mut S, usize) -> T + Sync + Send,
    ) -> Vec<T> {
        self.by_item_set()
            .par_chunks(ITEM_SET_BLOCK)
            .enumerate()
            .map_init(init, |scratch, (b, order)| {
                let start = b * ITEM_SET_BLOCK;
                let mut out: Vec<Option<T>> = (0..order.len()).map(|_| None).collect();
                for &k in order {
                    out[k as usize - start] = Some(f(scratch, k as usize));
                }
                out.into_iter()
                    .map(|v| v.expect("every attempt of the block is computed"))
                    .collect::<Vec<T>>()
            })
            .flatten_iter()
            .collect()
    }

    /// Proportion right per item over every attempt that saw it, and the number of attempts that
    /// saw it (an item nobody saw has p = NaN-free 0.5 and n = 0).
    pub fn item_p_values(&self) -> (Vec<f64>, Vec<u64>) {
        // Integer counts: the chunks' sums do not depend on their order.
        let zero = || (vec![0u64; self.n_items], vec![0u64; self.n_items]);
        let (right, n) = self
            .responses
            .par_chunks(1 << 16)
            .fold(zero, |(mut right, mut n), chunk| {
                for &(i, x) in chunk {
                    n[i as usize] += 1;
                    right[i as usize] += x as u64;
                }
                (right, n)
            })
            .reduce(zero, |(mut r1, mut n1), (r2, n2)| {
                r1.iter_mut().zip(r2).for_each(|(a, b)| *a += b);
                n1.iter_mut().zip(n2).for_each(|(a, b)| *a += b);
                (r1, n1)
            });
        let p = right
            .iter()
            .zip(&n)
            .map(|(&r, &m)| if m == 0 { 0.5 } else { r as f64 / m as f64 })
            .collect();
        (p, n)
    }
}
