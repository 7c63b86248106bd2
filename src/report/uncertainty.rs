//! Files of the uncertainty commands: `chain.csv` and `chain.json` (`qbank link --chain`),
//! `conversion.csv` and `equating.json` of kernel equating.

use std::path::Path;

use super::files::{fmt_f, write_csv, WriteError};
use super::tables::write_json;
use crate::equate::kernel::KernelEquating;
use crate::equate::link_se::LinkEstimate;
use crate::pipeline::uncertainty::ChainResult;

fn opt(x: Option<f64>) -> String {
    x.map(|v| fmt_f(v, 6)).unwrap_or_default()
}

fn link_row(l: &LinkEstimate) -> Vec<String> {
    vec![
        l.new_form.clone(),
        l.old_form.clone(),
        fmt_f(l.A, 6),
        fmt_f(l.B, 6),
        opt(l.se_A),
        opt(l.se_B),
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

/// `conversion.csv` (raw, equivalent, see: new-form scores on the old form's scale) and
/// `equating.json`.
pub fn write_kernel(out: &Path, k: &KernelEquating) -> Result<(), WriteError> {
    let p = out.join("conversion.csv");
    write_csv(
        &p,
        &["raw", "equivalent", "see"],
        k.e_y
            .iter()
            .zip(&k.see_y)
            .enumerate()
            .map(|(x, (e, s))| vec![x.to_string(), fmt_f(*e, 4), fmt_f(*s, 4)]),
    )
    .map_err(WriteError::at(&p))?;
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
