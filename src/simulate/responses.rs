//! Responses and response times of the simulated attempts, written as `attempts.csv` while they
//! are drawn (a million attempts never sit in memory), with the planted security cases applied.

use std::path::Path;

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::bank::{SimForm, SimItem};
use super::leak;
use super::people::{SimAttempt, SimCandidate};
use super::{SimConfig, SimulateError};
use crate::exam::dates::civil_from_days;
use crate::irt::{ItemModel, Logistic, ModelKind};
use crate::report::files::write_atomic;

/// Option letters of a bit mask, joined by |.
pub(super) fn letters(mask: u16) -> String {
    let mut s = String::new();
    for i in 0..15u8 {
        if mask & (1 << i) != 0 {
            if !s.is_empty() {
                s.push('|');
            }
            s.push((b'A' + i) as char);
        }
    }
    s
}

/// RFC 3339 instant of a simulated day (day 0 is 2026-01-05).
pub(super) fn timestamp(day: f64) -> String {
    // Day 0 is 2026-01-05 (20458 days after 1970-01-01).
    let whole = day.floor() as i64;
    let secs = ((day - day.floor()) * 86_400.0).round() as i64;
    let (y, m, d) = civil_from_days(20_458 + whole + secs / 86_400);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A random set of `size` options that is not `not`.
pub(super) fn sample_mask(rng: &mut ChaCha8Rng, options: u8, size: usize, not: u16) -> u16 {
    let mut all: Vec<u8> = (0..options).collect();
    loop {
        all.shuffle(rng);
        let mask = all[..size].iter().fold(0u16, |m, &o| m | 1 << o);
        if mask != not {
            return mask;
        }
    }
}

/// One response and its seconds: omitted with probability `omit_rate`, else right by the 3PL,
/// else a wrong set (multiple response) or a distractor chosen by its lure at this theta; log
/// seconds around the item's typical time, a little faster for abler candidates.
fn respond_one(
    rng: &mut ChaCha8Rng,
    it: &SimItem,
    theta: f64,
    b: f64,
    omit_rate: f64,
    theta_noise: &Normal<f64>,
) -> (u16, f64) {
    let p = Logistic::new(ModelKind::ThreePL, it.a, b, it.c, 1.0).expected_score(theta);
    let response = if rng.gen_bool(omit_rate) {
        0
    } else if rng.gen_bool(p.clamp(0.0, 1.0)) {
        it.key
    } else if it.multiple {
        let size = match rng.gen_range(0..10) {
            0 => 1,
            1 => 3,
            _ => 2,
        };
        sample_mask(rng, it.options, size, it.key)
    } else {
        // Distractors with a negative slope on theta lure weaker candidates more.
        let w: Vec<f64> = (0..it.options)
            .map(|o| {
                if it.key & (1 << o) != 0 {
                    0.0
                } else {
                    (it.lure[o as usize].0 + it.lure[o as usize].1 * theta).exp()
                }
            })
            .collect();
        let mut u = rng.gen::<f64>() * w.iter().sum::<f64>();
        let mut pick = 0u8;
        for (o, wo) in w.iter().enumerate() {
            if *wo > 0.0 {
                pick = o as u8;
                if u < *wo {
                    break;
                }
                u -= wo;
            }
        }
        1 << pick
    };
    let secs = (it.log_seconds - 0.1 * theta + 0.35 * theta_noise.sample(rng)).exp();
    (response, secs)
}

/// Writes `attempts.csv`: every attempt's responses in form order. Returns the number of
/// responses written.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_attempts(
    path: &Path,
    cfg: &SimConfig,
    rng: &mut ChaCha8Rng,
    items: &[SimItem],
    forms: &[SimForm],
    candidates: &[SimCandidate],
    attempts: &[SimAttempt],
    mut plan: Option<&mut leak::Plan>,
) -> Result<usize, SimulateError> {
    let theta_noise = Normal::new(0.0, 1.0).map_err(|e| SimulateError::Config(e.to_string()))?;
    let mut n_responses = 0usize;
    write_atomic(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record([
            "attempt_id",
            "candidate_id",
            "form_id",
            "item_id",
            "response",
            "seconds",
            "submitted_at",
        ])?;
        for (k, at) in attempts.iter().enumerate() {
            let c = &candidates[at.candidate];
            let aid = super::attempt_id(k);
            let cid = super::candidate_id(at.candidate);
            let when = timestamp(at.day);
            let form = &forms[at.form];
            for (i, _) in &form.items {
                let it = &items[*i];
                let theta = at.theta
                    - if it.domain == c.weak_domain {
                        cfg.weak_domain_shift
                    } else {
                        0.0
                    };
                let b = it.b + if c.focal { it.dif } else { 0.0 };
                let (mut response, mut secs) =
                    respond_one(rng, it, theta, b, cfg.omit_rate, &theta_noise);
                if let Some(plan) = plan.as_mut() {
                    match plan.response(k, *i, at.day) {
                        leak::Planted::Known => {
                            if plan.known_right() {
                                response = it.key;
                            }
                            secs *= (-leak::FAST_SD * leak::LOG_TIME_SD).exp();
                        }
                        leak::Planted::Guess => {
                            let (o, s) = plan.guess(it.options);
                            response = 1 << o;
                            secs = s;
                        }
                        leak::Planted::None => {}
                    }
                }
                csv.write_record([
                    aid.as_str(),
                    cid.as_str(),
                    form.id.as_str(),
                    it.id.as_str(),
                    letters(response).as_str(),
                    format!("{secs:.1}").as_str(),
                    when.as_str(),
                ])?;
                n_responses += 1;
            }
        }
        csv.flush()?;
        Ok(())
    })
    .map_err(|source| SimulateError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(n_responses)
}
