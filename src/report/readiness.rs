//! Readiness in the report: the cohort section of the main report and one page per candidate
//! (`readiness/ID.html` and `.md`).

use super::files::{fmt_f, write_csv, WriteError};
use std::path::Path;

use super::doc::Doc;
use super::f;
use super::figures::{Chart, Series};
use crate::readiness::{advice, plan_text, Advice, CandidateReadiness, Cohort, Context};

/// The readiness section of the main report: cohort figures.
pub fn cohort_section(doc: &mut Doc, ctx: &Context, coh: &Cohort) -> Result<(), WriteError> {
    doc.section("readiness", "Readiness (practice candidates)");
    doc.p(&format!(
        "{} candidates, {} attempts. Target {} (pass mark {}).",
        coh.candidates, coh.attempts, coh.target, ctx.scale.cut
    ));
    doc.table(
        "readiness_status",
        &["status", "candidates", "share"],
        coh.status
            .iter()
            .map(|s| {
                vec![
                    s.status.as_str().to_string(),
                    s.candidates.to_string(),
                    super::pct(s.share),
                ]
            })
            .collect(),
    )?;
    doc.note(&coh.status_rule);
    doc.note(&format!("Model: {}.", coh.growth_model));
    doc.pair();
    doc.figure(
        &Chart {
            bar_width: Some(0.045),
            ..Chart::lines(
                "readiness_p_pass",
                "Probability of passing, by candidate",
                "P(pass) from the combined estimate",
                "candidates",
                vec![Series {
                    label: "candidates".into(),
                    points: coh
                        .p_pass_histogram
                        .iter()
                        .map(|b| ((b.from + b.to) / 2.0, b.n as f64))
                        .collect(),
                }],
            )
        },
        "Most candidates are clearly ready or clearly not; the middle is where more practice decides.",
    )?;
    let curve = &coh.learning_curve;
    doc.figure(
        &Chart {
            hlines: vec![
                (ctx.scale.cut, format!("pass mark {}", ctx.scale.cut)),
                (coh.target, format!("target {}", coh.target)),
            ],
            ..Chart::lines(
                "readiness_learning_curve",
                "Learning curve: mean scaled score by attempt",
                "full-length attempt number",
                "mean scaled score",
                vec![Series {
                    label: "mean scaled score".into(),
                    points: curve
                        .iter()
                        .map(|c| (c.attempt as f64, c.mean_scaled))
                        .collect(),
                }],
            )
        },
        "Repeaters are a selected group: later attempts are taken by those who did not stop.",
    )?;
    doc.end_group();
    doc.table(
        "readiness_learning_curve",
        &[
            "full-length attempt",
            "attempts",
            "pass rate",
            "reached target",
            "mean scaled",
        ],
        curve
            .iter()
            .map(|c| {
                vec![
                    c.attempt.to_string(),
                    c.attempts.to_string(),
                    super::pct(c.pass_rate),
                    super::pct(c.target_rate),
                    f(c.mean_scaled, 1),
                ]
            })
            .collect(),
    )?;
    doc.pair();
    doc.figure(
        &Chart {
            bar_width: Some(0.6),
            x_names: std::iter::once(String::new())
                .chain(coh.weakest.iter().map(|w| w.domain.clone()))
                .collect(),
            ..Chart::lines(
                "readiness_weakest",
                "Weakest domain, by candidate",
                "blueprint domain",
                "candidates",
                vec![Series {
                    label: "candidates".into(),
                    points: coh
                        .weakest
                        .iter()
                        .enumerate()
                        .map(|(k, w)| ((k + 1) as f64, w.candidates as f64))
                        .collect(),
                }],
            )
        },
        &format!(
            "No domain stands out for {} candidate(s): the evidence rule below names a domain only when it is clearly below the candidate's overall level.",
            coh.no_domain_stands_out
        ),
    )?;
    if let Some(out) = &coh.outcomes {
        doc.figure(
            &super::readiness_model::reliability_chart(
                "readiness_reliability",
                "Predicted P(pass) against official outcomes",
                &out.reliability,
            ),
            &format!(
                "{} candidates with an official result, in bins of predicted P(passing the exam), with 95 % bands.",
                out.candidates
            ),
        )?;
        doc.end_group();
        doc.p(&format!(
            "Official outcomes: {} candidates. Brier score of P(passing the exam) {}, of P(theta > cut) {}, of always predicting the base rate {}. The last full-length practice score correlates {} with the official scaled score ({} pairs).",
            out.candidates,
            f(out.brier_exam, 3),
            f(out.brier, 3),
            f(out.brier_base_rate, 3),
            out.correlation.map(|r| f(r, 3)).unwrap_or_else(|| "(too few pairs)".into()),
            out.scaled_pairs
        ));
    } else {
        doc.end_group();
    }
    super::readiness_model::model_section(doc, ctx, coh)?;
    doc.note("Per candidate: readiness.csv and readiness_attempts.csv; a page per candidate with `qbank readiness DIR --candidate ID`.");
    Ok(())
}

/// Writes `dir/ID.html` and `dir/ID.md` (figures in `dir/figures/`).
pub fn candidate_page(
    ctx: &Context,
    c: &CandidateReadiness,
    coh: &Cohort,
    dir: &Path,
) -> Result<(), WriteError> {
    let safe = crate::report::files::safe_file_name(&c.candidate_id);
    let s = &ctx.scale;
    let mut doc = Doc::new(
        &format!("Readiness of candidate {}", c.candidate_id),
        "Practice scores are estimates: every figure carries its uncertainty.",
        &dir.join("figures"),
        "figures",
        None,
    );
    doc.section("summary", "Would I pass?");
    // The status reads the first probability; the second may differ a lot when the fitted
    // practice -> exam shift is large, so the sentence says why.
    let why_exam = if ctx.shift.abs() >= 0.05 {
        format!(
            "allowing for that exam's own measurement error and for candidates scoring {} logits {} on the official exam than in practice (fitted to official outcomes)",
            f(ctx.shift.abs(), 2),
            if ctx.shift > 0.0 { "higher" } else { "lower" }
        )
    } else {
        "allowing for that exam's own measurement error".to_string()
    };
    doc.p(&format!(
        "Status: {} (decided on the first probability). Probability that your ability is above the pass mark now: {}; of passing a full-length official exam now, {}: {} (all {} attempt(s) combined, later ones counting more; scaled score about {}). {} of your last {} full-length attempt(s) reached the target of {}.",
        c.status.as_str(),
        super::pct(c.p_pass),
        why_exam,
        super::pct(c.p_pass_exam),
        c.attempts.len(),
        f(c.scaled, 0),
        c.target_hits,
        c.full_in_window,
        ctx.opts.target
    ));
    doc.p(&super::readiness_model::time_to_ready_words(ctx, c));
    doc.p(&super::readiness_model::outcome_words(coh));
    doc.note(&crate::readiness::Status::rule(&ctx.opts));
    doc.note(&format!("Model: {}.", crate::readiness::growth_model(ctx)));
    let pts: Vec<(f64, f64)> = c
        .attempts
        .iter()
        .map(|a| (a.number as f64, a.scaled))
        .collect();
    let whiskers = c
        .attempts
        .iter()
        .map(|a| (a.number as f64, a.low90, a.high90))
        .collect();
    doc.pair();
    doc.figure(
        &Chart {
            whiskers,
            hlines: vec![(s.cut, format!("pass mark {}", s.cut)), (ctx.opts.target, format!("target {}", ctx.opts.target))],
            x_names: std::iter::once(String::new())
                .chain(c.attempts.iter().map(|a| format!("{} ({})", a.number, a.form_id)))
                .collect(),
            ..Chart::lines(
                &format!("{safe}_trend"),
                "Scaled score by attempt, with 90 % intervals",
                "attempt (form)",
                "scaled score",
                vec![Series { label: "scaled score".into(), points: pts }],
            )
        },
        "Each bar is the 90 % interval from the form's conditional SEM; a short diagnostic gives a wide one.",
    )?;
    let shown: Vec<&crate::readiness::DomainProfile> =
        c.domains.iter().filter(|d| d.enough_evidence).collect();
    doc.figure(
        &Chart {
            bar_width: Some(0.6),
            whiskers: shown
                .iter()
                .enumerate()
                .map(|(k, d)| ((k + 1) as f64, d.cost - 1.645 * d.cost_se, d.cost + 1.645 * d.cost_se))
                .collect(),
            x_names: std::iter::once(String::new()).chain(shown.iter().map(|d| ctx.domain_id(d.domain).to_string())).collect(),
            ..Chart::lines(
                &format!("{safe}_domains"),
                "Domain profile: scaled points lost against the cut",
                "blueprint domain",
                "scaled points below the cut (negative = above)",
                vec![Series {
                    label: "shortfall".into(),
                    points: shown.iter().enumerate().map(|(k, d)| ((k + 1) as f64, d.cost)).collect(),
                }],
            )
        },
        "Bars: expected scaled points a full-length form costs you in each domain compared with a candidate exactly at the cut, with 90 % intervals.",
    )?;
    doc.end_group();
    doc.table(
        "attempts",
        &[
            "#",
            "form",
            "submitted",
            "raw",
            "scaled",
            "90 % interval",
            "P(pass)",
            "note",
        ],
        c.attempts
            .iter()
            .map(|a| {
                vec![
                    a.number.to_string(),
                    a.form_id.clone(),
                    a.submitted_at.clone(),
                    format!("{}/{}", a.raw, a.scored_items),
                    f(a.scaled, 0),
                    format!("{}–{}", f(a.low90, 0), f(a.high90, 0)),
                    super::pct(a.p_pass),
                    a.note.clone(),
                ]
            })
            .collect(),
    )?;
    doc.section("domains", "Where to study");
    doc.table(
        "domains",
        &[
            "domain",
            "items seen",
            "proportion right",
            "augmented (latest)",
            "expected at the cut",
            "scaled points lost",
            "± (90 %)",
            "score / predicted from other domains",
            "below your overall level?",
        ],
        c.domains
            .iter()
            .map(|d| {
                let id = ctx.domain_id(d.domain).to_string();
                if d.enough_evidence {
                    vec![
                        id,
                        d.items.to_string(),
                        f(d.observed, 2),
                        d.augmented.map(|a| f(a, 2)).unwrap_or_default(),
                        f(d.expected_at_cut, 2),
                        f(d.cost, 1),
                        f(1.645 * d.cost_se, 1),
                        format!("{} / {}", f(d.score, 1), f(d.predicted_score, 1)),
                        match (d.stands_out, d.p_adjusted) {
                            (true, Some(p)) => format!("yes (adjusted p {})", f(p, 3)),
                            (false, Some(p)) => format!("no (adjusted p {})", f(p, 2)),
                            _ => String::new(),
                        },
                    ]
                } else {
                    let mut row = vec![id, d.items.to_string(), "not enough evidence".into()];
                    row.resize(9, String::new());
                    row
                }
            })
            .collect(),
    )?;
    doc.note("Augmented (latest): your proportion right on your latest attempt in the domain, pulled towards what your total score predicts as far as the domain's few items cannot be trusted on their own (Haberman 2008). Score / predicted: your recent domain score (later attempts counting more) against what your other domains predict; a domain is called below your overall level only when the difference is too large to be chance.");
    doc.p(&plan_words(ctx, c));
    std::fs::create_dir_all(dir).map_err(WriteError::at(dir))?;
    doc.write(
        &dir.join(format!("{safe}.html")),
        Some(&dir.join(format!("{safe}.md"))),
    )
}

/// The study plan in plain words.
pub fn plan_words(ctx: &Context, c: &CandidateReadiness) -> String {
    let name = |d: usize| {
        let id = ctx.domain_id(d);
        match ctx.domain_names.get(d).filter(|n| !n.is_empty()) {
            Some(n) => format!("{n} ({id})"),
            None => id.to_string(),
        }
    };
    let mut s = match advice(&c.domains, c.weakest) {
        Advice::AllRight => {
            return "You answered every scored item right in your recent attempts: no domain to study first.".into()
        }
        Advice::NoEvidence => {
            return "Not enough evidence yet on any domain to say where to study: take a full-length practice exam.".into()
        }
        Advice::Weakest(weakest) => {
            let parts: Vec<String> = c
                .plan
                .iter()
                .map(|&(d, share)| {
                    let cost = c.domains[d].cost;
                    format!(
                        "{} % on {} (about {} scaled points lost there)",
                        f(100.0 * share, 0),
                        name(d),
                        f(cost, 0)
                    )
                })
                .collect();
            format!(
                "Weakest domain: {}, clearly below your overall level ({} % confidence). Study plan: spend {}.",
                name(weakest),
                f(100.0 * ctx.opts.weakest_confidence, 0),
                parts.join(", ")
            )
        }
        Advice::NoneStandsOut => format!(
            "No domain stands out: your domain scores are within what your overall level predicts, so differences between them may be chance. Keep practising in blueprint proportion ({}).",
            plan_text(ctx, &c.plan)
        ),
    };
    let thin: Vec<String> = c
        .domains
        .iter()
        .filter(|d| !d.enough_evidence)
        .map(|d| name(d.domain))
        .collect();
    if !thin.is_empty() {
        s.push_str(&format!(
            " Not enough evidence yet on {}: take a full-length practice exam to judge it.",
            thin.join(", ")
        ));
    }
    s
}

/// Writes `readiness.csv` (one row per candidate), `readiness_attempts.csv` (one row per attempt)
/// and `readiness.json` (cohort figures).
pub fn write_tables(
    out: &Path,
    ctx: &Context,
    cands: &[CandidateReadiness],
    coh: &Cohort,
) -> Result<(), WriteError> {
    let opt_f = |x: Option<f64>, d: usize| x.map(|v| fmt_f(v, d)).unwrap_or_default();
    // Further attempts to ready; "" beyond the horizon would read as missing, so say it.
    let ahead = |x: Option<usize>| {
        x.map(|n| n.to_string())
            .unwrap_or_else(|| format!(">{}", crate::readiness::candidate::MAX_AHEAD))
    };
    let mut header: Vec<String> = [
        "candidate_id",
        "attempts",
        "full_length_attempts",
        "last_attempt_id",
        "last_form_id",
        "last_scaled",
        "last_low90",
        "last_high90",
        "last_p_pass",
        "theta",
        "psd",
        "scaled",
        "p_pass",
        "p_pass_exam",
        "window",
        "full_in_window",
        "target_hits",
        "status",
        "attempts_to_ready",
        "attempts_to_ready_low",
        "attempts_to_ready_high",
        "weakest_domain",
        "study_plan",
    ]
    .map(String::from)
    .to_vec();
    for (d, _) in &ctx.domains {
        for suffix in ["items", "shortfall", "cost", "cost_se", "z", "p_adjusted"] {
            header.push(format!("{d}_{suffix}"));
        }
    }
    header.extend(["official_passed".to_string(), "official_scaled".to_string()]);
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    let p = out.join("readiness.csv");
    write_csv(
        &p,
        &h,
        cands.iter().map(|c| {
            let last = c
                .attempts
                .last()
                .expect("assessed candidates have attempts");
            let mut row = vec![
                c.candidate_id.clone(),
                c.attempts.len().to_string(),
                c.attempts
                    .iter()
                    .filter(|a| a.full_length)
                    .count()
                    .to_string(),
                last.attempt_id.clone(),
                last.form_id.clone(),
                fmt_f(last.scaled, 0),
                fmt_f(last.low90, 0),
                fmt_f(last.high90, 0),
                fmt_f(last.p_pass, 4),
                fmt_f(c.theta, 4),
                fmt_f(c.psd, 4),
                fmt_f(c.scaled, 0),
                fmt_f(c.p_pass, 4),
                fmt_f(c.p_pass_exam, 4),
                c.window.to_string(),
                c.full_in_window.to_string(),
                c.target_hits.to_string(),
                c.status.as_str().to_string(),
                ahead(c.attempts_to_ready),
                ahead(c.attempts_to_ready_low),
                ahead(c.attempts_to_ready_high),
                match advice(&c.domains, c.weakest) {
                    Advice::Weakest(d) => ctx.domain_id(d).to_string(),
                    Advice::NoneStandsOut => "no domain stands out".into(),
                    Advice::AllRight => "none (every item right)".into(),
                    Advice::NoEvidence => "not enough evidence".into(),
                },
                plan_text(ctx, &c.plan),
            ];
            for d in &c.domains {
                row.push(d.items.to_string());
                if d.enough_evidence {
                    row.extend([
                        fmt_f(d.shortfall, 4),
                        fmt_f(d.cost, 1),
                        fmt_f(d.cost_se, 1),
                        opt_f(d.z, 3),
                        opt_f(d.p_adjusted, 4),
                    ]);
                } else {
                    row.push("not enough evidence".to_string());
                    row.extend(std::iter::repeat_n(String::new(), 4));
                }
            }
            row.push(c.official_passed.map(|b| b.to_string()).unwrap_or_default());
            row.push(opt_f(c.official_scaled, 0));
            row
        }),
    )
    .map_err(WriteError::at(&p))?;
    let p = out.join("readiness_attempts.csv");
    write_csv(
        &p,
        &[
            "candidate_id",
            "number",
            "attempt_id",
            "submitted_at",
            "form_id",
            "full_length",
            "scored_items",
            "raw",
            "scaled",
            "csem",
            "low90",
            "high90",
            "eap",
            "psd",
            "p_pass",
            "reached_target",
            "note",
        ],
        cands.iter().flat_map(|c| {
            c.attempts.iter().map(move |a| {
                vec![
                    c.candidate_id.clone(),
                    a.number.to_string(),
                    a.attempt_id.clone(),
                    a.submitted_at.clone(),
                    a.form_id.clone(),
                    a.full_length.to_string(),
                    a.scored_items.to_string(),
                    a.raw.to_string(),
                    fmt_f(a.scaled, 0),
                    fmt_f(a.csem, 1),
                    fmt_f(a.low90, 0),
                    fmt_f(a.high90, 0),
                    fmt_f(a.eap, 4),
                    fmt_f(a.psd, 4),
                    fmt_f(a.p_pass, 4),
                    a.reached_target.to_string(),
                    a.note.clone(),
                ]
            })
        }),
    )
    .map_err(WriteError::at(&p))?;
    let p = out.join("readiness.json");
    super::tables::write_json(&p, coh)?;
    Ok(())
}
