//! The posterior of theta on a fine grid: the likelihood of an attempt's scored responses, the
//! form cohort's prior, the growth model's prediction step (a Gaussian random walk convolved on
//! the grid) and the summaries readiness reports (EAP, PSD, P(pass)).

use crate::irt::quadrature::{moments, relative_weights};

use super::{Context, STEP};

/// Summary of a posterior over theta.
pub(crate) struct Posterior {
    pub eap: f64,
    pub psd: f64,
    /// P(theta > theta_cut).
    pub p_pass: f64,
    /// P(passing a full-length exam): with the exam's measurement error at the cut.
    pub p_pass_exam: f64,
}

fn std_normal_cdf(z: f64) -> f64 {
    if z.is_nan() {
        return 0.5;
    }
    0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2)
}

impl Context {
    /// Log-likelihood of scored responses at the grid points (items without parameters skipped).
    pub(crate) fn log_lik(&self, responses: &[(usize, bool)]) -> Vec<f64> {
        let mut ll = vec![0.0; self.theta.len()];
        for &(i, right) in responses {
            self.add_log_lik(&mut ll, i, right);
        }
        ll
    }

    /// The log-likelihood of each domain's scored responses at the grid points.
    pub(crate) fn log_lik_by_domain(&self, responses: &[(usize, bool)]) -> Vec<Vec<f64>> {
        let mut ll = vec![vec![0.0; self.theta.len()]; self.domains.len()];
        for &(i, right) in responses {
            self.add_log_lik(&mut ll[self.item_domain[i]], i, right);
        }
        ll
    }

    fn add_log_lik(&self, ll: &mut [f64], i: usize, right: bool) {
        let t = &self.log_tables[i];
        if t.is_empty() {
            return;
        }
        let q = ll.len();
        let part = if right { &t[q..] } else { &t[..q] };
        for (l, v) in ll.iter_mut().zip(part) {
            *l += v;
        }
    }

    /// P(right) of item `i` at grid point `k` (None for items without parameters).
    pub(crate) fn p_at(&self, i: usize, k: usize) -> Option<f64> {
        self.p_tables[i].get(k).copied()
    }

    pub(crate) fn grid_len(&self) -> usize {
        self.theta.len()
    }

    /// EAP, posterior SD, P(theta > theta_cut) and P(passing a full-length exam) of a log
    /// posterior at the grid points. The last allows for the practice -> exam shift and the
    /// exam's measurement error at the cut: sum_k w_k Phi((theta_k + shift - theta_cut) / exam_se).
    pub(crate) fn posterior(&self, log_post: &[f64]) -> Posterior {
        let w = relative_weights(log_post);
        let s: f64 = w.iter().sum();
        let (eap, psd) = moments(&w, &self.theta);
        // Each grid point stands for the cell [t - STEP/2, t + STEP/2]; the cell holding the cut
        // counts with the share of it above the cut.
        let cut = self.scale.theta_cut;
        let above = w
            .iter()
            .zip(&self.theta)
            .map(|(w, t)| w * ((t + STEP / 2.0 - cut) / STEP).clamp(0.0, 1.0))
            .sum::<f64>()
            / s;
        let exam = match self
            .exam_pass
            .get_or_init(|| (self.shift, self.exam_pass_table(self.shift)))
        {
            (shift, table) if *shift == self.shift => weighted_sum(&w, table),
            _ => self.p_exam(&w, self.shift),
        } / s;
        Posterior {
            eap,
            psd,
            p_pass: above,
            p_pass_exam: exam,
        }
    }

    /// The prediction step of the growth model: the density of theta at the next attempt, the
    /// current one convolved with N(g, sd^2) by `walk`'s kernel (log, unnormalised).
    pub(crate) fn random_walk_with(&self, log_post: &[f64], walk: &Walk) -> Vec<f64> {
        let Some(kernel) = &walk.kernel else {
            return log_post.to_vec();
        };
        let p = relative_weights(log_post);
        let q = self.theta.len();
        let mut out = vec![0.0; q];
        for (i, &pi) in p.iter().enumerate() {
            if pi < 1e-300 {
                continue;
            }
            for &(d, w) in kernel {
                let j = i as i64 + d;
                // Mass pushed off the grid stays at its edge.
                out[j.clamp(0, q as i64 - 1) as usize] += pi * w;
            }
        }
        out.iter().map(|v| v.max(1e-300).ln()).collect()
    }

    pub(crate) fn log_prior(&self, form: usize) -> Vec<f64> {
        let (mu, sd) = self.forms[form].prior;
        self.theta
            .iter()
            .map(|t| -0.5 * ((t - mu) / sd).powi(2))
            .collect()
    }

    pub(crate) fn scaled_from_theta(&self, eap: f64, psd: f64) -> (f64, f64) {
        let s = &self.scale;
        (s.reported(s.scaled(eap)), s.slope * psd)
    }
}

/// The kernel of the growth model's random walk N(g, sd^2) on the grid's spacing, computed once
/// for every posterior it moves (None: no move, g = 0 and sd = 0).
pub(crate) struct Walk {
    kernel: Option<Vec<(i64, f64)>>,
}

impl Walk {
    pub(crate) fn new(g: f64, sd: f64) -> Walk {
        if sd <= 0.0 && g == 0.0 {
            return Walk { kernel: None };
        }
        // Out to 7 SD (shift rounded to the grid when sd = 0); the tail left out is below 1e-11,
        // so the likelihood of the growth fit is smooth in g and sd.
        let half = ((7.0 * sd + g.abs()) / STEP).ceil() as i64;
        let kernel: Vec<(i64, f64)> = (-half..=half)
            .map(|d| {
                let x = d as f64 * STEP - g;
                let w = if sd > 0.0 {
                    (-0.5 * (x / sd).powi(2)).exp()
                } else {
                    (x.abs() < STEP / 2.0) as u8 as f64
                };
                (d, w)
            })
            .filter(|k| k.1 > 0.0)
            .collect();
        Walk {
            kernel: Some(kernel),
        }
    }
}

/// sum_k w_k f_k, in grid order.
pub(crate) fn weighted_sum(w: &[f64], f: &[f64]) -> f64 {
    w.iter().zip(f).map(|(w, f)| w * f).sum()
}

/// log sum_k exp(l_k).
fn log_sum_exp(l: &[f64]) -> f64 {
    let top = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + l.iter().map(|v| (v - top).exp()).sum::<f64>().ln()
}

impl Context {
    /// sum_k w_k Phi((theta_k + shift - theta_cut) / exam_se) (weights not normalised).
    pub(crate) fn p_exam(&self, w: &[f64], shift: f64) -> f64 {
        weighted_sum(w, &self.exam_pass_table(shift))
    }

    /// Phi((theta_k + shift - theta_cut) / exam_se) at every grid point: the factor of
    /// [`Context::p_exam`], computed once for many posteriors.
    pub(crate) fn exam_pass_table(&self, shift: f64) -> Vec<f64> {
        let cut = self.scale.theta_cut;
        self.theta
            .iter()
            .map(|t| std_normal_cdf((t + shift - cut) / self.exam_se))
            .collect()
    }

    /// The growth model's forward filter (a hidden Markov model on the grid; e.g. Durbin &
    /// Koopman 2012, ch. 1, for the Gaussian random walk): from the first attempt's form cohort
    /// density, for each attempt in time order predict (random walk with growth `g`, step SD
    /// `sd`) and update with the attempt's log-likelihood `lls[j]`. Returns the log marginal
    /// likelihood of the responses, log p(y_1..y_J) = sum_j log sum_k pred_j(k) L_j(k) (the
    /// prior normalised on the grid), and the normalised log posterior after the last attempt.
    pub(crate) fn filter(
        &self,
        first_form: usize,
        lls: &[Vec<f64>],
        g: f64,
        sd: f64,
    ) -> (f64, Vec<f64>) {
        let Some((first, rest)) = lls.split_first() else {
            let mut lp = self.log_prior(first_form);
            let c = log_sum_exp(&lp);
            lp.iter_mut().for_each(|v| *v -= c);
            return (0.0, lp);
        };
        let (log_lik, lp) = self.filter_first(first_form, first);
        if rest.is_empty() {
            return (log_lik, lp);
        }
        self.filter_continue(log_lik, lp, rest, &Walk::new(g, sd))
    }

    /// The forward filter's first step (which does not depend on the growth model): the log
    /// marginal likelihood of the first attempt and the normalised log posterior after it.
    pub(crate) fn filter_first(&self, first_form: usize, ll: &[f64]) -> (f64, Vec<f64>) {
        let mut lp = self.log_prior(first_form);
        let c = log_sum_exp(&lp);
        lp.iter_mut().for_each(|v| *v -= c);
        for (p, l) in lp.iter_mut().zip(ll) {
            *p += l;
        }
        let c = log_sum_exp(&lp);
        lp.iter_mut().for_each(|v| *v -= c);
        // 0 + c: the same sum as the filter's running total
        (0.0 + c, lp)
    }

    /// The forward filter's later steps from `(log_lik, lp)` after an earlier attempt.
    pub(crate) fn filter_continue(
        &self,
        mut log_lik: f64,
        mut lp: Vec<f64>,
        lls: &[Vec<f64>],
        walk: &Walk,
    ) -> (f64, Vec<f64>) {
        for ll in lls {
            lp = self.random_walk_with(&lp, walk);
            let c = log_sum_exp(&lp);
            lp.iter_mut().for_each(|v| *v -= c);
            for (p, l) in lp.iter_mut().zip(ll) {
                *p += l;
            }
            let c = log_sum_exp(&lp);
            log_lik += c;
            lp.iter_mut().for_each(|v| *v -= c);
        }
        (log_lik, lp)
    }

    /// P(theta > theta_cut) `n` attempts from now under the growth model is sum_k w_k f_k over
    /// the normalised posterior w of the current ability (the posterior predictive of the random
    /// walk; n = 0: the current P(pass)); this is f at every grid point,
    /// f_k = Phi((theta_k + n g - theta_cut) / (sqrt(n) sd)), computed once for many posteriors.
    pub(crate) fn pass_after_table(&self, n: usize, g: f64, sd: f64) -> Vec<f64> {
        let cut = self.scale.theta_cut;
        let spread = (n as f64).sqrt() * sd;
        self.theta
            .iter()
            .map(|t| {
                let ahead = t + n as f64 * g - cut;
                if spread > 0.0 {
                    std_normal_cdf(ahead / spread)
                } else {
                    // The grid cell holding the cut counts with its share above the cut.
                    ((ahead + STEP / 2.0) / STEP).clamp(0.0, 1.0)
                }
            })
            .collect()
    }
}
