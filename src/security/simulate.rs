//! Seeded simulator of an exam with a leak, for testing the security statistics.
//!
//! A 3PL bank; attempts spread evenly over `n_weeks` weeks, each seeing a random subset of
//! `items_per_attempt` items; abilities N(0,1); response times from van der Linden's lognormal
//! model. From `leak_week` on, `n_leaked` items are exposed: each later candidate knows each
//! leaked item with probability `leak_share`, and a share `preknowledge_share` of later
//! candidates knows the whole leaked set. A known item is answered right with probability
//! `p_right_known` and `fast_shift` log-time SDs faster than expected. A share `guesser_share` of
//! all candidates are random guessers (right with probability `guess_p`, somewhat fast).
//!
//! Attempts are generated in blocks of [`SIM_BLOCK`], each from its own ChaCha8 stream of the
//! seed, so the data are identical whatever the number of threads.

use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};
use rayon::prelude::*;

use super::data::AttemptData;
use super::error::{check_open, SecurityError};
use super::model::ItemBank;
use crate::irt::response_time::{
    fit_lognormal_rt, standardised_residuals, RtError, RtOptions, TimeData,
};

/// Lognormal response-time parameters of one item (van der Linden 2006): time intensity beta (log
/// seconds) and precision alpha (1 / SD of ln t).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogNormalRtItem {
    pub alpha: f64,
    pub beta: f64,
}

/// Attempts per random stream.
pub const SIM_BLOCK: usize = 4096;

/// What the simulator planted.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SimConfig {
    pub seed: u64,
    pub n_bank: usize,
    pub items_per_attempt: usize,
    pub n_attempts: usize,
    pub n_weeks: usize,
    pub n_leaked: usize,
    /// First week (0-based) in which the leaked items are known.
    pub leak_week: usize,
    /// Probability that a candidate from the leak week on knows a given leaked item.
    pub leak_share: f64,
    /// Share of candidates from the leak week on who know the whole leaked set.
    pub preknowledge_share: f64,
    /// Share of random guessers (any week).
    pub guesser_share: f64,
    pub p_right_known: f64,
    /// How much faster (in log-time SDs) a known item is answered.
    pub fast_shift: f64,
    pub guess_p: f64,
    /// Scaling constant of the bank.
    pub d: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 20240601,
            n_bank: 300,
            items_per_attempt: 65,
            n_attempts: 100_000,
            n_weeks: 20,
            n_leaked: 20,
            leak_week: 10,
            leak_share: 0.10,
            preknowledge_share: 0.005,
            guesser_share: 0.005,
            p_right_known: 0.9,
            fast_shift: 2.0,
            guess_p: 0.25,
            d: 1.0,
        }
    }
}

/// The kind of candidate behind an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateKind {
    /// Answers by the model.
    Clean,
    /// Knew some leaked items (each with probability `leak_share`).
    Exposed,
    /// Knew the whole leaked set.
    Preknowledge,
    /// Random guesser.
    Guesser,
}

/// A simulated exam with the truth.
#[derive(Debug, Clone)]
pub struct SimData {
    pub bank: ItemBank,
    pub rt_items: Vec<LogNormalRtItem>,
    pub data: AttemptData,
    /// Week of each attempt (0-based).
    pub week: Vec<u32>,
    /// ln(seconds) per response.
    pub log_times: Vec<f64>,
    pub theta: Vec<f64>,
    pub kind: Vec<CandidateKind>,
    /// Leaked items of the bank.
    pub leaked: Vec<bool>,
    /// Per response: answered from preknowledge.
    pub known: Vec<bool>,
}

impl SimData {
    /// The simulated times as the response-time model reads them (seconds, f32).
    pub fn times(&self) -> TimeData {
        TimeData {
            offsets: (0..=self.data.len()).map(|k| self.data.offset(k)).collect(),
            item: self.data.responses().iter().map(|r| r.0).collect(),
            seconds: self.log_times.iter().map(|&l| l.exp() as f32).collect(),
        }
    }

    /// The standardised log-time residuals the security stage feeds its right-and-fast monitor:
    /// the lognormal model fitted to the simulated times (no SEs), then
    /// [`standardised_residuals`]; aligned with `data.responses()`.
    pub fn log_time_residuals(&self) -> Result<Vec<f32>, RtError> {
        let times = self.times();
        let opts = RtOptions {
            standard_errors: false,
            ..RtOptions::default()
        };
        let fit = fit_lognormal_rt(&times, self.bank.len(), &opts)?;
        standardised_residuals(&times, &fit)
    }
}

struct Block {
    offsets: Vec<usize>,
    responses: Vec<(u32, u8)>,
    log_times: Vec<f64>,
    known: Vec<bool>,
    week: Vec<u32>,
    theta: Vec<f64>,
    kind: Vec<CandidateKind>,
}

/// Simulates an exam (see the module doc).
pub fn simulate(cfg: &SimConfig) -> Result<SimData, SecurityError> {
    for (name, v) in [
        ("leak_share", cfg.leak_share),
        ("preknowledge_share", cfg.preknowledge_share),
        ("guesser_share", cfg.guesser_share),
        ("p_right_known", cfg.p_right_known),
        ("guess_p", cfg.guess_p),
    ] {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err(SecurityError::BadOption {
                name,
                value: v,
                expected: "a probability in [0, 1]",
            });
        }
    }
    check_open(
        "d",
        cfg.d,
        0.0,
        f64::INFINITY,
        "a positive scaling constant",
    )?;
    if cfg.items_per_attempt == 0 || cfg.items_per_attempt > cfg.n_bank {
        return Err(SecurityError::BadOption {
            name: "items_per_attempt",
            value: cfg.items_per_attempt as f64,
            expected: "between 1 and the bank size",
        });
    }
    if cfg.n_leaked > cfg.n_bank || cfg.n_weeks == 0 {
        return Err(SecurityError::BadOption {
            name: "n_leaked / n_weeks",
            value: cfg.n_leaked as f64,
            expected: "at most the bank size, and at least one week",
        });
    }
    // The bank and the leaked set from their own stream.
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    rng.set_stream(u64::MAX);
    let log_a = Normal::<f64>::new(0.2, 0.25).map_err(|_| bad_dist())?;
    let b_dist = Normal::<f64>::new(0.0, 1.0).map_err(|_| bad_dist())?;
    let c_dist = Uniform::<f64>::new(0.05, 0.25);
    let rt_alpha = Uniform::<f64>::new(1.5, 2.5);
    let rt_beta = Normal::<f64>::new(4.0, 0.3).map_err(|_| bad_dist())?;
    let mut items = Vec::with_capacity(cfg.n_bank);
    let mut rt_items = Vec::with_capacity(cfg.n_bank);
    for _ in 0..cfg.n_bank {
        items.push((
            log_a.sample(&mut rng).exp(),
            b_dist.sample(&mut rng),
            c_dist.sample(&mut rng),
        ));
        rt_items.push(LogNormalRtItem {
            alpha: rt_alpha.sample(&mut rng),
            beta: rt_beta.sample(&mut rng),
        });
    }
    let mut leaked = vec![false; cfg.n_bank];
    for i in sample(&mut rng, cfg.n_bank, cfg.n_leaked).into_iter() {
        leaked[i] = true;
    }
    let bank = ItemBank::from_abc(&items, cfg.d)?;

    let n_blocks = cfg.n_attempts.div_ceil(SIM_BLOCK);
    let blocks: Vec<Block> = (0..n_blocks)
        .into_par_iter()
        .map(|blk| simulate_block(cfg, &bank, &rt_items, &leaked, blk))
        .collect();

    let n_resp: usize = blocks.iter().map(|b| b.responses.len()).sum();
    let mut offsets = Vec::with_capacity(cfg.n_attempts + 1);
    offsets.push(0);
    let mut responses = Vec::with_capacity(n_resp);
    let mut log_times = Vec::with_capacity(n_resp);
    let mut known = Vec::with_capacity(n_resp);
    let mut week = Vec::with_capacity(cfg.n_attempts);
    let mut theta = Vec::with_capacity(cfg.n_attempts);
    let mut kind = Vec::with_capacity(cfg.n_attempts);
    for b in blocks {
        let base = responses.len();
        offsets.extend(b.offsets[1..].iter().map(|o| o + base));
        responses.extend(b.responses);
        log_times.extend(b.log_times);
        known.extend(b.known);
        week.extend(b.week);
        theta.extend(b.theta);
        kind.extend(b.kind);
    }
    let data = AttemptData::new(cfg.n_bank, offsets, responses)?;
    Ok(SimData {
        bank,
        rt_items,
        data,
        week,
        log_times,
        theta,
        kind,
        leaked,
        known,
    })
}

fn bad_dist() -> SecurityError {
    SecurityError::BadOption {
        name: "simulation distribution",
        value: f64::NAN,
        expected: "valid distribution parameters",
    }
}

fn simulate_block(
    cfg: &SimConfig,
    bank: &ItemBank,
    rt_items: &[LogNormalRtItem],
    leaked: &[bool],
    blk: usize,
) -> Block {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    rng.set_stream(blk as u64);
    let start = blk * SIM_BLOCK;
    let end = ((blk + 1) * SIM_BLOCK).min(cfg.n_attempts);
    let m = cfg.items_per_attempt;
    let n = end - start;
    let mut b = Block {
        offsets: Vec::with_capacity(n + 1),
        responses: Vec::with_capacity(n * m),
        log_times: Vec::with_capacity(n * m),
        known: Vec::with_capacity(n * m),
        week: Vec::with_capacity(n),
        theta: Vec::with_capacity(n),
        kind: Vec::with_capacity(n),
    };
    b.offsets.push(0);
    let mut chosen: Vec<usize> = Vec::with_capacity(m);
    for k in start..end {
        let week = (k * cfg.n_weeks / cfg.n_attempts.max(1)) as u32;
        let after_leak = week as usize >= cfg.leak_week;
        let theta: f64 = rng.sample(rand_distr::StandardNormal);
        let tau: f64 = 0.3 * rng.sample::<f64, _>(rand_distr::StandardNormal);
        let u: f64 = rng.gen();
        let mut kind = if u < cfg.guesser_share {
            CandidateKind::Guesser
        } else if after_leak && u < cfg.guesser_share + cfg.preknowledge_share {
            CandidateKind::Preknowledge
        } else {
            CandidateKind::Clean
        };
        chosen.clear();
        chosen.extend(sample(&mut rng, cfg.n_bank, m));
        chosen.sort_unstable();
        let mut any_known = false;
        for &j in &chosen {
            let knows = after_leak
                && leaked[j]
                && match kind {
                    CandidateKind::Preknowledge => true,
                    CandidateKind::Clean => rng.gen::<f64>() < cfg.leak_share,
                    _ => false,
                };
            let z: f64 = rng.sample(rand_distr::StandardNormal);
            let (x, eps) = if knows {
                any_known = true;
                (rng.gen::<f64>() < cfg.p_right_known, z - cfg.fast_shift)
            } else if kind == CandidateKind::Guesser {
                (rng.gen::<f64>() < cfg.guess_p, z - 1.0)
            } else {
                (rng.gen::<f64>() < bank.p(j, theta), z)
            };
            let rt = rt_items[j];
            b.responses.push((j as u32, u8::from(x)));
            b.log_times.push(rt.beta - tau + eps / rt.alpha);
            b.known.push(knows);
        }
        if any_known && kind == CandidateKind::Clean {
            kind = CandidateKind::Exposed;
        }
        b.offsets.push(b.responses.len());
        b.week.push(week);
        b.theta.push(theta);
        b.kind.push(kind);
    }
    b
}
