//! The one place that talks to a MIP solver. Assembly builds a backend-neutral [`MipModel`]
//! (variables with bounds, sparse rows with lower/upper bounds, a linear objective) and calls
//! [`solve_mip`]; swapping the backend (e.g. HiGHS) means rewriting only this function.
//!
//! Backend: the pure-Rust `microlp` 0.6 solver (branch and bound on a bounded-variable simplex,
//! pseudocost branching, reports the best bound and relative gap), called directly rather than
//! through good_lp because only microlp's own options carry a node limit: a node budget stops
//! the search at the same point on every run and machine, a wall-clock limit does not.

use std::time::{Duration, Instant};

use microlp::{
    ComparisonOp, LinearExpr, OptimizationDirection, Problem, SolutionStatus, SolveOptions,
    TerminationReason,
};

/// Name and version of the backend, for reports.
pub const BACKEND: &str = "microlp 0.6";

/// Direction of the objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    Maximise,
    Minimise,
}

/// One variable: bounds and whether it must be integer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarDef {
    pub lower: f64,
    pub upper: f64,
    pub integer: bool,
}

/// One linear row: lower <= sum coef * x <= upper (either side may be infinite).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub coefs: Vec<(usize, f64)>,
    pub lower: f64,
    pub upper: f64,
}

/// A mixed-integer linear program in backend-neutral form.
#[derive(Debug, Clone, PartialEq)]
pub struct MipModel {
    pub sense: Sense,
    pub vars: Vec<VarDef>,
    pub objective: Vec<(usize, f64)>,
    /// Constant added to the objective. It changes only the relative gap's denominator, so a
    /// near-zero objective (a target deviation) can be given a meaningful relative gap.
    pub objective_offset: f64,
    pub rows: Vec<Row>,
}

impl MipModel {
    /// The LP relaxation: every integer variable made continuous within its bounds.
    pub fn relaxed(&self) -> MipModel {
        let mut m = self.clone();
        for v in &mut m.vars {
            v.integer = false;
        }
        m
    }
}

/// Stopping rules and an optional starting point (values for some or all variables).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MipOptions {
    /// Branch-and-bound nodes at most: the deterministic stop.
    pub node_limit: Option<u64>,
    /// Wall-clock safety net; a solve stopped by it may differ between runs.
    pub time_limit_seconds: Option<f64>,
    /// Relative gap at which the search may stop (0 = prove optimality).
    pub mip_gap: f64,
    pub warm_start: Option<Vec<(usize, f64)>>,
}

/// How the solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MipStatus {
    /// Optimality proven.
    Optimal,
    /// Stopped with the relative gap at or below the requested one.
    GapLimit,
    /// Stopped by the node limit with a feasible solution (reproducible).
    NodeLimit,
    /// Stopped by the time limit with a feasible solution (may differ between runs).
    TimeLimit,
}

/// A feasible solution with the backend's bound information.
#[derive(Debug, Clone, PartialEq)]
pub struct MipSolution {
    pub status: MipStatus,
    pub values: Vec<f64>,
    /// Objective value without the offset.
    pub objective: f64,
    /// Best proven bound (without the offset), when the backend reports one.
    pub best_bound: Option<f64>,
    /// Relative gap |objective - bound| / |objective + offset| as the backend reports it.
    pub gap: Option<f64>,
    /// Branch-and-bound nodes solved, when reported.
    pub nodes: Option<u64>,
    pub seconds: f64,
}

/// Why no solution came back.
#[derive(Debug, Clone, PartialEq)]
pub enum MipFailure {
    Infeasible,
    /// A node or time limit fired before any feasible solution was found.
    NoSolutionInTime,
    Other(String),
}

/// Solves a MIP with the configured backend (microlp).
pub fn solve_mip(model: &MipModel, options: &MipOptions) -> Result<MipSolution, MipFailure> {
    let started = Instant::now();
    let mut problem = Problem::new(match model.sense {
        Sense::Maximise => OptimizationDirection::Maximize,
        Sense::Minimise => OptimizationDirection::Minimize,
    });
    let objective: Vec<f64> = {
        let mut c = vec![0.0; model.vars.len()];
        for &(j, v) in &model.objective {
            c[j] += v;
        }
        c
    };
    let mut vars = Vec::with_capacity(model.vars.len() + 1);
    for (v, &c) in model.vars.iter().zip(&objective) {
        let var = if v.integer {
            let (lo, hi) = (v.lower.ceil(), v.upper.floor());
            if !(lo >= i32::MIN as f64 && hi <= i32::MAX as f64) {
                return Err(MipFailure::Other(
                    "integer bounds outside the i32 range".into(),
                ));
            }
            if lo > hi {
                return Err(MipFailure::Infeasible);
            }
            problem.add_integer_var(c, (lo as i32, hi as i32))
        } else {
            problem.add_var(c, (v.lower, v.upper))
        };
        vars.push(var);
    }
    // microlp has no objective constant; a variable fixed at 1 carries the offset so that the
    // backend's relative gap uses the shifted objective.
    let offset_var = (model.objective_offset != 0.0)
        .then(|| problem.add_var(model.objective_offset, (1.0, 1.0)));
    for row in &model.rows {
        let expr = || -> LinearExpr { row.coefs.iter().map(|&(j, c)| (vars[j], c)).collect() };
        if row.lower == row.upper {
            problem.add_constraint(expr(), ComparisonOp::Eq, row.lower);
        } else {
            if row.lower.is_finite() {
                problem.add_constraint(expr(), ComparisonOp::Ge, row.lower);
            }
            if row.upper.is_finite() {
                problem.add_constraint(expr(), ComparisonOp::Le, row.upper);
            }
        }
    }
    let mut opts = SolveOptions::default();
    opts.node_limit = options.node_limit;
    opts.time_limit = options.time_limit_seconds.map(Duration::from_secs_f64);
    opts.mip_gap = options.mip_gap;
    opts.warm_start = options.warm_start.as_ref().map(|start| {
        let mut hint: Vec<_> = start.iter().map(|&(j, x)| (vars[j], x)).collect();
        hint.extend(offset_var.map(|v| (v, 1.0)));
        hint
    });
    let outcome = match problem.solve_with(opts) {
        Ok(o) => o,
        Err(microlp::Error::Infeasible) => return Err(MipFailure::Infeasible),
        Err(e) => return Err(MipFailure::Other(e.to_string())),
    };
    let solution = outcome
        .into_solution()
        .map_err(|_| MipFailure::NoSolutionInTime)?;
    let status = match (solution.status(), solution.termination_reason()) {
        (SolutionStatus::Optimal, _) | (_, TerminationReason::ProvenOptimal) => MipStatus::Optimal,
        (_, TerminationReason::MipGap) => MipStatus::GapLimit,
        (_, TerminationReason::NodeLimit) => MipStatus::NodeLimit,
        _ => MipStatus::TimeLimit,
    };
    let values: Vec<f64> = vars.iter().map(|&v| solution.var_value_raw(v)).collect();
    let stats = solution.stats();
    Ok(MipSolution {
        status,
        values,
        objective: solution.objective() - model.objective_offset,
        best_bound: stats.best_bound.map(|b| b - model.objective_offset),
        gap: solution.gap(),
        nodes: Some(stats.nodes_solved),
        seconds: started.elapsed().as_secs_f64(),
    })
}
