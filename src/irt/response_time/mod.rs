//! Response times: van der Linden's (2006) lognormal model and the flags built on it.
//!
//! This module owns
//! - the data layout for response times ([`TimeData`]: one attempt = one person's sitting, stored
//!   CSR-style as offsets into flat item-index and seconds arrays, so incomplete designs and
//!   1,000,000 attempts cost no per-attempt allocation);
//! - the estimator [`fit_lognormal_rt`]: marginal maximum likelihood of the lognormal model
//!   ln T_ij ~ N(beta_i - tau_j, 1 / alpha_i^2) with tau_j ~ N(0, sigma_tau^2) (van der Linden
//!   2006, J. Educ. Behav. Stat. 31, 181-204), by EM in closed form (normal-normal), with
//!   expected-information standard errors;
//! - person speed estimates (ML and EAP) and the standardised log-time residuals
//!   z_ij = alpha_i (ln t_ij - (beta_i - tau_j)) ([`residuals`]);
//! - three flags: rapid guesses by the normative-threshold method NT10 (Wise & Ma 2012,
//!   [`rapid_guess_thresholds`], [`rapid_guess_flags`]), attempts with aberrant speed by the
//!   chi-square person-fit statistic (van der Linden & Guo 2008, [`speed_aberrance`]) and items
//!   answered right unusually fast ([`fast_correct_items`]).
//!
//! Why marginal ML rather than joint ML: with tau_j treated as fixed parameters, the residual
//! variance of every item is estimated around person means that were fitted to the same data, so
//! 1/alpha_i^2 is biased down by about a factor (1 - 1/n_j) and alpha_i up by about 1/(2 n_j):
//! with 30 items a bias of 1.7 %, as large as the standard error of alpha with 1,500 responses per
//! item. Marginalising tau under a normal population removes that incidental-parameter bias; the
//! E-step is closed form (normal prior, normal likelihood), so an EM iteration costs one pass over
//! the responses, like a joint-ML sweep, and with few distinct item sets (fixed forms) one pass
//! over the sets' moments of the ln-times, gathered once (`set_moments`). The estimates of beta
//! and alpha stay consistent when the speed distribution is not normal (Gaussian
//! quasi-likelihood of a linear mixed model).
//!
//! Identification: E(tau) = 0 in the population (the MML counterpart of mean(tau) = 0).
//! Response times that are zero, negative, NaN or infinite are skipped and counted.
//! Every reduction runs over fixed blocks of attempts summed in block order, so the results are
//! bit-for-bit the same whatever the number of threads.

mod em;
mod flags;
mod pair_sums;
mod set_moments;

pub use em::{fit_lognormal_rt, marginal_log_likelihood};
pub use flags::{
    fast_correct_items, rapid_guess_flags, rapid_guess_thresholds, residual_flags, residuals,
    simulate_lognormal, speed_aberrance, standardised_residuals, FastCorrectOptions,
    ItemFastCorrect, PersonSpeedFit, RapidGuessOptions, RapidGuessSummary, ResidualFlags,
    TypicalTime,
};

use rayon::prelude::*;
use std::ops::Range;

/// Attempts per block of the parallel passes (fixed: the summation order must not depend on the
/// number of threads).
const CHUNK: usize = 4096;

/// Response times of many attempts, stored CSR-style: the responses of attempt j are
/// `offsets[j]..offsets[j + 1]` in `item` (0-based item index) and `seconds` (observed time).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct TimeData {
    pub offsets: Vec<usize>,
    pub item: Vec<u32>,
    pub seconds: Vec<f32>,
}

impl TimeData {
    /// Builds the CSR arrays from one list of (item, seconds) per attempt.
    pub fn from_attempts<I, A>(attempts: I) -> TimeData
    where
        I: IntoIterator<Item = A>,
        A: IntoIterator<Item = (u32, f32)>,
    {
        let mut data = TimeData {
            offsets: vec![0],
            ..TimeData::default()
        };
        for attempt in attempts {
            for (item, seconds) in attempt {
                data.item.push(item);
                data.seconds.push(seconds);
            }
            data.offsets.push(data.item.len());
        }
        data
    }

    pub fn n_attempts(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn n_responses(&self) -> usize {
        self.item.len()
    }

    /// The positions of attempt `j`'s responses in `item` and `seconds`.
    pub fn attempt(&self, j: usize) -> Range<usize> {
        self.offsets[j]..self.offsets[j + 1]
    }

    /// The CSR shape: offsets from 0, never decreasing, ending at the number of responses, and one
    /// time per item index.
    fn check_offsets(&self) -> Result<(), RtError> {
        let first = *self.offsets.first().ok_or(RtError::NoOffsets)?;
        if first != 0 {
            return Err(RtError::OffsetsStart { first });
        }
        if self.item.len() != self.seconds.len() {
            return Err(RtError::LengthMismatch {
                item_len: self.item.len(),
                seconds_len: self.seconds.len(),
            });
        }
        for (j, w) in self.offsets.windows(2).enumerate() {
            if w[1] < w[0] {
                return Err(RtError::OffsetsDecrease {
                    attempt: j,
                    start: w[0],
                    end: w[1],
                });
            }
        }
        let last = *self.offsets.last().unwrap_or(&0);
        if last != self.item.len() {
            return Err(RtError::OffsetsEnd {
                last,
                n_responses: self.item.len(),
            });
        }
        Ok(())
    }

    /// Checks the CSR shape and the item indices (< `n_items`), not duplicates: what the flags
    /// need to index safely (the model's fit has checked the whole [`TimeData::validate`]).
    pub fn check_shape(&self, n_items: usize) -> Result<(), RtError> {
        self.check_offsets()?;
        let max = self
            .item
            .par_chunks(1 << 16)
            .map(|c| c.iter().copied().max().unwrap_or(0))
            .max();
        let bad = max
            .filter(|&m| m as usize >= n_items)
            .and_then(|_| self.item.iter().position(|&i| i as usize >= n_items));
        match bad {
            None => Ok(()),
            Some(r) => {
                let attempt = self.offsets.partition_point(|&o| o <= r) - 1;
                Err(RtError::ItemOutOfRange {
                    attempt,
                    position: r - self.offsets[attempt],
                    item: self.item[r] as usize,
                    n_items,
                })
            }
        }
    }

    /// Checks the CSR shape, the item indices (< `n_items`) and that no attempt answers an item
    /// twice.
    pub fn validate(&self, n_items: usize) -> Result<(), RtError> {
        self.check_offsets()?;
        let errors: Vec<Option<RtError>> = blocks(self.n_attempts())
            .into_par_iter()
            .map(|range| {
                let mut seen = vec![usize::MAX; n_items];
                for j in range {
                    for (pos, r) in self.attempt(j).enumerate() {
                        let item = self.item[r] as usize;
                        if item >= n_items {
                            return Some(RtError::ItemOutOfRange {
                                attempt: j,
                                position: pos,
                                item,
                                n_items,
                            });
                        }
                        if seen[item] == j {
                            return Some(RtError::DuplicateItem { attempt: j, item });
                        }
                        seen[item] = j;
                    }
                }
                None
            })
            .collect();
        match errors.into_iter().flatten().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Why response times cannot be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RtError {
    #[error("response-time offsets are empty: expected n_attempts + 1 entries starting at 0")]
    NoOffsets,
    #[error("response-time offsets must start at 0 (got {first})")]
    OffsetsStart { first: usize },
    #[error("attempt {attempt}: offsets decrease ({start} > {end})")]
    OffsetsDecrease {
        attempt: usize,
        start: usize,
        end: usize,
    },
    #[error("the last offset ({last}) must equal the number of responses ({n_responses})")]
    OffsetsEnd { last: usize, n_responses: usize },
    #[error(
        "{item_len} item indices but {seconds_len} response times: expected one time per response"
    )]
    LengthMismatch { item_len: usize, seconds_len: usize },
    #[error("attempt {attempt}, response {position}: item index {item} is out of range (n_items = {n_items})")]
    ItemOutOfRange {
        attempt: usize,
        position: usize,
        item: usize,
        n_items: usize,
    },
    #[error("attempt {attempt}: item {item} appears more than once")]
    DuplicateItem { attempt: usize, item: usize },
    #[error("no usable response times: {skipped} responses were zero, negative, missing or on items with too few responses")]
    NoUsableTimes { skipped: usize },
    #[error("no attempt has two or more usable response times, so the residual variances and the speed variance cannot be separated")]
    NotIdentified,
    #[error("option {name} = {value} is invalid: expected {expected}")]
    InvalidOption {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("{what} has {got} entries but the data have {expected}")]
    Mismatch {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("the fit has {fit} items/persons but the data have {data}: use the data the model was fitted to")]
    FitMismatch { fit: usize, data: usize },
    #[error("item {item}: beta = {beta}, alpha = {alpha}; expected a finite beta and a positive finite alpha")]
    InvalidItemParameter { item: usize, beta: f64, alpha: f64 },
    #[error("typical time exp(beta) needs a fitted model (pass Some(fit))")]
    NeedsFit,
}

/// Something the caller should know about a fit that still produced estimates.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RtWarning {
    /// The item had fewer usable times than `min_responses_per_item`: not estimated.
    ItemExcluded { item: usize, n: usize, min: usize },
    /// EM stopped at the iteration limit; `max_change` is the last largest parameter change.
    NotConverged { iterations: usize, max_change: f64 },
    /// The speed variance went to (nearly) zero: persons do not differ in speed.
    TinySpeedVariance { sigma_tau: f64 },
    /// A time discrimination above 20: the item's log-times barely vary (constant or rounded times?).
    ExtremeAlpha { item: usize, alpha: f64 },
    /// Standard errors were not computed: too many items for the dense information matrix.
    StandardErrorsSkipped { n_items: usize, max_items: usize },
    /// The information matrix was not positive definite: no standard errors.
    InformationSingular,
}

/// Options of [`fit_lognormal_rt`].
#[derive(Debug, Clone, PartialEq)]
pub struct RtOptions {
    /// EM stops when no beta, ln alpha or ln sigma_tau changes by more than this.
    pub tolerance: f64,
    pub max_iterations: usize,
    /// Items with fewer usable response times are excluded (reported with no estimate).
    pub min_responses_per_item: usize,
    /// Compute expected-information standard errors (a pass over all pairs of responses within an
    /// attempt, and a dense matrix of the items' size).
    pub standard_errors: bool,
    /// No standard errors above this many estimated items (dense I x I inverse).
    pub max_items_for_se: usize,
}

impl Default for RtOptions {
    fn default() -> Self {
        RtOptions {
            tolerance: 1e-6,
            max_iterations: 1000,
            min_responses_per_item: 2,
            standard_errors: true,
            max_items_for_se: 2000,
        }
    }
}

/// One item's time parameters. `None` when the item was excluded (too few usable times).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RtItem {
    /// Time intensity: the expected ln-seconds of a person of speed 0.
    pub beta: Option<f64>,
    /// Time discrimination: 1 / residual SD of ln-seconds.
    pub alpha: Option<f64>,
    pub se_beta: Option<f64>,
    pub se_alpha: Option<f64>,
    /// Usable response times.
    pub n: usize,
    /// Responses skipped: zero, negative or missing seconds.
    pub n_skipped: usize,
}

/// One attempt's speed. `None` without usable response times.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RtPerson {
    /// ML speed given the items: sum alpha_i^2 (beta_i - ln t_ij) / sum alpha_i^2.
    pub tau: Option<f64>,
    /// 1 / sqrt(sum alpha_i^2), item parameters taken as known.
    pub se_tau: Option<f64>,
    /// Posterior mean of tau under N(0, sigma_tau^2) (shrunk towards 0).
    pub tau_eap: Option<f64>,
    /// Posterior SD of tau.
    pub psd_tau: Option<f64>,
    pub n: usize,
    pub n_skipped: usize,
}

/// The fitted lognormal response-time model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RtFit {
    pub items: Vec<RtItem>,
    pub persons: Vec<RtPerson>,
    /// SD of speed in the population.
    pub sigma_tau: f64,
    pub se_sigma_tau: Option<f64>,
    /// Marginal log-likelihood of the usable ln-times.
    pub log_likelihood: f64,
    pub iterations: usize,
    pub converged: bool,
    /// Responses skipped for zero, negative or missing seconds.
    pub n_skipped: usize,
    /// Responses on excluded items (not used).
    pub n_on_excluded_items: usize,
    pub warnings: Vec<RtWarning>,
}

/// Splits `0..n` into the fixed blocks of the parallel passes.
fn blocks(n: usize) -> Vec<Range<usize>> {
    (0..n.div_ceil(CHUNK))
        .map(|c| c * CHUNK..((c + 1) * CHUNK).min(n))
        .collect()
}

/// The fixed attempt blocks of [`blocks`], each with its own stretch of `out` (one value per
/// response; attempt j's responses are `offsets[j]..offsets[j + 1]`): the blocks fill their
/// stretches in parallel, so the result does not depend on the number of threads.
pub(crate) fn block_stretches<'a, T>(
    out: &'a mut [T],
    offsets: &[usize],
) -> Vec<(Range<usize>, &'a mut [T])> {
    let mut rest = out;
    blocks(offsets.len().saturating_sub(1))
        .into_iter()
        .map(|range| {
            let len = offsets[range.end] - offsets[range.start];
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            (range, head)
        })
        .collect()
}

/// Element-wise sum of equally long vectors, in their order.
fn sum_in_order(parts: Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    let mut total = vec![0.0; len];
    for p in parts {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// ln(seconds) for a usable time, None for zero, negative or non-finite seconds.
#[inline]
fn log_time(seconds: f32) -> Option<f64> {
    if seconds.is_finite() && seconds > 0.0 {
        Some((seconds as f64).ln())
    } else {
        None
    }
}
