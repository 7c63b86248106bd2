//! Errors of automated test assembly: bad pool data, bad specs, infeasible models, solver faults.

use serde::Serialize;

/// Everything that can stop an assembly. Each message names the item, column or spec entry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AtaError {
    /// The pool CSV could not be read (I/O or CSV syntax).
    #[error("pool: {0}")]
    PoolRead(String),
    /// A required column (id, b, ...) is missing from the pool header.
    #[error("pool: column '{column}' not found in the header (columns: {available})")]
    MissingColumn { column: String, available: String },
    /// A cell that must be a number is not one, or is out of range.
    #[error("pool: item '{item}' column '{column}': {problem}")]
    BadCell {
        item: String,
        column: String,
        problem: String,
    },
    /// Two rows share one item id.
    #[error("pool: item id '{0}' appears more than once")]
    DuplicateItem(String),
    /// The spec TOML does not parse or has an unknown key (the message names the key).
    #[error("spec: {0}")]
    SpecParse(String),
    /// The spec parses but is inconsistent with itself or with the pool.
    #[error("spec: {0}")]
    SpecInvalid(String),
    /// The model has no solution; the diagnosis says which constraint group cannot be met.
    #[error("{}", .0.message)]
    Infeasible(Box<Diagnosis>),
    /// The solver stopped (node or time limit) before it found any feasible assembly.
    #[error("no feasible assembly found within {nodes} branch-and-bound nodes or {seconds} s (the model may still be feasible: raise [solver] node_limit)")]
    NoSolutionInTime { nodes: u64, seconds: f64 },
    /// The backend failed for another reason (numerical trouble, unsupported bounds).
    #[error("solver ({backend}): {message}")]
    Solver {
        backend: &'static str,
        message: String,
    },
}

/// A group of constraints that the infeasibility diagnosis relaxes as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintGroup {
    /// `[[count]]`: blueprint counts of items with an attribute value.
    Counts,
    /// `[[sum]]`: sums of a numeric attribute (e.g. total time).
    Sums,
    /// `max_forms_per_item`: item exposure across forms.
    Exposure,
    /// `enemy_column`: at most one item of an enemy set per form.
    Enemies,
    /// `anchors`: the common items on every form.
    Anchors,
    /// `[objective] tolerance`: each form's TIF/TCC within +- tolerance of the target.
    TargetTolerance,
}

impl ConstraintGroup {
    /// Words for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ConstraintGroup::Counts => "the count (blueprint) constraints",
            ConstraintGroup::Sums => "the sum constraints",
            ConstraintGroup::Exposure => "the exposure limit (max_forms_per_item)",
            ConstraintGroup::Enemies => "the enemy constraints",
            ConstraintGroup::Anchors => "the anchor set",
            ConstraintGroup::TargetTolerance => "the target tolerance",
        }
    }
}

/// Why a model is infeasible.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    /// One sentence, starting with "infeasible:".
    pub message: String,
    /// True when a cheap counting check found the problem before any solve.
    pub from_precheck: bool,
    /// Groups whose removal alone makes the model feasible (empty when none does, or for a
    /// pre-check).
    pub culprit_groups: Vec<ConstraintGroup>,
    /// Names of single constraints whose removal alone makes the model feasible (searched only
    /// inside the culprit groups).
    pub culprit_constraints: Vec<String>,
}
