//! Cohort figures of the assessed candidates (`readiness.json`): status shares, P(pass)
//! histogram, learning curve, weakest domains and, with official outcomes, calibration checks.

use serde::Serialize;

use crate::exam::config::ReadinessConfig;

use super::fit::ModelFit;
use super::subscores::PooledSubscores;
use super::{CandidateReadiness, Context, Status};

/// Candidates with one status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusShare {
    pub status: Status,
    pub candidates: usize,
    pub share: f64,
}

/// A bin of a histogram or reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub n: usize,
    /// Mean predicted P(pass) in the bin (reliability diagrams).
    pub predicted: f64,
    /// Observed share passing officially among the bin's candidates with an official outcome;
    /// NaN (null in JSON) when none of them has one.
    pub observed: f64,
}

/// The k-th full-length attempt across candidates (the learning curve).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurvePoint {
    pub attempt: usize,
    pub attempts: usize,
    pub pass_rate: f64,
    pub mean_scaled: f64,
    pub target_rate: f64,
}

/// How often each domain is the weakest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainCount {
    pub domain: String,
    pub candidates: usize,
    pub share: f64,
}

/// Predicted P(pass) against official outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeCheck {
    pub candidates: usize,
    /// Mean (P - passed)^2 of P(theta > cut), of P(passing the exam), and of always predicting
    /// the base rate.
    pub brier: f64,
    pub brier_exam: f64,
    pub brier_base_rate: f64,
    /// Reliability diagram of P(passing the exam).
    pub reliability: Vec<Bin>,
    /// Pearson correlation of the last full-length practice score with the official score.
    pub scaled_pairs: usize,
    pub correlation: Option<f64>,
}

/// Cohort figures (`readiness.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    pub candidates: usize,
    pub attempts: usize,
    pub target: f64,
    pub status_rule: String,
    pub growth_model: String,
    pub weakest_rule: String,
    pub status: Vec<StatusShare>,
    pub p_pass_histogram: Vec<Bin>,
    pub learning_curve: Vec<CurvePoint>,
    pub weakest: Vec<DomainCount>,
    /// Candidates for whom no domain stands out (none named the weakest).
    pub no_domain_stands_out: usize,
    /// Haberman's (2008) PRMSE per domain (does the domain subscore predict the true domain
    /// score better than the total does?).
    pub subscores: Option<PooledSubscores>,
    pub outcomes: Option<OutcomeCheck>,
    /// The growth model in use: fitted to official outcomes or the defaults, with the
    /// cross-validation (set by the pipeline's readiness stage).
    pub model: Option<ModelFit>,
}

pub(crate) fn bins(n_bins: usize, pairs: impl Iterator<Item = (f64, Option<bool>)>) -> Vec<Bin> {
    // (candidates, sum of P, with an outcome, passed)
    let mut acc = vec![(0usize, 0.0, 0usize, 0usize); n_bins];
    for (p, y) in pairs {
        let b = ((p * n_bins as f64) as usize).min(n_bins - 1);
        acc[b].0 += 1;
        acc[b].1 += p;
        acc[b].2 += y.is_some() as usize;
        acc[b].3 += (y == Some(true)) as usize;
    }
    acc.iter()
        .enumerate()
        .map(|(b, &(n, sp, known, sy))| Bin {
            from: b as f64 / n_bins as f64,
            to: (b + 1) as f64 / n_bins as f64,
            n,
            predicted: if n > 0 { sp / n as f64 } else { f64::NAN },
            observed: if known > 0 {
                sy as f64 / known as f64
            } else {
                f64::NAN
            },
        })
        .collect()
}

fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len() as f64;
    if pairs.len() < 3 {
        return None;
    }
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// Cohort figures of assessed candidates.
pub fn cohort(ctx: &Context, cands: &[CandidateReadiness]) -> Cohort {
    let n = cands.len();
    let share = |k: usize| if n > 0 { k as f64 / n as f64 } else { 0.0 };
    let status = [Status::Ready, Status::Borderline, Status::NotYet]
        .into_iter()
        .map(|s| {
            let k = cands.iter().filter(|c| c.status == s).count();
            StatusShare {
                status: s,
                candidates: k,
                share: share(k),
            }
        })
        .collect();
    let mut curve: Vec<(usize, usize, f64, usize)> = Vec::new();
    for c in cands {
        for (k, a) in c.attempts.iter().filter(|a| a.full_length).enumerate() {
            if curve.len() <= k {
                curve.resize(k + 1, (0, 0, 0.0, 0));
            }
            let e = &mut curve[k];
            e.0 += 1;
            e.1 += (a.scaled >= ctx.scale.cut) as usize;
            e.2 += a.scaled;
            e.3 += a.reached_target as usize;
        }
    }
    let learning_curve = curve
        .iter()
        .enumerate()
        .map(|(k, &(m, pass, sum, target))| CurvePoint {
            attempt: k + 1,
            attempts: m,
            pass_rate: pass as f64 / m as f64,
            mean_scaled: sum / m as f64,
            target_rate: target as f64 / m as f64,
        })
        .collect();
    let weakest = ctx
        .domains
        .iter()
        .enumerate()
        .map(|(d, (id, _))| {
            let k = cands.iter().filter(|c| c.weakest == Some(d)).count();
            DomainCount {
                domain: id.clone(),
                candidates: k,
                share: share(k),
            }
        })
        .collect();
    let known: Vec<&CandidateReadiness> = cands
        .iter()
        .filter(|c| c.official_passed.is_some())
        .collect();
    let outcomes = (!known.is_empty()).then(|| {
        let m = known.len() as f64;
        let y = |c: &CandidateReadiness| c.official_passed == Some(true);
        let base = known.iter().filter(|c| y(c)).count() as f64 / m;
        let pairs: Vec<(f64, f64)> = known
            .iter()
            .filter_map(|c| {
                let last = c.attempts.iter().rev().find(|a| a.full_length)?;
                Some((last.scaled, c.official_scaled?))
            })
            .collect();
        OutcomeCheck {
            candidates: known.len(),
            brier: known
                .iter()
                .map(|c| (c.p_pass - y(c) as u8 as f64).powi(2))
                .sum::<f64>()
                / m,
            brier_exam: known
                .iter()
                .map(|c| (c.p_pass_exam - y(c) as u8 as f64).powi(2))
                .sum::<f64>()
                / m,
            brier_base_rate: base * (1.0 - base),
            reliability: bins(10, known.iter().map(|c| (c.p_pass_exam, c.official_passed))),
            scaled_pairs: pairs.len(),
            correlation: pearson(&pairs),
        }
    });
    Cohort {
        candidates: n,
        attempts: cands.iter().map(|c| c.attempts.len()).sum(),
        target: ctx.opts.target,
        status_rule: Status::rule(&ctx.opts),
        growth_model: growth_model(ctx),
        weakest_rule: weakest_rule(&ctx.opts),
        status,
        p_pass_histogram: bins(20, cands.iter().map(|c| (c.p_pass, c.official_passed))),
        learning_curve,
        weakest,
        no_domain_stands_out: cands.iter().filter(|c| c.weakest.is_none()).count(),
        subscores: ctx.subscores.clone(),
        outcomes,
        model: None,
    }
}

/// The growth model in words, with its settings.
pub fn growth_model(ctx: &Context) -> String {
    let o = &ctx.opts;
    format!(
        "current ability: every attempt counts, and ability may move between attempts as a random walk theta(next) = theta + {:.3} + N(0, {:.3}^2), starting from the first attempt's form cohort density; the posterior is filtered through the attempts in time order, so older attempts count less; at the official exam ability is shifted by {:.3} and measured with the exam's error at the cut (SE {:.3})",
        o.growth, o.growth_sd, ctx.shift, ctx.exam_se
    )
}

/// The evidence rule for the weakest domain in words, with its settings.
pub fn weakest_rule(o: &ReadinessConfig) -> String {
    format!(
        "weakest domain: named only when the candidate's domain score over the last {k} attempts (weighted {decay}^age) is below what their ability from the other domains predicts, at {conf:.0} % one-sided confidence with Holm's correction over the domains tested (posterior predictive z test); a domain is tested with at least {min} items seen, or {min_av} when its subscore has added value (Haberman's PRMSE); otherwise \"no domain stands out\". The study plan puts the domains that stand out first, in proportion to their cost in scaled points; when none does, practise in blueprint proportion",
        k = o.consistency_attempts,
        decay = o.decay,
        conf = 100.0 * o.weakest_confidence,
        min = o.weakest_min_items,
        min_av = o.min_domain_items
    )
}
