//! The report: one self-contained HTML file (`index.html`: CSS inline, figures as inline SVG, no
//! scripts, no network) plus every figure as `figures/NAME.svg` and `.png`. Tables in the report
//! are the CSVs written by the stages; the report reads the same result structs.

pub mod figures;

use std::fmt::Write as _;
use std::path::Path;

use crate::classical::ItemAnalysis;
use crate::exam::Dataset;
use crate::irt::workflow::CalibrationResult;
use crate::run::{EquatingSummary, Overview};
use crate::scale::ConversionTable;
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
    pub equating: &'a EquatingSummary,
    pub tables: &'a [ConversionTable],
    pub warnings: &'a [String],
}

fn f(x: f64, d: usize) -> String {
    crate::output::fmt_f(x, d)
}

fn table(out: &mut String, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) {
    out.push_str("<table><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", esc(&c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn figure(out: &mut String, svg: &str, caption: &str) {
    // Drop the XML declaration: the SVG is inlined into HTML.
    let body = svg.find("<svg").map(|i| &svg[i..]).unwrap_or(svg);
    let _ = write!(
        out,
        "<figure>{body}<figcaption>{}</figcaption></figure>\n",
        esc(caption)
    );
}

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.6em}h2{border-bottom:2px solid #0072b2;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0;font-size:.85em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}\
th{background:#eef4f9}td:first-child,th:first-child{text-align:left}figure{margin:1em 0}figure svg{max-width:100%;height:auto}\
figcaption{font-size:.85em;color:#555}.note{color:#555;font-size:.9em}.warn{color:#a33}\
@media print{h2{page-break-before:always}figure{page-break-inside:avoid}}";

/// Builds the figures and `index.html` in `out`.
pub fn write_report(input: &ReportInput<'_>, out: &Path) -> Result<(), String> {
    let fig_dir = out.join("figures");
    let ds = input.ds;
    let m = &ds.matrix;
    let eq = input.equating;
    let scale = &eq.scale;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} — qbank report</title><style>{CSS}</style></head><body>\n",
        esc(&input.overview.exam)
    );
    let _ = write!(
        html,
        "<h1>{}</h1><p class=\"note\">qbank report of <code>{}</code></p>\n",
        esc(&input.overview.exam),
        esc(&input.overview.data_dir)
    );

    // Overview
    let o = input.overview;
    html.push_str("<section id=\"overview\"><h2>Overview</h2>");
    let _ = write!(
        html,
        "<p>{} attempts by {} candidates on {} forms ({} items in the bank, {} responses), submitted from {} to {}.</p>",
        o.attempts,
        o.candidates,
        o.forms.len(),
        o.items,
        o.responses,
        esc(&o.first_submitted),
        esc(&o.last_submitted)
    );
    table(
        &mut html,
        &[
            "form",
            "scored items",
            "pretest items",
            "attempts",
            "mean raw score",
            "raw cut",
            "pass rate at 700",
        ],
        o.forms.iter().map(|fo| {
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
                fe.map(|x| format!("{} %", f(100.0 * x.pass_rate, 1)))
                    .unwrap_or_default(),
            ]
        }),
    );
    if input.warnings.is_empty() {
        html.push_str("<p>Validation: no warnings.</p>");
    } else {
        let _ = write!(
            html,
            "<p class=\"warn\">{} warning(s):</p><ul>",
            input.warnings.len()
        );
        for w in input.warnings.iter().take(50) {
            let _ = write!(html, "<li>{}</li>", esc(w));
        }
        html.push_str("</ul>");
    }
    html.push_str("</section>\n");

    // Score distributions
    html.push_str("<section id=\"scores\"><h2>Score distributions</h2>");
    let mut cdf_series = Vec::new();
    let mut raw_series = Vec::new();
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
            name: format!("scaled_{}", t.form_id),
            title: format!("Scaled scores, form {}", t.form_id),
            x_label: "scaled score (100-1000)".into(),
            y_label: "attempts".into(),
            series: vec![Series {
                label: t.form_id.clone(),
                points: counts
                    .iter()
                    .enumerate()
                    .map(|(k, c)| (scale.min + bin * (k as f64 + 0.5), *c))
                    .collect(),
            }],
            bar_width: Some(bin * 0.9),
            vline: Some((
                scale.cut,
                format!("cut {} (pass rate {} %)", scale.cut, f(100.0 * pass, 1)),
            )),
            hline: None,
        };
        let svg = figures::write(&chart, &fig_dir)?;
        figure(
            &mut html,
            &svg,
            &format!(
                "Form {}: {} attempts; {} % at or above {}.",
                t.form_id,
                attempts.len(),
                f(100.0 * pass, 1),
                scale.cut
            ),
        );
        let mut sorted = scaled.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        cdf_series.push(Series {
            label: t.form_id.clone(),
            points: sorted
                .iter()
                .enumerate()
                .map(|(k, s)| (*s, (k + 1) as f64 / n))
                .collect(),
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
    let svg = figures::write(
        &Chart {
            name: "raw_scores".into(),
            title: "Raw score distributions".into(),
            x_label: "raw score (scored items right)".into(),
            y_label: "share of attempts".into(),
            series: raw_series,
            bar_width: None,
            vline: None,
            hline: None,
        },
        &fig_dir,
    )?;
    figure(
        &mut html,
        &svg,
        "Raw scores by form (pretest items never count).",
    );
    let svg = figures::write(
        &Chart {
            name: "cumulative".into(),
            title: "Cumulative distribution of scaled scores".into(),
            x_label: "scaled score".into(),
            y_label: "share of attempts at or below".into(),
            series: cdf_series,
            bar_width: None,
            vline: Some((scale.cut, format!("cut {}", scale.cut))),
            hline: None,
        },
        &fig_dir,
    )?;
    figure(
        &mut html,
        &svg,
        "All forms overlaid: where the curves cross the cut, the share failing.",
    );
    html.push_str("</section>\n");

    // Item review
    html.push_str("<section id=\"items\"><h2>Item review for authors</h2><p>Pretest items (pooled over forms) with their statistics and flags; the criterion is the scored total.</p>");
    let pooled: Vec<_> = input
        .items
        .items
        .iter()
        .filter(|s| s.form_id == crate::classical::POOLED && s.role != "scored")
        .collect();
    table(
        &mut html,
        &[
            "item",
            "presented",
            "p-value",
            "point-biserial",
            "omit rate",
            "median s",
            "flags",
        ],
        pooled.iter().map(|s| {
            let flags: Vec<String> = input
                .items
                .flags
                .iter()
                .filter(|fl| fl.item_id == s.item_id)
                .map(|fl| fl.reason.clone())
                .collect();
            vec![
                s.item_id.clone(),
                f(s.n_presented, 0),
                f(s.p_value, 3),
                f(s.point_biserial, 3),
                f(s.omit_rate, 3),
                f(s.median_seconds, 1),
                flags.join("; "),
            ]
        }),
    );
    html.push_str("</section>\n");

    // Calibration
    let cal = input.calibration;
    html.push_str("<section id=\"calibration\"><h2>Calibration</h2>");
    let _ = write!(
        html,
        "<p>{} calibration, {} EM cycles, log-likelihood {}. Estimated items:</p>",
        if cal.mode == crate::irt::workflow::Mode::FixedParameter {
            "Fixed-parameter (bank items fixed)"
        } else {
            "Concurrent"
        },
        cal.calibration.iterations,
        f(cal.calibration.loglik, 2)
    );
    table(
        &mut html,
        &[
            "item", "model", "a", "b", "c", "se(b)", "n", "S-X2 p", "flags",
        ],
        cal.estimates.iter().filter(|e| !e.fixed).map(|e| {
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
        }),
    );
    // Wright map: ability (EAP) and item difficulty on one theta axis.
    let scores = crate::irt::scoring::score_persons(&cal.responses, &cal.calibration);
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
        name: "wright_map".into(),
        title: "Wright map: candidates and items on one theta scale".into(),
        x_label: "theta (bank scale)".into(),
        y_label: "share per 0.25 theta".into(),
        series: vec![
            Series {
                label: "candidates (EAP)".into(),
                points: hist(&mut scores.iter().map(|s| s.eap)),
            },
            Series {
                label: "items (b)".into(),
                points: hist(&mut cal.calibration.items.iter().map(|i| i.b())),
            },
        ],
        bar_width: Some(0.22),
        vline: Some((
            scale.theta_cut,
            format!("cut theta {}", f(scale.theta_cut, 2)),
        )),
        hline: None,
    };
    let svg = figures::write(&wright, &fig_dir)?;
    figure(
        &mut html,
        &svg,
        "Item difficulties beside the candidates' abilities; the cut is marked.",
    );
    let theta: Vec<f64> = (0..=80).map(|k| -4.0 + 0.1 * k as f64).collect();
    let mut info = Vec::new();
    for (fi, form) in ds.exam.forms.iter().enumerate() {
        let items = cal.scored_params(ds, fi);
        let ti = crate::irt::scoring::test_information(&items, &theta);
        info.push(Series {
            label: form.id.clone(),
            points: theta
                .iter()
                .zip(ti)
                .map(|(t, i)| (*t, 1.0 / i.sqrt()))
                .collect(),
        });
    }
    let svg = figures::write(
        &Chart {
            name: "csem".into(),
            title: "Conditional standard error by form".into(),
            x_label: "theta".into(),
            y_label: "SE of theta = 1 / sqrt(information)".into(),
            series: info,
            bar_width: None,
            vline: Some((scale.theta_cut, "cut".into())),
            hline: None,
        },
        &fig_dir,
    )?;
    figure(
        &mut html,
        &svg,
        "Measurement is most precise where the curve is lowest; it should be low at the cut.",
    );
    html.push_str("</section>\n");

    // Equating
    html.push_str("<section id=\"equating\"><h2>Equating</h2>");
    let conv = Chart {
        name: "conversion".into(),
        title: "Raw to scaled conversions".into(),
        x_label: "raw score".into(),
        y_label: "scaled score".into(),
        series: input
            .tables
            .iter()
            .map(|t| Series {
                label: t.form_id.clone(),
                points: t.rows.iter().map(|r| (r.raw as f64, r.reported)).collect(),
            })
            .collect(),
        bar_width: None,
        vline: None,
        hline: Some((scale.cut, format!("pass mark {}", scale.cut))),
    };
    let svg = figures::write(&conv, &fig_dir)?;
    figure(&mut html, &svg, "Each form's raw scores on the common scale (IRT true-score equating); where a curve crosses 700 is its raw cut.");
    table(
        &mut html,
        &[
            "form",
            "mean b",
            "raw cut",
            "true-score cut",
            "decision accuracy",
            "decision consistency",
            "kappa",
        ],
        eq.forms.iter().map(|x| {
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
        }),
    );
    table(
        &mut html,
        &[
            "form linked to base",
            "method",
            "A",
            "B",
            "common items",
            "anchors drifting",
        ],
        eq.links.iter().map(|l| {
            vec![
                l.form_id.clone(),
                l.link.method.as_str().to_string(),
                f(l.link.slope, 4),
                f(l.link.intercept, 4),
                l.n_common.to_string(),
                l.anchors.iter().filter(|a| a.flagged).count().to_string(),
            ]
        }),
    );
    html.push_str("<p class=\"note\">Full conversion tables: conversion_FORM.csv.</p></section>\n");

    // DIF
    if let Some(spec) = &input.items.dif_spec {
        let _ = write!(html, "<section id=\"dif\"><h2>DIF</h2><p>Mantel-Haenszel, {} = {} (reference) vs {} (focal). Items in ETS categories B and C:</p>", esc(&spec.column), esc(&spec.reference), esc(&spec.focal));
        table(
            &mut html,
            &[
                "item",
                "n reference",
                "n focal",
                "MH D-DIF",
                "SE",
                "category",
            ],
            input.items.dif.iter().filter_map(|d| {
                let mh = d.mh.as_ref().filter(|m| m.category != 'A')?;
                Some(vec![
                    d.item_id.clone(),
                    f(d.n_reference, 0),
                    f(d.n_focal, 0),
                    f(mh.d_dif, 2),
                    f(mh.se_d_dif, 2),
                    mh.category.to_string(),
                ])
            }),
        );
        html.push_str("</section>\n");
    }
    html.push_str("</body></html>\n");
    let p = out.join("index.html");
    crate::output::write_atomic(&p, |w| w.write_all(html.as_bytes()))
        .map_err(|e| format!("{}: {e}", p.display()))
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
