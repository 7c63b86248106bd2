//! Infeasibility diagnosis: cheap counting pre-checks before any solve, and, when the MIP is
//! infeasible, relaxing one constraint group at a time (then single constraints inside the
//! groups that matter) and re-solving to say which requirement cannot be met.

use std::collections::BTreeSet;

use super::error::{ConstraintGroup, Diagnosis};
use super::model::{build, BuildOptions, Prepared};
use super::pool::format_number;
use super::solver::{solve_mip, MipFailure, MipOptions};
use super::spec::Objective;
use super::Budget;

fn precheck_failure(message: String) -> Option<Diagnosis> {
    Some(Diagnosis {
        message,
        from_precheck: true,
        culprit_groups: Vec::new(),
        culprit_constraints: Vec::new(),
    })
}

fn status_note(prep: &Prepared) -> String {
    match &prep.spec.allowed_status {
        Some(s) => format!(" (status in [{}])", s.join(", ")),
        None => String::new(),
    }
}

/// Sum of the `k` smallest and `k` largest of `values` (k clipped to the length).
fn extreme_sums(values: &[f64], k: usize) -> (f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let k = k.min(v.len());
    let low = v[..k].iter().sum();
    let high = v[v.len() - k..].iter().sum();
    (low, high)
}

/// Counting checks that need no solver. Each is a necessary condition, so a failure proves the
/// model infeasible. Returns the first failure.
pub(crate) fn precheck(prep: &Prepared) -> Option<Diagnosis> {
    let spec = prep.spec;
    let n = prep.n_eligible();
    let forms = spec.forms;
    let length = spec.length;
    let per_item = spec.max_forms_per_item.min(forms);

    if prep.anchors > length {
        return precheck_failure(format!(
            "infeasible: the anchor set (anchors = {}) is larger than the form (length = {})",
            prep.anchors, length
        ));
    }
    if prep.anchors > prep.anchor_candidates.len() {
        let source = if spec.reference_form.is_some() {
            "the reference form has only"
        } else {
            "the pool has only"
        };
        return precheck_failure(format!(
            "infeasible: anchors = {} but {source} {} allowed items{}",
            prep.anchors,
            prep.anchor_candidates.len(),
            status_note(prep)
        ));
    }
    if n < length {
        return precheck_failure(format!(
            "infeasible: a form needs {length} items, the pool has {n} allowed{}",
            status_note(prep)
        ));
    }
    // Item uses: anchors are on every form, the rest on at most max_forms_per_item forms.
    let anchors = prep.anchors.min(n);
    let capacity = anchors * forms + (n - anchors) * per_item;
    if capacity < forms * length {
        return precheck_failure(format!(
            "infeasible: {forms} forms x {length} items need {} item uses; with max_forms_per_item {} the {n} allowed items give at most {capacity}",
            forms * length,
            spec.max_forms_per_item
        ));
    }
    // Counts: enough items of each value over all forms, and per-column totals that fit a form.
    for c in &prep.counts {
        let have = c.members.iter().filter(|&&m| m).count();
        if let Some(min) = c.min {
            let anchor_have = prep
                .anchor_candidates
                .iter()
                .filter(|&&e| c.members[e])
                .count()
                .min(prep.anchors);
            let cap = anchor_have * forms + (have - anchor_have) * per_item;
            if cap < min * forms {
                let need = (min * forms).div_ceil(per_item);
                return precheck_failure(format!(
                    "infeasible: the count constraint {} = {} (min {min} per form x {forms} forms, max_forms_per_item {}) needs {need} items, the pool has {have} allowed",
                    c.column, c.value, spec.max_forms_per_item
                ));
            }
        }
    }
    let columns: BTreeSet<&str> = prep.counts.iter().map(|c| c.column.as_str()).collect();
    for col in columns {
        let entries: Vec<_> = prep.counts.iter().filter(|c| c.column == col).collect();
        // Distinct values are disjoint sets of items.
        let mut values = BTreeSet::new();
        let distinct = entries.iter().all(|c| values.insert(c.value.as_str()));
        if !distinct {
            continue;
        }
        let min_total: usize = entries.iter().filter_map(|c| c.min).sum();
        if min_total > length {
            return precheck_failure(format!(
                "infeasible: the count constraints on '{col}' ask for at least {min_total} items per form, a form has {length}"
            ));
        }
        let covered = (0..n).all(|e| entries.iter().any(|c| c.members[e] && c.max.is_some()));
        let max_total: usize = entries.iter().filter_map(|c| c.max).sum();
        if covered && max_total < length {
            return precheck_failure(format!(
                "infeasible: the count constraints on '{col}' allow at most {max_total} items per form, a form has {length}"
            ));
        }
    }
    // Sums: the extreme sums of `length` items.
    for s in &prep.sums {
        let (low, high) = extreme_sums(&s.values, length);
        if let Some(max) = s.max {
            if low > max {
                return precheck_failure(format!(
                    "infeasible: the sum constraint on '{}' (max {} per form) cannot be met: the {length} smallest values among the allowed items add up to {}",
                    s.column, format_number(max), fmt2(low)
                ));
            }
        }
        if let Some(min) = s.min {
            if high < min {
                return precheck_failure(format!(
                    "infeasible: the sum constraint on '{}' (min {} per form) cannot be met: the {length} largest values among the allowed items add up to {}",
                    s.column, format_number(min), fmt2(high)
                ));
            }
        }
    }
    // Enemies: one item per enemy set.
    if let Some(col) = &spec.enemy_column {
        let in_sets: usize = prep.enemy_sets.iter().map(|(_, s)| s.len()).sum();
        let most = n - in_sets + prep.enemy_sets.len();
        if most < length {
            return precheck_failure(format!(
                "infeasible: the enemy constraint on '{col}' (one item per enemy set) allows at most {most} items per form, a form needs {length}"
            ));
        }
    }
    // Target tolerance: the reachable range of each point's curve value.
    if let Objective::Target { tolerance, .. } = &prep.objective {
        let name = curve_name(prep);
        for (k, &t) in prep.targets.iter().enumerate() {
            let (low, high) = extreme_sums(&prep.coef[k], length);
            let theta = point(prep, k);
            if high < t - tolerance || low > t + tolerance {
                return precheck_failure(format!(
                    "infeasible: the {name} target {} +- {} at theta = {} is out of reach: {length} allowed items give between {} and {}",
                    fmt2(t), format_number(*tolerance), format_number(theta), fmt2(low), fmt2(high)
                ));
            }
        }
    }
    None
}

fn fmt2(x: f64) -> String {
    format!("{x:.2}")
}

fn curve_name(prep: &Prepared) -> &'static str {
    match &prep.objective {
        Objective::Target { curve, .. } => match curve {
            super::spec::Curve::Tif => "TIF",
            super::spec::Curve::Tcc => "TCC",
        },
        _ => "information",
    }
}

fn point(prep: &Prepared, k: usize) -> f64 {
    match &prep.objective {
        Objective::Target { points, .. } => points[k],
        Objective::MaxInformation { theta } => *theta,
    }
}

/// Outcome of one relaxed solve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Feasible,
    Infeasible,
    Unknown,
}

fn feasible(
    prep: &Prepared,
    groups: &BTreeSet<ConstraintGroup>,
    keys: &BTreeSet<String>,
    budget: Budget,
) -> Verdict {
    let built = build(
        prep,
        &BuildOptions {
            forms: prep.spec.forms,
            drop_groups: groups.clone(),
            drop_keys: keys.clone(),
            feasibility_only: true,
            ..BuildOptions::default()
        },
    );
    // The LP relaxation first: if it is infeasible, so is the MIP.
    let lp = solve_mip(
        &built.model.relaxed(),
        &MipOptions {
            time_limit_seconds: Some(budget.seconds),
            ..MipOptions::default()
        },
    );
    match lp {
        Err(MipFailure::Infeasible) => return Verdict::Infeasible,
        Err(_) => return Verdict::Unknown,
        Ok(_) => {}
    }
    match solve_mip(
        &built.model,
        &MipOptions {
            node_limit: Some(budget.nodes),
            time_limit_seconds: Some(budget.seconds),
            ..MipOptions::default()
        },
    ) {
        Ok(_) => Verdict::Feasible,
        Err(MipFailure::Infeasible) => Verdict::Infeasible,
        Err(_) => Verdict::Unknown,
    }
}

/// Relaxes each group in turn (then pairs, when no single group helps), and inside a group that
/// helps, each of its constraints in turn; returns the diagnosis.
pub(crate) fn diagnose_by_relaxation(prep: &Prepared, budget: Budget) -> Diagnosis {
    let groups = prep.groups();
    let none = BTreeSet::new();
    let mut culprits = Vec::new();
    let mut unknown = Vec::new();
    for &g in &groups {
        match feasible(prep, &BTreeSet::from([g]), &none, budget) {
            Verdict::Feasible => culprits.push(g),
            Verdict::Unknown => unknown.push(g),
            Verdict::Infeasible => {}
        }
    }
    let mut culprit_constraints = Vec::new();
    for &g in &culprits {
        let keys: Vec<String> = match g {
            ConstraintGroup::Counts => prep.counts.iter().map(|c| c.key.clone()).collect(),
            ConstraintGroup::Sums => prep.sums.iter().map(|s| s.key.clone()).collect(),
            _ => Vec::new(),
        };
        if keys.len() < 2 {
            continue;
        }
        for k in keys {
            if feasible(prep, &BTreeSet::new(), &BTreeSet::from([k.clone()]), budget)
                == Verdict::Feasible
            {
                culprit_constraints.push(k);
            }
        }
    }
    let message = if !culprits.is_empty() {
        let names: Vec<&str> = culprits.iter().map(|g| g.describe()).collect();
        let mut m = format!(
            "infeasible: the model becomes feasible when {} {} relaxed (each on its own, all other groups kept)",
            join_or(&names),
            if names.len() == 1 { "is" } else { "are" }
        );
        if !culprit_constraints.is_empty() {
            m.push_str(&format!(
                "; dropping just '{}' is enough",
                culprit_constraints.join("' or '")
            ));
        }
        m
    } else {
        // No single group: try pairs.
        let mut pairs = Vec::new();
        for (i, &g) in groups.iter().enumerate() {
            for &h in &groups[i + 1..] {
                if feasible(prep, &BTreeSet::from([g, h]), &none, budget) == Verdict::Feasible {
                    pairs.push((g, h));
                }
            }
        }
        if let Some(&(g, h)) = pairs.first() {
            culprits = vec![g, h];
            format!(
                "infeasible: no single constraint group can be relaxed to make it feasible, but relaxing both {} and {} does",
                g.describe(),
                h.describe()
            )
        } else if !unknown.is_empty() {
            let names: Vec<&str> = unknown.iter().map(|g| g.describe()).collect();
            format!(
                "infeasible: relaxing one group at a time did not prove feasibility within {} branch-and-bound nodes per check; undecided: {}",
                budget.nodes,
                names.join(", ")
            )
        } else {
            "infeasible: even with every relaxable group relaxed in ones and twos the form length cannot be met; check the pool size and the allowed statuses".to_string()
        }
    };
    Diagnosis {
        message,
        from_precheck: false,
        culprit_groups: culprits,
        culprit_constraints,
    }
}

fn join_or(names: &[&str]) -> String {
    match names.len() {
        0 => String::new(),
        1 => names[0].to_string(),
        _ => format!(
            "{} or {}",
            names[..names.len() - 1].join(", "),
            names[names.len() - 1]
        ),
    }
}
