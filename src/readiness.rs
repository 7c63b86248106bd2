//! Readiness analytics for practice candidates: "would I pass, and what should I study?", with the
//! uncertainty of every figure.
//!
//! Per attempt (Bock & Mislevy 1982 EAP over a fine grid, prior = the attempt's form cohort density
//! from the calibration):
//! - the reported scaled score from the form's conversion table, with a 90 % interval
//!   `scaled ± 1.645 CSEM` (the table's conditional SEM; Lord 1980), clipped to the scale;
//! - P(pass) = P(theta > theta_cut | responses), integrated over the posterior.
//!
//! Per candidate:
//! - a combined posterior of the current ability over all attempts that allows for growth: theta
//!   follows a Gaussian random walk between attempts, theta_{j+1} = theta_j + growth + e,
//!   e ~ N(0, growth_sd^2) (a state-space model, filtered on the grid like a hidden Markov model:
//!   predict by convolving the posterior with the step density, update with the attempt's
//!   likelihood), starting from the first attempt's form cohort density;
//! - consistency: how many of the last k full-length attempts (`consistency_attempts`) reached
//!   the target score;
//! - a status (see [`Status::rule`]);
//! - a domain profile over the last k attempts: observed minus expected score at the cut on each
//!   domain's items (attempts weighted decay^age, age 0 = latest), with a binomial-compound SE; its cost in scaled points is
//!   `weight_d/100 * n_base * shortfall_d * (scaled points per raw point at the cut)`; the weakest
//!   domain is the one that costs the most; study shares are proportional to the positive costs.

use rayon::prelude::*;
use serde::Serialize;

use crate::exam::config::ReadinessConfig;
use crate::exam::Dataset;
use crate::irt::em::log_tables;
use crate::irt::model::ItemModel;
use crate::irt::quadrature::{moments, relative_weights, Grid};
use crate::irt::workflow::CalibrationResult;
use crate::irt::Logistic;
use crate::scale::{ConversionTable, Scale};

/// z of a two-sided 90 % normal interval.
pub const Z90: f64 = 1.644_853_626_951_472_2;

/// Posterior grid: theta from -GRID_RANGE to GRID_RANGE in steps of `STEP`.
const GRID_RANGE: f64 = 5.0;
const GRID_POINTS: usize = 201;
const STEP: f64 = 2.0 * GRID_RANGE / (GRID_POINTS - 1) as f64;

/// What readiness needs to know of a form.
#[derive(Debug, Clone)]
pub struct FormContext {
    pub id: String,
    /// The form's raw -> scaled table (None: scaled scores come from the EAP instead).
    pub table: Option<ConversionTable>,
    /// Mean and SD of the form cohort's ability density (the prior).
    pub prior: (f64, f64),
    pub n_scored: usize,
    /// As long as the base form (a diagnostic is not).
    pub full_length: bool,
}

/// Items, forms, blueprint and scale: everything that is the same for all candidates.
#[derive(Debug, Clone)]
pub struct Context {
    /// Calibrated (bank-scale) parameters by exam item; None for items without any.
    pub items: Vec<Option<Logistic>>,
    pub item_domain: Vec<usize>,
    /// Blueprint domains: (id, weight in percent).
    pub domains: Vec<(String, f64)>,
    /// Domain names for plain-word output (may be empty).
    pub domain_names: Vec<String>,
    pub forms: Vec<FormContext>,
    pub scale: Scale,
    /// Scored items on the base form.
    pub base_items: usize,
    /// Scaled points per raw point at the cut on the base form: slope / TCC'(theta_cut).
    pub points_per_raw: f64,
    /// SE of theta at the cut on the base form, 1 / sqrt(I(theta_cut)): the official exam's own
    /// measurement error there.
    pub exam_se: f64,
    pub opts: ReadinessConfig,
    theta: Vec<f64>,
    /// Per exam item: log Q at the grid points, then log P (empty for items without parameters).
    log_tables: Vec<Vec<f64>>,
    /// Per exam item: P at the cut theta.
    p_cut: Vec<f64>,
}

impl Context {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        items: Vec<Option<Logistic>>,
        item_domain: Vec<usize>,
        domains: Vec<(String, f64)>,
        forms: Vec<FormContext>,
        scale: Scale,
        base: &[Logistic],
        opts: ReadinessConfig,
    ) -> Context {
        let grid = Grid::new(GRID_POINTS, GRID_RANGE);
        let log_tables = items
            .iter()
            .map(|m| match m {
                None => Vec::new(),
                Some(m) => log_tables(std::slice::from_ref(m), &grid),
            })
            .collect();
        let theta = grid.theta;
        let mut probs = [0.0; 2];
        let p_cut = items
            .iter()
            .map(|m| {
                m.map(|m| {
                    m.probs(scale.theta_cut, &mut probs);
                    probs[1]
                })
                .unwrap_or(f64::NAN)
            })
            .collect();
        let slope = crate::equate::irt_true::tcc_slope(base, scale.theta_cut);
        let info = crate::irt::scoring::test_information(base, &[scale.theta_cut])[0];
        Context {
            items,
            item_domain,
            domains,
            domain_names: Vec::new(),
            forms,
            base_items: base.len(),
            points_per_raw: if slope > 0.0 {
                scale.slope / slope
            } else {
                f64::NAN
            },
            exam_se: if info > 0.0 {
                1.0 / info.sqrt()
            } else {
                f64::INFINITY
            },
            scale,
            opts,
            theta,
            log_tables,
            p_cut,
        }
    }

    /// The context of a calibrated data set: bank-scale parameters, each form's conversion table
    /// and cohort density, the blueprint and qbank.toml's readiness settings.
    pub fn of(
        ds: &Dataset,
        cal: &CalibrationResult,
        scale: &Scale,
        tables: &[ConversionTable],
    ) -> Context {
        let exam = &ds.exam;
        let mut items = vec![None; exam.items.len()];
        for (k, &i) in cal.exam_items.iter().enumerate() {
            items[i] = Some(cal.calibration.items[k]);
        }
        let base = cal.scored_params(ds, exam.base_form());
        let base_n = exam.forms[exam.base_form()].n_scored();
        let forms = exam
            .forms
            .iter()
            .enumerate()
            .map(|(f, form)| {
                let lat = cal
                    .calibration
                    .latent
                    .get(f)
                    .filter(|_| cal.calibration.latent.len() == exam.forms.len())
                    .unwrap_or(&cal.calibration.latent[0]);
                FormContext {
                    id: form.id.clone(),
                    table: tables.iter().find(|t| t.form_id == form.id).cloned(),
                    prior: (lat.mean, lat.sd),
                    n_scored: form.n_scored(),
                    full_length: form.n_scored() >= base_n,
                }
            })
            .collect();
        let mut ctx = Context::new(
            items,
            (0..exam.items.len()).map(|i| ds.matrix.domain(i)).collect(),
            exam.config
                .domains
                .iter()
                .map(|d| (d.id.clone(), d.weight))
                .collect(),
            forms,
            *scale,
            &base,
            exam.config.readiness.clone(),
        );
        ctx.domain_names = exam.config.domains.iter().map(|d| d.name.clone()).collect();
        ctx
    }

    /// The id of domain `d` (e.g. "D2").
    pub fn domain_id(&self, d: usize) -> &str {
        &self.domains[d].0
    }

    /// Log-likelihood of scored responses at the grid points (items without parameters skipped).
    fn log_lik(&self, responses: &[(usize, bool)]) -> Vec<f64> {
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
    fn posterior(&self, log_post: &[f64]) -> Posterior {
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
    fn random_walk_step(&self, log_post: &[f64]) -> Vec<f64> {
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

    fn log_prior(&self, form: usize) -> Vec<f64> {
        let (mu, sd) = self.forms[form].prior;
        self.theta
            .iter()
            .map(|t| -0.5 * ((t - mu) / sd).powi(2))
            .collect()
    }

    fn scaled_from_theta(&self, eap: f64, psd: f64) -> (f64, f64) {
        let s = &self.scale;
        (s.reported(s.scaled(eap)), s.slope * psd)
    }
}

/// Summary of a posterior over theta.
struct Posterior {
    eap: f64,
    psd: f64,
    p_pass: f64,
    p_pass_exam: f64,
}

fn std_normal_cdf(z: f64) -> f64 {
    if z.is_nan() {
        return 0.5;
    }
    0.5 * statrs::function::erf::erfc(-z / std::f64::consts::SQRT_2)
}

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

/// Ready, Borderline or Not yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    Ready,
    Borderline,
    #[serde(rename = "Not yet")]
    NotYet,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "Ready",
            Status::Borderline => "Borderline",
            Status::NotYet => "Not yet",
        }
    }

    /// The rule, in words, with the settings filled in.
    pub fn rule(o: &ReadinessConfig) -> String {
        format!(
            "Ready: combined P(pass) >= {rp} and, of the last m = min({k}, full-length attempts taken) full-length attempts, at least half (rounded up) reached {t}, the latest of them included. \
             Not yet: combined P(pass) < {bp}. Borderline: everything else (including candidates with no full-length attempt and P(pass) >= {bp}).",
            rp = o.ready_probability,
            bp = o.borderline_probability,
            k = o.consistency_attempts,
            t = o.target
        )
    }
}

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
    pub official_passed: Option<bool>,
    pub official_scaled: Option<f64>,
}

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
    let mut order: Vec<usize> = (0..attempts.len()).collect();
    order.sort_by(|&x, &y| {
        attempts[x]
            .submitted_at
            .cmp(&attempts[y].submitted_at)
            .then(x.cmp(&y))
    });
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
    let weight = |pos: usize| o.decay.powi((order.len() - 1 - pos) as i32);

    // Current ability: filter through the attempts, letting ability move between them.
    let mut lp = ctx.log_prior(attempts[order[0]].form);
    for (pos, ll) in lls.iter().enumerate() {
        if pos > 0 {
            lp = ctx.random_walk_step(&lp);
        }
        for (p, l) in lp.iter_mut().zip(ll) {
            *p += l;
        }
    }
    let Posterior {
        eap: theta,
        psd,
        p_pass,
        p_pass_exam,
    } = ctx.posterior(&lp);
    let (scaled, _) = ctx.scaled_from_theta(theta, psd);

    // Consistency over the last k full-length attempts.
    let full: Vec<bool> = scored
        .iter()
        .filter(|a| a.full_length)
        .map(|a| a.reached_target)
        .collect();
    let recent_full = &full[full.len().saturating_sub(k)..];
    let hits = recent_full.iter().filter(|&&r| r).count();
    let consistent = recent_full.last() == Some(&true) && 2 * hits >= recent_full.len();
    let status = if p_pass < o.borderline_probability {
        Status::NotYet
    } else if p_pass >= o.ready_probability && consistent {
        Status::Ready
    } else {
        Status::Borderline
    };

    // Domain profile over the window, discounted like the likelihood.
    let nd = ctx.domains.len();
    let (mut n, mut wsum, mut obs, mut exp, mut var) = (
        vec![0usize; nd],
        vec![0.0; nd],
        vec![0.0; nd],
        vec![0.0; nd],
        vec![0.0; nd],
    );
    for (pos, &ak) in order.iter().enumerate().skip(start) {
        let w = weight(pos);
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

    Some(CandidateReadiness {
        candidate_id: candidate_id.to_string(),
        attempts: scored,
        window,
        theta,
        psd,
        scaled,
        p_pass,
        p_pass_exam,
        full_in_window: recent_full.len(),
        target_hits: hits,
        status,
        domains,
        weakest,
        plan,
        official_passed: None,
        official_scaled: None,
    })
}

/// Attempt `a` of the matrix as a practice attempt (scored items only, omitted = wrong).
pub fn practice_attempt(m: &crate::matrix::ResponseMatrix, a: usize) -> PracticeAttempt {
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
    by_candidate
        .par_iter()
        .enumerate()
        .filter_map(|(c, list)| {
            let attempts: Vec<PracticeAttempt> = list
                .iter()
                .map(|&a| practice_attempt(m, a as usize))
                .collect();
            let id = m.candidate_id(c);
            let mut r = assess_candidate(ctx, id, &attempts)?;
            if let Some((cs, k)) = cands.and_then(|cs| Some((cs, *cs.index.get(id)?))) {
                r.official_passed = cs.official_passed.as_ref().and_then(|v| v[k]);
                r.official_scaled = cs.official_scaled.as_ref().and_then(|v| v[k]);
            }
            Some(r)
        })
        .collect()
}

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
    /// Observed share passing in the bin (reliability diagrams).
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
    pub not_enough_evidence: usize,
    pub outcomes: Option<OutcomeCheck>,
}

fn bins(n_bins: usize, pairs: impl Iterator<Item = (f64, Option<bool>)>) -> Vec<Bin> {
    let mut acc = vec![(0usize, 0.0, 0usize); n_bins];
    for (p, y) in pairs {
        let b = ((p * n_bins as f64) as usize).min(n_bins - 1);
        acc[b].0 += 1;
        acc[b].1 += p;
        acc[b].2 += y.unwrap_or(false) as usize;
    }
    acc.iter()
        .enumerate()
        .map(|(b, &(n, sp, sy))| Bin {
            from: b as f64 / n_bins as f64,
            to: (b + 1) as f64 / n_bins as f64,
            n,
            predicted: if n > 0 { sp / n as f64 } else { f64::NAN },
            observed: if n > 0 {
                sy as f64 / n as f64
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
        growth_model: growth_model(&ctx.opts),
        weakest_rule: "weakest domain: the largest shortfall against the cut (expected minus observed proportion correct at theta_cut over the last consistency_attempts attempts, weighted decay^age) times blueprint weight x base-form items x scaled points per raw point at the cut; domains with fewer scored items than min_domain_items over the recent attempts: not enough evidence".into(),
        status,
        p_pass_histogram: bins(20, cands.iter().map(|c| (c.p_pass, None))),
        learning_curve,
        weakest,
        not_enough_evidence: cands.iter().filter(|c| c.weakest.is_none()).count(),
        outcomes,
    }
}

/// The growth model in words, with its settings.
pub fn growth_model(o: &ReadinessConfig) -> String {
    format!(
        "current ability: every attempt counts, and ability may move between attempts as a random walk theta(next) = theta + {} + N(0, {}^2), starting from the first attempt's form cohort density; the posterior is filtered through the attempts in time order, so older attempts count less",
        o.growth, o.growth_sd
    )
}

/// A study plan in one line: "D2 55 %; D3 30 %; D1 15 %".
pub fn plan_text(ctx: &Context, plan: &[(usize, f64)]) -> String {
    plan.iter()
        .map(|&(d, s)| format!("{} {:.0} %", ctx.domain_id(d), 100.0 * s))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::irt::ModelKind;
    use crate::scale::conversion_table;

    /// 24 items, 6 per domain, difficulties spread over [-1.5, 1.5]; one full-length form with all
    /// of them and a 6-item short form without domain D4.
    fn context() -> Context {
        let items: Vec<Logistic> = (0..24)
            .map(|i| {
                Logistic::new(
                    ModelKind::ThreePL,
                    1.2,
                    -1.5 + 3.0 * i as f64 / 23.0,
                    0.2,
                    1.0,
                )
            })
            .collect();
        let scale = Scale {
            min: 100.0,
            max: 1000.0,
            cut: 700.0,
            theta_cut: 0.0,
            slope: 100.0,
        };
        let short: Vec<Logistic> = SHORT.iter().map(|&i| items[i]).collect();
        let forms = vec![
            FormContext {
                id: "F".into(),
                table: Some(conversion_table("F", &items, &items, &scale)),
                prior: (0.0, 1.0),
                n_scored: 24,
                full_length: true,
            },
            FormContext {
                id: "S".into(),
                table: Some(conversion_table("S", &short, &items, &scale)),
                prior: (0.0, 1.0),
                n_scored: 6,
                full_length: false,
            },
        ];
        Context::new(
            items.iter().map(|m| Some(*m)).collect(),
            (0..24).map(|i| i % 4).collect(),
            ["D1", "D2", "D3", "D4"]
                .iter()
                .zip([24.0, 30.0, 34.0, 12.0])
                .map(|(d, w)| (d.to_string(), w))
                .collect(),
            forms,
            scale,
            &items,
            ReadinessConfig::default(),
        )
    }

    fn attempt(
        id: &str,
        day: &str,
        form: usize,
        items: &[usize],
        right: impl Fn(usize) -> bool,
    ) -> PracticeAttempt {
        PracticeAttempt {
            attempt_id: id.into(),
            submitted_at: day.into(),
            form,
            responses: items.iter().map(|&i| (i, right(i))).collect(),
        }
    }

    /// The short form's items: two each of D1-D3, none of D4.
    const SHORT: [usize; 6] = [0, 1, 2, 4, 5, 6];
    const ALL: [usize; 24] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
    ];

    #[test]
    fn perfect_and_all_omitted_attempts_give_finite_bounded_answers() {
        let ctx = context();
        let top = assess_candidate(
            &ctx,
            "top",
            &[attempt("a", "2026-01-01", 0, &ALL, |_| true)],
        )
        .unwrap();
        let a = &top.attempts[0];
        assert_eq!((a.raw, a.scaled), (24, 1000.0));
        assert!(a.eap.is_finite() && a.eap > 1.0 && a.p_pass > 0.95, "{a:?}");
        assert!(a.high90 <= 1000.0 && a.low90 < a.high90);
        assert_eq!(top.window, 1);
        assert_eq!(top.status, Status::Ready);
        // No shortfall anywhere: the plan follows the blueprint.
        assert!(top.domains.iter().all(|d| d.cost < 0.0));
        assert_eq!(ctx.domain_id(top.plan[0].0), "D3");

        // Everything omitted counts as wrong: finite, clearly not ready.
        let none = assess_candidate(
            &ctx,
            "none",
            &[attempt("b", "2026-01-01", 0, &ALL, |_| false)],
        )
        .unwrap();
        let b = &none.attempts[0];
        assert_eq!(b.raw, 0);
        assert!(b.eap.is_finite() && b.p_pass < 0.05 && b.scaled >= 100.0);
        assert_eq!(none.status, Status::NotYet);
        assert!(none.domains.iter().all(|d| d.cost > 0.0));
    }

    #[test]
    fn the_weakest_domain_is_the_costliest_shortfall_and_an_absent_domain_lacks_evidence() {
        let ctx = context();
        // Right on everything but D2 (items 1, 5, 9, ...), on two full-length attempts.
        let right = |i: usize| i % 4 != 1;
        let c = assess_candidate(
            &ctx,
            "c",
            &[
                attempt("x", "2026-02-01", 0, &ALL, right),
                attempt("y", "2026-01-01", 0, &ALL, right),
            ],
        )
        .unwrap();
        // Sorted in time order whatever the input order.
        assert_eq!(c.attempts[0].attempt_id, "y");
        assert_eq!(c.weakest.map(|d| ctx.domain_id(d)), Some("D2"));
        assert_eq!(c.plan, vec![(1, 1.0)]);
        // A short form without D4: D4 has no evidence and is never the weakest.
        let s = assess_candidate(
            &ctx,
            "s",
            &[attempt("z", "2026-01-01", 1, &SHORT, |_| false)],
        )
        .unwrap();
        let d4 = s
            .domains
            .iter()
            .find(|d| ctx.domain_id(d.domain) == "D4")
            .unwrap();
        assert_eq!(d4.items, 0);
        assert!(!d4.enough_evidence);
        assert!(
            s.domains.iter().all(|d| !d.enough_evidence),
            "2 items per domain are not enough"
        );
        assert_eq!(s.weakest, None);
        assert!(
            !s.attempts[0].note.is_empty(),
            "a short form says its interval is wide"
        );
    }

    #[test]
    fn a_short_form_has_a_wider_interval_than_a_full_one() {
        let ctx = context();
        let full = assess_candidate(&ctx, "f", &[attempt("f", "1", 0, &ALL, |i| i < 12)]).unwrap();
        let short =
            assess_candidate(&ctx, "s", &[attempt("s", "1", 1, &SHORT, |i| i < 3)]).unwrap();
        let width = |c: &CandidateReadiness| c.attempts[0].high90 - c.attempts[0].low90;
        assert!(
            width(&short) > 1.5 * width(&full),
            "{} vs {}",
            width(&short),
            width(&full)
        );
        // A diagnostic alone can never make a candidate Ready.
        let top_short =
            assess_candidate(&ctx, "t", &[attempt("t", "1", 1, &SHORT, |_| true)]).unwrap();
        assert_ne!(top_short.status, Status::Ready);
    }

    #[test]
    fn older_attempts_count_less_in_the_combined_estimate() {
        let ctx = context();
        // Weak first, strong later: the combined estimate lies nearer the later attempts.
        let list = [
            attempt("1", "1", 0, &ALL, |i| i < 6),
            attempt("2", "2", 0, &ALL, |i| i < 18),
            attempt("3", "3", 0, &ALL, |i| i < 18),
        ];
        let c = assess_candidate(&ctx, "g", &list).unwrap();
        let (first, last) = (c.attempts[0].eap, c.attempts[2].eap);
        let mid = (first + 2.0 * last) / 3.0;
        assert!(
            c.theta > mid && c.theta < last + 0.05,
            "{} not between {mid} and {last}",
            c.theta
        );
        // Combining attempts narrows the posterior.
        assert!(c.psd < c.attempts[2].psd);
    }
}
