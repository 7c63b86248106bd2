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
        let q = self.theta.len();
        let mut ll = vec![0.0; q];
        for &(i, right) in responses {
            let t = &self.log_tables[i];
            if t.is_empty() {
                continue;
            }
            let part = if right { &t[q..] } else { &t[..q] };
            for (l, v) in ll.iter_mut().zip(part) {
                *l += v;
            }
        }
        ll
    }

    /// EAP, posterior SD, P(theta > theta_cut) and P(passing a full-length exam) of a log
    /// posterior at the grid points. The last allows for the exam's measurement error at the cut:
    /// sum_k w_k Phi((theta_k - theta_cut) / exam_se).
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
        let exam = w
            .iter()
            .zip(&self.theta)
            .map(|(w, t)| w * std_normal_cdf((t - cut) / self.exam_se))
            .sum::<f64>()
            / s;
        Posterior {
            eap,
            psd,
            p_pass: above,
            p_pass_exam: exam,
        }
    }

    /// The prediction step of the growth model: the log density of theta at the next attempt,
    /// the current density convolved with N(growth, growth_sd^2).
    pub(crate) fn random_walk_step(&self, log_post: &[f64]) -> Vec<f64> {
        let (g, sd) = (self.opts.growth, self.opts.growth_sd);
        if sd <= 0.0 && g == 0.0 {
            return log_post.to_vec();
        }
        let p = relative_weights(log_post);
        let q = self.theta.len();
        // Kernel on the grid's spacing, out to 5 SD (shift rounded to the grid when sd = 0).
        let half = ((5.0 * sd + g.abs()) / STEP).ceil() as i64;
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
        let mut out = vec![0.0; q];
        for (i, &pi) in p.iter().enumerate() {
            if pi < 1e-300 {
                continue;
            }
            for &(d, w) in &kernel {
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
