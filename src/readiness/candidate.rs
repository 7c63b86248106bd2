//! Readiness per attempt (scaled score, 90 % interval, P(pass)) and per candidate (the growth
//! filter through all attempts, status, domain feedback).

use rayon::prelude::*;
use serde::Serialize;

use crate::exam::Dataset;
use crate::matrix::ResponseMatrix;

use super::domains::{domain_profile, DomainFeedback};
use super::posterior::{weighted_sum, Posterior};
use super::status::{Consistency, Status};
use super::{Context, DomainProfile, Z90};

/// One practice attempt: its form and scored responses (exam item index, right).
#[derive(Debug, Clone)]
pub struct PracticeAttempt {
    pub attempt_id: String,
    pub submitted_at: String,
    pub form: usize,
    pub responses: Vec<(usize, bool)>,
}

/// An attempt's score with its uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptReadiness {
    pub attempt_id: String,
    pub submitted_at: String,
    pub form_id: String,
    /// 1 = the candidate's first attempt (in time order).
    pub number: usize,
    pub full_length: bool,
    pub scored_items: usize,
    pub raw: usize,
    pub scaled: f64,
    pub csem: f64,
    pub low90: f64,
    pub high90: f64,
    pub eap: f64,
    pub psd: f64,
    pub p_pass: f64,
    pub reached_target: bool,
    /// Plain words on the precision, e.g. for a short diagnostic.
    pub note: String,
}

/// Everything readiness says about one candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateReadiness {
    pub candidate_id: String,
    pub attempts: Vec<AttemptReadiness>,
    /// Attempts in the domain profile (the last k).
    pub window: usize,
    pub theta: f64,
    pub psd: f64,
    pub scaled: f64,
    /// P(theta > theta_cut) from the combined posterior.
    pub p_pass: f64,
    /// P(passing a full-length exam now): the same posterior with the exam's measurement error at
    /// the cut added (what official outcomes are compared with).
    pub p_pass_exam: f64,
    /// Full-length attempts among the last k, and how many of them reached the target.
    pub full_in_window: usize,
    pub target_hits: usize,
    pub status: Status,
    pub domains: Vec<DomainProfile>,
    /// The weakest domain (index into the context's domains).
    pub weakest: Option<usize>,
    /// Study share per domain (domain index, share in [0, 1]), largest first.
    pub plan: Vec<(usize, f64)>,
    /// Further practice attempts until P(pass) is expected to reach `ready_probability` at the
    /// estimated growth (the smallest n with P(theta + n g + N(0, n s^2) > theta_cut) at least
    /// that, over the current posterior; 0 = already there; None = not within
    /// [`MAX_AHEAD`] attempts), and the same at the ends of the growth's 90 % interval.
    pub attempts_to_ready: Option<usize>,
    pub attempts_to_ready_low: Option<usize>,
    pub attempts_to_ready_high: Option<usize>,
    pub official_passed: Option<bool>,
    pub official_scaled: Option<f64>,
}

/// The furthest horizon of the time to ready, in practice attempts.
pub const MAX_AHEAD: usize = 20;

/// Scores one attempt.
fn attempt(ctx: &Context, a: &PracticeAttempt, number: usize) -> (AttemptReadiness, Vec<f64>) {
    let fc = &ctx.forms[a.form];
    let ll = ctx.log_lik(&a.responses);
    let lp: Vec<f64> = ctx
        .log_prior(a.form)
        .iter()
        .zip(&ll)
        .map(|(p, l)| p + l)
        .collect();
    let Posterior {
        eap, psd, p_pass, ..
    } = ctx.posterior(&lp);
    let raw = a.responses.iter().filter(|r| r.1).count();
    let s = &ctx.scale;
    let from_table = fc.table.as_ref().and_then(|t| {
        let row = t.rows.get(raw)?;
        // Rows at the floor or ceiling have no CSEM: take the nearest row's.
        let csem = row.csem.or_else(|| {
            (1..t.rows.len()).find_map(|d| {
                let lo = raw.checked_sub(d).and_then(|r| t.rows[r].csem);
                lo.or_else(|| t.rows.get(raw + d).and_then(|r| r.csem))
            })
        })?;
        Some((row.reported, csem))
    });
    let (scaled, csem) = from_table.unwrap_or_else(|| ctx.scaled_from_theta(eap, psd));
    let (low90, high90) = (
        (scaled - Z90 * csem).max(s.min).round(),
        (scaled + Z90 * csem).min(s.max).round(),
    );
    let note = if fc.full_length {
        String::new()
    } else {
        format!(
            "short form ({} scored items): the 90 % interval is {:.0} scaled points wide, read it as a rough indication",
            fc.n_scored,
            high90 - low90
        )
    };
    (
        AttemptReadiness {
            attempt_id: a.attempt_id.clone(),
            submitted_at: a.submitted_at.clone(),
            form_id: fc.id.clone(),
            number,
            full_length: fc.full_length,
            scored_items: a.responses.len(),
            raw,
            scaled,
            csem,
            low90,
            high90,
            eap,
            psd,
            p_pass,
            reached_target: scaled >= ctx.opts.target,
            note,
        },
        ll,
    )
}

/// Assesses one candidate from their attempts (in any order; sorted here by time, then as given).
pub fn assess_candidate(
    ctx: &Context,
    candidate_id: &str,
    attempts: &[PracticeAttempt],
) -> Option<CandidateReadiness> {
    assess_with(ctx, &AheadTables::of(ctx), candidate_id, attempts)
}

/// The factors of P(pass) n = 0..=MAX_AHEAD attempts ahead at the growth and the ends of its
/// interval ([`Context::pass_after_table`]), computed once for every candidate.
struct AheadTables {
    /// Indexed [growth, low end, high end][n].
    tables: [Vec<Vec<f64>>; 3],
}

impl AheadTables {
    fn of(ctx: &Context) -> AheadTables {
        let sd = ctx.opts.growth_sd;
        let (g_low, g_high) = ctx.growth_interval;
        let at = |g: f64| {
            (0..=MAX_AHEAD)
                .map(|n| ctx.pass_after_table(n, g, sd))
                .collect()
        };
        AheadTables {
            tables: [at(ctx.opts.growth), at(g_low), at(g_high)],
        }
    }
}

fn assess_with(
    ctx: &Context,
    ahead_tables: &AheadTables,
    candidate_id: &str,
    attempts: &[PracticeAttempt],
) -> Option<CandidateReadiness> {
    let mut order: Vec<usize> = (0..attempts.len()).collect();
    let instant = |k: usize| crate::exam::timestamps::sort_key(&attempts[k].submitted_at);
    order.sort_by(|&x, &y| instant(x).cmp(&instant(y)).then(x.cmp(&y)));
    let (scored, lls): (Vec<AttemptReadiness>, Vec<Vec<f64>>) = order
        .iter()
        .enumerate()
        .map(|(n, &k)| attempt(ctx, &attempts[k], n + 1))
        .unzip();
    if order.is_empty() {
        return None;
    }
    let o = &ctx.opts;
    let k = o.consistency_attempts.max(1);
    let window = order.len().min(k);
    let start = order.len() - window;

    // Current ability: filter through the attempts, letting ability move between them.
    let (g, sd) = (o.growth, o.growth_sd);
    let (_, lp) = ctx.filter(attempts[order[0]].form, &lls, g, sd);
    let Posterior {
        eap: theta,
        psd,
        p_pass,
        p_pass_exam,
    } = ctx.posterior(&lp);
    let (scaled, _) = ctx.scaled_from_theta(theta, psd);

    let consistency = Consistency::of(&scored, k);
    let status = Status::decide(p_pass, &consistency, o);
    let DomainFeedback {
        domains,
        weakest,
        plan,
    } = domain_profile(ctx, attempts, &order, start);
    let w: Vec<f64> = lp.iter().map(|l| l.exp()).collect();
    let ahead = |k: usize| {
        (0..=MAX_AHEAD)
            .find(|&n| weighted_sum(&w, &ahead_tables.tables[k][n]) >= o.ready_probability)
    };
    Some(CandidateReadiness {
        candidate_id: candidate_id.to_string(),
        attempts: scored,
        window,
        theta,
        psd,
        scaled,
        p_pass,
        p_pass_exam,
        full_in_window: consistency.full_in_window,
        target_hits: consistency.hits,
        status,
        domains,
        weakest,
        plan,
        attempts_to_ready: ahead(0),
        attempts_to_ready_low: ahead(2),
        attempts_to_ready_high: ahead(1),
        official_passed: None,
        official_scaled: None,
    })
}

/// Attempt `a` of the matrix as a practice attempt (scored items only, omitted = wrong).
pub fn practice_attempt(m: &ResponseMatrix, a: usize) -> PracticeAttempt {
    let form = m.form(a);
    PracticeAttempt {
        attempt_id: m.attempt_id(a).to_string(),
        submitted_at: m.submitted_at(a).to_string(),
        form,
        responses: m
            .responses(a)
            .filter(|r| m.is_scored(form, r.item))
            .map(|r| (r.item, r.right))
            .collect(),
    }
}

/// Assesses every candidate of a data set (in the matrix's candidate order), with official
/// outcomes from candidates.csv where known. A candidate's attempts are unpacked from the matrix
/// only while that candidate is assessed, so memory stays near the matrix's own.
pub fn assess(ds: &Dataset, ctx: &Context) -> Vec<CandidateReadiness> {
    let m = &ds.matrix;
    let mut by_candidate: Vec<Vec<u32>> = vec![Vec::new(); m.n_candidates()];
    for a in 0..m.n_attempts() {
        by_candidate[m.candidate(a)].push(a as u32);
    }
    let cands = ds.exam.candidates.as_ref();
    let tables = AheadTables::of(ctx);
    by_candidate
        .par_iter()
        .enumerate()
        .filter_map(|(c, list)| {
            let attempts: Vec<PracticeAttempt> = list
                .iter()
                .map(|&a| practice_attempt(m, a as usize))
                .collect();
            let id = m.candidate_id(c);
            let mut r = assess_with(ctx, &tables, id, &attempts)?;
            if let Some((cs, k)) = cands.and_then(|cs| Some((cs, *cs.index.get(id)?))) {
                r.official_passed = cs.official_passed.as_ref().and_then(|v| v[k]);
                r.official_scaled = cs.official_scaled.as_ref().and_then(|v| v[k]);
            }
            Some(r)
        })
        .collect()
}
