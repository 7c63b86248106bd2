//! The domain profile over a candidate's recent attempts, the evidence rule that names a weakest
//! domain only when the data say so, and the study plan that follows from the same evidence.
//!
//! Evidence per domain d (the posterior predictive check of [`super::subscores`], with the
//! growth model): the candidate's ability after the latest attempt is filtered through all their
//! attempts *without* domain d's responses (pi_-d); over the recent attempts a (weights w_a =
//! decay^age) the domain score O_d = sum_a w_a sum_{i in d} u_i has, under the unidimensional
//! model, expectation E[T_d] and variance E[V_d] + Var[T_d] over pi_-d, with
//! T_d(theta) = sum_a w_a sum_i P_i(theta - g age_a), V_d = sum_a w_a^2 sum_i P_i (1 - P_i)
//! (ability g per attempt lower at older attempts). A domain is tested when eligible (at least
//! `weakest_min_items` items seen, or `min_domain_items` when Haberman's PRMSE says its subscore
//! has added value); one-sided z tests with Holm's correction at `weakest_confidence`; the
//! domain with the smallest p is named when its adjusted p is at most 1 - confidence.

use std::collections::HashMap;

use serde::Serialize;

use crate::exam::Dataset;

use super::subscores::{
    apply_eligibility, domain_tests, haberman_prmse_forms, weakest_domain, DomainEvidence,
    EligibilityRule, EvidenceRule, FormResponses, Multiplicity, PooledSubscores, WeakestDomain,
};
use super::{Context, PracticeAttempt, STEP};

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
    /// Eligible for the evidence rule (enough items, see the module documentation).
    pub enough_evidence: bool,
    /// Weighted domain score over the recent attempts, its predictive expectation from the other
    /// domains, and z = (observed + 1/2 - expected) / SD.
    pub score: f64,
    pub predicted_score: f64,
    pub z: Option<f64>,
    /// One-sided p of "not below the overall level", Holm-adjusted over the domains tested.
    pub p_adjusted: Option<f64>,
    /// Below the candidate's overall level at the stated confidence.
    pub stands_out: bool,
    /// Haberman's (2008) augmented subscore of the latest attempt (the best linear predictor of
    /// the true domain score from the domain score and the total, with the form's weights), as a
    /// proportion of the domain's items; None when the form has no PRMSE analysis.
    pub augmented: Option<f64>,
}

/// The domain profile, the weakest domain and the study plan of one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainFeedback {
    pub domains: Vec<DomainProfile>,
    pub weakest: Option<usize>,
    pub plan: Vec<(usize, f64)>,
}

/// The domain profile over the recent attempts `order[start..]` (`order`: indices into
/// `attempts` in time order), each attempt weighted decay^age (age 0 = the latest), with the
/// evidence rule's verdict and the study plan.
pub fn domain_profile(
    ctx: &Context,
    attempts: &[PracticeAttempt],
    order: &[usize],
    start: usize,
) -> DomainFeedback {
    let o = &ctx.opts;
    let nd = ctx.domains.len();
    let window = &order[start..];
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
    let mut evidence = predictive_evidence(ctx, attempts, order, start, &n, &obs);
    let added: Vec<bool> = (0..nd)
        .map(|d| {
            ctx.subscores
                .as_ref()
                .is_some_and(|s| s.domains.get(d).is_some_and(|v| v.added_value))
        })
        .collect();
    apply_eligibility(
        &mut evidence,
        &added,
        &EligibilityRule {
            min_items: o.weakest_min_items,
            min_items_with_added_value: o.min_domain_items,
        },
    );
    let rule = EvidenceRule {
        confidence: o.weakest_confidence,
        multiplicity: Multiplicity::Holm,
        continuity_correction: true,
    };
    let tests = domain_tests(&evidence, &rule).unwrap_or_default();
    let weakest = match weakest_domain(&evidence, &rule) {
        Ok(WeakestDomain::Named { domain, .. }) => Some(domain),
        _ => None,
    };
    let alpha = 1.0 - o.weakest_confidence;
    let augmented = augmented_subscores(ctx, &attempts[order[order.len() - 1]]);
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
            let t = tests.get(d);
            let p_adjusted = t.and_then(|t| t.p_adjusted);
            DomainProfile {
                domain: d,
                items: n[d],
                observed,
                expected_at_cut: expected,
                shortfall,
                shortfall_se,
                cost: per_point * shortfall,
                cost_se: per_point * shortfall_se,
                enough_evidence: evidence[d].eligible,
                score: evidence[d].observed,
                predicted_score: evidence[d].expected,
                z: t.and_then(|t| t.z),
                p_adjusted,
                stands_out: p_adjusted.is_some_and(|p| p <= alpha),
                augmented: augmented[d],
            }
        })
        .collect();
    // The plan follows the evidence: the domains that stand out, in proportion to their cost;
    // when none does, practice in blueprint proportion. No plan for a candidate who answered
    // everything right, or on whom no domain has enough evidence.
    let standing: Vec<&DomainProfile> = domains
        .iter()
        .filter(|d| d.stands_out && d.cost > 0.0)
        .collect();
    let positive: f64 = standing.iter().map(|d| d.cost).sum();
    let mut plan: Vec<(usize, f64)> = if positive > 0.0 {
        standing
            .iter()
            .map(|d| (d.domain, d.cost / positive))
            .collect()
    } else {
        let total: f64 = ctx.domains.iter().map(|d| d.1).sum();
        ctx.domains
            .iter()
            .enumerate()
            .map(|(k, d)| (k, d.1 / total))
            .collect()
    };
    plan.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    if matches!(
        advice(&domains, weakest),
        Advice::AllRight | Advice::NoEvidence
    ) {
        plan.clear();
    }

    DomainFeedback {
        domains,
        weakest,
        plan,
    }
}

/// What the domain evidence of a candidate supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// This domain is below the candidate's overall level: study it first.
    Weakest(usize),
    /// Domains were tested and none stands out: practise in blueprint proportion.
    NoneStandsOut,
    /// Every scored item of the recent attempts was right: nothing to study.
    AllRight,
    /// No domain has enough items to be judged: no advice yet.
    NoEvidence,
}

/// The advice a domain profile supports (see [`Advice`]).
pub fn advice(domains: &[DomainProfile], weakest: Option<usize>) -> Advice {
    if let Some(d) = weakest {
        return Advice::Weakest(d);
    }
    let seen: Vec<&DomainProfile> = domains.iter().filter(|d| d.items > 0).collect();
    // observed is the weighted share right: exactly 1 when every response was right.
    if !seen.is_empty() && seen.iter().all(|d| d.observed >= 1.0) {
        Advice::AllRight
    } else if domains.iter().any(|d| d.enough_evidence) {
        Advice::NoneStandsOut
    } else {
        Advice::NoEvidence
    }
}

/// Haberman's augmented subscore per domain of one attempt, as a proportion of the domain's items
/// on its form (see [`DomainProfile::augmented`]).
fn augmented_subscores(ctx: &Context, a: &PracticeAttempt) -> Vec<Option<f64>> {
    let nd = ctx.domains.len();
    let per_form = ctx
        .subscores
        .as_ref()
        .zip(ctx.subscore_form.get(a.form).copied().flatten())
        .map(|(s, k)| &s.per_form[k]);
    let Some(values) = per_form else {
        return vec![None; nd];
    };
    let mut sub = vec![0.0; nd];
    for &(i, right) in &a.responses {
        sub[ctx.item_domain[i]] += right as u8 as f64;
    }
    let total: f64 = sub.iter().sum();
    values
        .iter()
        .map(|v| {
            let aug = v.augmented_subscore(sub[v.domain], total)?;
            (v.n_items > 0).then(|| (aug / v.n_items as f64).clamp(0.0, 1.0))
        })
        .collect()
}

/// The leave-one-domain-out predictive evidence of every domain (see the module documentation);
/// `n` and `obs` are the domains' items and weighted scores over the recent attempts.
fn predictive_evidence(
    ctx: &Context,
    attempts: &[PracticeAttempt],
    order: &[usize],
    start: usize,
    n: &[usize],
    obs: &[f64],
) -> Vec<DomainEvidence> {
    let o = &ctx.opts;
    let (g, sd) = (o.growth, o.growth_sd);
    let q = ctx.grid_len();
    let split: Vec<Vec<Vec<f64>>> = order
        .iter()
        .map(|&k| ctx.log_lik_by_domain(&attempts[k].responses))
        .collect();
    let first_form = attempts[order[0]].form;
    let window = &order[start..];
    (0..ctx.domains.len())
        .map(|d| {
            let mut e = DomainEvidence {
                observed: obs[d],
                expected: obs[d],
                variance: 0.0,
                n_items: n[d],
                eligible: false,
            };
            if n[d] == 0 {
                return e;
            }
            let others: Vec<Vec<f64>> = split
                .iter()
                .map(|per| {
                    (0..q)
                        .map(|k| (0..per.len()).filter(|&j| j != d).map(|j| per[j][k]).sum())
                        .collect()
                })
                .collect();
            let (_, lp) = ctx.filter(first_form, &others, g, sd);
            let (mut t, mut v) = (vec![0.0; q], vec![0.0; q]);
            for (pos, &ak) in window.iter().enumerate() {
                let age = window.len() - 1 - pos;
                let w = o.decay.powi(age as i32);
                let back = (g * age as f64 / STEP).round() as i64;
                for &(i, _) in &attempts[ak].responses {
                    if ctx.item_domain[i] != d {
                        continue;
                    }
                    for k in 0..q {
                        let then = (k as i64 - back).clamp(0, q as i64 - 1) as usize;
                        if let Some(p) = ctx.p_at(i, then) {
                            t[k] += w * p;
                            v[k] += w * w * p * (1.0 - p);
                        }
                    }
                }
            }
            let wts: Vec<f64> = lp.iter().map(|l| l.exp()).collect();
            let mean = |x: &[f64]| wts.iter().zip(x).map(|(w, x)| w * x).sum::<f64>();
            let e_t = mean(&t);
            let e_t2 = wts.iter().zip(&t).map(|(w, x)| w * x * x).sum::<f64>();
            e.expected = e_t;
            e.variance = mean(&v) + (e_t2 - e_t * e_t).max(0.0);
            e
        })
        .collect()
}

/// Haberman's (2008) PRMSE per domain from the data: each form's attempts (at most
/// [`PRMSE_ATTEMPTS`] per form, in log order; scored items, omitted = wrong) analysed on their
/// own and pooled by persons ([`haberman_prmse_forms`]); forms with fewer than 50 attempts are
/// left out. None when no form qualifies or the analysis fails; with it, each exam form's index
/// into the analysis' `per_form`.
pub fn domain_prmse(ds: &Dataset) -> Option<(PooledSubscores, Vec<Option<usize>>)> {
    let m = &ds.matrix;
    let exam = &ds.exam;
    let cols: Vec<Vec<usize>> = exam
        .forms
        .iter()
        .map(|f| f.scored().map(|fi| fi.item).collect())
        .collect();
    let pos: Vec<HashMap<usize, usize>> = cols
        .iter()
        .map(|c| c.iter().enumerate().map(|(j, &i)| (i, j)).collect())
        .collect();
    let mut rows: Vec<Vec<Vec<u8>>> = vec![Vec::new(); cols.len()];
    for a in 0..m.n_attempts() {
        let f = m.form(a);
        if rows[f].len() >= PRMSE_ATTEMPTS {
            continue;
        }
        let mut row = vec![0u8; cols[f].len()];
        for r in m.responses(a) {
            if let Some(&j) = pos[f].get(&r.item) {
                row[j] = r.right as u8;
            }
        }
        rows[f].push(row);
    }
    let doms: Vec<Vec<usize>> = cols
        .iter()
        .map(|c| c.iter().map(|&i| m.domain(i)).collect())
        .collect();
    let used: Vec<usize> = (0..cols.len()).filter(|&f| rows[f].len() >= 50).collect();
    let forms: Vec<FormResponses> = used
        .iter()
        .map(|&f| FormResponses {
            responses: &rows[f],
            item_domain: &doms[f],
        })
        .collect();
    let pooled = haberman_prmse_forms(&forms, exam.config.domains.len()).ok()?;
    let index = (0..cols.len())
        .map(|f| used.iter().position(|&u| u == f))
        .collect();
    Some((pooled, index))
}

/// Attempts per form used for the PRMSE analysis.
pub const PRMSE_ATTEMPTS: usize = 5000;

/// A study plan in one line: "D2 55 %; D3 30 %; D1 15 %".
pub fn plan_text(ctx: &Context, plan: &[(usize, f64)]) -> String {
    plan.iter()
        .map(|&(d, s)| format!("{} {:.0} %", ctx.domain_id(d), 100.0 * s))
        .collect::<Vec<_>>()
        .join("; ")
}
