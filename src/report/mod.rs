//! The report: one self-contained HTML file (`index.html`: CSS inline, figures as inline SVG, no
//! scripts, no network), the same as Markdown (`index.md`, with `--format md`), every figure as
//! `figures/NAME.svg` and `.png`, and every table as `tables/NAME.csv`. The report reads the same
//! result structs the stages wrote their CSVs from.

pub mod doc;
pub mod figures;
pub mod readiness;

use std::path::Path;

use crate::classical::ItemAnalysis;
use crate::exam::Dataset;
use crate::irt::workflow::CalibrationResult;
use crate::run::{EquatingSummary, Overview};
use crate::scale::ConversionTable;
use doc::Doc;
use figures::{Chart, Series};

/// Escapes text for HTML (ids and messages come from user files).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Everything the report shows.
pub struct ReportInput<'a> {
    pub ds: &'a Dataset,
    pub overview: &'a Overview,
    pub items: &'a ItemAnalysis,
    pub calibration: &'a CalibrationResult,
    /// Every person's scores under that calibration (in its `responses` order).
    pub scores: &'a [crate::irt::scoring::PersonScore],
    pub equating: &'a EquatingSummary,
    pub tables: &'a [ConversionTable],
    pub warnings: &'a [String],
    pub readiness: Option<(&'a crate::readiness::Context, &'a crate::readiness::Cohort)>,
    /// Also write `index.md`.
    pub markdown: bool,
}

pub(crate) fn f(x: f64, d: usize) -> String {
    crate::output::fmt_f(x, d)
}

fn pct(x: f64) -> String {
    format!("{} %", f(100.0 * x, 1))
}

/// Flagged pretest items get a card each, up to this many (the rest are in the table).
pub const MAX_CARDS: usize = 40;

/// Builds the figures, tables and `index.html` (and `index.md`) in `out`.
pub fn write_report(input: &ReportInput<'_>, out: &Path) -> Result<(), String> {
    let o = input.overview;
    let mut doc = Doc::new(
        &format!("{} — qbank report", o.exam),
        &format!("qbank report of {}", o.data_dir),
        &out.join("figures"),
        "figures",
        Some(&out.join("tables")),
    );
    // Person scores (EAP) for the Wright map and the item cards' ability groups.
    let scores = input.scores;
    overview(&mut doc, input)?;
    score_distributions(&mut doc, input)?;
    item_review(&mut doc, input, scores)?;
    calibration(&mut doc, input, scores)?;
    equating(&mut doc, input)?;
    if let Some((ctx, coh)) = input.readiness {
        readiness::cohort_section(&mut doc, ctx, coh)?;
    }
    dif(&mut doc, input)?;
    doc.write(
        &out.join("index.html"),
        input.markdown.then(|| out.join("index.md")).as_deref(),
    )
}

fn overview(doc: &mut Doc, input: &ReportInput<'_>) -> Result<(), String> {
    let o = input.overview;
    let eq = input.equating;
    doc.section("overview", "Overview");
    doc.p(&format!(
        "{} attempts by {} candidates on {} forms ({} items in the bank, {} responses), submitted from {} to {}.",
        o.attempts,
        o.candidates,
        o.forms.len(),
        o.items,
        o.responses,
        o.first_submitted,
        o.last_submitted
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

fn score_distributions(doc: &mut Doc, input: &ReportInput<'_>) -> Result<(), String> {
    let ds = input.ds;
    let m = &ds.matrix;
    let scale = &input.equating.scale;
    doc.section("scores", "Score distributions");
    let mut cdf_series = Vec::new();
    let mut raw_series = Vec::new();
    doc.pair();
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
        let bin = 25.0;
        let nb = ((scale.max - scale.min) / bin).ceil() as usize + 1;
        let mut counts = vec![0.0; nb];
        for s in &scaled {
            counts[(((s - scale.min) / bin).floor() as usize).min(nb - 1)] += 1.0;
        }
        let chart = Chart {
            bar_width: Some(bin * 0.9),
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
                    points: counts
                        .iter()
                        .enumerate()
                        .map(|(k, c)| (scale.min + bin * (k as f64 + 0.5), *c))
                        .collect(),
                }],
            )
        };
        doc.figure(
            &chart,
            &format!(
                "Form {}: {} attempts; {} at or above {}.",
                t.form_id,
                attempts.len(),
                pct(pass),
                scale.cut
            ),
        )?;
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
    doc.end_group();
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
fn item_flags(input: &ReportInput<'_>, item_id: &str) -> Vec<String> {
    let mut v: Vec<String> = input
        .items
        .flags
        .iter()
        .filter(|fl| fl.item_id == item_id)
        .map(|fl| fl.reason.clone())
        .collect();
    if let Some(e) = input
        .calibration
        .estimates
        .iter()
        .find(|e| e.item_id == item_id)
    {
        v.extend(e.flags.iter().cloned());
    }
    v
}

fn item_review(
    doc: &mut Doc,
    input: &ReportInput<'_>,
    scores: &[crate::irt::scoring::PersonScore],
) -> Result<(), String> {
    doc.section("items", "Item review for authors");
    doc.p("Pretest items (pooled over forms) with their statistics and flags; the criterion is the scored total.");
    let pooled: Vec<_> = input
        .items
        .items
        .iter()
        .filter(|s| s.form_id == crate::classical::POOLED && s.role != "scored")
        .collect();
    doc.table(
        "pretest_items",
        &[
            "item",
            "presented",
            "p-value",
            "point-biserial",
            "omit rate",
            "median s",
            "flags",
        ],
        pooled
            .iter()
            .map(|s| {
                vec![
                    s.item_id.clone(),
                    f(s.n_presented, 0),
                    f(s.p_value, 3),
                    f(s.point_biserial, 3),
                    f(s.omit_rate, 3),
                    f(s.median_seconds, 1),
                    item_flags(input, &s.item_id).join("; "),
                ]
            })
            .collect(),
    )?;
    let flagged: Vec<&str> = pooled
        .iter()
        .map(|s| s.item_id.as_str())
        .filter(|id| !item_flags(input, id).is_empty())
        .collect();
    if flagged.is_empty() {
        return Ok(());
    }
    doc.p(&format!(
        "{} flagged pretest item(s){}: each card shows the model's ICC over the proportions correct of candidates grouped by ability (a fit plot) and the share choosing each option by score fifth (trace lines).",
        flagged.len(),
        if flagged.len() > MAX_CARDS { format!(", the first {MAX_CARDS} as cards") } else { String::new() }
    ));
    // One pass over the responses collects (EAP, right) for every carded item.
    let cards: Vec<&str> = flagged.into_iter().take(MAX_CARDS).collect();
    let data = &input.calibration.responses;
    let mut slot = vec![usize::MAX; data.n_items()];
    for (j, id) in cards.iter().enumerate() {
        if let Some(k) = data.item_ids.iter().position(|i| i == id) {
            slot[k] = j;
        }
    }
    let mut seen: Vec<Vec<(f64, bool)>> = vec![Vec::new(); cards.len()];
    for (p, score) in scores.iter().enumerate() {
        for &c in data.codes(p) {
            let j = slot[c as usize / 2];
            if j != usize::MAX {
                seen[j].push((score.eap, c & 1 == 1));
            }
        }
    }
    for (id, seen) in cards.into_iter().zip(seen) {
        item_card(doc, input, id, seen)?;
    }
    Ok(())
}

/// Ability groups for the fit plot.
const FIT_GROUPS: usize = 10;

fn item_card(
    doc: &mut Doc,
    input: &ReportInput<'_>,
    item_id: &str,
    mut seen: Vec<(f64, bool)>,
) -> Result<(), String> {
    let cal = input.calibration;
    let scale = &input.equating.scale;
    doc.subsection(&format!("Item {item_id}"), true);
    doc.list(&item_flags(input, item_id), true);
    let safe = crate::output::safe_file_name(item_id);
    doc.pair();
    // ICC against empirical proportions by EAP group (equal-count groups).
    if let Some(k) = cal.responses.item_ids.iter().position(|i| i == item_id) {
        seen.sort_by(|x, y| x.0.total_cmp(&y.0));
        let g = FIT_GROUPS.min(seen.len().max(1));
        let mut empirical = Vec::new();
        let mut whiskers = Vec::new();
        for chunk in 0..g {
            let part = &seen[chunk * seen.len() / g..(chunk + 1) * seen.len() / g];
            if part.is_empty() {
                continue;
            }
            let n = part.len() as f64;
            let x = part.iter().map(|s| s.0).sum::<f64>() / n;
            let y = part.iter().filter(|s| s.1).count() as f64 / n;
            let se = (y * (1.0 - y) / n).sqrt();
            empirical.push((x, y));
            whiskers.push((x, (y - 1.96 * se).max(0.0), (y + 1.96 * se).min(1.0)));
        }
        let model = cal.calibration.items[k];
        let curve: Vec<(f64, f64)> = (0..=60)
            .map(|t| -3.0 + 0.1 * t as f64)
            .map(|t| (t, model.p(t)))
            .collect();
        let chart = Chart {
            whiskers,
            vline: Some((scale.theta_cut, "cut".into())),
            ..Chart::lines(
                &format!("icc_{safe}"),
                &format!("{item_id}: model ICC and observed proportions"),
                "theta (EAP of ability group)",
                "proportion correct",
                vec![
                    Series {
                        label: "observed (95 % interval)".into(),
                        points: empirical,
                    },
                    Series {
                        label: "model ICC".into(),
                        points: curve,
                    },
                ],
            )
        };
        doc.figure(
            &chart,
            &format!(
                "{item_id}: {} responses in {g} equal-size ability groups; a = {}, b = {}, c = {}.",
                seen.len(),
                f(model.a, 2),
                f(model.b(), 2),
                f(model.c, 2)
            ),
        )?;
    }
    // Option trace lines by score fifth (pooled over forms).
    let options: Vec<_> = input
        .items
        .options
        .iter()
        .filter(|o| {
            o.item_id == item_id && o.form_id == crate::classical::POOLED && o.kind != "set"
        })
        .collect();
    if !options.is_empty() {
        let chart = Chart {
            x_names: ["", "1 lowest", "2", "3", "4", "5 highest"]
                .map(String::from)
                .to_vec(),
            ..Chart::lines(
                &format!("trace_{safe}"),
                &format!("{item_id}: option trace lines"),
                "score group (fifths of the scored total)",
                "share choosing the option",
                options
                    .iter()
                    .map(|o| Series {
                        label: format!("{} ({})", o.option, o.kind),
                        points: o
                            .share_by_quintile
                            .iter()
                            .enumerate()
                            .map(|(q, s)| ((q + 1) as f64, *s))
                            .collect(),
                    })
                    .collect(),
            )
        };
        doc.figure(
            &chart,
            "The key should rise with the score and each distractor fall; a rising distractor suggests a miskey or a second right answer.",
        )?;
    }
    doc.end_group();
    Ok(())
}

fn calibration(
    doc: &mut Doc,
    input: &ReportInput<'_>,
    scores: &[crate::irt::scoring::PersonScore],
) -> Result<(), String> {
    let cal = input.calibration;
    let ds = input.ds;
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
                    points: hist(&mut cal.calibration.items.iter().map(|i| i.b())),
                },
            ],
        )
    };
    doc.pair();
    doc.figure(
        &wright,
        "Item difficulties beside the candidates' abilities; the cut is marked.",
    )?;
    let theta: Vec<f64> = (0..=80).map(|k| -4.0 + 0.1 * k as f64).collect();
    let info = ds
        .exam
        .forms
        .iter()
        .enumerate()
        .map(|(fi, form)| {
            let ti = crate::irt::scoring::test_information(&cal.scored_params(ds, fi), &theta);
            Series {
                label: form.id.clone(),
                points: theta
                    .iter()
                    .zip(ti)
                    .map(|(t, i)| (*t, 1.0 / i.sqrt()))
                    .collect(),
            }
        })
        .collect();
    doc.figure(
        &Chart {
            vline: Some((scale.theta_cut, "cut".into())),
            ..Chart::lines(
                "csem",
                "Conditional standard error by form",
                "theta",
                "SE of theta = 1 / sqrt(information)",
                info,
            )
        },
        "Measurement is most precise where the curve is lowest; it should be low at the cut.",
    )?;
    doc.end_group();
    Ok(())
}

fn equating(doc: &mut Doc, input: &ReportInput<'_>) -> Result<(), String> {
    let eq = input.equating;
    let scale = &eq.scale;
    doc.section("equating", "Equating");
    let conv = Chart {
        hlines: vec![(scale.cut, format!("pass mark {}", scale.cut))],
        ..Chart::lines(
            "conversion",
            "Raw to scaled conversions",
            "raw score",
            "scaled score",
            input
                .tables
                .iter()
                .map(|t| Series {
                    label: t.form_id.clone(),
                    points: t.rows.iter().map(|r| (r.raw as f64, r.reported)).collect(),
                })
                .collect(),
        )
    };
    doc.figure(&conv, "Each form's raw scores on the common scale (IRT true-score equating); where a curve crosses 700 is its raw cut.")?;
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
        eq.links.iter().map(|l| l.summary_row(4)).collect(),
    )?;
    let drifting: Vec<Vec<String>> = eq
        .links
        .iter()
        .flat_map(|l| {
            l.drift_rows(3)
                .filter(|(a, _)| a.flagged)
                .map(|(_, row)| row)
        })
        .collect();
    if drifting.is_empty() {
        doc.p(&format!(
            "No anchor's b moved by more than {} after linking.",
            crate::equate::workflow::DRIFT_THRESHOLD
        ));
    } else {
        doc.table(
            "anchor_drift",
            &["form", "anchor", "b (bank)", "b (linked)", "displacement"],
            drifting,
        )?;
    }
    doc.note("Full conversion tables with theta and CSEM: conversion_FORM.csv; every anchor's drift: anchor_drift.csv.");
    Ok(())
}

fn dif(doc: &mut Doc, input: &ReportInput<'_>) -> Result<(), String> {
    let Some(spec) = &input.items.dif_spec else {
        return Ok(());
    };
    doc.section("dif", "DIF");
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

#[cfg(test)]
mod tests {
    #[test]
    fn ids_cannot_inject_markup() {
        assert_eq!(
            super::esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
