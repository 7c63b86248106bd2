//! The report's cohort densities: each form cohort's latent density from the calibration (mean and
//! SD with their standard errors) as a figure and a table, beside the same quantities implied by
//! the form's separate calibration and its link to the base form (a cohort standardised on its
//! own scale sits at mean B and SD A on the base scale).

use super::doc::Doc;
use super::figures::{Chart, Series};
use super::files::WriteError;
use super::{f, ReportInput};

/// "0.123 (SE 0.031)", or the value alone without an SE.
fn with_se(x: f64, se: Option<f64>) -> String {
    match se {
        Some(s) => format!("{} ({})", f(x, 3), f(s, 3)),
        None => f(x, 3),
    }
}

/// The cohort densities subsection (in the calibration section).
pub(super) fn cohort_densities(doc: &mut Doc, input: &ReportInput<'_>) -> Result<(), WriteError> {
    let forms = input.forms;
    let cal = input.calibration;
    let theta = &forms.theta;
    if theta.len() < 2 || forms.forms.is_empty() {
        return Ok(());
    }
    let step = (theta[theta.len() - 1] - theta[0]) / (theta.len() - 1) as f64;
    let mut persons = vec![0.0; cal.calibration.latent.len()];
    for (g, w) in cal.responses.group.iter().zip(&cal.responses.weight) {
        if let Some(p) = persons.get_mut(*g as usize) {
            *p += w;
        }
    }
    let base = &forms.forms[forms.base.min(forms.forms.len() - 1)];
    let (base_mean, base_sd) = (base.mean, base.sd.max(1e-12));
    let mut series = Vec::new();
    let mut rows = Vec::new();
    let mut seen = Vec::new();
    for form in &forms.forms {
        let g = form.group;
        let (se_mean, se_sd) = cal
            .covariance
            .latent
            .get(g)
            .copied()
            .unwrap_or((None, None));
        let fixed = cal
            .calibration
            .latent
            .get(g)
            .is_some_and(|l| !l.free.0 && !l.free.1);
        let link = input
            .equating
            .links
            .iter()
            .find(|l| l.form_id == form.form_id);
        rows.push(vec![
            form.form_id.clone(),
            f(persons.get(g).copied().unwrap_or(0.0), 0),
            with_se(form.mean, se_mean),
            with_se(form.sd, se_sd),
            if fixed {
                "fixed (scale origin)".into()
            } else {
                "estimated".into()
            },
            f((form.mean - base_mean) / base_sd, 3),
            f(form.sd / base_sd, 3),
            link.map(|l| with_se(l.link.intercept, l.se_b))
                .unwrap_or_default(),
            link.map(|l| with_se(l.link.slope, l.se_a))
                .unwrap_or_default(),
        ]);
        // one curve per latent group (a common density is drawn once)
        if seen.contains(&g) {
            continue;
        }
        seen.push(g);
        // short legend labels (the SEs are in the table), so the legend clears the curves
        let label = if fixed {
            format!("{}: N(0, 1), fixed", form.form_id)
        } else {
            format!(
                "{}: mean {}, SD {}",
                form.form_id,
                f(form.mean, 2),
                f(form.sd, 2)
            )
        };
        series.push(Series {
            label,
            points: theta
                .iter()
                .zip(&form.weights)
                .filter(|(t, _)| t.abs() <= 4.0)
                .map(|(t, w)| (*t, w / step))
                .collect(),
        });
    }
    doc.subsection("Cohort densities", false);
    doc.p(&format!(
        "Each form's cohort has its own latent density in the calibration ({}). Mean and SD are \
         on the bank scale, standard errors in brackets. A form's separate calibration puts its \
         own cohort at N(0, 1), and its link to the base form {} maps that onto the base form's \
         cohort: B is the cohort's mean in base-cohort SDs from the base cohort's mean, A the ratio \
         of their SDs. The two routes should agree within the standard errors.",
        if cal.mode == crate::irt::workflow::Mode::FixedParameter {
            "the bank's fixed item parameters set the scale and every cohort's density is estimated"
        } else {
            "the base form's cohort is fixed at N(0, 1) and sets the scale"
        },
        base.form_id
    ));
    doc.figure(
        &Chart::lines(
            "cohort_densities",
            "Latent density of each form's cohort",
            "theta (bank scale)",
            "density",
            series,
        ),
        "The calibration's latent density of each cohort (mean and SD with their standard errors).",
    )?;
    doc.table(
        "cohort_densities",
        &[
            "form",
            "candidates",
            "mean (SE)",
            "SD (SE)",
            "density",
            "mean in base-cohort SDs",
            "SD / base-cohort SD",
            "link B (SE)",
            "link A (SE)",
        ],
        rows,
    )
}
