//! Files of the uncertainty commands: `chain.csv` and `chain.json` (`qbank link --chain`),
//! `bisector.csv` and `bisector.json` (`qbank link --path`), `conversion.csv` and
//! `equating.json` of kernel equating (equivalent groups and NEAT).

use std::path::Path;

use super::files::{fmt_f, fmt_opt, write_csv, WriteError};
use super::tables::write_json;
use crate::equate::kernel::KernelEquating;
use crate::equate::link_se::ChainResult;
use crate::equate::link_se::LinkEstimate;

fn link_row(l: &LinkEstimate) -> Vec<String> {
    vec![
        l.new_form.clone(),
        l.old_form.clone(),
        fmt_f(l.A, 6),
        fmt_f(l.B, 6),
        fmt_opt(l.se_A, 6),
        fmt_opt(l.se_B, 6),
    ]
}

/// `chain.csv` (a row per step, then one for the whole chain: from, to, A, B, se_A, se_B) and
/// `chain.json` (the steps, the composed link and its covariance, the tests).
pub fn write_chain(out: &Path, c: &ChainResult) -> Result<(), WriteError> {
    let p = out.join("chain.csv");
    write_csv(
        &p,
        &["from", "to", "A", "B", "se_A", "se_B"],
        c.steps.iter().chain([&c.chain]).map(link_row),
    )
    .map_err(WriteError::at(&p))?;
    write_json(&out.join("chain.json"), c)
}

/// Bandwidths, fitted frequencies and the PRE table of a kernel equating.
#[derive(serde::Serialize)]
struct KernelSummary<'a> {
    method: &'static str,
    kernel: &'static str,
    bandwidth_new: f64,
    bandwidth_old: f64,
    moments_new: usize,
    moments_old: usize,
    fitted_frequencies_new: Vec<f64>,
    fitted_frequencies_old: Vec<f64>,
    pre: &'a [crate::equate::kernel::PreRow],
    equivalents: &'a [f64],
    see: &'a [f64],
    /// e_X(y): old-form scores on the new form's scale, and their SEE.
    equivalents_old_to_new: &'a [f64],
    see_old_to_new: &'a [f64],
}

/// `conversion.csv` of a kernel equating: raw, equivalent, see (new-form scores on the old
/// form's scale).
fn write_equated(out: &Path, e_y: &[f64], see_y: &[f64]) -> Result<(), WriteError> {
    let p = out.join("conversion.csv");
    write_csv(
        &p,
        &["raw", "equivalent", "see"],
        e_y.iter()
            .zip(see_y)
            .enumerate()
            .map(|(x, (e, s))| vec![x.to_string(), fmt_f(*e, 4), fmt_f(*s, 4)]),
    )
    .map_err(WriteError::at(&p))
}

/// `conversion.csv` (raw, equivalent, see: new-form scores on the old form's scale) and
/// `equating.json`.
pub fn write_kernel(out: &Path, k: &KernelEquating) -> Result<(), WriteError> {
    write_equated(out, &k.e_y, &k.see_y)?;
    let summary = KernelSummary {
        method: "kernel (equivalent groups)",
        kernel: k.kernel.as_str(),
        bandwidth_new: k.h_x,
        bandwidth_old: k.h_y,
        moments_new: k.fit_x.moments,
        moments_old: k.fit_y.moments,
        fitted_frequencies_new: k.fit_x.fitted_frequencies(),
        fitted_frequencies_old: k.fit_y.fitted_frequencies(),
        pre: &k.pre,
        equivalents: &k.e_y,
        see: &k.see_y,
        equivalents_old_to_new: &k.e_x,
        see_old_to_new: &k.see_x,
    };
    write_json(&out.join("equating.json"), &summary)
}

/// The equated scores and SEEs of a NEAT kernel equating, with its bandwidths and fits.
#[derive(serde::Serialize)]
struct NeatSummary<'a> {
    method: &'static str,
    design: &'a crate::equate::kernel::NeatMethod,
    kernel: &'static str,
    bandwidths: &'a crate::equate::kernel::NeatBandwidths,
    model_new: &'a crate::equate::kernel::BivariateModel,
    model_old: &'a crate::equate::kernel::BivariateModel,
    /// Fitted marginal frequencies of the total scores (N r_j in P, N s_k in Q).
    fitted_frequencies_new: Vec<f64>,
    fitted_frequencies_old: Vec<f64>,
    pre: &'a Option<Vec<crate::equate::kernel::PreRow>>,
    equivalents: &'a [f64],
    see: &'a [f64],
    equivalents_old_to_new: &'a [f64],
    see_old_to_new: &'a [f64],
}

/// `conversion.csv` (raw, equivalent, see) and `equating.json` of a NEAT kernel equating.
pub fn write_kernel_neat(
    out: &Path,
    k: &crate::equate::kernel::NeatEquating,
) -> Result<(), WriteError> {
    write_equated(out, &k.e_y, &k.see_y)?;
    let freq = |f: &crate::equate::kernel::BivariateFit| -> Vec<f64> {
        f.marginal_x().iter().map(|r| r * f.n).collect()
    };
    let summary = NeatSummary {
        method: "kernel (non-equivalent groups with anchor test)",
        design: &k.method,
        kernel: k.kernel.as_str(),
        bandwidths: &k.bandwidths,
        model_new: &k.fit_xa.model,
        model_old: &k.fit_ya.model,
        fitted_frequencies_new: freq(&k.fit_xa),
        fitted_frequencies_old: freq(&k.fit_ya),
        pre: &k.pre,
        equivalents: &k.e_y,
        see: &k.see_y,
        equivalents_old_to_new: &k.e_x,
        see_old_to_new: &k.see_x,
    };
    write_json(&out.join("equating.json"), &summary)
}

/// `bisector.csv` (a row per path, then the bisector and the weighted bisector: path, from, to,
/// A, B, se_A, se_B, weights) and `bisector.json`.
pub fn write_bisector(out: &Path, b: &crate::equate::link_se::Bisectors) -> Result<(), WriteError> {
    let p = out.join("bisector.csv");
    let row = |what: String, l: &LinkEstimate, weights: String| {
        let mut r = vec![what];
        r.extend(link_row(l));
        r.push(weights);
        r
    };
    let weights = |l: &LinkEstimate| match &l.kind {
        crate::equate::link_se::LinkKind::Bisector { weights, .. } => weights
            .iter()
            .map(|w| fmt_f(*w, 6))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let mut rows: Vec<Vec<String>> = b
        .paths
        .iter()
        .map(|l| row(l.path().join(" > "), l, String::new()))
        .collect();
    rows.push(row("bisector".into(), &b.bisector, weights(&b.bisector)));
    if let Some(w) = &b.weighted_bisector {
        rows.push(row("weighted bisector".into(), w, weights(w)));
    }
    write_csv(
        &p,
        &["path", "from", "to", "A", "B", "se_A", "se_B", "weights"],
        rows,
    )
    .map_err(WriteError::at(&p))?;
    write_json(&out.join("bisector.json"), b)
}

/// The anchor drift tests, chained links and unlinked forms of `qbank run` in words.
pub fn drift_words(eq: &crate::scale::equating::EquatingSummary) -> String {
    let d = &eq.drift;
    let mut out = format!(
        "Each anchor's displacement after linking (its b from the form's own calibration, moved \
         onto the base scale, minus its b in the base form's calibration) is tested against its \
         delta-method standard error (Wald z, Holm-adjusted over the form's anchors); an anchor \
         is flagged when the adjusted p is below {} and the displacement exceeds {} in absolute \
         value.",
        d.alpha, d.threshold
    );
    for l in &eq.links {
        let se = |x: Option<f64>| x.map(|v| format!(" (SE {v:.3})")).unwrap_or_default();
        if l.path.len() > 2 {
            out += &format!(
                " Form {} shares too few items with the base form and is linked through the chain {}: A = {:.3}{}, B = {:.3}{}.",
                l.form_id,
                l.path.join(" > "),
                l.link.slope,
                se(l.se_a),
                l.link.intercept,
                se(l.se_b)
            );
            continue;
        }
        let flagged: Vec<String> = l
            .anchors
            .iter()
            .filter(|a| a.flagged)
            .map(|a| format!("{} ({:+.2}, SE {:.2})", a.item_id, a.displacement, a.se))
            .collect();
        if l.anchors.is_empty() {
            out += &format!(
                " Form {}: no drift test (a calibration's information matrix was singular).",
                l.form_id
            );
        } else if flagged.is_empty() {
            out += &format!(
                " Form {}: none of its {} anchors moved significantly by more than {}.",
                l.form_id,
                l.anchors.len(),
                d.threshold
            );
        } else {
            out += &format!(
                " Form {}: {} of {} anchors moved: {}. The link with them is A = {:.3}, B = {:.3}",
                l.form_id,
                flagged.len(),
                l.anchors.len(),
                flagged.join(", "),
                l.link.slope,
                l.link.intercept
            );
            out += &match &l.without_flagged {
                Some(w) => format!("; without them A = {:.3}, B = {:.3}.", w.slope, w.intercept),
                None => "; too few anchors would remain to link without them.".into(),
            };
        }
    }
    for u in &eq.unlinked {
        out += &format!(" Form {} could not be linked: {}.", u.form_id, u.reason);
    }
    out
}

/// Each form's raw cut with its uncertainty: (label, expected raw score at the cut, SE).
fn raw_cuts(eq: &crate::scale::equating::EquatingSummary) -> Vec<(String, f64, f64)> {
    let base = eq
        .base_raw_cut
        .and_then(|c| c.se.map(|se| (eq.base_form.clone(), c.expected_score, se)));
    base.into_iter()
        .chain(eq.links.iter().filter_map(|l| {
            let c = l.raw_cut?;
            Some((l.form_id.clone(), c.expected_score, c.se?))
        }))
        .collect()
}

/// A raw cut's SE is worth drawing and quoting when +- 2 SE fits inside the base form's raw
/// score range; a larger one says that the form's separate calibration is unstable (too few
/// candidates for its item parameters), not how precise the cut is.
fn usable(eq: &crate::scale::equating::EquatingSummary, se: f64) -> bool {
    let range = eq
        .forms
        .iter()
        .find(|f| f.form_id == eq.base_form)
        .map_or(f64::INFINITY, |f| f.scored_items as f64);
    se.is_finite() && 4.0 * se <= range
}

/// Segments just below the pass mark (one per form, stacked 2 % of the scale apart so that none
/// hides another) spanning each form's expected raw score at the cut +- 2 SE (forms whose SE is
/// not [`usable`] are left out; the words say why).
pub fn cut_bands(
    eq: &crate::scale::equating::EquatingSummary,
    cut: f64,
) -> Vec<crate::report::figures::Series> {
    let step = 0.02 * (eq.scale.max - eq.scale.min).abs().max(1.0);
    raw_cuts(eq)
        .into_iter()
        .filter(|(_, _, se)| usable(eq, *se))
        .enumerate()
        .map(|(k, (form, e, se))| {
            let y = cut - step * (k + 1) as f64;
            crate::report::figures::Series {
                label: format!("{form} raw cut ± 2 SE"),
                points: vec![(e - 2.0 * se, y), (e + 2.0 * se, y)],
            }
        })
        .collect()
}

/// The raw cut's uncertainty in words.
pub fn cut_words(eq: &crate::scale::equating::EquatingSummary) -> String {
    let cuts = raw_cuts(eq);
    if cuts.is_empty() {
        return "The raw cuts' standard errors could not be computed (no form has a separate calibration with a regular information matrix).".into();
    }
    let parts: Vec<String> = cuts
        .iter()
        .map(|(form, e, se)| {
            if usable(eq, *se) {
                format!(
                    "form {form}: {e:.1} raw points at the cut theta (SE {se:.2}; plus or minus two SE: {:.1} to {:.1})",
                    e - 2.0 * se,
                    e + 2.0 * se
                )
            } else {
                format!(
                    "form {form}: {e:.1} raw points at the cut theta, with an SE of {se:.3e} that says its separate calibration is unstable (too few candidates for its item parameters), not how precise its cut is; it is left out of the figure"
                )
            }
        })
        .collect();
    format!(
        "How precise the raw cuts are (expected raw score at the cut theta): {}. These standard errors come from each form's separate calibration (item parameter covariance by the delta method, block diagonal by item) and, for forms other than {}, from the link to it; sampling of the candidates who take the form is not included (that is the CSEM's part). conversion_FORM.csv gives the SE of equating of every raw score (se_equating for the true-score equivalent and se_equating_observed for the observed-score one, in raw points of the base form) beside the CSEM.",
        parts.join("; "),
        eq.base_form
    )
}
