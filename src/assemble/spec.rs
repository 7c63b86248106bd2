//! The assembly spec (TOML): how many forms of what length, the objective, and the constraints.
//!
//! ```toml
//! forms = 4
//! length = 50
//! d = 1.0                      # scaling constant of the logistic (default 1)
//! max_forms_per_item = 1       # exposure (default 1)
//! enemy_column = "enemy"       # items sharing a value: at most one per form
//! status_column = "status"     # default "status"
//! allowed_status = ["active"]  # only these items may be selected
//! reference_form = ["I001", "I002"]  # ids of a reference form (target curve, anchor source)
//! anchors = 10                 # items of reference_form on every new form (see below)
//! form_prefix = "N"            # new forms are N1, N2, ...
//! pretest = 15                 # unscored slots per form (data sets: the bank's new items)
//!
//! [objective]
//! information_at = -0.25       # maximin information at theta
//! # or: target = "tif" (or "tcc"), points = [-1.0, -0.25, 0.5], tolerance = 0.5,
//! #     values = [...] (target values at the points; default: the reference form's curve)
//!
//! [[sum]]
//! column = "seconds"
//! min = 2900
//! max = 3300
//!
//! [[count]]
//! column = "domain"
//! value = "D1"
//! min = 12
//! max = 12
//!
//! [solver]
//! node_limit = 20000           # the reproducible stop (branch-and-bound nodes)
//! time_limit_seconds = 300      # a safety net only: a stop by time may differ between runs
//! mip_gap = 0.01
//! ```
//!
//! Anchors: with `reference_form`, `anchors = N` asks for N items of the reference form that
//! appear on every new form (the solver picks which N). Without `reference_form`, N items chosen
//! from the pool are common to all new forms. Anchor items are exempt from
//! `max_forms_per_item` (they are on every form by design).
//!
//! Unknown keys are an error that names the key.

use serde::{Deserialize, Serialize};

use super::error::AtaError;
use super::pool::format_number;

/// The spec as written in TOML.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Number of forms to assemble.
    pub forms: usize,
    /// Items per form.
    pub length: usize,
    pub objective: ObjectiveSpec,
    /// Logistic scaling constant D (1 or 1.7).
    #[serde(default = "default_d")]
    pub d: f64,
    #[serde(default)]
    pub sum: Vec<SumSpec>,
    #[serde(default)]
    pub count: Vec<CountSpec>,
    /// How many forms one item may appear on.
    #[serde(default = "default_exposure")]
    pub max_forms_per_item: usize,
    pub enemy_column: Option<String>,
    #[serde(default = "default_status_column")]
    pub status_column: String,
    pub allowed_status: Option<Vec<String>>,
    pub reference_form: Option<Vec<String>>,
    pub anchors: Option<usize>,
    /// Unscored pretest slots per form (data sets only: filled with the bank's new items).
    #[serde(default)]
    pub pretest: usize,
    /// Ids of the new forms: PREFIX1, PREFIX2, ... (default "N").
    #[serde(default = "default_form_prefix")]
    pub form_prefix: String,
    #[serde(default)]
    pub solver: SolverSpec,
}

fn default_d() -> f64 {
    1.0
}
fn default_exposure() -> usize {
    1
}
fn default_form_prefix() -> String {
    "N".into()
}
fn default_status_column() -> String {
    "status".into()
}

/// `[objective]` as written; see [`Objective`] for the validated form.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveSpec {
    pub information_at: Option<f64>,
    pub target: Option<String>,
    pub points: Option<Vec<f64>>,
    pub tolerance: Option<f64>,
    pub values: Option<Vec<f64>>,
}

/// `[[sum]]`: the sum of a numeric attribute over each form's items lies in [min, max].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SumSpec {
    pub column: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A count value: text or a number in the TOML.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum CountValue {
    Text(String),
    Integer(i64),
    Float(f64),
}

impl CountValue {
    /// The value as the text an attribute is matched against.
    pub fn as_text(&self) -> String {
        match self {
            CountValue::Text(s) => s.clone(),
            CountValue::Integer(i) => i.to_string(),
            CountValue::Float(x) => format_number(*x),
        }
    }
}

/// `[[count]]`: how many items with `column = value` each form has, in [min, max].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CountSpec {
    pub column: String,
    pub value: CountValue,
    pub min: Option<usize>,
    pub max: Option<usize>,
}

/// `[solver]`: stopping rules and formulation switches.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SolverSpec {
    /// Branch-and-bound nodes at most of the main solve (the warm start's steps share a quarter
    /// of it, each infeasibility check gets a tenth): the reproducible stop, the same on every
    /// run and machine.
    pub node_limit: u64,
    /// Wall-clock safety net of the MIP solve. A solve it stops may differ between runs (the
    /// assembly then says so).
    pub time_limit_seconds: f64,
    /// Relative gap at which the solver may stop (0 = prove optimality).
    pub mip_gap: f64,
    /// Fix x[i, f] = 0 for f > i over the first items (valid for interchangeable forms with
    /// max_forms_per_item = 1 and no anchors).
    pub symmetry_breaking: bool,
    /// Build a starting assembly form by form (sequential heuristic) and pass it as warm start
    /// (target objectives only; see `assemble`).
    pub warm_start: bool,
}

impl Default for SolverSpec {
    fn default() -> Self {
        SolverSpec {
            node_limit: 20_000,
            time_limit_seconds: 300.0,
            mip_gap: 0.0,
            symmetry_breaking: true,
            warm_start: true,
        }
    }
}

/// Which curve a target objective matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Curve {
    /// Test information function.
    Tif,
    /// Test characteristic curve (expected number-correct score).
    Tcc,
}

/// Where the target values come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TargetSource {
    /// Given numbers at the points.
    Values(Vec<f64>),
    /// The curve of the spec's `reference_form`.
    ReferenceForm,
}

/// The validated objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Objective {
    /// Maximise the smallest (over forms) test information at theta (maximin; with one form the
    /// plain sum of item information).
    MaxInformation { theta: f64 },
    /// Minimise the largest |curve(theta_k) - target_k| over forms and points, subject to it
    /// being at most `tolerance` (van der Linden 2005, minimax target).
    Target {
        curve: Curve,
        points: Vec<f64>,
        tolerance: f64,
        source: TargetSource,
    },
}

impl Spec {
    /// Id of new form `f` (0-based): `form_prefix` followed by f + 1.
    pub fn form_id(&self, f: usize) -> String {
        format!("{}{}", self.form_prefix, f + 1)
    }

    /// Parses and validates a spec from TOML text. Unknown keys are an error naming the key.
    pub fn from_toml(text: &str) -> Result<Spec, AtaError> {
        let spec = Spec::parse_toml(text)?;
        spec.validate()?;
        Ok(spec)
    }

    /// Parses a spec without validating it (a data set fills in the reference form and the
    /// blueprint first; [`super::assemble`] validates).
    pub fn parse_toml(text: &str) -> Result<Spec, AtaError> {
        let spec: Spec = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            AtaError::SpecParse(match line {
                Some(l) => format!("line {l}: {}", e.message()),
                None => e.message().to_string(),
            })
        })?;
        Ok(spec)
    }

    /// The objective, checked: exactly one of `information_at` and `target`.
    pub fn objective(&self) -> Result<Objective, AtaError> {
        let o = &self.objective;
        let bad = |m: &str| Err(AtaError::SpecInvalid(m.to_string()));
        match (&o.information_at, &o.target) {
            (Some(_), Some(_)) => bad("[objective] has both information_at and target: give one"),
            (None, None) => {
                bad("[objective] needs information_at = THETA or target = \"tif\"|\"tcc\"")
            }
            (Some(theta), None) => {
                if o.points.is_some() || o.tolerance.is_some() || o.values.is_some() {
                    return bad("[objective] points/tolerance/values belong to a target objective, not to information_at");
                }
                if !theta.is_finite() {
                    return bad("[objective] information_at must be a finite theta");
                }
                Ok(Objective::MaxInformation { theta: *theta })
            }
            (None, Some(t)) => {
                let curve = match t.to_ascii_lowercase().as_str() {
                    "tif" => Curve::Tif,
                    "tcc" => Curve::Tcc,
                    _ => {
                        return Err(AtaError::SpecInvalid(format!(
                            "[objective] target = \"{t}\": expected \"tif\" or \"tcc\""
                        )))
                    }
                };
                let points =
                    match &o.points {
                        Some(p) if !p.is_empty() && p.iter().all(|x| x.is_finite()) => p.clone(),
                        _ => return bad(
                            "[objective] target needs points = [theta, ...] (finite, at least one)",
                        ),
                    };
                let tolerance = match o.tolerance {
                    Some(t) if t.is_finite() && t >= 0.0 => t,
                    _ => return bad("[objective] target needs tolerance = a number >= 0"),
                };
                let source = match &o.values {
                    Some(v) if v.len() == points.len() && v.iter().all(|x| x.is_finite()) => {
                        TargetSource::Values(v.clone())
                    }
                    Some(v) => {
                        return Err(AtaError::SpecInvalid(format!(
                            "[objective] values has {} numbers but points has {}",
                            v.len(),
                            points.len()
                        )))
                    }
                    None if self.reference_form.is_some() => TargetSource::ReferenceForm,
                    None => return bad("[objective] target needs values = [...] or a reference_form to take the curve from"),
                };
                Ok(Objective::Target {
                    curve,
                    points,
                    tolerance,
                    source,
                })
            }
        }
    }

    /// Checks the objective and every number (counts, bounds, solver settings).
    pub fn validate(&self) -> Result<(), AtaError> {
        self.objective()?;
        let bad = |m: String| Err(AtaError::SpecInvalid(m));
        if self.forms == 0 {
            return bad("forms must be at least 1".into());
        }
        if self.length == 0 {
            return bad("length must be at least 1".into());
        }
        if self.max_forms_per_item == 0 {
            return bad("max_forms_per_item must be at least 1".into());
        }
        if !(self.d.is_finite() && self.d > 0.0) {
            return bad(format!("d = {} must be a positive number", self.d));
        }
        for (k, s) in self.sum.iter().enumerate() {
            if s.min.is_none() && s.max.is_none() {
                return bad(format!(
                    "[[sum]] #{} (column '{}') needs min or max",
                    k + 1,
                    s.column
                ));
            }
            if let (Some(lo), Some(hi)) = (s.min, s.max) {
                if lo > hi {
                    return bad(format!(
                        "[[sum]] column '{}': min {lo} > max {hi}",
                        s.column
                    ));
                }
            }
            if s.min.is_some_and(|x| !x.is_finite()) || s.max.is_some_and(|x| !x.is_finite()) {
                return bad(format!(
                    "[[sum]] column '{}': bounds must be finite",
                    s.column
                ));
            }
        }
        for c in &self.count {
            if c.min.is_none() && c.max.is_none() {
                return bad(format!(
                    "[[count]] {} = {} needs min or max",
                    c.column,
                    c.value.as_text()
                ));
            }
            if let (Some(lo), Some(hi)) = (c.min, c.max) {
                if lo > hi {
                    return bad(format!(
                        "[[count]] {} = {}: min {lo} > max {hi}",
                        c.column,
                        c.value.as_text()
                    ));
                }
            }
        }
        let s = &self.solver;
        if !(s.time_limit_seconds.is_finite() && s.time_limit_seconds > 0.0) {
            return bad("[solver] time_limit_seconds must be a positive number".into());
        }
        if s.node_limit == 0 {
            return bad("[solver] node_limit must be a positive number".into());
        }
        if !(s.mip_gap.is_finite() && s.mip_gap >= 0.0) {
            return bad("[solver] mip_gap must be a number >= 0".into());
        }
        Ok(())
    }
}
