//! The conditional standard error figure, its y axis clipped to the range that matters.

use super::figures::{Chart, Series};
use super::{f, ReportInput};
use crate::irt::scoring::PersonScore;
use crate::irt::test_level::test_information;

/// Each form's SE of theta = 1 / sqrt(test information) over theta -4..4, with the caption.
///
/// Far from the items' difficulties the SE grows without bound (18 on a 5-form program), which
/// would flatten the curves where candidates are. The y axis therefore ends a little above the
/// largest SE over the theta range of the middle 95 % of candidates' EAPs (widened to hold the
/// cut); the caption says so and how high the curves go beyond it.
pub fn csem_chart(input: &ReportInput<'_>, scores: &[PersonScore]) -> (Chart, String) {
    let scale = &input.equating.scale;
    let theta: Vec<f64> = (0..=80).map(|k| -4.0 + 0.1 * k as f64).collect();
    let series: Vec<Series> = input
        .ds
        .exam
        .forms
        .iter()
        .enumerate()
        .map(|(fi, form)| {
            let ti = test_information(&input.forms.forms[fi].scored, &theta);
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
    let mut eap: Vec<f64> = scores
        .iter()
        .map(|s| s.eap)
        .filter(|x| x.is_finite())
        .collect();
    eap.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        eap.get(((eap.len() - 1) as f64 * q).round() as usize)
            .copied()
    };
    let (lo, hi) = match (!eap.is_empty()).then(|| (quantile(0.025), quantile(0.975))) {
        Some((Some(lo), Some(hi))) => (lo.min(scale.theta_cut), hi.max(scale.theta_cut)),
        _ => (scale.theta_cut - 2.0, scale.theta_cut + 2.0),
    };
    let finite = |p: &&(f64, f64)| p.1.is_finite();
    let max_where = |from: f64, to: f64| {
        series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(finite)
            .filter(|p| p.0 >= from - 0.05 && p.0 <= to + 0.05)
            .map(|p| p.1)
            .fold(0.0, f64::max)
    };
    let (inside, overall) = (max_where(lo, hi), max_where(f64::MIN, f64::MAX));
    let top = 1.15 * inside;
    let mut chart = Chart {
        vline: Some((scale.theta_cut, "cut".into())),
        ..Chart::lines(
            "csem",
            "Conditional standard error by form",
            "theta",
            "SE of theta = 1 / sqrt(information)",
            series,
        )
    };
    let mut caption =
        "Measurement is most precise where the curve is lowest; it should be low at the cut."
            .to_string();
    if inside > 0.0 && overall > top {
        chart.y_range = Some((0.0, top));
        caption.push_str(&format!(
            " The y axis is clipped at {}: a little above the largest SE where the middle 95 % of candidates are (theta {} to {}, with the cut); away from them the SE rises to {}, off the top.",
            f(top, 2),
            f(lo, 2),
            f(hi, 2),
            f(overall, 1)
        ));
    }
    (chart, caption)
}
