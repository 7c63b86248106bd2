//! Marginal maximum likelihood by EM (Bock & Aitkin 1981) over a rectangular quadrature, for any
//! mix of [`ItemModel`]s, with multiple groups (one normal latent density per group), fixed items
//! (fixed-parameter calibration, Kim 2006: the latent densities are re-estimated every cycle) and
//! Bayes modal priors.
//!
//! The E-step visits only observed responses, person by person, in parallel over fixed-size
//! chunks whose partial sums are added in chunk order, so results do not depend on the number of
//! threads. The M-step is a damped Newton maximisation per item (independent, so parallel).

use rayon::prelude::*;

use super::data::Responses;
use super::model::{ItemModel, Logistic};
use super::quadrature::Grid;

/// Persons per E-step chunk (fixed, so the reduction order never depends on the thread count).
const CHUNK: usize = 8192;

/// Options of the engine.
#[derive(Debug, Clone)]
pub struct EmOptions {
    pub quad_points: usize,
    pub quad_range: f64,
    pub max_iter: usize,
    /// Convergence: largest absolute change of any free parameter in a cycle.
    pub tol: f64,
    /// The group whose latent density is fixed at N(0, 1) (its SD is free for Rasch items).
    /// `None` frees every group (fixed-parameter calibration: fixed items set the scale).
    pub reference_group: Option<usize>,
    /// Estimate the reference group's SD (Rasch with a = 1: the common slope is the SD).
    pub free_reference_sd: bool,
    /// Empirical-histogram latent densities (Bock & Aitkin 1981; Woods 2007) for the groups that
    /// are not the reference group: the weights at the points are the posterior mass, re-estimated
    /// every cycle. The reference group keeps its N(0, 1) to fix the scale.
    pub empirical_histogram: bool,
    /// SQUAREM acceleration of the EM cycles (not with empirical histograms).
    pub accelerate: bool,
}

impl Default for EmOptions {
    fn default() -> Self {
        EmOptions {
            quad_points: 61,
            quad_range: 6.0,
            max_iter: 500,
            tol: 1e-4,
            reference_group: Some(0),
            free_reference_sd: false,
            empirical_histogram: false,
            accelerate: true,
        }
    }
}

/// Why the EM loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Termination {
    Converged,
    IterationCap,
}

/// A normal latent density of one group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Latent {
    pub mean: f64,
    pub sd: f64,
    /// Which of (mean, sd) are estimated as parameters of a normal density.
    #[serde(skip)]
    pub free: (bool, bool),
    /// Empirical-histogram weights at the quadrature points (then mean and sd describe them).
    #[serde(skip)]
    pub histogram: Option<Vec<f64>>,
}

/// Sufficient statistics of one E-step.
#[derive(Debug, Clone)]
pub struct EStep {
    /// Expected counts `[(2 item + x) * Q + q]`.
    pub counts: Vec<f64>,
    /// Posterior mass per group and point `[g * Q + q]`.
    pub group_post: Vec<f64>,
    pub loglik: f64,
}

/// The state of a calibration: items, latent densities, grid.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub grid: Grid,
    pub items: Vec<Logistic>,
    pub fixed: Vec<bool>,
    pub latent: Vec<Latent>,
    pub loglik: f64,
    /// Log-likelihood after each cycle (non-decreasing up to rounding without priors).
    pub history: Vec<f64>,
    pub iterations: usize,
    pub termination: Termination,
}

impl Calibration {
    /// Quadrature weights of group g.
    pub fn weights(&self, g: usize) -> Vec<f64> {
        match &self.latent[g].histogram {
            Some(h) => h.clone(),
            None => self
                .grid
                .normal_weights(self.latent[g].mean, self.latent[g].sd),
        }
    }
    /// Number of free parameters (items and latent densities).
    pub fn n_free(&self) -> usize {
        let items: usize = self
            .items
            .iter()
            .zip(&self.fixed)
            .filter(|(_, f)| !**f)
            .map(|(m, _)| m.free_params().len())
            .sum();
        let latent: usize = self
            .latent
            .iter()
            .map(|l| l.free.0 as usize + l.free.1 as usize)
            .sum();
        items + latent
    }
}

/// Log-probability tables `[(2 item + x) * Q + q]` for every item.
pub fn log_tables(items: &[Logistic], grid: &Grid) -> Vec<f64> {
    let q = grid.len();
    let mut t = vec![0.0; items.len() * 2 * q];
    let mut pr = [0.0; 2];
    for (i, m) in items.iter().enumerate() {
        for (k, &th) in grid.theta.iter().enumerate() {
            m.probs(th, &mut pr);
            t[(2 * i) * q + k] = pr[0].ln();
            t[(2 * i + 1) * q + k] = pr[1].ln();
        }
    }
    t
}

/// One E-step: posterior of every person over the grid, accumulated into expected counts.
pub fn e_step(data: &Responses, tables: &[f64], log_w: &[Vec<f64>], q: usize) -> EStep {
    let n = data.n_persons();
    let chunks: Vec<(usize, usize)> = (0..n)
        .step_by(CHUNK)
        .map(|s| (s, (s + CHUNK).min(n)))
        .collect();
    let partials: Vec<EStep> = chunks
        .par_iter()
        .map(|&(start, end)| e_step_chunk(data, tables, log_w, q, start, end))
        .collect();
    let mut total = EStep {
        counts: vec![0.0; data.n_items() * 2 * q],
        group_post: vec![0.0; log_w.len() * q],
        loglik: 0.0,
    };
    for p in partials {
        for (t, x) in total.counts.iter_mut().zip(&p.counts) {
            *t += x;
        }
        for (t, x) in total.group_post.iter_mut().zip(&p.group_post) {
            *t += x;
        }
        total.loglik += p.loglik;
    }
    total
}

/// Posterior mass below exp(-WINDOW) times the mode's is dropped (relative 2e-16: below rounding).
const WINDOW: f64 = 36.0;

/// The E-step over persons `start..end`, compiled for AVX2 + FMA when the processor has them.
fn e_step_chunk(
    data: &Responses,
    tables: &[f64],
    log_w: &[Vec<f64>],
    q: usize,
    start: usize,
    end: usize,
) -> EStep {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the features were detected at run time just above.
            return unsafe { e_step_chunk_avx2(data, tables, log_w, q, start, end) };
        }
    }
    e_step_chunk_generic(data, tables, log_w, q, start, end)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn e_step_chunk_avx2(
    data: &Responses,
    tables: &[f64],
    log_w: &[Vec<f64>],
    q: usize,
    start: usize,
    end: usize,
) -> EStep {
    e_step_chunk_generic(data, tables, log_w, q, start, end)
}

/// One pass over the persons: log-likelihood at every point (table rows added), the posterior
/// on the window around its mode, and its mass added to the rows of the items answered.
#[inline(always)]
fn e_step_chunk_generic(
    data: &Responses,
    tables: &[f64],
    log_w: &[Vec<f64>],
    q: usize,
    start: usize,
    end: usize,
) -> EStep {
    let mut acc = EStep {
        counts: vec![0.0; data.n_items() * 2 * q],
        group_post: vec![0.0; log_w.len() * q],
        loglik: 0.0,
    };
    let mut ll = vec![0.0; q];
    for p in start..end {
        let w = data.weight[p];
        if w == 0.0 {
            continue;
        }
        let g = data.group[p] as usize;
        ll.copy_from_slice(&log_w[g]);
        let codes = data.codes(p);
        for &c in codes {
            let row = &tables[c as usize * q..(c as usize + 1) * q];
            for (l, t) in ll.iter_mut().zip(row) {
                *l += t;
            }
        }
        let max = ll.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lo = ll.iter().position(|l| *l - max > -WINDOW).unwrap_or(0);
        let hi = q - ll
            .iter()
            .rev()
            .position(|l| *l - max > -WINDOW)
            .unwrap_or(0);
        let post = &mut ll[lo..hi];
        let mut s = 0.0;
        for l in post.iter_mut() {
            *l = (*l - max).exp();
            s += *l;
        }
        acc.loglik += w * (max + s.ln());
        let f = w / s;
        for l in post.iter_mut() {
            *l *= f;
        }
        for (gp, l) in acc.group_post[g * q + lo..g * q + hi]
            .iter_mut()
            .zip(post.iter())
        {
            *gp += l;
        }
        for &c in codes {
            let base = c as usize * q;
            for (r, l) in acc.counts[base + lo..base + hi].iter_mut().zip(post.iter()) {
                *r += l;
            }
        }
    }
    acc
}

/// Log quadrature weights of every group.
pub fn log_weights(cal: &Calibration) -> Vec<Vec<f64>> {
    (0..cal.latent.len())
        .map(|g| {
            cal.weights(g)
                .into_iter()
                .map(|w| w.max(1e-300).ln())
                .collect()
        })
        .collect()
}

/// Solves (-H) delta = g for a small symmetric system by Cholesky, with a ridge added until -H
/// is positive definite. Returns the Newton step.
pub fn newton_step(grad: &[f64], hess: &[f64]) -> Vec<f64> {
    let n = grad.len();
    let neg = nalgebra::DMatrix::from_fn(n, n, |i, j| -hess[i * n + j]);
    let g = nalgebra::DVector::from_column_slice(grad);
    let mut ridge = 0.0;
    let scale = (0..n).map(|i| neg[(i, i)].abs()).fold(1e-8, f64::max);
    for _ in 0..30 {
        let m = &neg + nalgebra::DMatrix::identity(n, n) * ridge;
        if let Some(ch) = m.cholesky() {
            return ch.solve(&g).iter().cloned().collect();
        }
        ridge = if ridge == 0.0 {
            1e-6 * scale
        } else {
            ridge * 10.0
        };
    }
    grad.iter().map(|x| x * 1e-3).collect()
}

/// Maximises one item's expected complete-data log-likelihood (plus log prior) by damped Newton
/// steps; the objective never decreases (step halving), which keeps EM monotone.
pub fn m_step_item(model: &mut Logistic, theta: &[f64], r0: &[f64], r1: &[f64]) -> f64 {
    let counts = [r0, r1];
    let mut p = model.free_params();
    let n = p.len();
    let (mut g, mut h) = (vec![0.0; n], vec![0.0; n * n]);
    let start = p.clone();
    let mut ll = model.log_lik(theta, &counts, &mut g, &mut h);
    for _ in 0..50 {
        let step = newton_step(&g, &h);
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..30 {
            let trial: Vec<f64> = p.iter().zip(&step).map(|(x, s)| x + t * s).collect();
            let mut m = *model;
            m.set_free_params(&trial);
            let (mut g2, mut h2) = (vec![0.0; n], vec![0.0; n * n]);
            let ll2 = m.log_lik(theta, &counts, &mut g2, &mut h2);
            if ll2.is_finite() && ll2 >= ll - 1e-12 * ll.abs().max(1.0) {
                *model = m;
                p = trial;
                ll = ll2;
                g = g2;
                h = h2;
                improved = true;
                break;
            }
            t *= 0.5;
        }
        let size = step.iter().map(|s| (t * s).abs()).fold(0.0, f64::max);
        if !improved || size < 1e-9 {
            break;
        }
    }
    p.iter()
        .zip(&start)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

/// Updates the latent densities from the posterior mass per group (exact M-step of a normal).
fn update_latent(grid: &Grid, post: &[f64], latent: &mut [Latent]) -> f64 {
    let q = grid.len();
    let mut change: f64 = 0.0;
    for (g, l) in latent.iter_mut().enumerate() {
        let w = &post[g * q..(g + 1) * q];
        let n: f64 = w.iter().sum();
        if n <= 0.0 {
            continue;
        }
        if l.histogram.is_some() {
            let (m, sd) = super::quadrature::moments(w, &grid.theta);
            let hist: Vec<f64> = w.iter().map(|x| x / n).collect();
            // A histogram has converged when its mean and SD are stable.
            change = change.max((m - l.mean).abs()).max((sd - l.sd).abs());
            l.histogram = Some(hist);
            l.mean = m;
            l.sd = sd;
            continue;
        }
        let mean = if l.free.0 {
            w.iter().zip(&grid.theta).map(|(w, t)| w * t).sum::<f64>() / n
        } else {
            l.mean
        };
        if l.free.1 {
            let var = w
                .iter()
                .zip(&grid.theta)
                .map(|(w, t)| w * (t - mean).powi(2))
                .sum::<f64>()
                / n;
            let sd = var.sqrt().max(1e-3);
            change = change.max((sd - l.sd).abs());
            l.sd = sd;
        }
        change = change.max((mean - l.mean).abs());
        l.mean = mean;
    }
    change
}

/// Runs EM from the given starting items. Items with `fixed[i]` keep their parameters.
pub fn calibrate(
    data: &Responses,
    items: Vec<Logistic>,
    fixed: Vec<bool>,
    opts: &EmOptions,
) -> Calibration {
    let grid = Grid::new(opts.quad_points, opts.quad_range);
    let latent: Vec<Latent> = (0..data.n_groups().max(1))
        .map(|g| {
            let reference = opts.reference_group == Some(g);
            let eh = opts.empirical_histogram && !reference;
            Latent {
                mean: 0.0,
                sd: 1.0,
                free: if reference {
                    (false, opts.free_reference_sd)
                } else {
                    (!eh, !eh)
                },
                histogram: eh.then(|| grid.normal_weights(0.0, 1.0)),
            }
        })
        .collect();
    let mut cal = Calibration {
        grid,
        items,
        fixed,
        latent,
        loglik: f64::NEG_INFINITY,
        history: Vec::new(),
        iterations: 0,
        termination: Termination::IterationCap,
    };
    run_em(data, &mut cal, opts);
    cal
}

/// Continues EM cycles on `cal` until convergence or the iteration cap.
pub fn run_em(data: &Responses, cal: &mut Calibration, opts: &EmOptions) {
    let accelerate = opts.accelerate && cal.latent.iter().all(|l| l.histogram.is_none());
    let mut e = e_step_at(data, cal);
    let mut cycles = 0;
    while cycles < opts.max_iter {
        // A plain EM cycle from the current point, whose E-step `e` is done.
        cal.history.push(e.loglik);
        let theta0 = pack(cal);
        cycles += 1;
        if m_step(cal, &e) < opts.tol {
            cal.termination = Termination::Converged;
            break;
        }
        e = e_step_at(data, cal);
        if !accelerate || cycles >= opts.max_iter {
            continue;
        }
        // SQUAREM (Varadhan & Roland 2008, scheme S3): a second cycle, then a step along the
        // two cycles' path; kept only if the log posterior does not fall below the last point's.
        cal.history.push(e.loglik);
        let objective1 = e.loglik + log_prior(cal);
        let theta1 = pack(cal);
        cycles += 1;
        if m_step(cal, &e) < opts.tol {
            cal.termination = Termination::Converged;
            break;
        }
        let theta2 = pack(cal);
        let r: Vec<f64> = theta1.iter().zip(&theta0).map(|(a, b)| a - b).collect();
        let v: Vec<f64> = theta2
            .iter()
            .zip(&theta1)
            .zip(&r)
            .map(|((a, b), r)| a - b - r)
            .collect();
        let (nr, nv) = (norm(&r), norm(&v));
        let at_theta2 = cal.clone();
        if nv > 0.0 && nr.is_finite() && nv.is_finite() {
            let alpha = (-nr / nv).min(-1.0);
            let jump: Vec<f64> = theta0
                .iter()
                .zip(&r)
                .zip(&v)
                .map(|((t, r), v)| t - 2.0 * alpha * r + alpha * alpha * v)
                .collect();
            unpack(cal, &jump);
            if cal.latent.iter().all(|l| l.sd > 1e-3 && l.sd.is_finite()) {
                let ej = e_step_at(data, cal);
                if (ej.loglik + log_prior(cal)).is_finite()
                    && ej.loglik + log_prior(cal) >= objective1
                {
                    e = ej;
                    continue;
                }
            }
        }
        *cal = at_theta2;
        e = e_step_at(data, cal);
    }
    cal.iterations = cycles;
    // The log-likelihood at the final parameters.
    cal.loglik = e_step_at(data, cal).loglik;
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// The E-step at the calibration's current parameters.
pub fn e_step_at(data: &Responses, cal: &Calibration) -> EStep {
    let tables = log_tables(&cal.items, &cal.grid);
    let lw = log_weights(cal);
    e_step(data, &tables, &lw, cal.grid.len())
}

/// The M-step: every free item (in parallel) and the latent densities; returns the largest change.
fn m_step(cal: &mut Calibration, e: &EStep) -> f64 {
    let q = cal.grid.len();
    let theta = &cal.grid.theta;
    let fixed = &cal.fixed;
    let changes: Vec<f64> = cal
        .items
        .par_iter_mut()
        .enumerate()
        .map(|(i, m)| {
            if fixed[i] {
                return 0.0;
            }
            let r0 = &e.counts[(2 * i) * q..(2 * i + 1) * q];
            let r1 = &e.counts[(2 * i + 1) * q..(2 * i + 2) * q];
            m_step_item(m, theta, r0, r1)
        })
        .collect();
    let latent_change = update_latent(&cal.grid, &e.group_post, &mut cal.latent);
    changes.iter().cloned().fold(latent_change, f64::max)
}

/// Sum of the free items' log priors (zero without priors).
fn log_prior(cal: &Calibration) -> f64 {
    let zero = vec![0.0; cal.grid.len()];
    cal.items
        .iter()
        .zip(&cal.fixed)
        .filter(|(_, f)| !**f)
        .map(|(m, _)| {
            let n = m.free_params().len();
            let (mut g, mut h) = (vec![0.0; n], vec![0.0; n * n]);
            m.log_lik(&cal.grid.theta, &[&zero, &zero], &mut g, &mut h)
        })
        .sum()
}

/// The free parameters in a fixed order: items (not fixed), then each group's free mean and sd.
pub fn pack(cal: &Calibration) -> Vec<f64> {
    let mut v = Vec::new();
    for (m, f) in cal.items.iter().zip(&cal.fixed) {
        if !f {
            v.extend(m.free_params());
        }
    }
    for l in &cal.latent {
        if l.free.0 {
            v.push(l.mean);
        }
        if l.free.1 {
            v.push(l.sd);
        }
    }
    v
}

/// Writes the free parameters back in the order of [`pack`].
pub fn unpack(cal: &mut Calibration, v: &[f64]) {
    let mut k = 0;
    for (m, f) in cal.items.iter_mut().zip(&cal.fixed) {
        if !f {
            let n = m.free_params().len();
            m.set_free_params(&v[k..k + n]);
            k += n;
        }
    }
    for l in cal.latent.iter_mut() {
        if l.free.0 {
            l.mean = v[k];
            k += 1;
        }
        if l.free.1 {
            l.sd = v[k];
            k += 1;
        }
    }
}
