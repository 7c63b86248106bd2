//! `qbank.toml`: the exam's name, blueprint domains, reporting scale, base form, readiness targets,
//! file paths and column-name mapping.

use serde::Deserialize;

use super::diagnostics::{Diagnostics, Location};

/// The exam definition read from `qbank.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub name: String,
    /// The form whose raw scale anchors the reporting scale.
    pub base_form: String,
    pub domains: Vec<Domain>,
    pub scale: ScaleConfig,
    /// IANA time zone of `submitted_at` values written without one (default UTC).
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub readiness: ReadinessConfig,
    #[serde(default)]
    pub files: FilesConfig,
    #[serde(default)]
    pub columns: ColumnsConfig,
    #[serde(default)]
    pub flags: FlagsConfig,
    #[serde(default)]
    pub bank: BankConfig,
    #[serde(default)]
    pub security: super::security_config::SecurityConfig,
    #[serde(default)]
    pub calibration: CalibrationConfig,
}

/// Rules of the next item bank (qbank.toml `[bank]`): when a calibrated pretest item becomes
/// `ready`, and which review flags hold an item back or retire it.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BankConfig {
    /// Fewer responses than this: not ready.
    pub min_n: f64,
    /// A standard error of b above this: not ready.
    pub max_se_b: f64,
    /// An S-X2 item-fit p-value below this: misfit, not ready.
    pub misfit_p: f64,
    /// ETS category C DIF (Mantel-Haenszel) holds an item back.
    pub no_dif_c: bool,
    /// Review flags (flags.csv) that hold a pretest item back (needs_revision).
    pub review_flags: Vec<String>,
    /// Review flags that retire an operational item.
    pub retire_flags: Vec<String>,
}

impl Default for BankConfig {
    fn default() -> Self {
        BankConfig {
            min_n: 200.0,
            max_se_b: 0.3,
            misfit_p: 0.01,
            no_dif_c: true,
            review_flags: [
                "possible_miskey",
                "negative_discrimination",
                "weak_discrimination",
                "no_variance",
            ]
            .map(String::from)
            .to_vec(),
            retire_flags: vec!["negative_discrimination".into()],
        }
    }
}

/// The IRT model of `qbank run` (qbank.toml `[calibration]`), used by every stage: the
/// calibration, the separate calibrations of the links and drift tests, the scale.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalibrationConfig {
    /// `rasch`, `2pl` or `3pl` (default).
    pub model: String,
    /// Scaling constant D: 1 (logistic metric, default) or 1.702 (normal metric).
    pub d: f64,
    /// Beta(alpha, beta) prior on the 3PL's c; `[]` for none (default [5, 17], BILOG-MG's).
    pub prior_c: Vec<f64>,
    /// Normal (mean, sd) prior on ln a (default none).
    pub prior_a: Vec<f64>,
    /// Normal (mean, sd) prior on b (default none).
    pub prior_b: Vec<f64>,
}

impl Default for CalibrationConfig {
    fn default() -> Self {
        CalibrationConfig {
            model: "3pl".into(),
            d: 1.0,
            prior_c: vec![5.0, 17.0],
            prior_a: Vec::new(),
            prior_b: Vec::new(),
        }
    }
}

impl CalibrationConfig {
    /// A prior's two parameters (None for an empty list).
    pub fn pair(v: &[f64]) -> Option<(f64, f64)> {
        match v {
            [x, y] => Some((*x, *y)),
            _ => None,
        }
    }
}

/// Thresholds of the item-review flags (qbank.toml `[flags]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FlagsConfig {
    /// p-value below this: too hard.
    pub too_hard: f64,
    /// p-value above this: too easy.
    pub too_easy: f64,
    /// Corrected point-biserial below this: weak discrimination.
    pub weak_discrimination: f64,
    /// A distractor whose point-biserial exceeds this and either the key's or zero significantly
    /// (one-sided p < 0.001) suggests a miskey (default 0).
    pub miskey_distractor_pbis: f64,
    /// Fewer choosers of a distractor than this: no miskey evidence from it (default 10).
    pub miskey_min_choosers: f64,
    /// A distractor chosen by fewer than this share: non-functioning.
    pub nonfunctioning_distractor: f64,
    /// Omit rate above this: high omit rate.
    pub high_omit: f64,
    /// Median seconds below this: rapid responses (possible guessing).
    pub rapid_seconds: f64,
    /// Fewer focal (or reference) candidates than this: DIF not assessable.
    pub dif_min_group: f64,
}

impl Default for FlagsConfig {
    fn default() -> Self {
        FlagsConfig {
            too_hard: 0.25,
            too_easy: 0.95,
            weak_discrimination: 0.15,
            miskey_distractor_pbis: 0.0,
            miskey_min_choosers: 10.0,
            nonfunctioning_distractor: 0.05,
            high_omit: 0.05,
            rapid_seconds: 10.0,
            dif_min_group: 50.0,
        }
    }
}

/// A blueprint domain; `weight` is its percentage of the exam (all weights sum to 100).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    pub id: String,
    pub name: String,
    pub weight: f64,
}

/// The reporting scale (e.g. 100..1000 with the cut at 700) and how the cut is anchored on the base
/// form: by a theta cut (`theta_cut`) or by a raw cut score from standard setting (`raw_cut`).
/// `slope` is scaled points per theta unit; alternatively a second anchor point
/// (`theta_anchor`, `scaled_anchor`) fixes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleConfig {
    #[serde(default = "default_min")]
    pub min: f64,
    #[serde(default = "default_max")]
    pub max: f64,
    #[serde(default = "default_cut")]
    pub cut: f64,
    pub theta_cut: Option<f64>,
    pub raw_cut: Option<f64>,
    pub slope: Option<f64>,
    pub theta_anchor: Option<f64>,
    pub scaled_anchor: Option<f64>,
}

fn default_min() -> f64 {
    100.0
}
fn default_max() -> f64 {
    1000.0
}
fn default_cut() -> f64 {
    700.0
}

/// Practice-readiness settings: the scaled score a candidate should reach, and over how many recent
/// full-length attempts consistency is judged.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadinessConfig {
    #[serde(default = "default_target")]
    pub target: f64,
    #[serde(default = "default_consistency")]
    pub consistency_attempts: usize,
    /// Weight of an attempt in the domain profile is `decay^age` (age 0 = the latest attempt).
    #[serde(default = "default_decay")]
    pub decay: f64,
    /// Expected ability change between attempts (theta units) in the growth model.
    #[serde(default)]
    pub growth: f64,
    /// SD of the ability change between attempts (theta units) in the growth model.
    #[serde(default = "default_growth_sd")]
    pub growth_sd: f64,
    /// P(pass) at or above which (with consistent attempts) a candidate is Ready.
    #[serde(default = "default_ready_probability")]
    pub ready_probability: f64,
    /// P(pass) below which a candidate is Not yet.
    #[serde(default = "default_borderline_probability")]
    pub borderline_probability: f64,
    /// Scored items of a domain (over the recent attempts) needed to judge it.
    #[serde(default = "default_min_domain_items")]
    pub min_domain_items: usize,
    /// Scored items of a domain (over the recent attempts) from which it may be named the weakest
    /// whatever its PRMSE; from `min_domain_items` when its subscore has added value.
    #[serde(default = "default_weakest_min_items")]
    pub weakest_min_items: usize,
    /// One-sided confidence (family-wise over the domains tested) that a named weakest domain is
    /// below the candidate's overall level.
    #[serde(default = "default_weakest_confidence")]
    pub weakest_confidence: f64,
    /// Estimate growth, its SD and the practice -> exam shift from official outcomes.
    #[serde(default = "default_true")]
    pub fit_growth: bool,
    /// Candidates with an official outcome needed to estimate the growth model.
    #[serde(default = "default_fit_min_outcomes")]
    pub fit_min_outcomes: usize,
    /// Whether the data are practice attempts (readiness in the report); unset: practice when some
    /// candidate has two or more attempts.
    #[serde(default)]
    pub practice: Option<bool>,
}

fn default_weakest_min_items() -> usize {
    10
}
fn default_weakest_confidence() -> f64 {
    0.90
}
fn default_true() -> bool {
    true
}
fn default_fit_min_outcomes() -> usize {
    200
}

fn default_decay() -> f64 {
    0.7
}
fn default_growth_sd() -> f64 {
    0.3
}
fn default_ready_probability() -> f64 {
    0.8
}
fn default_borderline_probability() -> f64 {
    0.5
}
fn default_min_domain_items() -> usize {
    5
}

fn default_target() -> f64 {
    750.0
}
fn default_consistency() -> usize {
    5
}

impl Default for ReadinessConfig {
    fn default() -> Self {
        ReadinessConfig {
            target: default_target(),
            consistency_attempts: default_consistency(),
            decay: default_decay(),
            growth: 0.0,
            growth_sd: default_growth_sd(),
            ready_probability: default_ready_probability(),
            borderline_probability: default_borderline_probability(),
            min_domain_items: default_min_domain_items(),
            weakest_min_items: default_weakest_min_items(),
            weakest_confidence: default_weakest_confidence(),
            fit_growth: true,
            fit_min_outcomes: default_fit_min_outcomes(),
            practice: None,
        }
    }
}

/// Paths of the data files, relative to the data-set folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesConfig {
    #[serde(default = "default_items")]
    pub items: String,
    #[serde(default = "default_forms")]
    pub forms: String,
    /// Attempt log; when not given, `attempts.parquet` is used if present, else `attempts.csv`.
    pub attempts: Option<String>,
    #[serde(default = "default_candidates")]
    pub candidates: String,
}

fn default_items() -> String {
    "items.csv".into()
}
fn default_forms() -> String {
    "forms.csv".into()
}
fn default_candidates() -> String {
    "candidates.csv".into()
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            items: default_items(),
            forms: default_forms(),
            attempts: None,
            candidates: default_candidates(),
        }
    }
}

pub use super::columns::ColumnsConfig;

/// What a missing `[scale]` needs, as an example.
const SCALE_EXAMPLE: &str = ": the [scale] table is required, with the cut anchored and a slope, e.g.\n  [scale]\n  theta_cut = 0.0    # or raw_cut = 35 (a raw score on the base form)\n  slope = 100        # scaled points per theta (or theta_anchor + scaled_anchor)\n  # min = 100, max = 1000, cut = 700 are the defaults";

impl Config {
    /// The zone of zone-less `submitted_at` values (checked in [`Config::parse`]; UTC if unset).
    pub fn zone(&self) -> super::timestamps::Zone {
        self.timezone
            .as_deref()
            .and_then(|z| super::timestamps::Zone::parse(z).ok())
            .unwrap_or_default()
    }

    /// Parses `qbank.toml` text; syntax and type errors name the line and column.
    pub fn parse(text: &str, file: &str, diags: &mut Diagnostics) -> Option<Config> {
        match toml::from_str::<Config>(text) {
            Ok(cfg) => {
                cfg.check(file, diags);
                Some(cfg)
            }
            Err(e) => {
                let mut loc = Location::file(file);
                if let Some(span) = e.span() {
                    loc = loc
                        .line(1 + text[..span.start.min(text.len())].matches('\n').count() as u64);
                }
                let mut message = e.message().trim().to_string();
                if message.contains("missing field `scale`") {
                    message.push_str(SCALE_EXAMPLE);
                }
                diags.error(loc, message);
                None
            }
        }
    }

    /// Semantic checks: weights sum to 100, scale ordered, cut anchored exactly one way.
    fn check(&self, file: &str, diags: &mut Diagnostics) {
        let loc = || Location::file(file);
        if let Some(Err(e)) = self.timezone.as_deref().map(super::timestamps::Zone::parse) {
            diags.error(loc().column("timezone"), e);
        }
        let cal = &self.calibration;
        if !["rasch", "1pl", "2pl", "3pl"].contains(&cal.model.to_ascii_lowercase().as_str()) {
            diags.error(
                loc().column("calibration.model"),
                format!("model '{}': expected rasch, 2pl or 3pl", cal.model),
            );
        }
        if !(cal.d.is_finite() && cal.d > 0.0) {
            diags.error(
                loc().column("calibration.d"),
                format!("D = {}: expected a positive number (1 or 1.702)", cal.d),
            );
        }
        for (name, v) in [
            ("calibration.prior_c", &cal.prior_c),
            ("calibration.prior_a", &cal.prior_a),
            ("calibration.prior_b", &cal.prior_b),
        ] {
            let ok =
                v.is_empty() || (v.len() == 2 && v.iter().all(|x| x.is_finite()) && v[1] > 0.0);
            if !ok {
                diags.error(
                    loc().column(name),
                    format!("{v:?}: expected [] or two numbers, the second positive"),
                );
            }
        }
        if self.domains.is_empty() {
            diags.error(
                loc().column("domains"),
                "at least one [[domains]] entry is required",
            );
        }
        let mut seen = std::collections::HashSet::new();
        for d in &self.domains {
            if d.id.trim().is_empty() {
                diags.error(loc().column("domains"), "a domain has an empty id");
            }
            if !seen.insert(d.id.as_str()) {
                diags.error(
                    loc().column("domains"),
                    format!("domain id '{}' appears twice", d.id),
                );
            }
            if !(d.weight.is_finite() && d.weight >= 0.0) {
                diags.error(
                    loc().column("domains"),
                    format!(
                        "domain '{}' has weight {}; expected a percentage >= 0",
                        d.id, d.weight
                    ),
                );
            }
        }
        let total: f64 = self.domains.iter().map(|d| d.weight).sum();
        if !self.domains.is_empty() && (total - 100.0).abs() > 1e-6 {
            diags.error(
                loc().column("domains"),
                format!("blueprint weights sum to {total}; expected 100"),
            );
        }
        let s = &self.scale;
        if !(s.min < s.cut && s.cut < s.max) {
            diags.error(
                loc().column("scale"),
                format!(
                    "scale must satisfy min < cut < max; got min {}, cut {}, max {}",
                    s.min, s.cut, s.max
                ),
            );
        }
        match (s.theta_cut, s.raw_cut) {
            (Some(_), Some(_)) => diags.error(
                loc().column("scale"),
                "give either theta_cut or raw_cut to anchor the cut, not both",
            ),
            (None, None) => diags.error(
                loc().column("scale"),
                "the cut must be anchored: give theta_cut (a theta, e.g. theta_cut = 0.0) or raw_cut (a raw score on the base form, e.g. raw_cut = 35)",
            ),
            _ => {}
        }
        let second_anchor = s.theta_anchor.is_some() || s.scaled_anchor.is_some();
        if second_anchor && (s.theta_anchor.is_none() || s.scaled_anchor.is_none()) {
            diags.error(
                loc().column("scale"),
                "a second anchor point needs both theta_anchor and scaled_anchor",
            );
        }
        match (s.slope, second_anchor) {
            (Some(_), true) => diags.error(
                loc().column("scale"),
                "give either slope or a second anchor point (theta_anchor, scaled_anchor), not both",
            ),
            (None, false) => diags.error(
                loc().column("scale"),
                "the scale needs a slope (scaled points per theta, e.g. slope = 100) or a second anchor point (theta_anchor, scaled_anchor)",
            ),
            (Some(slope), false) if !(slope.is_finite() && slope > 0.0) => diags.error(
                loc().column("scale"),
                format!("slope {slope} must be a positive number"),
            ),
            _ => {}
        }
        if self.readiness.consistency_attempts == 0 {
            diags.error(
                loc().column("readiness"),
                "consistency_attempts must be at least 1",
            );
        }
        self.security.check(&loc(), diags);
        let r = &self.readiness;
        if !(r.growth.is_finite() && r.growth_sd.is_finite() && r.growth_sd >= 0.0) {
            diags.error(
                loc().column("readiness"),
                format!(
                    "growth ({}) must be a number and growth_sd ({}) a number >= 0",
                    r.growth, r.growth_sd
                ),
            );
        }
        if !(r.decay > 0.0 && r.decay <= 1.0) {
            diags.error(
                loc().column("readiness"),
                format!("decay {} must be in (0, 1]", r.decay),
            );
        }
        if !(r.weakest_confidence > 0.0 && r.weakest_confidence < 1.0) {
            diags.error(
                loc().column("readiness"),
                format!(
                    "weakest_confidence {} must be strictly between 0 and 1 (e.g. 0.90)",
                    r.weakest_confidence
                ),
            );
        }
        if !(0.0 < r.borderline_probability
            && r.borderline_probability <= r.ready_probability
            && r.ready_probability < 1.0)
        {
            diags.error(
                loc().column("readiness"),
                format!(
                    "expected 0 < borderline_probability ({}) <= ready_probability ({}) < 1",
                    r.borderline_probability, r.ready_probability
                ),
            );
        }
    }

    pub fn domain_index(&self, id: &str) -> Option<usize> {
        self.domains.iter().position(|d| d.id == id)
    }
}
