//! `qbank.toml` `[security]`: the levels and windows of the exam-security checks.

use serde::Deserialize;

use super::diagnostics::{Diagnostics, Location};

/// Thresholds of the exam-security stage (qbank.toml `[security]`; every key optional).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// One-sided level of the person-fit flags (lz*, U3) and of aberrant speed (default 0.01).
    pub person_alpha: f64,
    /// One-sided level of the preknowledge test (default 0.01).
    pub preknowledge_alpha: f64,
    /// Length of a time window in days for the item monitors (default 7: weekly).
    pub window_days: u32,
    /// Probability that an unchanged item is flagged at least once over all windows (default 0.01).
    pub item_false_alarm: f64,
    /// CUSUM reference value k in z units (default 0.5).
    pub cusum_k: f64,
    /// Windows with fewer responses to an item are skipped (default 30).
    pub min_window_responses: usize,
    /// "Fast": a standardised log-time residual below minus this (default 1).
    pub fast_residual: f64,
    /// Rapid-guess threshold: this share of the item's mean time (default 0.10: NT10) ...
    pub rapid_fraction: f64,
    /// ... but at most this many seconds (default 10).
    pub rapid_max_seconds: f64,
    /// Simulated model-fitting attempts behind the lz* and U3 cutoffs (default 20000).
    pub cutoff_replications: usize,
    /// Seed of those simulations (default 17).
    pub seed: u64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            person_alpha: 0.01,
            preknowledge_alpha: 0.01,
            window_days: 7,
            item_false_alarm: 0.01,
            cusum_k: 0.5,
            min_window_responses: 30,
            fast_residual: 1.0,
            rapid_fraction: 0.10,
            rapid_max_seconds: 10.0,
            cutoff_replications: 20_000,
            seed: 17,
        }
    }
}

impl SecurityConfig {
    /// Records every out-of-range value against `loc`.
    pub fn check(&self, loc: &Location, diags: &mut Diagnostics) {
        for (name, v) in [
            ("person_alpha", self.person_alpha),
            ("preknowledge_alpha", self.preknowledge_alpha),
            ("item_false_alarm", self.item_false_alarm),
        ] {
            if !(v > 0.0 && v < 0.5) {
                diags.error(
                    loc.clone().column("security"),
                    format!("{name} {v} must be a level between 0 and 0.5"),
                );
            }
        }
        if self.window_days == 0 {
            diags.error(
                loc.clone().column("security"),
                "window_days must be at least 1",
            );
        }
        if !(self.cusum_k.is_finite() && self.cusum_k >= 0.0) {
            diags.error(
                loc.clone().column("security"),
                format!("cusum_k {} must be a number >= 0", self.cusum_k),
            );
        }
        if !(self.fast_residual.is_finite() && self.fast_residual > 0.0) {
            diags.error(
                loc.clone().column("security"),
                format!(
                    "fast_residual {} must be a positive number",
                    self.fast_residual
                ),
            );
        }
        if !(self.rapid_fraction > 0.0 && self.rapid_fraction <= 1.0) {
            diags.error(
                loc.clone().column("security"),
                format!("rapid_fraction {} must be in (0, 1]", self.rapid_fraction),
            );
        }
        if !(self.rapid_max_seconds.is_finite() && self.rapid_max_seconds > 0.0) {
            diags.error(
                loc.clone().column("security"),
                format!(
                    "rapid_max_seconds {} must be positive",
                    self.rapid_max_seconds
                ),
            );
        }
        if self.cutoff_replications < 100 {
            diags.error(
                loc.clone().column("security"),
                "cutoff_replications must be at least 100",
            );
        }
    }
}
