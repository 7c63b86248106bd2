//! The readiness model in the report: the growth model learnt from official outcomes with its
//! cross-validation (both reliability diagrams), Haberman's PRMSE per domain, and the plain-word
//! account of how well predictions have matched official outcomes (report and candidate page).

use super::doc::Doc;
use super::f;
use super::figures::{Chart, Series};
use super::files::WriteError;
use crate::readiness::{Bin, CandidateReadiness, Cohort, Context, ModelFit, PredictionScores};

/// A reliability diagram: observed share against mean prediction per bin, each with its 95 %
/// band (observed ± 1.96 sqrt(p (1 - p) / n), p the bin's mean prediction).
pub fn reliability_chart(name: &str, title: &str, bins: &[Bin]) -> Chart {
    let used: Vec<&Bin> = bins.iter().filter(|b| b.n > 0).collect();
    let whiskers = used
        .iter()
        .map(|b| {
            let se = (b.predicted * (1.0 - b.predicted) / b.n as f64).sqrt();
            (
                b.predicted,
                (b.observed - 1.96 * se).max(0.0),
                (b.observed + 1.96 * se).min(1.0),
            )
        })
        .collect();
    Chart {
        whiskers,
        ..Chart::lines(
            name,
            title,
            "predicted P(passing the exam) (bin mean)",
            "share who passed officially",
            vec![
                Series {
                    label: "observed (95 % band)".into(),
                    points: used.iter().map(|b| (b.predicted, b.observed)).collect(),
                },
                Series {
                    label: "perfect calibration".into(),
                    points: vec![(0.0, 0.0), (1.0, 1.0)],
                },
            ],
        )
    }
}

/// Bins with at least `min_n` candidates whose observed share lies outside the 95 % band.
pub fn bins_outside_band(bins: &[Bin], min_n: usize) -> usize {
    bins.iter()
        .filter(|b| b.n >= min_n)
        .filter(|b| {
            let se = (b.predicted * (1.0 - b.predicted) / b.n as f64).sqrt();
            (b.observed - b.predicted).abs() > 1.96 * se
        })
        .count()
}

fn direction(s: &PredictionScores) -> &'static str {
    if s.calibration_slope > 1.15 {
        "too cautious (real results were more clear-cut than predicted)"
    } else if s.calibration_slope < 0.85 {
        "too confident (real results were less clear-cut than predicted)"
    } else {
        "about as spread out as the real results"
    }
}

/// How well the predictions have matched official outcomes so far, in plain words.
pub fn outcome_words(coh: &Cohort) -> String {
    let Some(m) = coh.model.as_ref() else {
        return "The predictions have not been checked against official results.".into();
    };
    match (&m.cross_validation, &coh.outcomes) {
        (Some(cv), _) => {
            let (b, a) = (&cv.defaults, &cv.fitted);
            format!(
                "How well have predictions matched real results? {n} candidates have an official result. \
                 Each of them was predicted by a model learnt from the other candidates only ({k}-fold cross-validation). \
                 With the learnt model the average squared error of the pass probability (Brier score) is {ba} against {bb} with the starting assumptions (0 would be perfect; always predicting the overall pass rate gives {base}); \
                 of the candidates given 70-80 %, {hit70} % passed. \
                 The predictions are {dir}; {out} of the bins with at least 30 candidates fall outside their 95 % bands.",
                n = cv.candidates,
                k = cv.folds,
                ba = f(a.brier, 3),
                bb = f(b.brier, 3),
                base = coh.outcomes.as_ref().map(|o| f(o.brier_base_rate, 3)).unwrap_or_default(),
                hit70 = a
                    .reliability
                    .get(7)
                    .filter(|bin| bin.n > 0)
                    .map(|bin| f(100.0 * bin.observed, 0))
                    .unwrap_or_else(|| "(too few to say)".into()),
                dir = direction(a),
                out = bins_outside_band(&a.reliability, 30),
            )
        }
        (None, Some(o)) => format!(
            "{} candidates have an official result, too few to learn the model from ({}); with the default model the Brier score of the pass probability is {} (always predicting the pass rate: {}).",
            o.candidates,
            m.note,
            f(o.brier_exam, 3),
            f(o.brier_base_rate, 3)
        ),
        (None, None) => format!(
            "No official results are known yet, so the predictions have not been checked against real outcomes: {}.",
            m.note
        ),
    }
}

fn model_rows(m: &ModelFit) -> Vec<Vec<String>> {
    let e = m.estimate.as_ref();
    let row = |name: &str, d: f64, used: f64, se: Option<f64>| {
        vec![
            name.to_string(),
            f(d, 3),
            f(used, 3),
            se.map(|s| f(s, 3)).unwrap_or_default(),
        ]
    };
    vec![
        row(
            "growth per attempt (theta)",
            m.defaults.growth,
            m.used.growth,
            e.map(|e| e.growth_se),
        ),
        row(
            "SD of growth (theta)",
            m.defaults.growth_sd,
            m.used.growth_sd,
            e.map(|e| e.growth_sd_se),
        ),
        row(
            "practice -> exam shift (theta)",
            m.defaults.shift,
            m.used.shift,
            e.map(|e| e.shift_se),
        ),
    ]
}

fn scores_row(name: &str, s: &PredictionScores) -> Vec<String> {
    vec![
        name.to_string(),
        f(s.brier, 4),
        f(s.log_loss, 4),
        f(s.calibration_intercept, 3),
        f(s.calibration_slope, 3),
        bins_outside_band(&s.reliability, 30).to_string(),
    ]
}

/// The model subsection of the readiness section: estimates, cross-validation, both reliability
/// diagrams, PRMSE per domain.
pub fn model_section(doc: &mut Doc, ctx: &Context, coh: &Cohort) -> Result<(), WriteError> {
    doc.subsection("The readiness model and how well it predicts", false);
    if let Some(m) = &coh.model {
        doc.p(&format!("Growth model: {} ({}).", m.source, m.note));
        doc.table(
            "readiness_model",
            &["parameter", "default", "used", "SE"],
            model_rows(m),
        )?;
        if let Some(cv) = &m.cross_validation {
            doc.table(
                "readiness_cross_validation",
                &[
                    "predictions",
                    "Brier",
                    "log loss",
                    "calibration intercept",
                    "calibration slope",
                    "bins (n >= 30) outside 95 % band",
                ],
                vec![
                    scores_row("defaults", &cv.defaults),
                    scores_row(&format!("fitted ({}-fold CV)", cv.folds), &cv.fitted),
                ],
            )?;
            doc.pair();
            doc.figure(
                &reliability_chart(
                    "readiness_reliability_defaults",
                    "Before: default model",
                    &cv.defaults.reliability,
                ),
                "Default growth model (growth and shift 0), against official outcomes.",
            )?;
            doc.figure(
                &reliability_chart(
                    "readiness_reliability_fitted",
                    "After: fitted model (cross-validated)",
                    &cv.fitted.reliability,
                ),
                "Each candidate predicted by the model fitted on the other folds.",
            )?;
            doc.end_group();
        }
    }
    doc.p(&outcome_words(coh));
    if let Some(sub) = &coh.subscores {
        doc.table(
            "readiness_prmse",
            &[
                "domain",
                "items per form",
                "alpha = PRMSE(subscore)",
                "PRMSE(total)",
                "PRMSE(augmented)",
                "added value",
            ],
            sub.domains
                .iter()
                .map(|d| {
                    let o = |x: Option<f64>| x.map(|v| f(v, 3)).unwrap_or_else(|| "—".into());
                    vec![
                        ctx.domain_id(d.domain).to_string(),
                        format!("{}–{}", d.n_items_min, d.n_items_max),
                        o(d.prmse_subscore),
                        o(d.prmse_total),
                        o(d.prmse_augmented),
                        if d.added_value { "yes" } else { "no" }.into(),
                    ]
                })
                .collect(),
        )?;
        doc.note("Haberman (2008): a domain subscore has added value when it predicts the candidate's true domain score better than the total score does (PRMSE(subscore) > PRMSE(total)); per form, pooled by persons. Without added value a domain score is mostly the total plus noise, so a domain is named the weakest only on the evidence rule below.");
    }
    doc.note(&coh.weakest_rule);
    Ok(())
}

/// Time to ready in words.
pub fn time_to_ready_words(ctx: &Context, c: &CandidateReadiness) -> String {
    let n = |x: Option<usize>| match x {
        Some(v) => v.to_string(),
        None => format!("more than {}", crate::readiness::candidate::MAX_AHEAD),
    };
    let r = super::pct(ctx.opts.ready_probability);
    match c.attempts_to_ready {
        Some(0) => format!("Your probability of passing is already at the ready threshold ({r})."),
        x => format!(
            "Time to ready: at the estimated growth of {} theta per attempt, about {} further practice attempt(s) until your probability of passing reaches {r} (90 % interval from the growth estimate's uncertainty: {} to {}).",
            f(ctx.opts.growth, 3),
            n(x),
            n(c.attempts_to_ready_low),
            n(c.attempts_to_ready_high)
        ),
    }
}
