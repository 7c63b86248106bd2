//! The exam-security outputs: `security_attempts.csv`, `security_items.csv`,
//! `security_windows.csv`, `response_times.csv`, `security.json`, and the report section
//! "Exam security" with the person-fit distribution and a figure per flagged item.

use std::path::Path;

use crate::exam::Dataset;
use crate::security::drift::DriftMonitor;
use crate::security::workflow::SecurityAnalysis;

use super::doc::Doc;
use super::figures::{Chart, Series};
use super::files::{fmt_f, write_csv, WriteError};
use super::tables::write_json;

/// Flagged items shown as figures in the report (the rest are in the tables).
pub const MAX_ITEM_FIGURES: usize = 20;

fn opt(x: Option<f64>, d: usize) -> String {
    x.map(|v| fmt_f(v, d)).unwrap_or_default()
}

fn flag(x: Option<bool>) -> String {
    x.map(|b| b.to_string()).unwrap_or_default()
}

/// The bank items' ids.
pub fn item_ids(ds: &Dataset, a: &SecurityAnalysis) -> Vec<String> {
    a.bank_items
        .iter()
        .map(|&i| ds.exam.items[i].id.clone())
        .collect()
}

/// Writes every security table into `out`.
pub fn write_tables(out: &Path, ds: &Dataset, a: &SecurityAnalysis) -> Result<(), WriteError> {
    let ids = item_ids(ds, a);
    write_json(&out.join("security.json"), &a.summary(&ids))?;
    write_attempts(out, ds, a)?;
    write_items(out, a, &ids)?;
    write_windows(out, a, &ids)?;
    write_response_times(out, a, &ids)
}

fn write_attempts(out: &Path, ds: &Dataset, a: &SecurityAnalysis) -> Result<(), WriteError> {
    let m = &ds.matrix;
    let p = out.join("security_attempts.csv");
    let times = a.times.as_ref().ok();
    let rows = (0..m.n_attempts()).map(|k| {
        let mut r = vec![
            m.attempt_id(k).to_string(),
            m.candidate_id(m.candidate(k)).to_string(),
            ds.exam.forms[m.form(k)].id.clone(),
            m.submitted_at(k).to_string(),
            a.window[k]
                .map(|w| a.window_starts[w as usize].clone())
                .unwrap_or_default(),
        ];
        match &a.person_fit.fits[k] {
            Ok(f) => r.extend([
                f.n_items.to_string(),
                f.n_right.to_string(),
                fmt_f(f.theta, 4),
                fmt_f(f.theta_se, 4),
                fmt_f(f.lz, 4),
                fmt_f(f.lz_star, 4),
                fmt_f(f.p_lz_star, 4),
                opt(f.u3, 4),
                flag(f.flagged_calibrated),
                flag(f.flagged_u3),
            ]),
            Err(_) => r.extend(std::iter::repeat_n(String::new(), 10)),
        }
        let speed = times.and_then(|t| t.speed.get(k));
        let person = times.and_then(|t| t.fit.persons.get(k));
        r.extend([
            opt(person.and_then(|p| p.tau), 4),
            opt(person.and_then(|p| p.se_tau), 4),
            opt(speed.and_then(|s| s.chi_square), 3),
            opt(speed.and_then(|s| s.p_value), 4),
            flag(speed.map(|s| s.flagged)),
            times
                .and_then(|t| t.rapid.per_person.get(k))
                .map(|n| n.to_string())
                .unwrap_or_default(),
            opt(times.and_then(|t| t.rapid.response_time_effort[k]), 4),
        ]);
        match a.preknowledge.as_ref().map(|p| &p.tests[k]) {
            Some(Ok(t)) => r.extend([
                t.n_suspected.to_string(),
                fmt_f(t.statistic, 4),
                fmt_f(t.p_value, 4),
                t.flagged.to_string(),
            ]),
            _ => r.extend(std::iter::repeat_n(String::new(), 4)),
        }
        let mut findings = a.attempt_findings(k);
        if let Err(e) = &a.person_fit.fits[k] {
            findings.insert(0, format!("no person fit: {e}"));
        }
        r.push(findings.join("; "));
        r
    });
    write_csv(
        &p,
        &[
            "attempt_id",
            "candidate_id",
            "form_id",
            "submitted_at",
            "window",
            "n_items",
            "n_right",
            "theta",
            "theta_se",
            "lz",
            "lz_star",
            "p_lz_star",
            "u3",
            "lz_star_flag",
            "u3_flag",
            "speed",
            "speed_se",
            "speed_chi_square",
            "speed_p",
            "speed_flag",
            "rapid_guesses",
            "response_time_effort",
            "n_suspected",
            "preknowledge_lr",
            "preknowledge_p",
            "preknowledge_flag",
            "findings",
        ],
        rows,
    )
    .map_err(WriteError::at(&p))
}

fn monitor_cells(a: &SecurityAnalysis, m: Option<&DriftMonitor>, j: usize) -> [String; 3] {
    let Some(it) = m.map(|m| &m.items[j]) else {
        return Default::default();
    };
    let date = |w: Option<usize>| w.map(|w| a.window_starts[w].clone()).unwrap_or_default();
    [
        date(it.flagged_at),
        date(it.exposed_from),
        fmt_f(it.max_cusum, 3),
    ]
}

fn write_items(out: &Path, a: &SecurityAnalysis, ids: &[String]) -> Result<(), WriteError> {
    let p = out.join("security_items.csv");
    let pc = a.drift.as_ref().map(|d| &d.proportion_correct);
    let rf = a.drift.as_ref().and_then(|d| d.right_and_fast.as_ref());
    let times = a.times.as_ref().ok();
    let rows = (0..ids.len()).map(|j| {
        let mut r = vec![ids[j].clone()];
        r.push(
            pc.map(|m| m.items[j].n_responses.to_string())
                .unwrap_or_default(),
        );
        r.extend(monitor_cells(a, pc, j));
        r.extend(monitor_cells(a, rf, j));
        let fc = times.map(|t| &t.fast_correct[j]);
        r.extend([
            opt(fc.and_then(|f| f.share), 4),
            opt(fc.and_then(|f| f.expected_share), 4),
            opt(fc.and_then(|f| f.z), 3),
            flag(fc.map(|f| f.flagged)),
            a.suspected.contains(&j).to_string(),
        ]);
        let mut words = Vec::new();
        if !r[2].is_empty() {
            words.push(format!(
                "statistically unusual: more right answers than the calibration predicts from {}",
                if r[3].is_empty() { &r[2] } else { &r[3] }
            ));
        }
        if !r[5].is_empty() {
            words.push(format!(
                "statistically unusual: more right-and-fast answers than expected from {}",
                if r[6].is_empty() { &r[5] } else { &r[6] }
            ));
        }
        if fc.is_some_and(|f| f.flagged) {
            words.push("answered right unusually fast over the whole period".to_string());
        }
        r.push(words.join("; "));
        r
    });
    write_csv(
        &p,
        &[
            "item_id",
            "n_dated_responses",
            "correct_signal_window",
            "correct_exposed_from",
            "correct_max_cusum",
            "fast_signal_window",
            "fast_exposed_from",
            "fast_max_cusum",
            "fast_correct_share",
            "fast_correct_expected",
            "fast_correct_z",
            "fast_correct_flag",
            "suspected",
            "findings",
        ],
        rows,
    )
    .map_err(WriteError::at(&p))
}

fn write_windows(out: &Path, a: &SecurityAnalysis, ids: &[String]) -> Result<(), WriteError> {
    let p = out.join("security_windows.csv");
    let mut rows = Vec::new();
    if let Some(d) = &a.drift {
        for (j, it) in d.proportion_correct.items.iter().enumerate() {
            let fast = d.right_and_fast.as_ref().map(|m| &m.items[j].windows);
            for (w, s) in it.windows.iter().enumerate() {
                if s.n == 0 {
                    continue;
                }
                let f = fast.map(|f| &f[w]);
                rows.push(vec![
                    ids[j].clone(),
                    a.window_starts[w].clone(),
                    s.n.to_string(),
                    fmt_f(s.observed, 4),
                    fmt_f(s.expected, 4),
                    opt(s.z, 3),
                    fmt_f(s.cusum, 3),
                    opt(f.map(|f| f.observed), 4),
                    opt(f.map(|f| f.expected), 4),
                    opt(f.and_then(|f| f.z), 3),
                    opt(f.map(|f| f.cusum), 3),
                ]);
            }
        }
    }
    write_csv(
        &p,
        &[
            "item_id",
            "window",
            "n",
            "p_observed",
            "p_expected",
            "z",
            "cusum",
            "fast_observed",
            "fast_expected",
            "fast_z",
            "fast_cusum",
        ],
        rows,
    )
    .map_err(WriteError::at(&p))
}

fn write_response_times(
    out: &Path,
    a: &SecurityAnalysis,
    ids: &[String],
) -> Result<(), WriteError> {
    let p = out.join("response_times.csv");
    let rows: Vec<Vec<String>> = match &a.times {
        Ok(t) => t
            .fit
            .items
            .iter()
            .enumerate()
            .map(|(j, it)| {
                vec![
                    ids[j].clone(),
                    it.n.to_string(),
                    opt(it.beta, 4),
                    opt(it.se_beta, 4),
                    opt(it.alpha, 4),
                    opt(it.se_alpha, 4),
                    opt(t.thresholds[j], 2),
                    t.rapid.per_item[j].to_string(),
                ]
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    write_csv(
        &p,
        &[
            "item_id",
            "n_times",
            "beta",
            "se_beta",
            "alpha",
            "se_alpha",
            "rapid_threshold_seconds",
            "rapid_guesses",
        ],
        rows,
    )
    .map_err(WriteError::at(&p))
}

/// `security.html` (and its figures): the report section on its own, for `qbank security`.
pub fn write_page(out: &Path, ds: &Dataset, a: &SecurityAnalysis) -> Result<(), WriteError> {
    let mut doc = Doc::new(
        &format!("{} — exam security", ds.exam.config.name),
        &format!("Exam security of {}", ds.exam.config.name),
        &out.join("figures"),
        "figures",
        None,
    );
    section(&mut doc, ds, a)?;
    doc.write(&out.join("security.html"), None)
}

/// The report section "Exam security".
pub fn section(doc: &mut Doc, ds: &Dataset, a: &SecurityAnalysis) -> Result<(), WriteError> {
    let ids = item_ids(ds, a);
    let s = a.summary(&ids);
    doc.section("security", "Exam security");
    doc.note(
        "These are statistical screens. A flag means a pattern is statistically unusual under the \
         calibrated model, not that anybody did anything wrong: at the stated levels some flags \
         are expected by chance alone, and a flag is a reason to look, never evidence on its own.",
    );
    let alpha = s.person_alpha;
    doc.list(
        &[
            format!(
                "Person fit (lz*, Snijders 2001, and U3): {} of {} scored attempts statistically \
                 unusual by lz* and {} by U3 at {} %; about {:.0} are expected by chance.",
                s.lz_star_flags,
                s.person_fit_scored,
                s.u3_flags,
                100.0 * alpha,
                s.person_fit_expected_false_flags
            ),
            match &s.response_times {
                None => format!(
                    "Response times (lognormal model, van der Linden 2006): {} rapid guesses \
                     (NT10: under {} % of the item's mean time, at most {} s; {} of responses); \
                     {} attempts with statistically unusual timing; {} items answered right \
                     unusually fast.",
                    s.rapid_guesses,
                    fmt_f(100.0 * a.config.rapid_fraction, 0),
                    a.config.rapid_max_seconds,
                    super::pct(s.rapid_guess_share),
                    s.speed_flags,
                    s.fast_correct_items
                ),
                Some(e) => format!("Response times: not analysed ({e})."),
            },
            if s.windows == 0 {
                "Items over time: no submission dates, so no time windows.".to_string()
            } else {
                format!(
                    "Items over time: {} items monitored over {} windows of {} days from {}; a \
                     CUSUM (k = {}, h = {}) flags an unchanged item with probability {} over the \
                     whole period, so about {:.1} flags are expected by chance; {} signals.",
                    s.items_monitored,
                    s.windows,
                    s.window_days,
                    s.first_window.clone().unwrap_or_default(),
                    s.cusum_k,
                    opt(s.cusum_h, 2),
                    s.item_false_alarm,
                    s.item_expected_false_flags,
                    s.flagged_items.len()
                )
            },
            if s.suspected_items.is_empty() {
                "Preknowledge: no suspected items, so no test.".to_string()
            } else {
                format!(
                    "Preknowledge (Sinharay 2017, signed likelihood ratio) on {} suspected items \
                     ({}): {} of {} attempts statistically unusual at {} %; about {:.0} are \
                     expected by chance.",
                    s.suspected_items.len(),
                    match s.suspected_source {
                        crate::security::workflow::SuspectedSource::File => "from the list given",
                        crate::security::workflow::SuspectedSource::ItemMonitors =>
                            "those the item monitors flagged",
                    },
                    s.preknowledge_flags,
                    s.preknowledge_tested,
                    100.0 * s.preknowledge_alpha,
                    s.preknowledge_expected_false_flags
                )
            },
        ],
        false,
    );
    person_fit_figure(doc, a)?;
    if !s.flagged_items.is_empty() {
        doc.table(
            "security_flagged_items",
            &[
                "item",
                "statistic",
                "signal in window of",
                "looks exposed from",
            ],
            s.flagged_items
                .iter()
                .map(|f| {
                    vec![
                        f.item_id.clone(),
                        f.statistic.replace('_', " "),
                        f.signal_window.clone(),
                        f.exposed_from.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        )?;
    }
    item_figures(doc, a, &ids)
}

fn person_fit_figure(doc: &mut Doc, a: &SecurityAnalysis) -> Result<(), WriteError> {
    let (lo, width, nb) = (-6.0, 0.25, 40);
    let mut counts = vec![0.0; nb];
    let mut n = 0.0;
    for f in a.person_fit.fits.iter().flatten() {
        let b = ((f.lz_star - lo) / width)
            .floor()
            .clamp(0.0, (nb - 1) as f64) as usize;
        counts[b] += 1.0;
        n += 1.0;
    }
    if n == 0.0 {
        return Ok(());
    }
    let mut chart = Chart::lines(
        "security_person_fit",
        "Person fit: lz* of every scored attempt",
        "lz* (negative = less consistent with the model)",
        "share of attempts",
        vec![Series {
            label: "attempts".into(),
            points: counts
                .iter()
                .enumerate()
                .map(|(k, c)| (lo + width * (k as f64 + 0.5), c / n))
                .collect(),
        }],
    );
    chart.bar_width = Some(width * 0.9);
    if let Some(c) = a.person_fit.lz_star_cutoff {
        chart.vline = Some((c, "flag cutoff".into()));
    }
    doc.figure(
        &chart,
        "Distribution of lz*; attempts left of the cutoff are statistically unusual (about the \
         stated share of model-fitting attempts falls there by chance).",
    )
}

fn item_figures(doc: &mut Doc, a: &SecurityAnalysis, ids: &[String]) -> Result<(), WriteError> {
    let Some(d) = &a.drift else {
        return Ok(());
    };
    let mut shown = 0;
    for (j, medians) in a.median_log_seconds.iter().enumerate() {
        let Some(medians) = medians else { continue };
        if shown == MAX_ITEM_FIGURES {
            doc.note("Further flagged items are listed in security_items.csv.");
            break;
        }
        shown += 1;
        let it = &d.proportion_correct.items[j];
        let x = |w: usize| w as f64;
        // Windows the monitor used (enough responses); thinner ones are noise in a figure.
        let used = |w: &&crate::security::drift::WindowStat| w.z.is_some();
        let obs: Vec<(f64, f64)> = it
            .windows
            .iter()
            .filter(used)
            .map(|w| (x(w.window), w.observed))
            .collect();
        let exp: Vec<(f64, f64)> = it
            .windows
            .iter()
            .filter(used)
            .map(|w| (x(w.window), w.expected))
            .collect();
        let step = a.window_starts.len().div_ceil(10).max(1);
        let names: Vec<String> = a
            .window_starts
            .iter()
            .enumerate()
            .map(|(w, s)| {
                if w % step == 0 {
                    s[5..].to_string()
                } else {
                    String::new()
                }
            })
            .collect();
        let exposed = it.exposed_from.or(d
            .right_and_fast
            .as_ref()
            .and_then(|m| m.items[j].exposed_from));
        doc.subsection(&format!("Item {}", ids[j]), true);
        doc.pair();
        let mut c1 = Chart::lines(
            &format!("security_item_{}_p", super::files::safe_file_name(&ids[j])),
            &format!("{}: proportion right by window", ids[j]),
            "window (start, MM-DD)",
            "proportion right",
            vec![
                Series {
                    label: "observed".into(),
                    points: obs,
                },
                Series {
                    label: "expected from the calibration".into(),
                    points: exp,
                },
            ],
        );
        c1.x_names = names.clone();
        if let Some(e) = exposed {
            c1.vline = Some((
                e as f64,
                format!("looks exposed from {}", a.window_starts[e]),
            ));
        }
        doc.figure(&c1, "Observed and expected proportion right per window.")?;
        let mut c2 = Chart::lines(
            &format!(
                "security_item_{}_time",
                super::files::safe_file_name(&ids[j])
            ),
            &format!("{}: median log-time by window", ids[j]),
            "window (start, MM-DD)",
            "median ln(seconds)",
            vec![Series {
                label: "median ln(seconds)".into(),
                points: medians
                    .iter()
                    .enumerate()
                    .filter(|(w, v)| v.is_finite() && it.windows[*w].z.is_some())
                    .map(|(w, &v)| (w as f64, v))
                    .collect(),
            }],
        );
        c2.x_names = names;
        if let Some(e) = exposed {
            c2.vline = Some((
                e as f64,
                format!("looks exposed from {}", a.window_starts[e]),
            ));
        }
        doc.figure(&c2, "Median log response time per window.")?;
        doc.end_group();
    }
    Ok(())
}
