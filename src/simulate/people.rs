//! Simulated candidates and their attempts: a cohort mean per form, repeaters who grow between
//! attempts, a diagnostic first attempt for some, a planted weak domain and group membership, and
//! official outcomes for a share of them.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::{SimConfig, SimulateError, DOMAINS};

pub(super) struct SimAttempt {
    pub(super) candidate: usize,
    pub(super) form: usize,
    pub(super) number: usize,
    pub(super) theta: f64,
    pub(super) day: f64,
}

pub(super) struct SimCandidate {
    pub(super) focal: bool,
    pub(super) weak_domain: usize,
    pub(super) theta_final: f64,
}

/// The candidates and their attempts, the attempts in time order.
pub(super) fn draw_candidates(
    cfg: &SimConfig,
    rng: &mut ChaCha8Rng,
) -> Result<(Vec<SimCandidate>, Vec<SimAttempt>), SimulateError> {
    let nd = DOMAINS.len();
    let cohort_mu = [0.0, 0.2, -0.15, 0.1, 0.3, -0.2, 0.05, 0.15];
    let theta_noise = Normal::new(0.0, 1.0).map_err(|e| SimulateError::Config(e.to_string()))?;
    let mut candidates = Vec::with_capacity(cfg.candidates);
    let mut attempts: Vec<SimAttempt> = Vec::new();
    for cand in 0..cfg.candidates {
        let first_form = rng.gen_range(0..cfg.forms);
        let mut theta = cohort_mu[first_form % cohort_mu.len()] + theta_noise.sample(rng);
        let focal = rng.gen_bool(cfg.focal_share);
        let weak_domain = rng.gen_range(0..nd);
        let mut day = rng.gen_range(0.0..300.0);
        let mut number = 0;
        if rng.gen_bool(cfg.diagnostic_share) {
            number += 1;
            attempts.push(SimAttempt {
                candidate: cand,
                form: cfg.forms,
                number,
                theta,
                day,
            });
            day += rng.gen_range(1.0..7.0);
        }
        let n_full = if cfg.max_attempts > 1 && rng.gen_bool(cfg.repeat_share) {
            rng.gen_range(2..=cfg.max_attempts)
        } else {
            1
        };
        let mut form = first_form;
        for k in 0..n_full {
            if k > 0 {
                theta += cfg.growth * (1.0 + 0.3 * theta_noise.sample(rng));
                day += rng.gen_range(3.0..21.0);
                if cfg.forms > 1 {
                    form = (form + rng.gen_range(1..cfg.forms)) % cfg.forms;
                }
            }
            number += 1;
            attempts.push(SimAttempt {
                candidate: cand,
                form,
                number,
                theta,
                day,
            });
        }
        candidates.push(SimCandidate {
            focal,
            weak_domain,
            theta_final: theta,
        });
    }
    attempts.sort_by(|x, y| {
        x.day
            .partial_cmp(&y.day)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok((candidates, attempts))
}

/// Each candidate's official exam, for a share `official_share` of them: the final ability plus
/// the practice -> exam shift 0.1 and the exam's own error (SD 0.25).
pub(super) fn official_outcomes(
    cfg: &SimConfig,
    rng: &mut ChaCha8Rng,
    candidates: &[SimCandidate],
) -> Result<Vec<Option<f64>>, SimulateError> {
    let theta_noise = Normal::new(0.0, 1.0).map_err(|e| SimulateError::Config(e.to_string()))?;
    let mut official = Vec::with_capacity(cfg.candidates);
    for c in candidates {
        let took = rng.gen_bool(cfg.official_share);
        let measured = c.theta_final + 0.1 + 0.25 * theta_noise.sample(rng);
        official.push(took.then_some(measured));
    }
    Ok(official)
}
