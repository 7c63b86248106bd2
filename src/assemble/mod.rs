//! The bank's next cycle: the next item bank ([`bank`]), automated test assembly (ATA) by
//! mixed-integer programming (van der Linden 2005, Linear
//! Models for Optimal Test Design; in the spirit of R's eatATA, TestDesign and xxIRT).
//!
//! This module owns: the next bank after a run ([`bank::update_bank`]: status, evidence and
//! reason per item), pre-equating of assembled forms ([`cycle::pre_equate`]), the item pool for assembly ([`Pool`], read from CSV), the assembly spec
//! ([`Spec`], TOML), the 0-1 model (x[i, f] = 1 when item i is on form f) and its solution
//! ([`assemble`] -> [`Assembly`]), the infeasibility diagnosis (pre-checks, then relaxing one
//! constraint group at a time), the pool-health table ([`pool_health`]) and a seeded simulated
//! bank for benchmarks ([`simulate_bank`]). The MIP solver sits behind one function,
//! [`solver::solve_mip`].
//!
//! Objectives: maximin information at a theta (maximise y with TIF_f(theta) >= y for every form
//! f; with one form this is the plain maximum), or a minimax target (minimise delta with
//! |curve_f(theta_k) - T_k| <= delta <= tolerance at every point k and form f; van der Linden
//! 2005, ch. 5).

pub mod bank;
pub mod cycle;
mod diagnose;
mod error;
mod health;
mod model;
mod pool;
mod simulate;
pub mod solver;
mod spec;

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

pub use error::{AtaError, ConstraintGroup, Diagnosis};
pub use health::{pool_health, Band, DomainHealth, HealthConfig, HealthRow, PoolHealth};
pub use pool::{AttrValue, Item, Pool, PoolColumns};
pub use simulate::{simulate_bank, BankSimConfig, SimulatedBank};
pub use solver::{MipStatus, BACKEND};
pub use spec::{
    CountSpec, CountValue, Curve, Objective, ObjectiveSpec, SolverSpec, Spec, SumSpec, TargetSource,
};

use model::{build, symmetry_applies, symmetry_order, BuildOptions, Built, Prepared};
use solver::{solve_mip, MipFailure, MipOptions, MipSolution};

/// One constraint's value on one form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstraintValue {
    /// E.g. "count domain = D3", "sum seconds", "enemies (largest set share)", "anchors".
    pub name: String,
    pub value: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Recomputed from the selected items (not taken from the solver).
    pub met: bool,
}

/// The form's curve at one objective point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    pub theta: f64,
    /// TIF or TCC of the form at theta.
    pub value: f64,
    /// The target at theta (target objective only).
    pub target: Option<f64>,
}

/// One assembled form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormReport {
    /// Item ids in pool order.
    pub items: Vec<String>,
    /// Information at theta (maximin objective) or the largest |curve - target| (target).
    pub objective_value: f64,
    pub curve: Vec<CurvePoint>,
    pub constraints: Vec<ConstraintValue>,
}

/// The result of [`assemble`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assembly {
    pub forms: Vec<FormReport>,
    /// Maximin: the smallest form information; target: the largest deviation over forms and
    /// points. Recomputed from the items.
    pub objective_value: f64,
    pub status: MipStatus,
    /// The solver's best proven bound on the objective.
    pub best_bound: Option<f64>,
    /// The solver's relative gap (see `gap_definition`).
    pub gap: Option<f64>,
    pub gap_definition: String,
    /// Optimum of the LP relaxation (computed separately, always available): a bound on the
    /// objective.
    pub lp_bound: f64,
    /// The gap to `lp_bound`, defined as `gap` is (an upper bound on the true gap).
    pub gap_to_lp_bound: f64,
    /// Anchor item ids (on every form).
    pub anchors: Vec<String>,
    /// The most forms any item is on.
    pub max_item_exposure: usize,
    /// Objective of the sequential warm start, if one was built.
    pub warm_start_objective: Option<f64>,
    pub nodes: Option<u64>,
    /// Wall-clock seconds: everything, and the main MIP solve alone.
    pub seconds: f64,
    pub solver_seconds: f64,
    pub backend: &'static str,
}

/// Assembles `spec.forms` forms from the pool: pre-checks, the LP bound, a sequential warm
/// start, then one MIP over all forms. An infeasible model gives [`AtaError::Infeasible`] with a
/// diagnosis.
pub fn assemble(pool: &Pool, spec: &Spec) -> Result<Assembly, AtaError> {
    let started = Instant::now();
    spec.validate()?;
    let prep = Prepared::new(pool, spec)?;
    if let Some(d) = diagnose::precheck(&prep) {
        return Err(AtaError::Infeasible(Box::new(d)));
    }
    let opts = BuildOptions {
        forms: spec.forms,
        symmetry_breaking: spec.solver.symmetry_breaking,
        ..BuildOptions::default()
    };
    let built = build(&prep, &opts);
    let limit = spec.solver.time_limit_seconds;
    let nodes = spec.solver.node_limit;
    let budget = Budget {
        nodes: (nodes / 10).max(100),
        seconds: (limit / 4.0).clamp(1.0, 10.0),
    };
    let infeasible = |prep: &Prepared| {
        AtaError::Infeasible(Box::new(diagnose::diagnose_by_relaxation(prep, budget)))
    };

    let lp = match solve_mip(
        &built.model.relaxed(),
        &MipOptions {
            time_limit_seconds: Some(limit),
            ..MipOptions::default()
        },
    ) {
        Ok(s) => s,
        Err(MipFailure::Infeasible) => return Err(infeasible(&prep)),
        Err(e) => return Err(solver_error(e, nodes, limit)),
    };
    let lp_bound = lp.objective;

    let mut warm: Option<(Vec<(usize, f64)>, f64)> = None;
    // The sequential start helps the target objective (often it is already within the gap);
    // for maximin it was worse than microlp's own diving (benchmark: 10.2 vs 12.7), so it is
    // not used there.
    let target = matches!(prep.objective, Objective::Target { .. });
    if spec.solver.warm_start && target && spec.forms > 1 && prep.anchors == 0 {
        let per_form = Budget {
            nodes: (nodes / 4 / spec.forms as u64).max(50),
            seconds: (limit / 4.0 / spec.forms as f64).max(0.5),
        };
        warm = sequential_start(&prep, &built, &opts, lp_bound, per_form);
    }
    let remaining = (limit - started.elapsed().as_secs_f64()).max(1.0);
    let sol = match solve_mip(
        &built.model,
        &MipOptions {
            node_limit: Some(nodes),
            time_limit_seconds: Some(remaining),
            mip_gap: spec.solver.mip_gap,
            warm_start: warm.as_ref().map(|w| w.0.clone()),
        },
    ) {
        Ok(s) => s,
        Err(MipFailure::Infeasible) => return Err(infeasible(&prep)),
        Err(e) => return Err(solver_error(e, nodes, remaining)),
    };
    Ok(report(
        &prep,
        &built,
        &sol,
        lp_bound,
        warm.map(|w| w.1),
        started,
    ))
}

/// A sub-solve's stopping rule: the node budget is the reproducible stop, the seconds a safety net.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub nodes: u64,
    pub seconds: f64,
}

fn solver_error(e: MipFailure, nodes: u64, seconds: f64) -> AtaError {
    match e {
        MipFailure::NoSolutionInTime => AtaError::NoSolutionInTime { nodes, seconds },
        MipFailure::Infeasible => AtaError::Solver {
            backend: BACKEND,
            message: "infeasible".into(),
        },
        MipFailure::Other(message) => AtaError::Solver {
            backend: BACKEND,
            message,
        },
    }
}

/// Sequential heuristic (sequential assembly, van der Linden 2005, ch. 4): forms one at a
/// time, each from the items not yet used up. For maximin, each form's information is capped at
/// the LP bound so early forms do not take all the best items. Returns the x values (relabelled
/// to satisfy the symmetry-breaking fixings) and their objective, or None when a step fails.
fn sequential_start(
    prep: &Prepared,
    full: &Built,
    full_opts: &BuildOptions,
    lp_bound: f64,
    per_form: Budget,
) -> Option<(Vec<(usize, f64)>, f64)> {
    let spec = prep.spec;
    let n = prep.n_eligible();
    let mut uses = vec![spec.max_forms_per_item; n];
    let mut forms_items: Vec<Vec<usize>> = Vec::new();
    for _ in 0..spec.forms {
        let step = build(
            prep,
            &BuildOptions {
                forms: 1,
                item_uses: Some(uses.clone()),
                information_cap: match prep.objective {
                    Objective::MaxInformation { .. } => Some(lp_bound),
                    _ => None,
                },
                ..BuildOptions::default()
            },
        );
        let sol = solve_mip(
            &step.model,
            &MipOptions {
                node_limit: Some(per_form.nodes),
                time_limit_seconds: Some(per_form.seconds),
                mip_gap: 0.005,
                warm_start: None,
            },
        )
        .ok()?;
        let items: Vec<usize> = (0..n).filter(|&e| sol.values[step.x(e, 0)] > 0.5).collect();
        for &e in &items {
            uses[e] -= 1;
        }
        forms_items.push(items);
    }
    if symmetry_applies(prep, full_opts) {
        let order = symmetry_order(prep);
        let mut rank = vec![usize::MAX; n];
        for (r, &e) in order.iter().enumerate() {
            rank[e] = r;
        }
        forms_items.sort_by_key(|items| items.iter().map(|&e| rank[e]).min().unwrap_or(usize::MAX));
    }
    let mut hint = Vec::with_capacity(n * spec.forms);
    for e in 0..n {
        for (f, items) in forms_items.iter().enumerate() {
            hint.push((full.x(e, f), if items.contains(&e) { 1.0 } else { 0.0 }));
        }
    }
    let values = form_values(prep, &forms_items);
    Some((hint, values))
}

/// Objective of an assembly given as eligible indices per form.
fn form_values(prep: &Prepared, forms_items: &[Vec<usize>]) -> f64 {
    match &prep.objective {
        Objective::MaxInformation { .. } => forms_items
            .iter()
            .map(|items| items.iter().map(|&e| prep.coef[0][e]).sum::<f64>())
            .fold(f64::INFINITY, f64::min),
        Objective::Target { .. } => forms_items
            .iter()
            .map(|items| max_deviation(prep, items))
            .fold(0.0, f64::max),
    }
}

fn max_deviation(prep: &Prepared, items: &[usize]) -> f64 {
    prep.targets
        .iter()
        .enumerate()
        .map(|(k, t)| (items.iter().map(|&e| prep.coef[k][e]).sum::<f64>() - t).abs())
        .fold(0.0, f64::max)
}

const MET_TOL: f64 = 1e-6;

fn constraint(name: String, value: f64, min: Option<f64>, max: Option<f64>) -> ConstraintValue {
    let met = min.is_none_or(|m| value >= m - MET_TOL) && max.is_none_or(|m| value <= m + MET_TOL);
    ConstraintValue {
        name,
        value,
        min,
        max,
        met,
    }
}

fn report(
    prep: &Prepared,
    built: &Built,
    sol: &MipSolution,
    lp_bound: f64,
    warm_start_objective: Option<f64>,
    started: Instant,
) -> Assembly {
    let spec = prep.spec;
    let pool = prep.pool;
    let n = prep.n_eligible();
    let forms_items: Vec<Vec<usize>> = (0..spec.forms)
        .map(|f| {
            (0..n)
                .filter(|&e| sol.values[built.x(e, f)] > 0.5)
                .collect()
        })
        .collect();
    let anchors: Vec<usize> = match built.anchor_start {
        Some(s) => prep
            .anchor_candidates
            .iter()
            .enumerate()
            .filter(|(a, _)| sol.values[s + a] > 0.5)
            .map(|(_, &e)| e)
            .collect(),
        None => Vec::new(),
    };
    let points: Vec<f64> = match &prep.objective {
        Objective::MaxInformation { theta } => vec![*theta],
        Objective::Target { points, .. } => points.clone(),
    };
    let mut forms = Vec::with_capacity(spec.forms);
    for items in &forms_items {
        let curve: Vec<CurvePoint> = points
            .iter()
            .enumerate()
            .map(|(k, &theta)| CurvePoint {
                theta,
                value: items.iter().map(|&e| prep.coef[k][e]).sum(),
                target: prep.targets.get(k).copied(),
            })
            .collect();
        let objective_value = match &prep.objective {
            Objective::MaxInformation { .. } => curve[0].value,
            Objective::Target { .. } => max_deviation(prep, items),
        };
        let mut constraints = vec![constraint(
            "length".into(),
            items.len() as f64,
            Some(spec.length as f64),
            Some(spec.length as f64),
        )];
        for c in &prep.counts {
            constraints.push(constraint(
                c.key.clone(),
                items.iter().filter(|&&e| c.members[e]).count() as f64,
                c.min.map(|x| x as f64),
                c.max.map(|x| x as f64),
            ));
        }
        for s in &prep.sums {
            constraints.push(constraint(
                s.key.clone(),
                items.iter().map(|&e| s.values[e]).sum(),
                s.min,
                s.max,
            ));
        }
        if !prep.enemy_sets.is_empty() {
            let most = prep
                .enemy_sets
                .iter()
                .map(|(_, set)| set.iter().filter(|e| items.contains(e)).count())
                .max()
                .unwrap_or(0);
            constraints.push(constraint(
                "enemies (most items from one enemy set)".into(),
                most as f64,
                None,
                Some(1.0),
            ));
        }
        if prep.anchors > 0 {
            let on = anchors.iter().filter(|e| items.contains(e)).count();
            constraints.push(constraint(
                "anchors on the form".into(),
                on as f64,
                Some(prep.anchors as f64),
                None,
            ));
        }
        if let Objective::Target { tolerance, .. } = &prep.objective {
            constraints.push(constraint(
                "target deviation (largest over points)".into(),
                objective_value,
                None,
                Some(*tolerance),
            ));
        }
        let mut ids: Vec<usize> = items.iter().map(|&e| prep.eligible[e]).collect();
        ids.sort_unstable();
        forms.push(FormReport {
            items: ids.into_iter().map(|i| pool.items[i].id.clone()).collect(),
            objective_value,
            curve,
            constraints,
        });
    }
    let mut exposure: BTreeMap<usize, usize> = BTreeMap::new();
    for items in &forms_items {
        for &e in items {
            *exposure.entry(e).or_default() += 1;
        }
    }
    let objective_value = form_values(prep, &forms_items);
    let (gap_definition, denom) = match &prep.objective {
        Objective::MaxInformation { .. } => (
            "relative gap (bound - objective) / objective of the maximin information".to_string(),
            objective_value.abs(),
        ),
        Objective::Target { .. } => (
            "absolute gap (deviation - bound) divided by the smallest target value (a deviation near 0 has no useful relative gap)".to_string(),
            built.model.objective_offset + objective_value.abs(),
        ),
    };
    let gap_to_lp_bound = (objective_value - lp_bound).abs() / denom.max(1e-12);
    Assembly {
        forms,
        objective_value,
        status: sol.status,
        best_bound: sol.best_bound,
        gap: sol.gap,
        gap_definition,
        lp_bound,
        gap_to_lp_bound,
        anchors: anchors
            .iter()
            .map(|&e| pool.items[prep.eligible[e]].id.clone())
            .collect(),
        max_item_exposure: exposure.values().copied().max().unwrap_or(0),
        warm_start_objective,
        nodes: sol.nodes,
        seconds: started.elapsed().as_secs_f64(),
        solver_seconds: sol.seconds,
        backend: BACKEND,
    }
}
