//! The status rule (Ready, Borderline, Not yet): the decision and its explanation in words come
//! from the same thresholds in qbank.toml's `[readiness]`.

use serde::Serialize;

use crate::exam::config::ReadinessConfig;

use super::AttemptReadiness;

/// How consistently the last k full-length attempts reached the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consistency {
    /// Full-length attempts among the last k.
    pub full_in_window: usize,
    /// How many of them reached the target.
    pub hits: usize,
    /// The latest full-length attempt reached the target.
    pub latest_reached: bool,
}

impl Consistency {
    /// Consistency over the last `k` full-length attempts of `attempts` (in time order).
    pub fn of(attempts: &[AttemptReadiness], k: usize) -> Consistency {
        let full: Vec<bool> = attempts
            .iter()
            .filter(|a| a.full_length)
            .map(|a| a.reached_target)
            .collect();
        let recent = &full[full.len().saturating_sub(k)..];
        Consistency {
            full_in_window: recent.len(),
            hits: recent.iter().filter(|&&r| r).count(),
            latest_reached: recent.last() == Some(&true),
        }
    }

    /// At least half (rounded up) reached the target, the latest of them included.
    pub fn consistent(&self) -> bool {
        self.latest_reached && 2 * self.hits >= self.full_in_window
    }
}

/// Ready, Borderline or Not yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    Ready,
    Borderline,
    #[serde(rename = "Not yet")]
    NotYet,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "Ready",
            Status::Borderline => "Borderline",
            Status::NotYet => "Not yet",
        }
    }

    /// The rule: Not yet below `borderline_probability`; Ready at or above `ready_probability`
    /// with consistent recent attempts; Borderline otherwise.
    pub fn decide(p_pass: f64, c: &Consistency, o: &ReadinessConfig) -> Status {
        if p_pass < o.borderline_probability {
            Status::NotYet
        } else if p_pass >= o.ready_probability && c.consistent() {
            Status::Ready
        } else {
            Status::Borderline
        }
    }

    /// The rule of [`Status::decide`] in words, with the settings filled in.
    pub fn rule(o: &ReadinessConfig) -> String {
        format!(
            "Ready: combined P(pass) >= {rp} and, of the last m = min({k}, full-length attempts taken) full-length attempts, at least half (rounded up) reached {t}, the latest of them included. \
             Not yet: combined P(pass) < {bp}. Borderline: everything else (including candidates with no full-length attempt and P(pass) >= {bp}).",
            rp = o.ready_probability,
            bp = o.borderline_probability,
            k = o.consistency_attempts,
            t = o.target
        )
    }
}
