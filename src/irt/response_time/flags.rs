//! Residuals and the flags built on the fitted model: rapid guesses (NT10), aberrant speed, fast-correct items.

use std::ops::Range;

use rayon::prelude::*;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::*;

/// Checks that `fit` belongs to `data` (same number of attempts, items large enough).
fn check_fit(data: &TimeData, fit: &RtFit) -> Result<(), RtError> {
    if fit.persons.len() != data.n_attempts() {
        return Err(RtError::FitMismatch {
            fit: fit.persons.len(),
            data: data.n_attempts(),
        });
    }
    data.check_shape(fit.items.len())
}

/// Standardised log-time residuals z_ij = alpha_i (ln t_ij - (beta_i - tau_j)) with the ML speed
/// tau_j (van der Linden 2006; van der Linden & Guo 2008), aligned with `data.item`.
/// `None` for skipped responses and responses on excluded items. Under the model z_ij is normal
/// with mean 0 and variance 1 - h_ij, h_ij = alpha_i^2 / sum_k alpha_k^2 (the leverage of the
/// response in the attempt's speed estimate).
pub fn residuals(data: &TimeData, fit: &RtFit) -> Result<Vec<Option<f32>>, RtError> {
    check_fit(data, fit)?;
    let parts: Vec<Vec<Option<f32>>> = blocks(data.n_attempts())
        .into_par_iter()
        .map(|range| {
            let mut out = Vec::new();
            let mut raw = Vec::new();
            for j in range {
                attempt_residuals(data, fit, j, &mut raw);
                out.extend(raw.iter().map(|z| z.map(|(z, _)| z as f32)));
            }
            out
        })
        .collect();
    Ok(parts.into_iter().flatten().collect())
}

/// One attempt's residuals before standardising: per response, (z_ij, alpha_i) with
/// z_ij = alpha_i (ln t_ij - (beta_i - tau_j)); None without a usable time, item estimates or
/// speed estimate.
fn attempt_residuals(data: &TimeData, fit: &RtFit, j: usize, out: &mut Vec<Option<(f64, f64)>>) {
    let tau = fit.persons[j].tau;
    out.clear();
    out.extend(data.attempt(j).map(|r| {
        let item = &fit.items[data.item[r] as usize];
        match (log_time(data.seconds[r]), item.beta, item.alpha, tau) {
            (Some(y), Some(b), Some(a), Some(t)) => Some((a * (y - (b - t)), a)),
            _ => None,
        }
    }));
}

/// The residuals of [`residuals`] standardised to N(0, 1) under the model: z_ij / sqrt(1 - h_ij),
/// h_ij = alpha_i^2 / sum_k alpha_k^2 over the attempt's usable times (the leverage of the
/// response in its speed estimate; van der Linden & Guo 2008). Responses without a usable time,
/// and those with h = 1 (an attempt's only usable time), get 0 (not fast). One pass over the
/// attempts in fixed blocks, each writing its own stretch of the output.
pub fn standardised_residuals(data: &TimeData, fit: &RtFit) -> Result<Vec<f32>, RtError> {
    check_fit(data, fit)?;
    let want = Wanted {
        speed: None,
        fast: None,
        rapid: None,
    };
    Ok(residual_pass(data, fit, &want, true).standardised)
}

/// One attempt's speed person-fit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PersonSpeedFit {
    /// Usable responses.
    pub n: usize,
    /// sum_i z_ij^2 with the ML speed; None with fewer than 2 usable responses.
    pub chi_square: Option<f64>,
    /// n - 1.
    pub df: usize,
    /// Upper-tail probability of chi_square under chi^2(df).
    pub p_value: Option<f64>,
    /// p_value < alpha_level.
    pub flagged: bool,
}

/// Aberrant speed per attempt (van der Linden & Guo 2008, Psychometrika 73, 365-384): with the
/// item parameters taken as known and tau_j estimated by ML (a weighted least-squares fit of one
/// parameter), l_j = sum_i z_ij^2 ~ chi^2(n_j - 1) under the model; an attempt is flagged when
/// P(chi^2(n_j - 1) >= l_j) < `alpha_level`. Large l_j: times that do not follow one constant
/// speed (e.g. pre-knowledge on some items, running out of time, long pauses).
pub fn speed_aberrance(
    data: &TimeData,
    fit: &RtFit,
    alpha_level: f64,
) -> Result<Vec<PersonSpeedFit>, RtError> {
    check_alpha_level(alpha_level)?;
    check_fit(data, fit)?;
    let want = Wanted {
        speed: Some(alpha_level),
        fast: None,
        rapid: None,
    };
    Ok(residual_pass(data, fit, &want, false).speed)
}

fn check_alpha_level(alpha_level: f64) -> Result<(), RtError> {
    if !(alpha_level > 0.0 && alpha_level < 1.0) {
        return Err(RtError::InvalidOption {
            name: "alpha_level",
            value: alpha_level,
            expected: "a probability in (0, 1)",
        });
    }
    Ok(())
}

/// The speed fit of one attempt from its residuals; `cache` keeps chi^2(df) per df.
fn speed_fit(
    raw: &[Option<(f64, f64)>],
    alpha_level: f64,
    cache: &mut Vec<Option<ChiSquared>>,
) -> PersonSpeedFit {
    let mut n = 0usize;
    let mut l = 0.0;
    for &(z, _) in raw.iter().flatten() {
        l += z * z;
        n += 1;
    }
    if n < 2 {
        return PersonSpeedFit {
            n,
            chi_square: None,
            df: n.saturating_sub(1),
            p_value: None,
            flagged: false,
        };
    }
    let df = n - 1;
    if cache.len() <= df {
        cache.resize(df + 1, None);
    }
    if cache[df].is_none() {
        cache[df] = ChiSquared::new(df as f64).ok();
    }
    let p = cache[df].as_ref().map(|d| d.sf(l));
    PersonSpeedFit {
        n,
        chi_square: Some(l),
        df,
        p_value: p,
        flagged: p.is_some_and(|p| p < alpha_level),
    }
}

/// What one pass over the residuals computes besides the standardised residuals: the speed
/// fits at this alpha level, the fast-correct sums with these right/wrong flags and options.
struct Wanted<'a> {
    speed: Option<f64>,
    fast: Option<(&'a [bool], &'a FastCorrectOptions)>,
    /// rapid guesses (counts only) with these thresholds
    rapid: Option<&'a [Option<f64>]>,
}

/// The results of [`residual_pass`].
struct ResidualPass {
    standardised: Vec<f32>,
    speed: Vec<PersonSpeedFit>,
    /// per item: right responses, fast ones, sum of p, sum of p (1 - p)
    fast: Vec<f64>,
    rapid: Option<RapidGuessSummary>,
}

/// One block's results of [`residual_pass`].
struct ResidualBlock {
    speed: Vec<PersonSpeedFit>,
    fast: Vec<f64>,
    rapid: Option<RapidBlock>,
}

/// One block of attempts of [`residual_pass`]: its speed fits and fast-correct sums; its
/// standardised residuals into `standardised` (its stretch of the output) when given.
fn residual_block(
    data: &TimeData,
    fit: &RtFit,
    want: &Wanted,
    range: Range<usize>,
    mut standardised: Option<&mut [f32]>,
) -> ResidualBlock {
    let n_items = fit.items.len();
    let base = data.offsets[range.start];
    let mut rapid = want
        .rapid
        .map(|t| RapidBlock::new(t.len(), range.len(), false));
    let mut raw = Vec::new();
    let mut cache = Vec::new();
    let mut speed = Vec::with_capacity(if want.speed.is_some() { range.len() } else { 0 });
    let mut fast = vec![0.0; if want.fast.is_some() { 4 * n_items } else { 0 }];
    // Phi(z_cut / sqrt(1 - h)) per item for the last W seen with it: attempts on one form share W
    // bit for bit, so most responses reuse the value (the same number either way).
    let mut last_p: Vec<(u64, f64)> = vec![(u64::MAX, 0.0); n_items];
    for j in range {
        if let (Some(block), Some(t)) = (rapid.as_mut(), want.rapid) {
            block.add_attempt(data, t, j);
        }
        attempt_residuals(data, fit, j, &mut raw);
        let a2: f64 = raw.iter().flatten().map(|&(_, a)| a * a).sum();
        if let Some(out) = standardised.as_deref_mut() {
            for (r, z) in data.attempt(j).zip(&raw) {
                if let Some((z, a)) = *z {
                    let h = a * a / a2;
                    if h < 1.0 {
                        out[r - base] = ((z as f32) as f64 / (1.0 - h).sqrt()) as f32;
                    }
                }
            }
        }
        if let Some(alpha_level) = want.speed {
            speed.push(speed_fit(&raw, alpha_level, &mut cache));
        }
        if let Some((correct, opts)) = want.fast {
            for (r, z) in data.attempt(j).zip(&raw) {
                let Some((z, a)) = *z else { continue };
                if !correct[r] {
                    continue;
                }
                let i = data.item[r] as usize;
                let p = if last_p[i].0 == a2.to_bits() {
                    last_p[i].1
                } else {
                    let h = (a * a / a2).min(1.0 - 1e-12);
                    let p = phi(opts.z_cut / (1.0 - h).sqrt());
                    last_p[i] = (a2.to_bits(), p);
                    p
                };
                fast[4 * i] += 1.0;
                if z < opts.z_cut {
                    fast[4 * i + 1] += 1.0;
                }
                fast[4 * i + 2] += p;
                fast[4 * i + 3] += p * (1.0 - p);
            }
        }
    }
    ResidualBlock { speed, fast, rapid }
}

/// One pass over the residuals in fixed blocks of attempts (one ln per response), computing what
/// `want` asks and, with `standardised`, the standardised residuals; block results are combined
/// in block order, so they do not depend on the number of threads.
fn residual_pass(data: &TimeData, fit: &RtFit, want: &Wanted, standardised: bool) -> ResidualPass {
    let mut out = vec![0f32; if standardised { data.n_responses() } else { 0 }];
    let parts: Vec<ResidualBlock> = if standardised {
        block_stretches(&mut out, &data.offsets)
            .into_par_iter()
            .map(|(range, part)| residual_block(data, fit, want, range, Some(part)))
            .collect()
    } else {
        blocks(data.n_attempts())
            .into_par_iter()
            .map(|range| residual_block(data, fit, want, range, None))
            .collect()
    };
    let n_fast = if want.fast.is_some() {
        4 * fit.items.len()
    } else {
        0
    };
    let mut speed = Vec::with_capacity(if want.speed.is_some() {
        data.n_attempts()
    } else {
        0
    });
    let mut fast = Vec::with_capacity(parts.len());
    let mut rapid = Vec::new();
    for b in parts {
        speed.extend(b.speed);
        fast.push(b.fast);
        rapid.extend(b.rapid);
    }
    ResidualPass {
        standardised: out,
        speed,
        fast: sum_in_order(fast, n_fast),
        rapid: want.rapid.map(|t| RapidBlock::gather(rapid, data, t.len())),
    }
}

/// Everything the security stage reads from the response times and the fitted model, from one
/// pass over the responses: the standardised residuals ([`standardised_residuals`]), the speed
/// fits ([`speed_aberrance`] at `alpha_level`), the fast-correct items ([`fast_correct_items`])
/// and the rapid guesses ([`rapid_guess_flags`] without its per-response flags), each identical
/// to what its own function returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ResidualFlags {
    pub standardised: Vec<f32>,
    pub speed: Vec<PersonSpeedFit>,
    pub fast_correct: Vec<ItemFastCorrect>,
    /// `flags` is empty (a byte a response): the counts and effort only.
    pub rapid: RapidGuessSummary,
}

/// [`standardised_residuals`], [`speed_aberrance`], [`fast_correct_items`] and the rapid-guess
/// counts of [`rapid_guess_flags`] with `thresholds`, in one pass.
pub fn residual_flags(
    data: &TimeData,
    fit: &RtFit,
    correct: &[bool],
    thresholds: &[Option<f64>],
    alpha_level: f64,
    opts: &FastCorrectOptions,
) -> Result<ResidualFlags, RtError> {
    check_alpha_level(alpha_level)?;
    check_fast_correct(data, correct, opts)?;
    check_fit(data, fit)?;
    data.check_shape(thresholds.len())?;
    let want = Wanted {
        speed: Some(alpha_level),
        fast: Some((correct, opts)),
        rapid: Some(thresholds),
    };
    let pass = residual_pass(data, fit, &want, true);
    Ok(ResidualFlags {
        standardised: pass.standardised,
        speed: pass.speed,
        fast_correct: fast_correct_from_sums(&pass.fast, opts),
        rapid: pass.rapid.expect("rapid guesses were asked for"),
    })
}

/// Options of [`fast_correct_items`].
#[derive(Debug, Clone, PartialEq)]
pub struct FastCorrectOptions {
    /// A right response is "fast" when z_ij < z_cut (default -1.645: 5 % under the model).
    pub z_cut: f64,
    /// An item is flagged when the one-sided p-value is below this.
    pub alpha_level: f64,
}

impl Default for FastCorrectOptions {
    fn default() -> Self {
        FastCorrectOptions {
            z_cut: -1.645,
            alpha_level: 0.01,
        }
    }
}

/// Standard normal distribution function.
fn phi(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

/// How often an item was answered right unusually fast.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemFastCorrect {
    /// Right responses with a usable time.
    pub n_correct: usize,
    /// ... of which z_ij < z_cut.
    pub n_fast_correct: usize,
    /// n_fast_correct / n_correct.
    pub share: Option<f64>,
    /// The share expected under the model: the mean of Phi(z_cut / sqrt(1 - h_ij)) over the right
    /// responses (about 0.05 for z_cut = -1.645; slightly less with the leverage h of short tests).
    pub expected_share: Option<f64>,
    /// (observed - expected) / sqrt(sum p (1 - p)) (Poisson-binomial normal approximation).
    pub z: Option<f64>,
    /// One-sided upper-tail p-value of z.
    pub p_value: Option<f64>,
    pub flagged: bool,
}

/// Items answered right unusually fast (a sign of pre-knowledge: compromised items): the share of
/// right responses with z_ij < z_cut against its expectation under the lognormal model, which
/// assumes speed and accuracy independent given the person (van der Linden 2007's hierarchical
/// framework). `correct` is aligned with `data.item`.
pub fn fast_correct_items(
    data: &TimeData,
    fit: &RtFit,
    correct: &[bool],
    opts: &FastCorrectOptions,
) -> Result<Vec<ItemFastCorrect>, RtError> {
    check_fast_correct(data, correct, opts)?;
    check_fit(data, fit)?;
    let want = Wanted {
        speed: None,
        fast: Some((correct, opts)),
        rapid: None,
    };
    let pass = residual_pass(data, fit, &want, false);
    Ok(fast_correct_from_sums(&pass.fast, opts))
}

fn check_fast_correct(
    data: &TimeData,
    correct: &[bool],
    opts: &FastCorrectOptions,
) -> Result<(), RtError> {
    if correct.len() != data.n_responses() {
        return Err(RtError::Mismatch {
            what: "correct",
            got: correct.len(),
            expected: data.n_responses(),
        });
    }
    if !(opts.alpha_level > 0.0 && opts.alpha_level < 1.0) {
        return Err(RtError::InvalidOption {
            name: "alpha_level",
            value: opts.alpha_level,
            expected: "a probability in (0, 1)",
        });
    }
    if !opts.z_cut.is_finite() {
        return Err(RtError::InvalidOption {
            name: "z_cut",
            value: opts.z_cut,
            expected: "a finite z value",
        });
    }
    Ok(())
}

/// The items' fast-correct statistics from the pass's per-item sums.
fn fast_correct_from_sums(total: &[f64], opts: &FastCorrectOptions) -> Vec<ItemFastCorrect> {
    (0..total.len() / 4)
        .map(|i| {
            let n = total[4 * i];
            let k = total[4 * i + 1];
            let e = total[4 * i + 2];
            let v = total[4 * i + 3];
            if n == 0.0 {
                return ItemFastCorrect {
                    n_correct: 0,
                    n_fast_correct: 0,
                    share: None,
                    expected_share: None,
                    z: None,
                    p_value: None,
                    flagged: false,
                };
            }
            let z = (k - e) / v.sqrt();
            let p = 1.0 - phi(z);
            ItemFastCorrect {
                n_correct: n as usize,
                n_fast_correct: k as usize,
                share: Some(k / n),
                expected_share: Some(e / n),
                z: Some(z),
                p_value: Some(p),
                flagged: p < opts.alpha_level,
            }
        })
        .collect()
}

/// The "typical" time of an item that the normative threshold is a fraction of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TypicalTime {
    /// Mean of the usable seconds (Wise & Ma 2012's definition).
    Mean,
    /// Median of the usable seconds (robust to very long times).
    Median,
    /// exp(beta_i): the median time of a person of average speed under the fitted model.
    ExpBeta,
}

/// Options of [`rapid_guess_thresholds`]; the default is NT10.
#[derive(Debug, Clone, PartialEq)]
pub struct RapidGuessOptions {
    /// Fraction of the typical time (NT10: 0.10).
    pub fraction: f64,
    /// Upper limit of a threshold in seconds (NT10: 10 s); None for no limit.
    pub cap_seconds: Option<f64>,
    pub typical: TypicalTime,
}

impl Default for RapidGuessOptions {
    fn default() -> Self {
        RapidGuessOptions {
            fraction: 0.10,
            cap_seconds: Some(10.0),
            typical: TypicalTime::Mean,
        }
    }
}

/// Rapid-guessing thresholds by the normative threshold method (Wise & Ma 2012, "Setting
/// response time thresholds for a CAT item pool: the normative threshold method", NCME): NT10
/// sets item i's threshold at 10 % of its typical response time, at most 10 seconds. `None` for
/// items without usable times (or, with `ExpBeta`, without an estimate).
pub fn rapid_guess_thresholds(
    data: &TimeData,
    n_items: usize,
    fit: Option<&RtFit>,
    opts: &RapidGuessOptions,
) -> Result<Vec<Option<f64>>, RtError> {
    if !(opts.fraction > 0.0 && opts.fraction <= 1.0) {
        return Err(RtError::InvalidOption {
            name: "fraction",
            value: opts.fraction,
            expected: "a fraction in (0, 1]",
        });
    }
    if let Some(cap) = opts.cap_seconds {
        if cap.is_nan() || cap <= 0.0 {
            return Err(RtError::InvalidOption {
                name: "cap_seconds",
                value: cap,
                expected: "a positive number of seconds",
            });
        }
    }
    data.check_shape(n_items)?;
    let typical: Vec<Option<f64>> = match opts.typical {
        TypicalTime::ExpBeta => {
            let fit = fit.ok_or(RtError::NeedsFit)?;
            if fit.items.len() != n_items {
                return Err(RtError::FitMismatch {
                    fit: fit.items.len(),
                    data: n_items,
                });
            }
            fit.items.iter().map(|it| it.beta.map(f64::exp)).collect()
        }
        TypicalTime::Mean => {
            let parts: Vec<Vec<f64>> = blocks(data.n_attempts())
                .into_par_iter()
                .map(|range| {
                    let mut acc = vec![0.0; 2 * n_items];
                    for r in data.offsets[range.start]..data.offsets[range.end] {
                        let s = data.seconds[r];
                        if log_time(s).is_some() {
                            let i = data.item[r] as usize;
                            acc[2 * i] += s as f64;
                            acc[2 * i + 1] += 1.0;
                        }
                    }
                    acc
                })
                .collect();
            let total = sum_in_order(parts, 2 * n_items);
            (0..n_items)
                .map(|i| (total[2 * i + 1] > 0.0).then(|| total[2 * i] / total[2 * i + 1]))
                .collect()
        }
        TypicalTime::Median => {
            let mut counts = vec![0usize; n_items + 1];
            for (&i, &s) in data.item.iter().zip(&data.seconds) {
                if log_time(s).is_some() {
                    counts[i as usize + 1] += 1;
                }
            }
            for i in 0..n_items {
                counts[i + 1] += counts[i];
            }
            let mut fill = counts.clone();
            let mut times = vec![0f32; counts[n_items]];
            for (&i, &s) in data.item.iter().zip(&data.seconds) {
                if log_time(s).is_some() {
                    times[fill[i as usize]] = s;
                    fill[i as usize] += 1;
                }
            }
            let mut slices: Vec<&mut [f32]> = Vec::with_capacity(n_items);
            let mut rest: &mut [f32] = &mut times;
            for i in 0..n_items {
                let (head, tail) = rest.split_at_mut(counts[i + 1] - counts[i]);
                slices.push(head);
                rest = tail;
            }
            slices.into_par_iter().map(median).collect()
        }
    };
    Ok(typical
        .into_iter()
        .map(|t| {
            t.map(|t| {
                let x = opts.fraction * t;
                opts.cap_seconds.map_or(x, |cap| x.min(cap))
            })
        })
        .collect())
}

/// Median of usable times (the mean of the two middle values for an even count).
fn median(v: &mut [f32]) -> Option<f64> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    let (_, &mut hi, _) = v.select_nth_unstable_by(n / 2, f32::total_cmp);
    if n % 2 == 1 {
        return Some(hi as f64);
    }
    let lo = v[..n / 2].iter().copied().fold(f32::NEG_INFINITY, f32::max);
    Some(0.5 * (lo as f64 + hi as f64))
}

/// Rapid guesses: per response, per item and per attempt.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RapidGuessSummary {
    /// Aligned with `data.item`: the usable time is below the item's threshold.
    pub flags: Vec<bool>,
    /// Rapid guesses per item.
    pub per_item: Vec<usize>,
    /// Rapid guesses per attempt.
    pub per_person: Vec<usize>,
    /// Response-time effort (Wise & Kong 2005): the share of an attempt's usable responses that
    /// are not rapid guesses; None without usable times or thresholds.
    pub response_time_effort: Vec<Option<f64>>,
}

/// Flags responses faster than their item's threshold (from [`rapid_guess_thresholds`]).
/// Zero, negative or missing times are not flagged (they are not usable times).
pub fn rapid_guess_flags(
    data: &TimeData,
    thresholds: &[Option<f64>],
) -> Result<RapidGuessSummary, RtError> {
    data.check_shape(thresholds.len())?;
    let parts: Vec<RapidBlock> = blocks(data.n_attempts())
        .into_par_iter()
        .map(|range| {
            let mut block = RapidBlock::new(thresholds.len(), range.len(), true);
            for j in range {
                block.add_attempt(data, thresholds, j);
            }
            block
        })
        .collect();
    Ok(RapidBlock::gather(parts, data, thresholds.len()))
}

/// One block of attempts' rapid guesses: per-response flags (when kept), per-item counts,
/// per-attempt counts and response-time effort.
struct RapidBlock {
    keep_flags: bool,
    flags: Vec<bool>,
    per_item: Vec<usize>,
    per_person: Vec<usize>,
    rte: Vec<Option<f64>>,
}

impl RapidBlock {
    fn new(n_items: usize, n_attempts: usize, keep_flags: bool) -> RapidBlock {
        RapidBlock {
            keep_flags,
            flags: Vec::new(),
            per_item: vec![0; n_items],
            per_person: Vec::with_capacity(n_attempts),
            rte: Vec::with_capacity(n_attempts),
        }
    }

    fn add_attempt(&mut self, data: &TimeData, thresholds: &[Option<f64>], j: usize) {
        let mut n = 0usize;
        let mut k = 0usize;
        for r in data.attempt(j) {
            let i = data.item[r] as usize;
            let s = data.seconds[r];
            let flag = match (log_time(s), thresholds[i]) {
                (Some(_), Some(th)) => {
                    n += 1;
                    (s as f64) < th
                }
                _ => false,
            };
            if flag {
                k += 1;
                self.per_item[i] += 1;
            }
            if self.keep_flags {
                self.flags.push(flag);
            }
        }
        self.per_person.push(k);
        self.rte.push((n > 0).then(|| 1.0 - k as f64 / n as f64));
    }

    /// The blocks' results in block order.
    fn gather(parts: Vec<RapidBlock>, data: &TimeData, n_items: usize) -> RapidGuessSummary {
        let mut out = RapidGuessSummary {
            flags: Vec::with_capacity(parts.iter().map(|b| b.flags.len()).sum()),
            per_item: vec![0; n_items],
            per_person: Vec::with_capacity(data.n_attempts()),
            response_time_effort: Vec::with_capacity(data.n_attempts()),
        };
        for b in parts {
            out.flags.extend(b.flags);
            for (t, v) in out.per_item.iter_mut().zip(b.per_item) {
                *t += v;
            }
            out.per_person.extend(b.per_person);
            out.response_time_effort.extend(b.rte);
        }
        out
    }
}

/// Simulates response times from the lognormal model: attempt j answers the items in
/// `design[j]` with ln T_ij = beta_i - tau_j + e_ij, e_ij ~ N(0, 1 / alpha_i^2); `items` holds
/// (beta_i, alpha_i). For recovery studies and benchmarks.
pub fn simulate_lognormal<R: rand::Rng>(
    items: &[(f64, f64)],
    tau: &[f64],
    design: &[Vec<u32>],
    rng: &mut R,
) -> TimeData {
    use rand_distr::{Distribution, StandardNormal};
    let mut data = TimeData {
        offsets: Vec::with_capacity(design.len() + 1),
        item: Vec::new(),
        seconds: Vec::new(),
    };
    data.offsets.push(0);
    for (j, set) in design.iter().enumerate() {
        for &i in set {
            let (b, a) = items[i as usize];
            let e: f64 = StandardNormal.sample(rng);
            data.item.push(i);
            data.seconds.push((b - tau[j] + e / a).exp() as f32);
        }
        data.offsets.push(data.item.len());
    }
    data
}
