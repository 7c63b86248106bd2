//! The one place that talks to a MIP solver. Assembly builds a backend-neutral [`MipModel`]
//! (variables with bounds, sparse rows with lower/upper bounds, a linear objective) and calls
//! [`solve_mip`]; swapping the backend (e.g. good_lp's `highs` feature) means rewriting only
//! this function.
//!
//! Backend: good_lp 1.15 with the pure-Rust `microlp` 0.6 solver (branch and bound on a
//! bounded-variable simplex, pseudocost branching, reports the best bound and relative gap).

use std::time::Instant;

use good_lp::solvers::microlp::microlp;
use good_lp::{
    variable, Expression, ProblemVariables, ResolutionError, Solution, SolutionStatus, SolverModel,
    Variable, WithInitialSolution, WithMipGap, WithTimeLimit,
};

/// Name and version of the backend, for reports.
pub const BACKEND: &str = "good_lp 1.15 / microlp 0.6";

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
    /// Stopped by the time limit with a feasible solution.
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
    NoSolutionInTime,
    Other(String),
}

/// Solves a MIP with the configured backend (good_lp + microlp).
pub fn solve_mip(model: &MipModel, options: &MipOptions) -> Result<MipSolution, MipFailure> {
    let started = Instant::now();
    let mut pv = ProblemVariables::new();
    let vars: Vec<Variable> = model
        .vars
        .iter()
        .map(|v| {
            let def = variable().bounds(v.lower..=v.upper);
            pv.add(if v.integer { def.integer() } else { def })
        })
        .collect();
    let mut objective = Expression::with_capacity(model.objective.len() + 1);
    for &(j, c) in &model.objective {
        objective.add_mul(c, vars[j]);
    }
    // microlp ignores an objective constant; a variable fixed at 1 carries the offset so that the
    // backend's relative gap uses the shifted objective.
    let offset_var = if model.objective_offset != 0.0 {
        let v = pv.add(variable().bounds(1.0..=1.0));
        objective.add_mul(model.objective_offset, v);
        Some(v)
    } else {
        None
    };
    let problem = match model.sense {
        Sense::Maximise => pv.maximise(objective),
        Sense::Minimise => pv.minimise(objective),
    };
    let mut solver = problem.using(microlp);
    if let Some(t) = options.time_limit_seconds {
        solver = solver.with_time_limit(t);
    }
    if options.mip_gap > 0.0 {
        solver = solver
            .with_mip_gap(options.mip_gap as f32)
            .map_err(|e| MipFailure::Other(format!("{e:?}")))?;
    }
    if let Some(start) = &options.warm_start {
        let mut hint: Vec<(Variable, f64)> = start.iter().map(|&(j, x)| (vars[j], x)).collect();
        if let Some(v) = offset_var {
            hint.push((v, 1.0));
        }
        solver = solver.with_initial_solution(hint);
    }
    for row in &model.rows {
        let mut e = Expression::with_capacity(row.coefs.len());
        for &(j, c) in &row.coefs {
            e.add_mul(c, vars[j]);
        }
        if row.lower == row.upper {
            solver.add_constraint(e.eq(row.lower));
        } else {
            if row.lower.is_finite() {
                solver.add_constraint(e.clone().geq(row.lower));
            }
            if row.upper.is_finite() {
                solver.add_constraint(e.leq(row.upper));
            }
        }
    }
    let solution = match solver.solve() {
        Ok(s) => s,
        Err(ResolutionError::Infeasible) => return Err(MipFailure::Infeasible),
        Err(ResolutionError::Other(m)) if m.contains("Time limit") => {
            return Err(MipFailure::NoSolutionInTime)
        }
        Err(e) => return Err(MipFailure::Other(e.to_string())),
    };
    let status = match solution.status() {
        SolutionStatus::Optimal => MipStatus::Optimal,
        SolutionStatus::GapLimit => MipStatus::GapLimit,
        SolutionStatus::TimeLimit => MipStatus::TimeLimit,
    };
    let values: Vec<f64> = vars.iter().map(|&v| solution.value(v)).collect();
    let inner = solution.into_inner();
    let stats = inner.stats();
    let objective = inner.objective() - model.objective_offset;
    Ok(MipSolution {
        status,
        values,
        objective,
        best_bound: stats.best_bound.map(|b| b - model.objective_offset),
        gap: inner.gap(),
        nodes: Some(stats.nodes_solved),
        seconds: started.elapsed().as_secs_f64(),
    })
}
