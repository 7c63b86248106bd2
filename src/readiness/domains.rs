//! The domain profile over a candidate's recent attempts and the study plan that follows from it.

use serde::Serialize;

use super::{Context, PracticeAttempt};

/// A domain's standing over the recent attempts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainProfile {
    /// Index into the context's domains ([`Context::domain_id`]).
    pub domain: usize,
    /// Scored items of the domain over the recent attempts (each attempt's items counted once).
    pub items: usize,
    /// Discounted proportion correct.
    pub observed: f64,
    /// Discounted expected proportion correct of a candidate exactly at the cut.
    pub expected_at_cut: f64,
    /// expected_at_cut - observed (positive = below the cut in this domain), and its SE.
    pub shortfall: f64,
    pub shortfall_se: f64,
    /// The shortfall's cost in expected scaled points on a full-length form, and its SE.
    pub cost: f64,
    pub cost_se: f64,
    pub enough_evidence: bool,
}

/// The domain profile, the weakest domain and the study plan of one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainFeedback {
    pub domains: Vec<DomainProfile>,
    pub weakest: Option<usize>,
    pub plan: Vec<(usize, f64)>,
}

/// The domain profile over `window` (indices into `attempts`, oldest first), each attempt
/// weighted decay^age like the likelihood (age 0 = the latest).
pub fn domain_profile(
    ctx: &Context,
    attempts: &[PracticeAttempt],
    window: &[usize],
) -> DomainFeedback {
    let o = &ctx.opts;
    let nd = ctx.domains.len();
    let (mut n, mut wsum, mut obs, mut exp, mut var) = (
        vec![0usize; nd],
        vec![0.0; nd],
        vec![0.0; nd],
        vec![0.0; nd],
        vec![0.0; nd],
    );
    for (pos, &ak) in window.iter().enumerate() {
        let w = o.decay.powi((window.len() - 1 - pos) as i32);
        for &(i, right) in &attempts[ak].responses {
            let p = ctx.p_cut[i];
            if !p.is_finite() {
                continue;
            }
            let d = ctx.item_domain[i];
            n[d] += 1;
            wsum[d] += w;
            obs[d] += w * right as u8 as f64;
            exp[d] += w * p;
            var[d] += w * w * p * (1.0 - p);
        }
    }
    let domains: Vec<DomainProfile> = (0..nd)
        .map(|d| {
            let (observed, expected) = if wsum[d] > 0.0 {
                (obs[d] / wsum[d], exp[d] / wsum[d])
            } else {
                (f64::NAN, f64::NAN)
            };
            let shortfall = expected - observed;
            let shortfall_se = if wsum[d] > 0.0 {
                var[d].sqrt() / wsum[d]
            } else {
                f64::NAN
            };
            let per_point = ctx.domains[d].1 / 100.0 * ctx.base_items as f64 * ctx.points_per_raw;
            DomainProfile {
                domain: d,
                items: n[d],
                observed,
                expected_at_cut: expected,
                shortfall,
                shortfall_se,
                cost: per_point * shortfall,
                cost_se: per_point * shortfall_se,
                enough_evidence: n[d] >= o.min_domain_items && wsum[d] > 0.0,
            }
        })
        .collect();
    let judged: Vec<&DomainProfile> = domains
        .iter()
        .filter(|d| d.enough_evidence && d.cost.is_finite())
        .collect();
    let weakest = judged
        .iter()
        .fold(None::<&&DomainProfile>, |best, d| match best {
            Some(b) if b.cost >= d.cost => Some(b),
            _ => Some(d),
        })
        .map(|d| d.domain);
    let positive: f64 = judged.iter().map(|d| d.cost.max(0.0)).sum();
    let mut plan: Vec<(usize, f64)> = if positive > 0.0 {
        judged
            .iter()
            .filter(|d| d.cost > 0.0)
            .map(|d| (d.domain, d.cost / positive))
            .collect()
    } else {
        // No shortfall anywhere: keep practising in blueprint proportion.
        let total: f64 = ctx.domains.iter().map(|d| d.1).sum();
        ctx.domains
            .iter()
            .enumerate()
            .map(|(k, d)| (k, d.1 / total))
            .collect()
    };
    plan.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));

    DomainFeedback {
        domains,
        weakest,
        plan,
    }
}

/// A study plan in one line: "D2 55 %; D3 30 %; D1 15 %".
pub fn plan_text(ctx: &Context, plan: &[(usize, f64)]) -> String {
    plan.iter()
        .map(|&(d, s)| format!("{} {:.0} %", ctx.domain_id(d), 100.0 * s))
        .collect::<Vec<_>>()
        .join("; ")
}
