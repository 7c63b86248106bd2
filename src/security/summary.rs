//! The security stage's figures in one value (`security.json`) and its findings in plain words:
//! "statistically unusual", never an accusation.

use super::drift::{DriftMonitor, ItemExposure};
use super::workflow::{SecurityAnalysis, SuspectedSource};

/// One item a monitor flagged.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FlaggedItem {
    pub item_id: String,
    /// "proportion_correct" or "right_and_fast".
    pub statistic: &'static str,
    /// First day of the window in which the CUSUM crossed h.
    pub signal_window: String,
    /// First day of the window from which the item looks exposed (change point).
    pub exposed_from: Option<String>,
    pub max_cusum: f64,
}

/// Counts, levels and expected false flags of every detector.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SecuritySummary {
    pub attempts: usize,
    pub bank_items: usize,
    pub person_alpha: f64,
    pub person_fit_scored: usize,
    pub person_fit_no_value: usize,
    pub lz_star_normal_flags: usize,
    pub lz_star_cutoff: Option<f64>,
    pub lz_star_flags: usize,
    pub u3_cutoff: Option<f64>,
    pub u3_flags: usize,
    pub person_fit_expected_false_flags: f64,
    pub person_fit_note: String,
    pub window_days: u32,
    pub windows: usize,
    pub first_window: Option<String>,
    pub cusum_k: f64,
    pub cusum_h: Option<f64>,
    pub item_false_alarm: f64,
    pub arl_in_control: Option<f64>,
    pub items_monitored: usize,
    pub item_expected_false_flags: f64,
    pub flagged_items: Vec<FlaggedItem>,
    pub response_times: Option<String>,
    pub rt_converged: Option<bool>,
    pub rt_sigma_tau: Option<f64>,
    pub rapid_guesses: usize,
    pub rapid_guess_share: f64,
    pub speed_flags: usize,
    pub fast_correct_items: usize,
    pub suspected_source: SuspectedSource,
    pub suspected_items: Vec<String>,
    pub preknowledge_alpha: f64,
    pub preknowledge_tested: usize,
    pub preknowledge_flags: usize,
    pub preknowledge_expected_false_flags: f64,
}

fn flagged(
    a: &SecurityAnalysis,
    ids: &[String],
    m: &DriftMonitor,
    name: &'static str,
) -> Vec<FlaggedItem> {
    m.items
        .iter()
        .filter_map(|it: &ItemExposure| {
            let w = it.flagged_at?;
            Some(FlaggedItem {
                item_id: ids[it.item].clone(),
                statistic: name,
                signal_window: a.window_starts[w].clone(),
                exposed_from: it.exposed_from.map(|e| a.window_starts[e].clone()),
                max_cusum: it.max_cusum,
            })
        })
        .collect()
}

impl SecurityAnalysis {
    /// The figures of every detector; `item_ids` are the bank items' ids.
    pub fn summary(&self, item_ids: &[String]) -> SecuritySummary {
        let pf = &self.person_fit;
        let mut flagged_items = Vec::new();
        if let Some(d) = &self.drift {
            flagged_items.extend(flagged(
                self,
                item_ids,
                &d.proportion_correct,
                "proportion_correct",
            ));
            if let Some(rf) = &d.right_and_fast {
                flagged_items.extend(flagged(self, item_ids, rf, "right_and_fast"));
            }
        }
        let t = self.times.as_ref().ok();
        let n_resp: usize = t.map_or(0, |t| t.n_responses);
        let rapid: usize = t.map_or(0, |t| t.rapid.per_item.iter().sum());
        SecuritySummary {
            attempts: pf.fits.len(),
            bank_items: self.bank_items.len(),
            person_alpha: pf.alpha,
            person_fit_scored: pf.n_scored,
            person_fit_no_value: pf.n_no_value,
            lz_star_normal_flags: pf.n_flagged,
            lz_star_cutoff: pf.lz_star_cutoff,
            lz_star_flags: pf.n_flagged_calibrated,
            u3_cutoff: pf.u3_cutoff,
            u3_flags: pf.n_flagged_u3,
            person_fit_expected_false_flags: pf.expected_false_flags,
            person_fit_note: pf.note.clone(),
            window_days: self.config.window_days,
            windows: self.window_starts.len(),
            first_window: self.window_starts.first().cloned(),
            cusum_k: self.config.cusum_k,
            cusum_h: self.drift.as_ref().map(|d| d.cusum_h),
            item_false_alarm: self.config.item_false_alarm,
            arl_in_control: self.drift.as_ref().map(|d| d.arl_in_control),
            items_monitored: self
                .drift
                .as_ref()
                .map_or(0, |d| d.proportion_correct.n_items_monitored),
            item_expected_false_flags: self
                .drift
                .as_ref()
                .map_or(0.0, |d| d.proportion_correct.expected_false_flags),
            flagged_items,
            response_times: self.times.as_ref().err().cloned(),
            rt_converged: t.map(|t| t.fit.converged),
            rt_sigma_tau: t.map(|t| t.fit.sigma_tau),
            rapid_guesses: rapid,
            rapid_guess_share: rapid as f64 / n_resp.max(1) as f64,
            speed_flags: t.map_or(0, |t| t.speed.iter().filter(|s| s.flagged).count()),
            fast_correct_items: t
                .map_or(0, |t| t.fast_correct.iter().filter(|f| f.flagged).count()),
            suspected_source: self.suspected_source.clone(),
            suspected_items: self
                .suspected
                .iter()
                .map(|&j| item_ids[j].clone())
                .collect(),
            preknowledge_alpha: self.config.preknowledge_alpha,
            preknowledge_tested: self.preknowledge.as_ref().map_or(0, |p| p.n_tested),
            preknowledge_flags: self.preknowledge.as_ref().map_or(0, |p| p.n_flagged),
            preknowledge_expected_false_flags: self
                .preknowledge
                .as_ref()
                .map_or(0.0, |p| p.expected_false_flags),
        }
    }

    /// Plain-word findings for attempt `k` (empty when nothing is unusual).
    pub fn attempt_findings(&self, k: usize) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(f) = &self.person_fit.fits[k] {
            if f.flagged_calibrated == Some(true) {
                out.push(
                    "response pattern statistically unusual under the model (lz*)".to_string(),
                );
            }
            if f.flagged_u3 == Some(true) {
                out.push("response pattern statistically unusual (U3)".to_string());
            }
        }
        if let Ok(t) = &self.times {
            if t.speed.get(k).is_some_and(|s| s.flagged) {
                out.push("response times statistically unusual for one steady pace".to_string());
            }
            let r = t.rapid.per_person.get(k).copied().unwrap_or(0);
            if r > 0 {
                out.push(format!(
                    "{r} response(s) faster than the rapid-guess threshold"
                ));
            }
        }
        if let Some(Ok(p)) = self.preknowledge.as_ref().map(|p| &p.tests[k]) {
            if p.flagged {
                out.push(
                    "statistically unusual success on the suspected items compared with the rest"
                        .to_string(),
                );
            }
        }
        out
    }
}
