//! Planted exam-security cases for `qbank simulate --leak ...`: a set of scored items exposed
//! from a given day, known to a share of the later candidates (each leaked item independently)
//! and to a few preknowledge candidates (the whole set), and rapid guessers at any time. A known
//! item is answered right with probability [`P_RIGHT_KNOWN`] and [`FAST_SD`] log-time SDs faster;
//! a rapid guesser picks an option at random in 1-4 seconds.
//!
//! Every draw comes from its own ChaCha8 stream, and the ordinary response is drawn first in any
//! case, so a data set with a leak equals the one without it except in the planted responses.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to plant.
#[derive(Debug, Clone, PartialEq)]
pub struct LeakConfig {
    /// Scored items leaked (anchors first: they are on every form).
    pub items: usize,
    /// Day (0 = 2026-01-05) from which the leaked items are known.
    pub from_day: f64,
    /// Probability that a candidate after the leak knows a given leaked item.
    pub share: f64,
    /// Attempts after the leak whose candidate knows the whole leaked set.
    pub preknowledge: usize,
    /// Share of all attempts that are rapid guessing throughout.
    pub rapid_guessers: f64,
}

/// P(right) on a known item.
pub const P_RIGHT_KNOWN: f64 = 0.95;
/// How much faster (in the simulator's log-time SDs of 0.35) a known item is answered.
pub const FAST_SD: f64 = 2.0;
/// The simulator's SD of log seconds around a person's expected time.
pub const LOG_TIME_SD: f64 = 0.35;

/// The kind of an attempt in the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    Clean,
    /// Knew some leaked items.
    Exposed,
    /// Knew the whole leaked set.
    Preknowledge,
    RapidGuesser,
}

impl AttemptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Clean => "clean",
            AttemptKind::Exposed => "exposed",
            AttemptKind::Preknowledge => "preknowledge",
            AttemptKind::RapidGuesser => "rapid_guesser",
        }
    }
}

/// The planted cases, decided before the responses are drawn.
pub struct Plan {
    pub cfg: LeakConfig,
    /// Per pool item: leaked.
    pub leaked: Vec<bool>,
    /// Per attempt (in time order).
    pub kind: Vec<AttemptKind>,
    rng: ChaCha8Rng,
}

/// What happens to one response.
pub enum Planted {
    /// The ordinary response.
    None,
    /// Known: right with P_RIGHT_KNOWN, seconds multiplied by the factor.
    Known,
    /// A rapid guess.
    Guess,
}

impl Plan {
    /// Chooses the leaked items (from `scored_first`, anchors first) and each attempt's kind;
    /// `days` are the attempts' days in time order.
    pub fn new(
        cfg: &LeakConfig,
        seed: u64,
        pool: usize,
        anchors: &[usize],
        other_scored: &[usize],
        days: &[f64],
    ) -> Result<Plan, String> {
        if !(0.0..=1.0).contains(&cfg.share) || !(0.0..=1.0).contains(&cfg.rapid_guessers) {
            return Err("--leak-share and --rapid-guessers must lie between 0 and 1".into());
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5ec0_417e);
        let mut a = anchors.to_vec();
        a.shuffle(&mut rng);
        let mut o = other_scored.to_vec();
        o.shuffle(&mut rng);
        let chosen: Vec<usize> = a.into_iter().chain(o).take(cfg.items).collect();
        if chosen.len() < cfg.items {
            return Err(format!(
                "--leak {}: the forms have only {} scored items",
                cfg.items,
                chosen.len()
            ));
        }
        let mut leaked = vec![false; pool];
        for i in chosen {
            leaked[i] = true;
        }
        let mut kind: Vec<AttemptKind> = days
            .iter()
            .map(|_| {
                if rng.gen_bool(cfg.rapid_guessers) {
                    AttemptKind::RapidGuesser
                } else {
                    AttemptKind::Clean
                }
            })
            .collect();
        let after: Vec<usize> = (0..days.len())
            .filter(|&k| days[k] >= cfg.from_day && kind[k] == AttemptKind::Clean)
            .collect();
        if cfg.items > 0 {
            for &k in after.choose_multiple(&mut rng, cfg.preknowledge) {
                kind[k] = AttemptKind::Preknowledge;
            }
        }
        Ok(Plan {
            cfg: cfg.clone(),
            leaked,
            kind,
            rng,
        })
    }

    /// What happens to attempt `k`'s response to item `i` on day `day` (draws from the plan's
    /// own stream; call once per response, in order).
    pub fn response(&mut self, k: usize, i: usize, day: f64) -> Planted {
        match self.kind[k] {
            AttemptKind::RapidGuesser => Planted::Guess,
            AttemptKind::Preknowledge if self.leaked[i] => Planted::Known,
            AttemptKind::Clean | AttemptKind::Exposed
                if self.leaked[i] && day >= self.cfg.from_day =>
            {
                if self.rng.gen_bool(self.cfg.share) {
                    self.kind[k] = AttemptKind::Exposed;
                    Planted::Known
                } else {
                    Planted::None
                }
            }
            _ => Planted::None,
        }
    }

    /// Whether a known item is answered right, and the rapid guess's option and seconds.
    pub fn known_right(&mut self) -> bool {
        self.rng.gen_bool(P_RIGHT_KNOWN)
    }

    /// A rapid guess: a random option (0-based) of `options` and 1-4 seconds.
    pub fn guess(&mut self, options: u8) -> (u8, f64) {
        (self.rng.gen_range(0..options), self.rng.gen_range(1.0..4.0))
    }
}
