//! The report's sections: overview, score distributions, calibration, equating and DIF.

use super::doc::Doc;
use super::figures::{Chart, Series};
use super::files::WriteError;
use super::tables::link_row;
use super::{f, pct, ReportInput};
use crate::irt::ItemModel;

pub(super) fn overview(doc: &mut Doc, input: &ReportInput<'_>) -> Result<(), WriteError> {
    let o = input.overview;
    let eq = input.equating;
    doc.section("overview", "Overview");
    let dates = if o.first_submitted.is_empty() {
        " (the log has no submission times)".to_string()
    } else {
        format!(
            ", submitted from {} to {}",
            o.first_submitted, o.last_submitted
        )
    };
    doc.p(&format!(
        "{} attempts by {} candidate(s) on {} form(s) ({} items in the bank, {} responses){dates}.",
        o.attempts,
        o.candidates,
        o.forms.len(),
        o.items,
        o.responses,
    ));
    doc.table(
        "forms",
        &[
            "form",
            "scored items",
            "pretest items",
            "attempts",
            "mean raw score",
            "raw cut",
            "pass rate at 700",
        ],
        o.forms
            .iter()
            .map(|fo| {
                let fe = eq.forms.iter().find(|x| x.form_id == fo.form_id);
                vec![
                    fo.form_id.clone(),
                    fo.scored_items.to_string(),
                    fo.pretest_items.to_string(),
                    fo.attempts.to_string(),
                    f(fo.mean_raw_score, 2),
                    fe.and_then(|x| x.raw_cut)
                        .map(|c| c.to_string())
                        .unwrap_or_default(),
                    fe.map(|x| pct(x.pass_rate)).unwrap_or_default(),
                ]
            })
            .collect(),
    )?;
    if input.warnings.is_empty() {
        doc.p("Validation: no warnings.");
    } else {
        doc.p(&format!(
            "Validation: {} warning(s){}:",
            input.warnings.len(),
            if input.warnings.len() > 50 {
                " (the first 50; all in validation.csv)"
            } else {
                ""
            }
        ));
        let shown: Vec<String> = input.warnings.iter().take(50).cloned().collect();
        doc.list(&shown, true);
    }
    Ok(())
}

pub(super) fn score_distributions(
    doc: &mut Doc,
    input: &ReportInput<'_>,
) -> Result<(), WriteError> {
    let ds = input.ds;
    let m = &ds.matrix;
    let scale = &input.equating.scale;
    doc.section("scores", "Score distributions");
    let mut cdf_series = Vec::new();
    let mut raw_series = Vec::new();
    let mut histograms = Vec::new();
    for t in input.tables {
        let fidx = ds.exam.form_index(&t.form_id).unwrap_or(0);
        let attempts: Vec<usize> = (0..m.n_attempts()).filter(|&a| m.form(a) == fidx).collect();
        if attempts.is_empty() {
            continue;
        }
        let n = attempts.len() as f64;
        let scaled: Vec<f64> = attempts
            .iter()
            .map(|&a| {
                t.rows
                    .get(m.raw_score(a) as usize)
                    .map(|r| r.reported)
                    .unwrap_or(scale.min)
            })
            .collect();
        let pass = scaled.iter().filter(|&&s| s >= scale.cut).count() as f64 / n;
        // One bar per reachable scaled score (raw scores sharing a reported score share a bar):
        // fixed-width bins would merge pairs of raw scores on some bins and not on others.
        let mut bars: Vec<(f64, f64)> = Vec::new();
        let mut reachable: Vec<f64> = t.rows.iter().map(|r| r.reported).collect();
        reachable.sort_by(f64::total_cmp);
        reachable.dedup();
        for s in &reachable {
            let c = scaled.iter().filter(|&&x| x == *s).count() as f64;
            bars.push((*s, c));
        }
        // The typical gap sets the width; bars closer than that (where the scale is clipped)
        // are narrowed by the figure so that they do not overlap.
        let mut gaps: Vec<f64> = reachable.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_by(f64::total_cmp);
        let gap = gaps.get(gaps.len() / 2).copied().unwrap_or(f64::INFINITY);
        let width = if gap.is_finite() {
            (0.8 * gap).clamp(2.0, 40.0)
        } else {
            10.0
        };
        let chart = Chart {
            bar_width: Some(width),
            vline: Some((
                scale.cut,
                format!("cut {} (pass rate {})", scale.cut, pct(pass)),
            )),
            ..Chart::lines(
                &format!("scaled_{}", t.form_id),
                &format!("Scaled scores, form {}", t.form_id),
                "scaled score (100-1000)",
                "attempts",
                vec![Series {
                    label: t.form_id.clone(),
                    points: bars,
                }],
            )
        };
        let caption = format!(
            "Form {}: {} attempts, one bar per reachable scaled score (raw score); {} at or above {}.",
            t.form_id,
            attempts.len(),
            pct(pass),
            scale.cut
        );
        histograms.push(super::multiples::FormHistogram {
            chart,
            caption,
            attempts: attempts.len(),
            pass,
        });
        let mut sorted = scaled.clone();
        sorted.sort_by(f64::total_cmp);
        // One point per distinct reported score (at most 901), not per attempt.
        let mut points: Vec<(f64, f64)> = Vec::new();
        for (k, s) in sorted.iter().enumerate() {
            let share = (k + 1) as f64 / n;
            match points.last_mut() {
                Some(last) if last.0 == *s => last.1 = share,
                _ => points.push((*s, share)),
            }
        }
        cdf_series.push(Series {
            label: t.form_id.clone(),
            points,
        });
        let k = t.rows.len();
        let mut raw = vec![0.0; k];
        for &a in &attempts {
            raw[(m.raw_score(a) as usize).min(k - 1)] += 1.0 / n;
        }
        raw_series.push(Series {
            label: t.form_id.clone(),
            points: raw
                .iter()
                .enumerate()
                .map(|(x, p)| (x as f64, *p))
                .collect(),
        });
    }
    super::multiples::form_histograms(doc, histograms, scale.cut)?;
    doc.pair();
    doc.figure(
        &Chart::lines(
            "raw_scores",
            "Raw score distributions",
            "raw score (scored items right)",
            "share of attempts",
            raw_series,
        ),
        "Raw scores by form (pretest items never count).",
    )?;
    doc.figure(
        &Chart {
            vline: Some((scale.cut, format!("cut {}", scale.cut))),
            ..Chart::lines(
                "cumulative",
                "Cumulative distribution of scaled scores",
                "scaled score",
                "share of attempts at or below",
                cdf_series,
            )
        },
        "All forms overlaid: where the curves cross the cut, the share failing.",
    )?;
    doc.end_group();
    Ok(())
}

/// Plain-word reasons an item is flagged: classical flags, then calibration flags.
pub(super) fn calibration(
    doc: &mut Doc,
    input: &ReportInput<'_>,
    scores: &[crate::irt::scoring::PersonScore],
) -> Result<(), WriteError> {
    let cal = input.calibration;
    let scale = &input.equating.scale;
    doc.section("calibration", "Calibration");
    doc.p(&format!(
        "{} calibration, {} EM cycles, log-likelihood {}. Estimated items:",
        if cal.mode == crate::irt::workflow::Mode::FixedParameter {
            "Fixed-parameter (bank items fixed)"
        } else {
            "Concurrent"
        },
        cal.calibration.iterations,
        f(cal.calibration.loglik, 2)
    ));
    doc.table(
        "estimated_items",
        &[
            "item", "model", "a", "b", "c", "se(b)", "n", "S-X2 p", "flags",
        ],
        cal.estimates
            .iter()
            .filter(|e| !e.fixed)
            .map(|e| {
                vec![
                    e.item_id.clone(),
                    e.model.as_str().to_string(),
                    f(e.a, 3),
                    f(e.b, 3),
                    f(e.c, 3),
                    e.se_b.map(|x| f(x, 3)).unwrap_or_default(),
                    f(e.n, 0),
                    e.fit.as_ref().map(|x| f(x.p_value, 4)).unwrap_or_default(),
                    e.flags.join("; "),
                ]
            })
            .collect(),
    )?;
    // Wright map: ability (EAP) and item difficulty on one theta axis.
    let hist = |vals: &mut dyn Iterator<Item = f64>| {
        let mut c = vec![0.0f64; 33];
        let mut n = 0.0f64;
        for v in vals {
            c[(((v + 4.0) / 0.25).floor().clamp(0.0, 32.0)) as usize] += 1.0;
            n += 1.0;
        }
        c.iter()
            .enumerate()
            .map(|(k, x)| (-4.0 + 0.25 * k as f64 + 0.125, x / n.max(1.0)))
            .collect::<Vec<_>>()
    };
    let wright = Chart {
        bar_width: Some(0.22),
        vline: Some((
            scale.theta_cut,
            format!("cut theta {}", f(scale.theta_cut, 2)),
        )),
        ..Chart::lines(
            "wright_map",
            "Wright map: candidates and items on one theta scale",
            "theta (bank scale)",
            "share per 0.25 theta",
            vec![
                Series {
                    label: "candidates (EAP)".into(),
                    points: hist(&mut scores.iter().map(|s| s.eap)),
                },
                Series {
                    label: "items (b)".into(),
                    points: hist(&mut cal.calibration.items.iter().map(|i| i.difficulty())),
                },
            ],
        )
    };
    doc.pair();
    doc.figure(
        &wright,
        "Item difficulties beside the candidates' abilities; the cut is marked.",
    )?;
    let (csem, caption) = super::precision::csem_chart(input, scores);
    doc.figure(&csem, &caption)?;
    doc.end_group();
    Ok(())
}

pub(super) fn equating(doc: &mut Doc, input: &ReportInput<'_>) -> Result<(), WriteError> {
    let eq = input.equating;
    let scale = &eq.scale;
    doc.section("equating", "Equating");
    let mut series: Vec<Series> = input
        .tables
        .iter()
        .map(|t| Series {
            label: t.form_id.clone(),
            points: t.rows.iter().map(|r| (r.raw as f64, r.reported)).collect(),
        })
        .collect();
    series.extend(super::uncertainty::cut_bands(eq, scale.cut));
    let conv = Chart {
        hlines: vec![(scale.cut, format!("pass mark {}", scale.cut))],
        ..Chart::lines(
            "conversion",
            "Raw to scaled conversions",
            "raw score",
            "scaled score",
            series,
        )
    };
    doc.figure(&conv, "Each form's raw scores on the common scale (IRT true-score equating); where a curve crosses the pass mark is its raw cut. The short segments just below the pass mark span each form's expected raw score at the cut theta plus or minus two standard errors (separate calibrations and links).")?;
    doc.p(&super::uncertainty::cut_words(eq));
    doc.table(
        "form_cuts",
        &[
            "form",
            "mean b",
            "raw cut",
            "true-score cut",
            "decision accuracy",
            "decision consistency",
            "kappa",
        ],
        eq.forms
            .iter()
            .map(|x| {
                let c = x.classification.as_ref();
                vec![
                    x.form_id.clone(),
                    f(x.mean_b, 3),
                    x.raw_cut.map(|r| r.to_string()).unwrap_or_default(),
                    f(x.true_score_cut, 2),
                    c.map(|c| f(c.accuracy, 3)).unwrap_or_default(),
                    c.map(|c| f(c.consistency, 3)).unwrap_or_default(),
                    c.map(|c| f(c.kappa, 3)).unwrap_or_default(),
                ]
            })
            .collect(),
    )?;
    doc.subsection(
        "Conversion tables (reported scaled score by raw score)",
        false,
    );
    let longest = input.tables.iter().map(|t| t.rows.len()).max().unwrap_or(0);
    let mut header = vec!["raw".to_string()];
    header.extend(input.tables.iter().map(|t| t.form_id.clone()));
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    doc.table(
        "conversion_tables",
        &h,
        (0..longest)
            .map(|raw| {
                let mut row = vec![raw.to_string()];
                row.extend(input.tables.iter().map(|t| {
                    t.rows
                        .get(raw)
                        .map(|r| f(r.reported, 0))
                        .unwrap_or_default()
                }));
                row
            })
            .collect(),
    )?;
    doc.subsection("Linking constants and anchor drift", false);
    if eq.links.is_empty() {
        doc.p("One form on its own scale: nothing to link, no anchors to drift.");
        doc.note("Full conversion tables with theta and CSEM: conversion_FORM.csv.");
        return Ok(());
    }
    doc.table(
        "linking",
        &[
            "form linked to base",
            "method",
            "A",
            "B",
            "common items",
            "anchors drifting",
        ],
        eq.links.iter().map(|l| link_row(l, 4)).collect(),
    )?;
    let drifting: Vec<Vec<String>> = eq
        .links
        .iter()
        .flat_map(|l| {
            l.anchors.iter().filter(|a| a.flagged).map(move |a| {
                vec![
                    l.form_id.clone(),
                    a.item_id.clone(),
                    f(a.b_old, 3),
                    f(a.b_new_on_old, 3),
                    f(a.displacement, 3),
                    f(a.se, 3),
                    f(a.p_holm, 4),
                ]
            })
        })
        .collect();
    doc.p(&super::uncertainty::drift_words(eq));
    if !drifting.is_empty() {
        doc.table(
            "anchor_drift",
            &[
                "form",
                "anchor",
                "b (bank)",
                "b (linked)",
                "displacement",
                "SE",
                "Holm p",
            ],
            drifting,
        )?;
    }
    doc.note("Full conversion tables with theta and CSEM: conversion_FORM.csv; every anchor's drift: anchor_drift.csv.");
    Ok(())
}

pub(super) fn dif(doc: &mut Doc, input: &ReportInput<'_>) -> Result<(), WriteError> {
    doc.section("dif", "DIF");
    let Some(spec) = &input.items.dif_spec else {
        doc.p("No DIF analysis: it needs a group column in candidates.csv (e.g. language) with at least two groups.");
        return Ok(());
    };
    doc.p(&format!(
        "Mantel-Haenszel, {} = {} (reference) vs {} (focal). Items in ETS categories B and C:",
        spec.column, spec.reference, spec.focal
    ));
    doc.table(
        "dif",
        &[
            "item",
            "n reference",
            "n focal",
            "MH D-DIF",
            "SE",
            "category",
        ],
        input
            .items
            .dif
            .iter()
            .filter_map(|d| {
                let mh = d.mh.as_ref().filter(|m| m.category != 'A')?;
                Some(vec![
                    d.item_id.clone(),
                    f(d.n_reference, 0),
                    f(d.n_focal, 0),
                    f(mh.d_dif, 2),
                    f(mh.se_d_dif, 2),
                    mh.category.to_string(),
                ])
            })
            .collect(),
    )?;
    Ok(())
}
