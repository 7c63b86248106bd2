//! Theta estimation for one attempt with known item parameters: bounded maximum likelihood (ML),
//! Warm's (1989) weighted likelihood (WLE) and the Bayes modal / MAP estimate with a normal prior.
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

use super::error::{NoValue, SecurityError};
use super::model::{logistic_pair, GridTables, ItemBank, ThetaGrid};

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
    pub(crate) fn validate(&self) -> Result<(), SecurityError> {
        if !(self.lower.is_finite() && self.upper.is_finite() && self.lower < self.upper) {
            return Err(SecurityError::BadOption {
                name: "theta bounds",
                value: self.upper - self.lower,
                expected: "finite bounds with lower < upper",
            });
        }
        if let ThetaMethod::Map { mu, sigma } = self.method {
            if !mu.is_finite() {
                return Err(SecurityError::BadOption {
                    name: "prior mean",
                    value: mu,
                    expected: "a finite number",
                });
            }
            if !(sigma.is_finite() && sigma > 0.0) {
                return Err(SecurityError::BadOption {
                    name: "prior sd",
                    value: sigma,
                    expected: "a positive number",
                });
            }
        }
        Ok(())
    }

    /// The start grid: points about 0.25 apart over the bounds.
    pub(crate) fn start_grid(&self) -> ThetaGrid {
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
pub(crate) struct Sums {
    /// Score S.
    pub s: f64,
    /// dS/dtheta.
    pub ds: f64,
    /// Test information I.
    pub info: f64,
    /// J = sum P'P''/(PQ).
    pub j: f64,
    pub dinfo: f64,
    pub dj: f64,
}

/// Log-likelihood of the responses at theta.
pub(crate) fn loglik(bank: &ItemBank, resp: &[(u32, u8)], theta: f64) -> f64 {
    resp.iter()
        .map(|&(i, x)| {
            let e = bank.eval(i as usize, theta);
            if x == 1 {
                e.p.ln()
            } else {
                e.q.ln()
            }
        })
        .sum()
}

#[inline]
pub(crate) fn sums(bank: &ItemBank, resp: &[(u32, u8)], theta: f64, wle: bool) -> Sums {
    let mut t = Sums::default();
    for &(i, x) in resp {
        let e = bank.eval(i as usize, theta);
        let x = x as f64;
        let pq = e.p * e.q;
        let inv_pq = 1.0 / pq;
        let qmp = e.q - e.p;
        let r = e.dp * inv_pq;
        let dr = (e.d2p - r * e.dp * qmp) * inv_pq;
        t.s += (x - e.p) * r;
        t.ds += -e.dp * r + (x - e.p) * dr;
        t.info += e.dp * r;
        if wle {
            t.j += e.d2p * r;
            t.dinfo += 2.0 * e.d2p * r - r * r * e.dp * qmp;
            t.dj += (e.d2p * e.d2p + e.dp * e.d3p) * inv_pq - r * r * e.d2p * qmp;
        }
    }
    t
}

/// Score, its derivative and the information at theta, in the 3PL's short forms (one exp and two
/// divisions per item): with psi = logistic(D a (theta - b)) and alpha = D a,
/// r = P'/(PQ) = alpha psi / P, so (x - P) r = alpha psi (x - P) / P,
/// dr/dtheta = alpha^2 c psi (1 - psi) / P^2 and P' r = (1 - c) alpha^2 psi^2 (1 - psi) / P.
#[inline]
pub(crate) fn score_sums(bank: &ItemBank, resp: &[(u32, u8)], theta: f64) -> Sums {
    let mut t = Sums::default();
    for &(i, x) in resp {
        let (al, b, c) = bank.abc(i as usize);
        let (psi, psi_c) = logistic_pair(al * (theta - b));
        let p = c + (1.0 - c) * psi;
        let inv_p = 1.0 / p;
        let r = al * psi * inv_p;
        let dp = (1.0 - c) * al * psi * psi_c;
        let dr = al * al * c * psi * psi_c * inv_p * inv_p;
        let resid = x as f64 - p;
        t.s += resid * r;
        t.ds += -dp * r + resid * dr;
        t.info += dp * r;
    }
    t
}

/// The estimating function f and its derivative at theta.
pub(crate) fn estimating_fn(
    bank: &ItemBank,
    resp: &[(u32, u8)],
    method: ThetaMethod,
    theta: f64,
) -> (f64, f64, Sums) {
    let t = match method {
        ThetaMethod::Wle => sums(bank, resp, theta, true),
        _ => score_sums(bank, resp, theta),
    };
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
pub(crate) struct ThetaWork {
    pub obj: Vec<f64>,
}

/// The grid objective (log-likelihood, plus log prior for MAP) into `work.obj`.
fn grid_objective(
    bank: &ItemBank,
    resp: &[(u32, u8)],
    opts: &ThetaOptions,
    grid: &ThetaGrid,
    tables: Option<&GridTables>,
    work: &mut ThetaWork,
) {
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
                    let e = bank.eval(i as usize, th);
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
}

/// Estimates theta for the responses `resp` (already validated). `tables`, when given, must be
/// built on `opts.start_grid()`.
pub(crate) fn estimate_with(
    bank: &ItemBank,
    resp: &[(u32, u8)],
    opts: &ThetaOptions,
    grid: &ThetaGrid,
    tables: Option<&GridTables>,
    work: &mut ThetaWork,
) -> Result<RawEstimate, NoValue> {
    if resp.is_empty() {
        return Err(NoValue::NoResponses);
    }
    grid_objective(bank, resp, opts, grid, tables, work);
    solve(bank, resp, opts, grid, &work.obj)
}

/// Solves the estimating equation given the grid objective `obj` (log-likelihood, plus the log
/// prior for MAP) of these responses on `grid`.
pub(crate) fn solve(
    bank: &ItemBank,
    resp: &[(u32, u8)],
    opts: &ThetaOptions,
    grid: &ThetaGrid,
    obj: &[f64],
) -> Result<RawEstimate, NoValue> {
    if resp.is_empty() {
        return Err(NoValue::NoResponses);
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
    let f_at = |th: f64| estimating_fn(bank, resp, method, th).0;
    let mut iterations = 0u32;

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
            let (f, df, _) = estimating_fn(bank, resp, method, theta);
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
                return Ok(finish(theta, false, iterations));
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
            return Ok(finish(opts.lower, true, iterations));
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
            return Ok(finish(opts.upper, true, iterations));
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
        let (f, df, _) = estimating_fn(bank, resp, method, theta);
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
    Ok(finish(theta, false, iterations))
}

/// An estimate before its SE: the solver's output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RawEstimate {
    pub theta: f64,
    pub at_bound: bool,
    pub iterations: u32,
}

fn finish(theta: f64, at_bound: bool, iterations: u32) -> RawEstimate {
    RawEstimate {
        theta,
        at_bound,
        iterations,
    }
}

/// SE of an estimate from the test information at it: 1/sqrt(I) (ML, WLE) or
/// 1/sqrt(I + 1/sigma^2) (MAP); infinite when there is no information.
pub(crate) fn standard_error(method: ThetaMethod, info: f64) -> f64 {
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

/// Estimates theta for one attempt with the given estimator and bounds.
pub fn estimate_theta(
    bank: &ItemBank,
    responses: &[(u32, u8)],
    opts: &ThetaOptions,
) -> Result<ThetaEstimate, SecurityError> {
    opts.validate()?;
    super::data::check_single(responses, bank.len())?;
    let grid = opts.start_grid();
    let mut work = ThetaWork::default();
    let raw = estimate_with(bank, responses, opts, &grid, None, &mut work)?;
    let info = sums(bank, responses, raw.theta, false).info;
    Ok(ThetaEstimate {
        theta: raw.theta,
        se: standard_error(opts.method, info),
        at_bound: raw.at_bound,
        iterations: raw.iterations,
    })
}

/// Bounded maximum likelihood theta (Lord 1980, Applications of IRT, ch. 4): the root of S(theta) = 0 in
/// [lower, upper], or the bound (marked `at_bound`) when the likelihood rises to it (always for
/// all-right or all-wrong patterns).
pub fn theta_ml(
    bank: &ItemBank,
    responses: &[(u32, u8)],
    lower: f64,
    upper: f64,
) -> Result<ThetaEstimate, SecurityError> {
    estimate_theta(
        bank,
        responses,
        &ThetaOptions {
            method: ThetaMethod::Ml,
            lower,
            upper,
        },
    )
}

/// Warm's (1989) weighted likelihood estimate: the root of S(theta) + J/(2I) = 0 with
/// J = sum P'P''/(PQ) (exact for the 3PL, as irtoys' `wle`), bounded to [lower, upper].
pub fn theta_wle(
    bank: &ItemBank,
    responses: &[(u32, u8)],
    lower: f64,
    upper: f64,
) -> Result<ThetaEstimate, SecurityError> {
    estimate_theta(
        bank,
        responses,
        &ThetaOptions {
            method: ThetaMethod::Wle,
            lower,
            upper,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank() -> ItemBank {
        let items = vec![
            (1.2, -1.0, 0.2),
            (0.7, 0.3, 0.0),
            (2.1, 0.8, 0.25),
            (1.0, 1.9, 0.1),
        ];
        ItemBank::from_abc(&items, 1.702).unwrap()
    }

    // derivative: P', P'', P''' of each item against central finite differences.
    #[test]
    fn item_derivatives_match_finite_differences() {
        let bank = bank();
        let h = 1e-5;
        for i in 0..bank.len() {
            for &t in &[-2.0, -0.4, 0.5, 1.7] {
                let e = bank.eval(i, t);
                let (lo, hi) = (bank.eval(i, t - h), bank.eval(i, t + h));
                let fd1 = (hi.p - lo.p) / (2.0 * h);
                let fd2 = (hi.dp - lo.dp) / (2.0 * h);
                let fd3 = (hi.d2p - lo.d2p) / (2.0 * h);
                assert!(
                    (e.dp - fd1).abs() < 1e-8,
                    "item {i} theta {t}: P' {} vs {fd1}",
                    e.dp
                );
                assert!(
                    (e.d2p - fd2).abs() < 1e-8,
                    "item {i} theta {t}: P'' {} vs {fd2}",
                    e.d2p
                );
                assert!(
                    (e.d3p - fd3).abs() < 1e-7,
                    "item {i} theta {t}: P''' {} vs {fd3}",
                    e.d3p
                );
                assert!((e.p + e.q - 1.0).abs() < 1e-15, "item {i}: P + Q");
            }
        }
    }

    // derivative: the score is d lnL / dtheta, and each estimating function's derivative (ML,
    // MAP, WLE with its J/(2I) term) matches finite differences.
    #[test]
    fn estimating_functions_match_finite_differences() {
        let bank = bank();
        let resp = [(0u32, 1u8), (1, 0), (2, 1), (3, 0)];
        let h = 1e-5;
        for method in [
            ThetaMethod::Ml,
            ThetaMethod::Wle,
            ThetaMethod::Map {
                mu: 0.3,
                sigma: 1.2,
            },
        ] {
            for &t in &[-1.5, 0.0, 0.9, 2.2] {
                let (f, df, s) = estimating_fn(&bank, &resp, method, t);
                let (flo, _, slo) = estimating_fn(&bank, &resp, method, t - h);
                let (fhi, _, shi) = estimating_fn(&bank, &resp, method, t + h);
                let _ = (slo, shi);
                let fd_ll = (loglik(&bank, &resp, t + h) - loglik(&bank, &resp, t - h)) / (2.0 * h);
                assert!(
                    (s.s - fd_ll).abs() < 1e-7,
                    "{method:?} theta {t}: score {} vs {fd_ll}",
                    s.s
                );
                let fd = (fhi - flo) / (2.0 * h);
                assert!(
                    (df - fd).abs() < 1e-6,
                    "{method:?} theta {t}: f' {df} vs {fd}"
                );
                assert!(f.is_finite());
            }
        }
    }

    // recovery: with 200 items ML and WLE recover the generating theta within 3 SE.
    #[test]
    fn long_test_recovers_theta() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let items: Vec<(f64, f64, f64)> = (0..200)
            .map(|_| {
                (
                    rng.gen_range(0.8..2.0),
                    rng.gen_range(-2.5..2.5),
                    rng.gen_range(0.0..0.25),
                )
            })
            .collect();
        let bank = ItemBank::from_abc(&items, 1.0).unwrap();
        for &truth in &[-1.5, 0.0, 1.2] {
            let resp: Vec<(u32, u8)> = (0..200)
                .map(|i| (i as u32, u8::from(rng.gen::<f64>() < bank.p(i, truth))))
                .collect();
            for est in [
                crate::security::theta_ml(&bank, &resp, -6.0, 6.0).unwrap(),
                crate::security::theta_wle(&bank, &resp, -6.0, 6.0).unwrap(),
            ] {
                assert!(
                    (est.theta - truth).abs() < 3.0 * est.se,
                    "truth {truth}: estimate {est:?}"
                );
                let (f, _, _) = estimating_fn(&bank, &resp, ThetaMethod::Ml, est.theta);
                assert!(f.is_finite());
            }
        }
    }
}
