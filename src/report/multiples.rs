//! Per-form figures that scale with the number of forms: one figure each for a handful of forms,
//! small multiples in one figure (shared axes, one panel per form) past that.

use super::doc::Doc;
use super::figures::{Chart, Panels};
use super::files::WriteError;
use super::pct;

/// Past this many forms, per-form figures become small multiples in one figure.
pub const MAX_FORM_FIGURES: usize = 6;

/// Panels a row in small multiples.
const COLS: usize = 4;

/// One form's scaled-score histogram (bars of attempt counts), with its caption.
pub struct FormHistogram {
    pub chart: Chart,
    pub caption: String,
    pub attempts: usize,
    pub pass: f64,
}

/// The forms' scaled-score histograms: side by side for up to [`MAX_FORM_FIGURES`] forms, else
/// small multiples (`scaled_by_form`) with shares of each form's attempts on a common y axis,
/// so that forms of different sizes compare.
pub fn form_histograms(
    doc: &mut Doc,
    histograms: Vec<FormHistogram>,
    cut: f64,
) -> Result<(), WriteError> {
    if histograms.len() <= MAX_FORM_FIGURES {
        doc.pair();
        for h in &histograms {
            doc.figure(&h.chart, &h.caption)?;
        }
        doc.end_group();
        return Ok(());
    }
    let mut charts: Vec<Chart> = histograms
        .iter()
        .map(|h| {
            let n = h.attempts.max(1) as f64;
            let mut c = h.chart.clone();
            for s in &mut c.series {
                for p in &mut s.points {
                    p.1 /= n;
                }
            }
            let form = c
                .series
                .first()
                .map(|s| s.label.clone())
                .unwrap_or_default();
            c.title = format!("{form}: {} attempts, {} pass", h.attempts, pct(h.pass));
            c.y_label = "share".into();
            c.x_label = "scaled score".into();
            c
        })
        .collect();
    let points = || {
        charts
            .iter()
            .flat_map(|c| c.series.iter())
            .flat_map(|s| &s.points)
    };
    let half = charts
        .iter()
        .filter_map(|c| c.bar_width)
        .fold(0.0, f64::max);
    let x0 = points().map(|p| p.0).fold(cut, f64::min) - half;
    let x1 = points().map(|p| p.0).fold(cut, f64::max) + half;
    let y1 = points().map(|p| p.1).fold(0.0, f64::max) * 1.05;
    let y1 = if y1 > 0.0 { y1 } else { 1.0 };
    for c in &mut charts {
        c.x_range = Some((x0, x1));
        c.y_range = Some((0.0, y1));
    }
    let n = charts.len();
    doc.panels(
        &Panels {
            name: "scaled_by_form".into(),
            title: "Scaled scores by form".into(),
            charts,
            cols: COLS,
        },
        &format!(
            "{n} forms, one panel each on common axes: the share of the form's attempts at each reachable scaled score (one bar per raw score), the cut {cut} marked in grey; each panel's title gives its attempts and pass rate."
        ),
    )
}
