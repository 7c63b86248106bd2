//! From pool + spec to a MIP: the spec resolved against the pool ([`Prepared`]), and the model
//! builder with switches to drop constraint groups (for the infeasibility diagnosis), restrict
//! the items (for the sequential warm start) and break the symmetry between parallel forms.
//!
//! Variables: x[e, f] binary (eligible item e on form f), then the objective variable (y, the
//! smallest form information, or delta, the largest target deviation), then z[a] binary for the
//! anchor candidates (a is on every form).

use std::collections::{BTreeMap, BTreeSet};

use super::error::{AtaError, ConstraintGroup};
use super::pool::{AttrValue, Pool};
use super::solver::{MipModel, Row, Sense, VarDef};
use super::spec::{Curve, Objective, Spec, TargetSource};

/// A `[[count]]` entry resolved: which eligible items carry the value.
#[derive(Debug, Clone)]
pub(crate) struct CountRes {
    pub key: String,
    pub column: String,
    pub value: String,
    pub min: Option<usize>,
    pub max: Option<usize>,
    pub members: Vec<bool>,
}

/// A `[[sum]]` entry resolved: each eligible item's value.
#[derive(Debug, Clone)]
pub(crate) struct SumRes {
    pub key: String,
    pub column: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub values: Vec<f64>,
}

/// The spec checked against the pool, in terms of eligible items.
#[derive(Debug, Clone)]
pub(crate) struct Prepared<'a> {
    pub pool: &'a Pool,
    pub spec: &'a Spec,
    pub objective: Objective,
    /// Pool indices of the items whose status is allowed.
    pub eligible: Vec<usize>,
    /// Objective coefficients: coef[k][e] at point k (one point for information_at).
    pub coef: Vec<Vec<f64>>,
    /// Target values per point (target objective only).
    pub targets: Vec<f64>,
    pub counts: Vec<CountRes>,
    pub sums: Vec<SumRes>,
    /// Enemy sets of two or more eligible items (eligible indices), with the shared value.
    pub enemy_sets: Vec<(String, Vec<usize>)>,
    /// Eligible indices that may be anchors (empty when no anchors are asked for).
    pub anchor_candidates: Vec<usize>,
    pub anchors: usize,
}

impl<'a> Prepared<'a> {
    pub fn new(pool: &'a Pool, spec: &'a Spec) -> Result<Prepared<'a>, AtaError> {
        let objective = spec.objective()?;
        let invalid = |m: String| AtaError::SpecInvalid(m);
        let eligible: Vec<usize> = match &spec.allowed_status {
            None => (0..pool.items.len()).collect(),
            Some(allowed) => {
                if !pool.has_column(&spec.status_column) {
                    return Err(invalid(format!(
                        "allowed_status needs the status column '{}', which the pool does not have",
                        spec.status_column
                    )));
                }
                (0..pool.items.len())
                    .filter(|&i| {
                        pool.items[i]
                            .attributes
                            .get(&spec.status_column)
                            .and_then(|v| v.as_text())
                            .is_some_and(|s| allowed.iter().any(|a| a == &s))
                    })
                    .collect()
            }
        };
        let reference: Vec<usize> = match &spec.reference_form {
            None => Vec::new(),
            Some(ids) => {
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    match pool.index_of(id) {
                        Some(i) => out.push(i),
                        None => {
                            return Err(invalid(format!(
                                "reference_form item '{id}' is not in the pool"
                            )))
                        }
                    }
                }
                out
            }
        };
        let d = spec.d;
        let (points, curve) = match &objective {
            Objective::MaxInformation { theta } => (vec![*theta], Curve::Tif),
            Objective::Target { curve, points, .. } => (points.clone(), *curve),
        };
        let value_at = |i: usize, theta: f64| -> f64 {
            let it = &pool.items[i];
            match curve {
                Curve::Tif => it.information(theta, d),
                Curve::Tcc => it.p(theta, d),
            }
        };
        let coef: Vec<Vec<f64>> = points
            .iter()
            .map(|&t| eligible.iter().map(|&i| value_at(i, t)).collect())
            .collect();
        let targets = match &objective {
            Objective::MaxInformation { .. } => Vec::new(),
            Objective::Target { source, .. } => match source {
                TargetSource::Values(v) => v.clone(),
                TargetSource::ReferenceForm => points
                    .iter()
                    .map(|&t| reference.iter().map(|&i| value_at(i, t)).sum())
                    .collect(),
            },
        };

        let mut counts = Vec::new();
        for c in &spec.count {
            if !pool.has_column(&c.column) {
                return Err(invalid(format!(
                    "[[count]] column '{}' is not in the pool (attribute columns: {})",
                    c.column,
                    pool.attribute_columns.join(", ")
                )));
            }
            let value = c.value.as_text();
            let members = eligible
                .iter()
                .map(|&i| attr_text(pool, i, &c.column).is_some_and(|s| s == value))
                .collect();
            counts.push(CountRes {
                key: format!("count {} = {}", c.column, value),
                column: c.column.clone(),
                value,
                min: c.min,
                max: c.max,
                members,
            });
        }
        let mut sums = Vec::new();
        for s in &spec.sum {
            if !pool.has_column(&s.column) {
                return Err(invalid(format!(
                    "[[sum]] column '{}' is not in the pool (attribute columns: {})",
                    s.column,
                    pool.attribute_columns.join(", ")
                )));
            }
            let mut values = Vec::with_capacity(eligible.len());
            for &i in &eligible {
                match pool.items[i].numeric(&s.column) {
                    Some(x) => values.push(x),
                    None => {
                        return Err(invalid(format!(
                            "[[sum]] column '{}': item '{}' has no number there",
                            s.column, pool.items[i].id
                        )))
                    }
                }
            }
            sums.push(SumRes {
                key: format!("sum {}", s.column),
                column: s.column.clone(),
                min: s.min,
                max: s.max,
                values,
            });
        }
        let mut enemy_sets = Vec::new();
        if let Some(col) = &spec.enemy_column {
            if !pool.has_column(col) {
                return Err(invalid(format!(
                    "enemy_column '{col}' is not in the pool (attribute columns: {})",
                    pool.attribute_columns.join(", ")
                )));
            }
            let mut sets: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for (e, &i) in eligible.iter().enumerate() {
                if let Some(v) = attr_text(pool, i, col) {
                    sets.entry(v).or_default().push(e);
                }
            }
            enemy_sets = sets.into_iter().filter(|(_, m)| m.len() > 1).collect();
        }
        let anchors = spec.anchors.unwrap_or(0);
        let anchor_candidates: Vec<usize> = if anchors == 0 {
            Vec::new()
        } else if spec.reference_form.is_some() {
            (0..eligible.len())
                .filter(|&e| reference.contains(&eligible[e]))
                .collect()
        } else {
            (0..eligible.len()).collect()
        };
        Ok(Prepared {
            pool,
            spec,
            objective,
            eligible,
            coef,
            targets,
            counts,
            sums,
            enemy_sets,
            anchor_candidates,
            anchors,
        })
    }

    /// Groups that this spec actually uses (the ones the diagnosis can relax).
    pub fn groups(&self) -> Vec<ConstraintGroup> {
        let mut g = Vec::new();
        if !self.counts.is_empty() {
            g.push(ConstraintGroup::Counts);
        }
        if !self.sums.is_empty() {
            g.push(ConstraintGroup::Sums);
        }
        if self.spec.max_forms_per_item < self.spec.forms {
            g.push(ConstraintGroup::Exposure);
        }
        if !self.enemy_sets.is_empty() {
            g.push(ConstraintGroup::Enemies);
        }
        if self.anchors > 0 {
            g.push(ConstraintGroup::Anchors);
        }
        if matches!(self.objective, Objective::Target { .. }) {
            g.push(ConstraintGroup::TargetTolerance);
        }
        g
    }

    pub fn n_eligible(&self) -> usize {
        self.eligible.len()
    }
}

pub(crate) fn attr_text(pool: &Pool, i: usize, column: &str) -> Option<String> {
    match pool.items[i].attributes.get(column) {
        Some(v) => v.as_text(),
        None => match column {
            "a" | "b" | "c" => pool.items[i]
                .numeric(column)
                .map(|x| AttrValue::Number(x).as_text().unwrap_or_default()),
            _ => None,
        },
    }
}

/// Switches for one build of the model.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildOptions {
    /// Number of forms in this build (the spec's, or 1 for a sequential step).
    pub forms: usize,
    pub drop_groups: BTreeSet<ConstraintGroup>,
    /// Single constraints (by key, e.g. "count domain = D3") to leave out.
    pub drop_keys: BTreeSet<String>,
    /// Per eligible item: how many forms it may still go on (None = the spec's limit).
    pub item_uses: Option<Vec<usize>>,
    pub symmetry_breaking: bool,
    /// Zero objective: only feasibility matters.
    pub feasibility_only: bool,
    /// Upper bound on each form's information at the objective theta (sequential maximin).
    pub information_cap: Option<f64>,
}

/// A built model with its variable layout.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub model: MipModel,
    pub forms: usize,
    /// First anchor variable (z), if any; z[a] = anchor_start + a.
    pub anchor_start: Option<usize>,
}

impl Built {
    pub fn x(&self, e: usize, f: usize) -> usize {
        e * self.forms + f
    }
}

/// Builds the MIP for `prep` with the given switches.
pub(crate) fn build(prep: &Prepared, opt: &BuildOptions) -> Built {
    let spec = prep.spec;
    let n = prep.n_eligible();
    let forms = opt.forms;
    let mut vars = Vec::with_capacity(n * forms + 1 + prep.anchor_candidates.len());
    let uses = |e: usize| -> usize {
        match &opt.item_uses {
            Some(u) => u[e],
            None => spec.max_forms_per_item,
        }
    };
    for e in 0..n {
        let up = if uses(e) == 0 { 0.0 } else { 1.0 };
        for _ in 0..forms {
            vars.push(VarDef {
                lower: 0.0,
                upper: up,
                integer: true,
            });
        }
    }
    let objective_var = vars.len();
    vars.push(VarDef {
        lower: 0.0,
        upper: f64::INFINITY,
        integer: false,
    });
    let use_anchors = prep.anchors > 0 && !opt.drop_groups.contains(&ConstraintGroup::Anchors);
    let anchor_start = if use_anchors {
        let s = vars.len();
        for _ in &prep.anchor_candidates {
            vars.push(VarDef {
                lower: 0.0,
                upper: 1.0,
                integer: true,
            });
        }
        Some(s)
    } else {
        None
    };
    let xi = |e: usize, f: usize| e * forms + f;
    let mut rows: Vec<Row> = Vec::new();
    // Group and key document each row (the diagnosis drops rows by them when building).
    let mut push = |row: Row, _group: Option<ConstraintGroup>, _key: String| {
        rows.push(row);
    };
    let keep = |g: ConstraintGroup, key: &str| {
        !opt.drop_groups.contains(&g) && !opt.drop_keys.contains(key)
    };

    // Length: never relaxed.
    for f in 0..forms {
        push(
            Row {
                coefs: (0..n).map(|e| (xi(e, f), 1.0)).collect(),
                lower: spec.length as f64,
                upper: spec.length as f64,
            },
            None,
            "length".into(),
        );
    }
    // Counts.
    for c in &prep.counts {
        if !keep(ConstraintGroup::Counts, &c.key) {
            continue;
        }
        for f in 0..forms {
            push(
                Row {
                    coefs: (0..n)
                        .filter(|&e| c.members[e])
                        .map(|e| (xi(e, f), 1.0))
                        .collect(),
                    lower: c.min.map_or(f64::NEG_INFINITY, |x| x as f64),
                    upper: c.max.map_or(f64::INFINITY, |x| x as f64),
                },
                Some(ConstraintGroup::Counts),
                c.key.clone(),
            );
        }
    }
    // Sums.
    for s in &prep.sums {
        if !keep(ConstraintGroup::Sums, &s.key) {
            continue;
        }
        for f in 0..forms {
            push(
                Row {
                    coefs: (0..n)
                        .filter(|&e| s.values[e] != 0.0)
                        .map(|e| (xi(e, f), s.values[e]))
                        .collect(),
                    lower: s.min.unwrap_or(f64::NEG_INFINITY),
                    upper: s.max.unwrap_or(f64::INFINITY),
                },
                Some(ConstraintGroup::Sums),
                s.key.clone(),
            );
        }
    }
    // Exposure: sum_f x[e, f] <= m (+ (F - m) z[e] for anchor candidates, which are exempt).
    let keep_exposure = keep(ConstraintGroup::Exposure, "exposure");
    let anchor_pos: BTreeMap<usize, usize> = prep
        .anchor_candidates
        .iter()
        .enumerate()
        .map(|(a, &e)| (e, a))
        .collect();
    for e in 0..n {
        let m = if keep_exposure { uses(e) } else { forms };
        if m >= forms {
            continue;
        }
        let mut coefs: Vec<(usize, f64)> = (0..forms).map(|f| (xi(e, f), 1.0)).collect();
        if let (Some(s), Some(&a)) = (anchor_start, anchor_pos.get(&e)) {
            coefs.push((s + a, -((forms - m) as f64)));
        }
        push(
            Row {
                coefs,
                lower: f64::NEG_INFINITY,
                upper: m as f64,
            },
            Some(ConstraintGroup::Exposure),
            "exposure".into(),
        );
    }
    // Enemies.
    if keep(ConstraintGroup::Enemies, "enemies") {
        for (value, set) in &prep.enemy_sets {
            for f in 0..forms {
                push(
                    Row {
                        coefs: set.iter().map(|&e| (xi(e, f), 1.0)).collect(),
                        lower: f64::NEG_INFINITY,
                        upper: 1.0,
                    },
                    Some(ConstraintGroup::Enemies),
                    format!("enemies {value}"),
                );
            }
        }
    }
    // Anchors: sum z = N; x[e, f] >= z[e].
    if let Some(s) = anchor_start {
        push(
            Row {
                coefs: (0..prep.anchor_candidates.len())
                    .map(|a| (s + a, 1.0))
                    .collect(),
                lower: prep.anchors as f64,
                upper: prep.anchors as f64,
            },
            Some(ConstraintGroup::Anchors),
            "anchors".into(),
        );
        for (a, &e) in prep.anchor_candidates.iter().enumerate() {
            for f in 0..forms {
                push(
                    Row {
                        coefs: vec![(xi(e, f), 1.0), (s + a, -1.0)],
                        lower: 0.0,
                        upper: f64::INFINITY,
                    },
                    Some(ConstraintGroup::Anchors),
                    "anchors".into(),
                );
            }
        }
    }
    // Objective rows.
    let mut objective_offset = 0.0;
    let sense;
    match &prep.objective {
        Objective::MaxInformation { .. } => {
            sense = Sense::Maximise;
            for f in 0..forms {
                let mut coefs: Vec<(usize, f64)> =
                    (0..n).map(|e| (xi(e, f), prep.coef[0][e])).collect();
                coefs.push((objective_var, -1.0));
                push(
                    Row {
                        coefs,
                        lower: 0.0,
                        upper: f64::INFINITY,
                    },
                    None,
                    "objective".into(),
                );
                if let Some(cap) = opt.information_cap {
                    push(
                        Row {
                            coefs: (0..n).map(|e| (xi(e, f), prep.coef[0][e])).collect(),
                            lower: f64::NEG_INFINITY,
                            upper: cap,
                        },
                        None,
                        "information cap".into(),
                    );
                }
            }
        }
        Objective::Target { tolerance, .. } => {
            sense = Sense::Minimise;
            // |curve_f(theta_k) - T_k| <= delta.
            for (k, &t) in prep.targets.iter().enumerate() {
                for f in 0..forms {
                    let base: Vec<(usize, f64)> =
                        (0..n).map(|e| (xi(e, f), prep.coef[k][e])).collect();
                    let mut up = base.clone();
                    up.push((objective_var, -1.0));
                    push(
                        Row {
                            coefs: up,
                            lower: f64::NEG_INFINITY,
                            upper: t,
                        },
                        None,
                        "objective".into(),
                    );
                    let mut lo = base;
                    lo.push((objective_var, 1.0));
                    push(
                        Row {
                            coefs: lo,
                            lower: t,
                            upper: f64::INFINITY,
                        },
                        None,
                        "objective".into(),
                    );
                }
            }
            if keep(ConstraintGroup::TargetTolerance, "target tolerance") {
                push(
                    Row {
                        coefs: vec![(objective_var, 1.0)],
                        lower: f64::NEG_INFINITY,
                        upper: *tolerance,
                    },
                    Some(ConstraintGroup::TargetTolerance),
                    "target tolerance".into(),
                );
            }
            // Relative gap measured against the smallest target value (see solver docs).
            objective_offset = prep
                .targets
                .iter()
                .map(|t| t.abs())
                .fold(f64::INFINITY, f64::min)
                .max(1e-9);
        }
    }
    // Symmetry breaking between interchangeable forms: with each item on at most one form,
    // relabel forms by their first item (in the objective order), so item j (0-based, in that
    // order) can only be on forms 0..=j.
    if symmetry_applies(prep, opt) {
        let order = symmetry_order(prep);
        for (j, &e) in order.iter().enumerate().take(forms - 1) {
            for f in (j + 1)..forms {
                vars[xi(e, f)].upper = 0.0;
            }
        }
    }
    let objective = if opt.feasibility_only {
        Vec::new()
    } else {
        vec![(objective_var, 1.0)]
    };
    Built {
        model: MipModel {
            sense,
            vars,
            objective,
            objective_offset: if opt.feasibility_only {
                0.0
            } else {
                objective_offset
            },
            rows,
        },
        forms,
        anchor_start,
    }
}

/// Eligible items in the order used for symmetry breaking: by the first objective coefficient,
/// largest first (ties by pool order).
pub(crate) fn symmetry_order(prep: &Prepared) -> Vec<usize> {
    let mut order: Vec<usize> = (0..prep.n_eligible()).collect();
    order.sort_by(|&a, &b| prep.coef[0][b].total_cmp(&prep.coef[0][a]));
    order
}

/// True when `build` will apply the symmetry-breaking fixings for these options.
pub(crate) fn symmetry_applies(prep: &Prepared, opt: &BuildOptions) -> bool {
    opt.symmetry_breaking
        && opt.forms > 1
        && prep.anchors == 0
        && !opt.drop_groups.contains(&ConstraintGroup::Exposure)
        && opt.item_uses.is_none()
        && prep.spec.max_forms_per_item == 1
}
