//! The exam-security stage on a data set: every statistic of [`super`] and of
//! [`crate::irt::response_time`] run on the response matrix with the calibrated bank-scale
//! parameters, collected in one [`SecurityAnalysis`] value (the report layer writes it).
//!
//! Which responses: every response to an item that has calibrated parameters (scored and pretest
//! items alike; an omitted response counts as wrong, as in scoring). Time windows: `window_days`
//! long, counted from the first `submitted_at` date (attempts without a date are left out of the
//! item monitors only). The latent distribution behind the posterior predictives is the mixture
//! of the form cohorts' calibrated densities, weighted by their attempts.

use crate::exam::dates::{civil_from_days, days_from_iso};
use crate::exam::security_config::SecurityConfig;
use crate::exam::Dataset;
use crate::irt::response_time::{
    block_stretches, fit_lognormal_rt, rapid_guess_thresholds, residual_flags, FastCorrectOptions,
    ItemFastCorrect, PersonSpeedFit, RapidGuessOptions, RapidGuessSummary, RtFit, RtOptions,
    TimeData, TypicalTime,
};
use crate::irt::CalibratedForms;
use rayon::prelude::*;

use super::data::AttemptData;
use super::drift::{item_drift_over_time, DriftOptions, DriftReport};
use super::person_fit::{
    apply_cutoffs, person_fit_all, person_fit_cutoffs, FitCutoffs, PersonFitOptions,
    PersonFitReport, U3Weights,
};
use super::preknowledge::{preknowledge_lr_all_given, PreknowledgeOptions, PreknowledgeReport};
use super::{ItemBank, SecurityError};
use crate::irt::theta::ThetaMethod;

/// Where the suspected items of the preknowledge test came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspectedSource {
    /// A list given by the user (`qbank security --suspected FILE`).
    File,
    /// The items the time-window monitors flagged.
    ItemMonitors,
}

/// Everything the security stage computed.
#[derive(Debug, Clone)]
pub struct SecurityAnalysis {
    pub config: SecurityConfig,
    /// Exam item index of each bank item (the items with usable calibrated parameters: a > 0).
    pub bank_items: Vec<usize>,
    /// Per matrix attempt: the window it falls in (None without a date).
    pub window: Vec<Option<u32>>,
    /// First day of each window, `YYYY-MM-DD`.
    pub window_starts: Vec<String>,
    pub person_fit: PersonFitReport,
    pub cutoffs: Option<FitCutoffs>,
    /// The item monitors (None without dated attempts).
    pub drift: Option<DriftReport>,
    /// The response-time model and its flags (None without usable times), or why not.
    pub times: Result<ResponseTimes, String>,
    /// The preknowledge test (None when no item is suspected).
    pub preknowledge: Option<PreknowledgeReport>,
    /// Bank items tested as suspected, and where the list came from.
    pub suspected: Vec<usize>,
    pub suspected_source: SuspectedSource,
    /// Per bank item and window: median ln(seconds) of its responses (NaN when none); only
    /// filled for items a monitor flagged (for the figures).
    pub median_log_seconds: Vec<Option<Vec<f64>>>,
}

/// The response-time model with its per-response, per-attempt and per-item flags.
#[derive(Debug, Clone)]
pub struct ResponseTimes {
    pub fit: RtFit,
    /// NT10 thresholds per bank item (seconds).
    pub thresholds: Vec<Option<f64>>,
    /// Rapid guesses per item and per attempt (the per-response flags are not kept: a byte a
    /// response).
    pub rapid: RapidGuessSummary,
    /// Responses to bank items (the flags' denominator).
    pub n_responses: usize,
    pub speed: Vec<PersonSpeedFit>,
    pub fast_correct: Vec<ItemFastCorrect>,
}

/// The calibrated items of the security stage and the matrix's responses to them, read in
/// bank-item indices one array at a time: the stage holds the response-time arrays only while it
/// fits the time model, and the 0/1 attempt data only after, so its peak is one of the two
/// (about 12 bytes a response, not 25).
struct Prepared<'a> {
    matrix: &'a crate::matrix::ResponseMatrix,
    bank: ItemBank,
    bank_items: Vec<usize>,
    /// Per exam item: its bank index, or `u32::MAX` when it has no usable parameters.
    bank_index: Vec<u32>,
    /// Attempt `k`'s responses to bank items are `offsets[k]..offsets[k + 1]`.
    offsets: Vec<usize>,
}

fn prepare<'a>(ds: &'a Dataset, forms: &CalibratedForms) -> Result<Prepared<'a>, SecurityError> {
    let m = &ds.matrix;
    let mut bank_index = vec![u32::MAX; m.n_items()];
    let mut bank_items = Vec::new();
    let mut models = Vec::new();
    // Items whose estimates are unusable (a negative slope: a miskeyed item) are left out.
    let usable = |m: &crate::irt::Logistic| {
        m.a * m.scale_d > 0.0 && m.b().is_finite() && (0.0..1.0).contains(&m.c)
    };
    for (i, p) in forms.by_item.iter().enumerate() {
        if let Some(model) = p.filter(usable) {
            bank_index[i] = bank_items.len() as u32;
            bank_items.push(i);
            models.push(model);
        }
    }
    let bank = ItemBank::new(models)?;
    let every_item = bank_index.iter().all(|&j| j != u32::MAX);
    let counts: Vec<usize> = (0..m.n_attempts())
        .into_par_iter()
        .map(|k| {
            let responses = m.responses(k);
            if every_item {
                responses.len()
            } else {
                responses.filter(|r| bank_index[r.item] != u32::MAX).count()
            }
        })
        .collect();
    let mut offsets = Vec::with_capacity(counts.len() + 1);
    offsets.push(0);
    for c in &counts {
        offsets.push(offsets[offsets.len() - 1] + c);
    }
    Ok(Prepared {
        matrix: m,
        bank,
        bank_items,
        bank_index,
        offsets,
    })
}

impl Prepared<'_> {
    /// One value per response to a bank item, in attempt order (`value(bank item, response)`):
    /// filled in fixed blocks of attempts in parallel, each block into its own stretch.
    fn per_response<T: Copy + Default + Send>(
        &self,
        value: impl Fn(u32, &crate::matrix::Response) -> T + Sync,
    ) -> Vec<T> {
        self.per_response_pair(|j, r| (value(j, r), ())).0
    }

    /// Two values per response to a bank item, into two arrays, in one pass over the matrix.
    fn per_response_pair<A: Copy + Default + Send, B: Copy + Default + Send>(
        &self,
        value: impl Fn(u32, &crate::matrix::Response) -> (A, B) + Sync,
    ) -> (Vec<A>, Vec<B>) {
        let n = self.offsets[self.offsets.len() - 1];
        let (mut a, mut b) = (vec![A::default(); n], vec![B::default(); n]);
        let parts: Vec<_> = block_stretches(&mut a, &self.offsets)
            .into_iter()
            .zip(block_stretches(&mut b, &self.offsets))
            .collect();
        parts.into_par_iter().for_each(|((attempts, a), (_, b))| {
            let on_bank = attempts
                .flat_map(|k| self.matrix.responses(k))
                .filter_map(|r| {
                    let j = self.bank_index[r.item];
                    (j != u32::MAX).then(|| value(j, &r))
                });
            for ((x, y), (u, v)) in a.iter_mut().zip(b.iter_mut()).zip(on_bank) {
                *x = u;
                *y = v;
            }
        });
        (a, b)
    }

    /// Item and seconds of every response (the response-time model's data).
    fn times(&self) -> TimeData {
        let (item, seconds) = self.per_response_pair(|j, r| (j, r.seconds));
        TimeData {
            offsets: self.offsets.clone(),
            item,
            seconds,
        }
    }

    /// Item and 0/1 score of every response (person fit, the monitors, preknowledge).
    fn attempts(&self) -> Result<AttemptData, SecurityError> {
        let responses = self.per_response(|j, r| (j, u8::from(r.right)));
        AttemptData::new(self.bank.len(), self.offsets.clone(), responses)
    }
}

/// The mixture of the form cohorts' latent densities, weighted by attempts: (mean, SD).
fn pooled_latent(ds: &Dataset, forms: &CalibratedForms) -> (f64, f64) {
    let mut n = vec![0usize; forms.forms.len()];
    for k in 0..ds.matrix.n_attempts() {
        n[ds.matrix.form(k)] += 1;
    }
    let total = n.iter().sum::<usize>().max(1) as f64;
    let (mut m1, mut m2) = (0.0, 0.0);
    for (f, &nf) in forms.forms.iter().zip(&n) {
        let w = nf as f64 / total;
        m1 += w * f.mean;
        m2 += w * (f.sd * f.sd + f.mean * f.mean);
    }
    if total == 0.0 || m2 - m1 * m1 <= 0.0 {
        return (0.0, 1.0);
    }
    (m1, (m2 - m1 * m1).sqrt())
}

/// Window index of every attempt from `submitted_at`, and each window's first day.
fn windows(ds: &Dataset, days: u32) -> (Vec<Option<u32>>, Vec<String>) {
    let m = &ds.matrix;
    let day: Vec<Option<i64>> = (0..m.n_attempts())
        .map(|k| days_from_iso(m.submitted_at(k)))
        .collect();
    let Some(first) = day.iter().flatten().min().copied() else {
        return (vec![None; m.n_attempts()], Vec::new());
    };
    let last = day.iter().flatten().max().copied().unwrap_or(first);
    let len = days as i64;
    let n = ((last - first) / len + 1) as usize;
    let window = day
        .iter()
        .map(|d| d.map(|d| ((d - first) / len) as u32))
        .collect();
    let starts = (0..n)
        .map(|w| {
            let (y, mo, d) = civil_from_days(first + w as i64 * len);
            format!("{y:04}-{mo:02}-{d:02}")
        })
        .collect();
    (window, starts)
}

fn response_times(
    p: &Prepared,
    data: &TimeData,
    cfg: &SecurityConfig,
    stage: &dyn Fn(&str),
) -> Result<(ResponseTimes, Vec<f32>), String> {
    let fit =
        fit_lognormal_rt(data, p.bank.len(), &RtOptions::default()).map_err(|e| e.to_string())?;
    stage("security: response-time flags");
    let thresholds = rapid_guess_thresholds(
        data,
        p.bank.len(),
        Some(&fit),
        &RapidGuessOptions {
            fraction: cfg.rapid_fraction,
            cap_seconds: Some(cfg.rapid_max_seconds),
            typical: TypicalTime::Mean,
        },
    )
    .map_err(|e| e.to_string())?;
    let correct: Vec<bool> = p.per_response(|_, r| r.right);
    let flags = residual_flags(
        data,
        &fit,
        &correct,
        &thresholds,
        cfg.person_alpha,
        &FastCorrectOptions {
            z_cut: -cfg.fast_residual,
            alpha_level: cfg.item_false_alarm,
        },
    )
    .map_err(|e| e.to_string())?;
    Ok((
        ResponseTimes {
            fit,
            thresholds,
            rapid: flags.rapid,
            n_responses: data.n_responses(),
            speed: flags.speed,
            fast_correct: flags.fast_correct,
        },
        flags.standardised,
    ))
}

/// Runs the security stage. `suspected` (exam item indices) replaces the items flagged by the
/// monitors as the preknowledge test's suspected set.
pub fn analyse(
    ds: &Dataset,
    forms: &CalibratedForms,
    cfg: &SecurityConfig,
    suspected: Option<&[usize]>,
) -> Result<SecurityAnalysis, SecurityError> {
    analyse_with(ds, forms, cfg, suspected, &|_| {})
}

/// [`analyse`], calling `stage` with the name of each step as it starts, so a caller can time
/// them.
pub fn analyse_with(
    ds: &Dataset,
    forms: &CalibratedForms,
    cfg: &SecurityConfig,
    suspected: Option<&[usize]>,
    stage: &dyn Fn(&str),
) -> Result<SecurityAnalysis, SecurityError> {
    let p = prepare(ds, forms)?;
    let (prior_mean, prior_sd) = pooled_latent(ds, forms);

    // Response times first: their arrays are dropped before the 0/1 data are read.
    stage("security: response-time model");
    let (times, residuals_std) = match response_times(&p, &p.times(), cfg, stage) {
        Ok((times, residuals)) => (Ok(times), Some(residuals)),
        Err(e) => (Err(e), None),
    };

    // Item monitors over the dated attempts (first: the residuals are dropped after them).
    stage("security: item monitors");
    let data = p.attempts()?;
    let (window, window_starts) = windows(ds, cfg.window_days);
    let drift = if window_starts.is_empty() {
        None
    } else {
        let dated: Vec<usize> = (0..data.len()).filter(|&k| window[k].is_some()).collect();
        // Usually every attempt is dated: then the monitors read the data as it is (a copy of
        // the dated attempts' responses and residuals costs 12 bytes a response otherwise).
        let copy;
        let (sub, res) = if dated.len() == data.len() {
            (&data, residuals_std.as_deref())
        } else {
            let mut offsets = vec![0];
            let mut resp = Vec::new();
            let mut res = Vec::new();
            for &k in &dated {
                resp.extend_from_slice(data.attempt(k));
                if let Some(r) = &residuals_std {
                    let off = data.offset(k);
                    res.extend_from_slice(&r[off..off + data.attempt(k).len()]);
                }
                offsets.push(resp.len());
            }
            copy = (AttemptData::new(p.bank.len(), offsets, resp)?, res);
            (&copy.0, residuals_std.as_ref().map(|_| copy.1.as_slice()))
        };
        let w: Vec<u32> = dated.iter().filter_map(|&k| window[k]).collect();
        let dopts = DriftOptions {
            prior_mean,
            prior_sd,
            fast_threshold: cfg.fast_residual,
            cusum_k: cfg.cusum_k,
            false_alarm_prob: cfg.item_false_alarm,
            min_responses: cfg.min_window_responses,
            ..DriftOptions::default()
        };
        Some(item_drift_over_time(
            &p.bank,
            sub,
            &w,
            window_starts.len(),
            res,
            &dopts,
        )?)
    };

    drop(residuals_std);

    // Person fit with simulated cutoffs.
    stage("security: person fit");
    let opts = PersonFitOptions {
        alpha: cfg.person_alpha,
        ..PersonFitOptions::default()
    };
    let weights = U3Weights::from_data(&data);
    let mut person_fit = person_fit_all(&p.bank, &data, &opts, Some(&weights))?;
    stage("security: person-fit cutoffs (simulated)");
    let cutoffs = person_fit_cutoffs(
        &p.bank,
        &data,
        &person_fit.fits,
        &opts,
        Some(&weights),
        cfg.cutoff_replications,
        cfg.seed,
    )
    .ok();
    if let Some(c) = &cutoffs {
        apply_cutoffs(&mut person_fit, c);
    }

    // Suspected items: the file's, else the monitors' flags.
    let mut suspected_bank = vec![false; p.bank.len()];
    let source = match suspected {
        Some(items) => {
            for &i in items {
                if let Some(j) = p.bank_items.iter().position(|&b| b == i) {
                    suspected_bank[j] = true;
                }
            }
            SuspectedSource::File
        }
        None => {
            if let Some(d) = &drift {
                for it in &d.proportion_correct.items {
                    suspected_bank[it.item] |= it.flagged_at.is_some();
                }
                if let Some(rf) = &d.right_and_fast {
                    for it in &rf.items {
                        suspected_bank[it.item] |= it.flagged_at.is_some();
                    }
                }
            }
            SuspectedSource::ItemMonitors
        }
    };
    let suspected: Vec<usize> = (0..p.bank.len()).filter(|&j| suspected_bank[j]).collect();
    stage("security: preknowledge");
    let preknowledge = if suspected.is_empty() {
        None
    } else {
        let popts = PreknowledgeOptions {
            alpha: cfg.preknowledge_alpha,
            prior_mean,
            prior_sd,
            ..PreknowledgeOptions::default()
        };
        // Person fit's ML thetas on all items, with ln L at them, are the test's theta_hat and
        // ln L(theta_hat) (see preknowledge_lr_all_given).
        let theta_all: Vec<Option<(f64, f64)>> = person_fit
            .fits
            .iter()
            .map(|f| {
                f.as_ref()
                    .ok()
                    .filter(|f| !f.theta_at_bound)
                    .map(|f| (f.theta, f.log_likelihood))
            })
            .collect();
        let known = (opts.theta.method == ThetaMethod::Ml).then_some(theta_all.as_slice());
        Some(preknowledge_lr_all_given(
            &p.bank,
            &data,
            &suspected_bank,
            &popts,
            known,
        )?)
    };

    drop(data);
    let median_log_seconds = median_log_seconds(&p, drift.as_ref(), &window);
    Ok(SecurityAnalysis {
        config: cfg.clone(),
        bank_items: p.bank_items,
        window,
        window_starts,
        person_fit,
        cutoffs,
        drift,
        times,
        preknowledge,
        suspected,
        suspected_source: source,
        median_log_seconds,
    })
}

/// Median ln(seconds) per window of every item a monitor flagged.
fn median_log_seconds(
    p: &Prepared,
    drift: Option<&DriftReport>,
    window: &[Option<u32>],
) -> Vec<Option<Vec<f64>>> {
    let mut out = vec![None; p.bank.len()];
    let Some(d) = drift else {
        return out;
    };
    let flagged: Vec<usize> = (0..p.bank.len())
        .filter(|&j| {
            d.proportion_correct.items[j].flagged_at.is_some()
                || d.right_and_fast
                    .as_ref()
                    .is_some_and(|rf| rf.items[j].flagged_at.is_some())
        })
        .collect();
    if flagged.is_empty() {
        return out;
    }
    let mut slot = vec![usize::MAX; p.bank.len()];
    for (s, &j) in flagged.iter().enumerate() {
        slot[j] = s;
    }
    // Gathered in parallel (a median does not depend on the order of its values).
    let empty = || vec![vec![Vec::<f32>::new(); d.n_windows]; flagged.len()];
    let mut times = (0..window.len())
        .into_par_iter()
        .with_min_len(4096)
        .fold(empty, |mut times, k| {
            let Some(w) = window[k] else { return times };
            for r in p.matrix.responses(k) {
                let j = p.bank_index[r.item];
                let slot = if j == u32::MAX {
                    usize::MAX
                } else {
                    slot[j as usize]
                };
                if slot != usize::MAX && r.seconds.is_finite() && r.seconds > 0.0 {
                    times[slot][w as usize].push(r.seconds.ln());
                }
            }
            times
        })
        .reduce(empty, |mut a, b| {
            for (x, y) in a.iter_mut().flatten().zip(b.into_iter().flatten()) {
                x.extend(y);
            }
            a
        });
    let medians: Vec<Vec<f64>> = times
        .par_iter_mut()
        .map(|item| {
            item.iter_mut()
                .map(|v| {
                    if v.is_empty() {
                        return f64::NAN;
                    }
                    v.sort_unstable_by(f32::total_cmp);
                    let n = v.len();
                    if n % 2 == 1 {
                        v[n / 2] as f64
                    } else {
                        0.5 * (v[n / 2 - 1] as f64 + v[n / 2] as f64)
                    }
                })
                .collect()
        })
        .collect();
    for (&j, m) in flagged.iter().zip(medians) {
        out[j] = Some(m);
    }
    out
}
