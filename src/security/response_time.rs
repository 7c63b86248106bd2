//! Standardised log response-time residuals under van der Linden's (2006, J. Educ. Behav. Stat.
//! 31, 181-204) lognormal model, ln t_ij ~ N(beta_j - tau_i, 1/alpha_j^2), with known item
//! parameters (alpha_j, beta_j): the input hook of the "right and fast" drift statistic.
//!
//! Per attempt the speed is its ML estimate tau_hat = sum alpha_j^2 (beta_j - ln t_j) /
//! sum alpha_j^2, and the residual e_j = alpha_j (ln t_j - beta_j + tau_hat) /
//! sqrt(1 - alpha_j^2 / sum alpha^2) is exactly N(0,1) under the model (the square root removes
//! the shrinkage from estimating tau on the same responses). Negative = faster than expected.

use super::data::AttemptData;
use super::error::SecurityError;

/// Lognormal response-time parameters of one item: time intensity beta (log seconds) and
/// precision alpha (1 / SD of ln t).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogNormalRtItem {
    pub alpha: f64,
    pub beta: f64,
}

/// One residual per response (aligned with `data.responses()`). `log_times` holds ln(seconds)
/// per response. An attempt with a single response has no information on its speed: its residual
/// is 0 (not fast).
pub fn log_time_residuals(
    rt_items: &[LogNormalRtItem],
    data: &AttemptData,
    log_times: &[f64],
) -> Result<Vec<f32>, SecurityError> {
    if rt_items.len() != data.n_items() {
        return Err(SecurityError::LengthMismatch {
            what: "response-time items (one per bank item)",
            expected: data.n_items(),
            found: rt_items.len(),
        });
    }
    if log_times.len() != data.responses().len() {
        return Err(SecurityError::LengthMismatch {
            what: "log times (one per response)",
            expected: data.responses().len(),
            found: log_times.len(),
        });
    }
    for (i, it) in rt_items.iter().enumerate() {
        if !(it.alpha.is_finite() && it.alpha > 0.0) {
            return Err(SecurityError::BadItem {
                item: i,
                field: "rt alpha",
                value: it.alpha,
                expected: "a positive precision",
            });
        }
        if !it.beta.is_finite() {
            return Err(SecurityError::BadItem {
                item: i,
                field: "rt beta",
                value: it.beta,
                expected: "a finite time intensity",
            });
        }
    }
    if let Some((position, &v)) = log_times.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(SecurityError::BadLogTime { position, value: v });
    }
    let mut out = vec![0f32; log_times.len()];
    for k in 0..data.len() {
        let off = data.offset(k);
        let resp = data.attempt(k);
        if resp.len() < 2 {
            continue;
        }
        let (mut a2, mut num) = (0.0, 0.0);
        for (pos, &(i, _)) in resp.iter().enumerate() {
            let it = rt_items[i as usize];
            a2 += it.alpha * it.alpha;
            num += it.alpha * it.alpha * (it.beta - log_times[off + pos]);
        }
        let tau = num / a2;
        for (pos, &(i, _)) in resp.iter().enumerate() {
            let it = rt_items[i as usize];
            let shrink = (1.0 - it.alpha * it.alpha / a2).max(1e-12).sqrt();
            out[off + pos] = (it.alpha * (log_times[off + pos] - it.beta + tau) / shrink) as f32;
        }
    }
    Ok(out)
}
