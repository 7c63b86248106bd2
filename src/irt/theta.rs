//! Theta for one attempt with known item parameters: bounded maximum likelihood (ML), Warm's
//! (1989) weighted likelihood (WLE) and the Bayes modal / MAP estimate with a normal prior,
//! generic over [`ItemModel`] (right/wrong items: [`ItemModel::curve`] and
//! [`ItemModel::score_terms`]).
//!
//! Every estimator solves an estimating equation f(theta) = S(theta) + r0(theta) = 0, with
//! S = sum_i (x_i - P_i) P_i' / (P_i Q_i) the likelihood score and r0 = 0 (ML),
//! J / (2 I) (WLE; Warm 1989, Psychometrika 54, 427-450, with I = sum P'^2/(PQ), J = sum P'P''/(PQ)), or
//! (mu - theta) / sigma^2 (MAP). These are the r0 terms of Snijders (2001) that lz* uses.
//!
//! The solver: the objective (log-likelihood, plus the log prior for MAP) is evaluated on a theta
//! grid over the bounds, the best grid point gives a bracket [theta_{g-1}, theta_{g+1}] with
//! f > 0 on the left and f < 0 on the right (walked outwards if not), and a safeguarded Newton
//! iteration with exact derivatives, falling back to bisection whenever a step leaves the bracket,
//! finds the root. If f < 0 already at the lower bound (f > 0 at the upper bound) the estimate is
//! that bound and is marked `at_bound`; this is how all-wrong (all-right) patterns end under ML.
//!
//! Responses are (item index, score 0/1) pairs into the item slice.

use super::model::ItemModel;
pub use super::theta_grid::{GridTables, ThetaGrid};

/// Which theta estimator to use.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ThetaMethod {
    /// Maximum likelihood, bounded to the interval.
    Ml,
    /// Warm's weighted likelihood estimate (finite for perfect patterns under the 2PL).
    Wle,
    /// Bayes modal (MAP) with a N(mu, sigma^2) prior.
    Map { mu: f64, sigma: f64 },
}

impl ThetaMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            ThetaMethod::Ml => "ml",
            ThetaMethod::Wle => "wle",
            ThetaMethod::Map { .. } => "map",
        }
    }
}

/// Why a theta cannot be estimated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThetaError {
    #[error("option {name} = {value}, expected {expected}")]
    BadOption {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("response {position}: item {item} with score {score}: expected an item index below {n_items} and a score of 0 or 1")]
    BadResponse {
        position: usize,
        item: u32,
        score: u8,
        n_items: usize,
    },
    #[error("the attempt has no responses")]
    NoResponses,
}

/// Estimator and bounds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ThetaOptions {
    pub method: ThetaMethod,
    /// Lower bound of theta.
    pub lower: f64,
    /// Upper bound of theta.
    pub upper: f64,
}

impl Default for ThetaOptions {
    /// ML on [-6, 6] (qbank's ML bound).
    fn default() -> Self {
        ThetaOptions {
            method: ThetaMethod::Ml,
            lower: -6.0,
            upper: 6.0,
        }
    }
}

impl ThetaOptions {
    /// Bounded maximum likelihood (Lord 1980, Applications of IRT, ch. 4): the root of
    /// S(theta) = 0 in [lower, upper], or the bound (marked `at_bound`) when the likelihood rises
    /// to it (always for all-right or all-wrong patterns).
    pub fn ml(lower: f64, upper: f64) -> ThetaOptions {
        let method = ThetaMethod::Ml;
        ThetaOptions {
            method,
            lower,
            upper,
        }
    }

    /// Warm's (1989) weighted likelihood estimate: the root of S(theta) + J/(2I) = 0 with
    /// J = sum P'P''/(PQ) (exact for the 3PL, as irtoys' `wle`), bounded to [lower, upper].
    pub fn wle(lower: f64, upper: f64) -> ThetaOptions {
        let method = ThetaMethod::Wle;
        ThetaOptions {
            method,
            lower,
            upper,
        }
    }

    pub fn validate(&self) -> Result<(), ThetaError> {
        if !(self.lower.is_finite() && self.upper.is_finite() && self.lower < self.upper) {
            return Err(ThetaError::BadOption {
                name: "theta bounds",
                value: self.upper - self.lower,
                expected: "finite bounds with lower < upper",
            });
        }
        if let ThetaMethod::Map { mu, sigma } = self.method {
            if !mu.is_finite() {
                return Err(ThetaError::BadOption {
                    name: "prior mean",
                    value: mu,
                    expected: "a finite number",
                });
            }
            if !(sigma.is_finite() && sigma > 0.0) {
                return Err(ThetaError::BadOption {
                    name: "prior sd",
                    value: sigma,
                    expected: "a positive number",
                });
            }
        }
        Ok(())
    }

    /// The start grid: points about 0.25 apart over the bounds.
    pub fn start_grid(&self) -> ThetaGrid {
        let n = (((self.upper - self.lower) / 0.25).round() as usize + 1).clamp(3, 201);
        ThetaGrid::new(self.lower, self.upper, n)
    }
}

/// A theta estimate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ThetaEstimate {
    pub theta: f64,
    /// 1 / sqrt(I(theta)) for ML and WLE; 1 / sqrt(I + 1/sigma^2) for MAP.
    pub se: f64,
    /// The estimate is a bound, not a root of the estimating equation.
    pub at_bound: bool,
    /// Newton/bisection iterations used.
    pub iterations: u32,
}

/// Sums over items of the quantities the estimating equations need, at one theta.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sums {
    /// Score S.
    pub s: f64,
    /// dS/dtheta.
    pub ds: f64,
    /// Test information I.
    pub info: f64,
    /// J = sum P'P''/(PQ) (WLE only).
    pub j: f64,
    pub dinfo: f64,
    pub dj: f64,
}

/// Log-likelihood of the responses at theta.
pub fn loglik<M: ItemModel>(items: &[M], resp: &[(u32, u8)], theta: f64) -> f64 {
    resp.iter()
        .map(|&(i, x)| {
            let e = items[i as usize].curve(theta);
            if x == 1 {
                e.p.ln()
            } else {
                e.q.ln()
            }
        })
        .sum()
}

/// Score, its derivative and the information at theta; with `wle` also J and the derivatives of
/// I and J.
#[inline]
pub fn sums<M: ItemModel>(items: &[M], resp: &[(u32, u8)], theta: f64, wle: bool) -> Sums {
    let mut t = Sums::default();
    if !wle {
        for &(i, x) in resp {
            let e = items[i as usize].score_terms(theta, x == 1);
            t.s += e.score;
            t.ds += e.dscore;
            t.info += e.info;
        }
        return t;
    }
    for &(i, x) in resp {
        let e = items[i as usize].curve(theta);
        let x = x as f64;
        let pq = e.p * e.q;
        let inv_pq = 1.0 / pq;
        let qmp = e.q - e.p;
        let r = e.dp * inv_pq;
        let dr = (e.d2p - r * e.dp * qmp) * inv_pq;
        t.s += (x - e.p) * r;
        t.ds += -e.dp * r + (x - e.p) * dr;
        t.info += e.dp * r;
        t.j += e.d2p * r;
        t.dinfo += 2.0 * e.d2p * r - r * r * e.dp * qmp;
        t.dj += (e.d2p * e.d2p + e.dp * e.d3p) * inv_pq - r * r * e.d2p * qmp;
    }
    t
}

/// The estimating function f and its derivative at theta.
pub fn estimating_fn<M: ItemModel>(
    items: &[M],
    resp: &[(u32, u8)],
    method: ThetaMethod,
    theta: f64,
) -> (f64, f64, Sums) {
    let t = sums(items, resp, theta, method == ThetaMethod::Wle);
    let (f, df) = match method {
        ThetaMethod::Ml => (t.s, t.ds),
        ThetaMethod::Map { mu, sigma } => {
            let v = sigma * sigma;
            (t.s + (mu - theta) / v, t.ds - 1.0 / v)
        }
        ThetaMethod::Wle => {
            if t.info > 0.0 {
                let r0 = t.j / (2.0 * t.info);
                let dr0 = (t.dj * t.info - t.j * t.dinfo) / (2.0 * t.info * t.info);
                (t.s + r0, t.ds + dr0)
            } else {
                (t.s, t.ds)
            }
        }
    };
    (f, df, t)
}

/// Scratch for repeated estimation (one per thread).
#[derive(Debug, Clone, Default)]
pub struct ThetaWork {
    pub obj: Vec<f64>,
}

/// An estimate before its SE: the solver's output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawEstimate {
    pub theta: f64,
    pub at_bound: bool,
    pub iterations: u32,
}

/// Estimates theta for the responses `resp` (already checked; None when there are none).
/// `tables`, when given, must be built on `grid`, which is `opts.start_grid()`.
pub fn estimate_with<M: ItemModel>(
    items: &[M],
    resp: &[(u32, u8)],
    opts: &ThetaOptions,
    grid: &ThetaGrid,
    tables: Option<&GridTables>,
    work: &mut ThetaWork,
) -> Option<RawEstimate> {
    if resp.is_empty() {
        return None;
    }
    // The grid objective: log-likelihood, plus the log prior for MAP.
    let g = grid.len();
    work.obj.clear();
    work.obj.resize(g, 0.0);
    match tables {
        Some(t) => {
            for &(i, x) in resp {
                t.add_loglik(i as usize, x, &mut work.obj);
            }
        }
        None => {
            for &(i, x) in resp {
                for (o, &th) in work.obj.iter_mut().zip(&grid.points) {
                    let e = items[i as usize].curve(th);
                    *o += if x == 1 { e.p.ln() } else { e.q.ln() };
                }
            }
        }
    }
    if let ThetaMethod::Map { mu, sigma } = opts.method {
        for (o, &th) in work.obj.iter_mut().zip(&grid.points) {
            let z = (th - mu) / sigma;
            *o -= 0.5 * z * z;
        }
    }
    solve(items, resp, opts, grid, &work.obj)
}

/// Solves the estimating equation given the grid objective `obj` (log-likelihood, plus the log
/// prior for MAP) of these responses on `grid`; None without responses.
pub fn solve<M: ItemModel>(
    items: &[M],
    resp: &[(u32, u8)],
    opts: &ThetaOptions,
    grid: &ThetaGrid,
    obj: &[f64],
) -> Option<RawEstimate> {
    if resp.is_empty() {
        return None;
    }
    let method = opts.method;
    // First maximum on the grid (ties to the lowest index: deterministic).
    let mut best = 0;
    for (k, &v) in obj.iter().enumerate() {
        if v > obj[best] {
            best = k;
        }
    }
    let pts = &grid.points;
    let last = pts.len() - 1;
    let f_at = |th: f64| estimating_fn(items, resp, method, th).0;
    let mut iterations = 0u32;
    let finish = |theta: f64, at_bound: bool, iterations: u32| {
        Some(RawEstimate {
            theta,
            at_bound,
            iterations,
        })
    };

    // Fast path: an interior grid maximum brackets a local maximum of the objective; start at
    // the vertex of the parabola through the three grid points and take Newton steps that stay
    // inside [theta_{g-1}, theta_{g+1}]. Anything unusual falls through to the safeguarded path.
    if best > 0 && best < last {
        let (a, b) = (pts[best - 1], pts[best + 1]);
        let (o0, o1, o2) = (obj[best - 1], obj[best], obj[best + 1]);
        let curv = o0 - 2.0 * o1 + o2;
        let h = pts[best] - a;
        let mut theta = if curv < 0.0 {
            (pts[best] + 0.5 * h * (o0 - o2) / curv).clamp(a, b)
        } else {
            pts[best]
        };
        for _ in 0..8 {
            let (f, df, _) = estimating_fn(items, resp, method, theta);
            iterations += 1;
            if df.is_nan() || df >= 0.0 {
                break;
            }
            let next = theta - f / df;
            if !(next > a && next < b) {
                break;
            }
            let step = next - theta;
            theta = next;
            // Newton converges quadratically: after a step below 1e-5 the error is ~1e-10.
            if step.abs() < 1e-5 {
                return finish(theta, false, iterations);
            }
        }
    }

    // Bracket with f(a) > 0 > f(b), walking outwards from the grid maximum.
    let mut ia = best.saturating_sub(1);
    let mut ib = (best + 1).min(last);
    let mut fa = f_at(pts[ia]);
    iterations += 1;
    while fa <= 0.0 {
        if ia == 0 {
            return finish(opts.lower, true, iterations);
        }
        ib = ia;
        ia -= 1;
        fa = f_at(pts[ia]);
        iterations += 1;
    }
    let mut fb = f_at(pts[ib]);
    iterations += 1;
    while fb >= 0.0 {
        if ib == last {
            return finish(opts.upper, true, iterations);
        }
        ia = ib;
        ib += 1;
        fb = f_at(pts[ib]);
        iterations += 1;
    }
    let (mut a, mut b) = (pts[ia], pts[ib]);
    let mut theta = if best > ia && best < ib {
        pts[best]
    } else {
        0.5 * (a + b)
    };
    let mut step_old = b - a;
    for _ in 0..200 {
        let (f, df, _) = estimating_fn(items, resp, method, theta);
        iterations += 1;
        if f == 0.0 {
            break;
        }
        if f > 0.0 {
            a = theta;
        } else {
            b = theta;
        }
        let newton = if df < 0.0 { theta - f / df } else { f64::NAN };
        let step;
        if newton.is_finite()
            && newton > a
            && newton < b
            && (newton - theta).abs() < 0.5 * step_old.abs()
        {
            step = newton - theta;
            theta = newton;
        } else {
            let mid = 0.5 * (a + b);
            step = mid - theta;
            theta = mid;
        }
        step_old = step;
        if step.abs() < 1e-11 * (1.0 + theta.abs()) || (b - a) < 1e-12 {
            break;
        }
    }
    finish(theta, false, iterations)
}

/// SE of an estimate from the test information at it: 1/sqrt(I) (ML, WLE) or
/// 1/sqrt(I + 1/sigma^2) (MAP); infinite when there is no information.
pub fn standard_error(method: ThetaMethod, info: f64) -> f64 {
    let prior_prec = match method {
        ThetaMethod::Map { sigma, .. } => 1.0 / (sigma * sigma),
        _ => 0.0,
    };
    let denom = info + prior_prec;
    if denom > 0.0 {
        1.0 / denom.sqrt()
    } else {
        f64::INFINITY
    }
}

/// Every response names an item of `items` and scores 0 or 1.
pub fn check_responses<M>(items: &[M], responses: &[(u32, u8)]) -> Result<(), ThetaError> {
    if responses.is_empty() {
        return Err(ThetaError::NoResponses);
    }
    match responses
        .iter()
        .position(|&(i, x)| i as usize >= items.len() || x > 1)
    {
        Some(position) => Err(ThetaError::BadResponse {
            position,
            item: responses[position].0,
            score: responses[position].1,
            n_items: items.len(),
        }),
        None => Ok(()),
    }
}

/// Estimates theta for one attempt with the given estimator and bounds.
pub fn estimate_theta<M: ItemModel>(
    items: &[M],
    responses: &[(u32, u8)],
    opts: &ThetaOptions,
) -> Result<ThetaEstimate, ThetaError> {
    opts.validate()?;
    check_responses(items, responses)?;
    let grid = opts.start_grid();
    let mut work = ThetaWork::default();
    let raw = estimate_with(items, responses, opts, &grid, None, &mut work)
        .ok_or(ThetaError::NoResponses)?;
    let info = sums(items, responses, raw.theta, false).info;
    Ok(ThetaEstimate {
        theta: raw.theta,
        se: standard_error(opts.method, info),
        at_bound: raw.at_bound,
        iterations: raw.iterations,
    })
}

#[cfg(test)]
#[path = "theta_tests.rs"]
mod tests;
