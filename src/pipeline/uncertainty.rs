//! File-based commands for the uncertainty of links and equatings: `qbank link --chain` (chains
//! of links with their standard errors, the identity and scale-drift tests), `qbank link --path`
//! (bisectors of several paths) and `qbank equate --method kernel` (kernel equating with SEE, in
//! the equivalent-groups and the NEAT designs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::equate::kernel::{
    joint_frequencies, kernel_equate_eg, kernel_equate_neat, KernelEquating, KernelOptions,
    NeatEquating, NeatOptions,
};
use crate::equate::link_se::{
    bisector, chain, chain_forms, identity_test, link_with_options, scale_drift_test,
    BisectorWeights, Bisectors, ChainResult, FormEstimates, LinkEstimate, LinkOptions,
};
use crate::equate::linking::LinkMethod;
use crate::exam::{self, Location};
use crate::report::uncertainty as writers;

use super::commands::{read_form, read_samples, ScoreFiles};
use super::Error;

/// What `qbank link --chain` needs.
#[derive(Debug, Clone)]
pub struct ChainFiles<'a> {
    /// Parameter files of the forms along the path; the first is linked onto the last.
    pub forms: &'a [PathBuf],
    /// Covariance files, one per form in the same order (or none: no standard errors).
    pub covs: &'a [PathBuf],
    pub method: LinkMethod,
    pub opts: LinkOptions,
    /// Also link the end forms directly and test the chain against that link.
    pub compare_direct: bool,
}

/// A form's name: its file stem, or its path where two files share a stem.
fn form_names(paths: &[PathBuf]) -> Vec<String> {
    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| exam::display(p))
    };
    paths
        .iter()
        .map(|p| {
            let clash = paths.iter().any(|q| q != p && stem(q) == stem(p));
            if clash {
                exam::display(p)
            } else {
                stem(p)
            }
        })
        .collect()
}

/// `qbank link --chain`: reads the forms (a file named twice is one form), links each onto the
/// next, composes the links, runs the identity test for a circular chain and, with
/// `compare_direct`, the scale-drift test; writes `chain.csv` and `chain.json`.
pub fn chain_files(args: &ChainFiles<'_>, out: &Path) -> Result<ChainResult, Error> {
    if args.forms.len() < 2 {
        return Err(Error::Usage(
            "--chain needs at least two parameter files".into(),
        ));
    }
    if !args.covs.is_empty() && args.covs.len() != args.forms.len() {
        return Err(Error::Usage(format!(
            "--covs has {} files but --chain has {}: give one covariance file per form",
            args.covs.len(),
            args.forms.len()
        )));
    }
    let names = form_names(args.forms);
    let mut forms: BTreeMap<String, FormEstimates> = BTreeMap::new();
    for (k, (path, name)) in args.forms.iter().zip(&names).enumerate() {
        if !forms.contains_key(name) {
            let cov = args.covs.get(k).map(PathBuf::as_path);
            let (form, _) = read_form(name, path, cov, None, args.opts.d)?;
            forms.insert(name.clone(), form);
        }
    }
    let failed = |e: crate::equate::link_se::LinkError| {
        Error::invalid(Location::file(exam::display(&args.forms[0])), e.to_string())
    };
    let steps = names
        .windows(2)
        .map(|w| link_with_options(&forms[&w[0]], &forms[&w[1]], args.method, &args.opts))
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed)?;
    let composed = chain(&steps).map_err(failed)?;
    let mut notes = Vec::new();
    let covariance = composed
        .covariance()
        .ok()
        .map(|v| [[v[(0, 0)], v[(0, 1)]], [v[(1, 0)], v[(1, 1)]]]);
    let (first, last) = (&names[0], &names[names.len() - 1]);
    let identity = if first == last {
        identity_test(&composed)
            .map_err(|e| notes.push(format!("identity test: {e}")))
            .ok()
    } else {
        None
    };
    let (direct, drift) = if args.compare_direct {
        if first == last {
            notes.push("scale-drift test: the chain returns to its first form; there is no direct link to compare".into());
            (None, None)
        } else {
            let d = link_with_options(&forms[first], &forms[last], args.method, &args.opts)
                .map_err(failed)?;
            let t = scale_drift_test(&[&composed, &d])
                .map_err(|e| notes.push(format!("scale-drift test: {e}")))
                .ok();
            (Some(d), t)
        }
    } else {
        (None, None)
    };
    let result = ChainResult {
        steps,
        chain: composed,
        covariance,
        identity_test: identity,
        direct,
        scale_drift_test: drift,
        notes,
    };
    writers::write_chain(out, &result)?;
    Ok(result)
}

/// `qbank equate --method kernel`: kernel equating of two score distributions in the
/// equivalent-groups design (von Davier, Holland & Thayer 2004, ch. 7); writes `conversion.csv`
/// (raw, equivalent, see) and `equating.json`.
pub fn equate_kernel(
    args: &ScoreFiles<'_>,
    opts: &KernelOptions,
    out: &Path,
) -> Result<KernelEquating, Error> {
    let (x, y) = read_samples(args)?;
    let freq = |s: &crate::equate::classical::Sample| {
        let mut f = vec![0.0; s.max_total + 1];
        for &t in &s.total {
            f[t as usize] += 1.0;
        }
        f
    };
    let ke = kernel_equate_eg(&freq(&x), &freq(&y), opts).map_err(|e| {
        Error::invalid(
            Location::file(exam::display(args.new_scores)),
            e.to_string(),
        )
    })?;
    writers::write_kernel(out, &ke)?;
    Ok(ke)
}

/// `qbank equate --method kernel --design neat-ce|neat-pse`: kernel equating in the NEAT design
/// (KE ch. 10) from score files with an anchor column; each file's (total, anchor) table is
/// presmoothed by a bivariate log-linear model; writes `conversion.csv` (raw, equivalent, see)
/// and `equating.json`.
pub fn equate_kernel_neat(
    args: &ScoreFiles<'_>,
    opts: &NeatOptions,
    out: &Path,
) -> Result<NeatEquating, Error> {
    if args.anchor_column.is_none() {
        return Err(Error::Usage(
            "the NEAT design needs --anchor-column (the anchor score in both files)".into(),
        ));
    }
    let (x, y) = read_samples(args)?;
    let at = |p: &Path, e: crate::equate::kernel::KernelError| {
        Error::invalid(Location::file(exam::display(p)), e.to_string())
    };
    let table = |s: &crate::equate::classical::Sample, p: &Path| {
        let anchor = s.anchor.as_deref().unwrap_or(&[]);
        joint_frequencies(&s.total, anchor, s.max_total, s.max_anchor).map_err(|e| at(p, e))
    };
    let (xa, ya) = (table(&x, args.new_scores)?, table(&y, args.old_scores)?);
    let ke = kernel_equate_neat(&xa, &ya, opts).map_err(|e| at(args.new_scores, e))?;
    writers::write_kernel_neat(out, &ke)?;
    Ok(ke)
}

/// What `qbank link --path ... --path ...` needs: several paths (chains of parameter files)
/// between the same two forms.
#[derive(Debug, Clone)]
pub struct PathFiles<'a> {
    /// Parameter files of each path; every path starts at the same form and ends at the same form.
    pub paths: &'a [Vec<PathBuf>],
    /// Covariance files of each path's forms (one list per path, or none: no standard errors).
    pub covs: &'a [Vec<PathBuf>],
    pub method: LinkMethod,
    pub opts: LinkOptions,
}

/// `qbank link --path F1,...,Fk --path F1,...,Fk`: links the first form onto the last along each
/// path (a file met on several paths is one form), then the bisector and, with covariance files,
/// the weighted bisector of the paths (Battauz 2013; equateIRT's `bisectorec`); writes
/// `bisector.csv` and `bisector.json`.
pub fn bisector_files(args: &PathFiles<'_>, out: &Path) -> Result<Bisectors, Error> {
    if args.paths.len() < 2 || args.paths.iter().any(|p| p.len() < 2) {
        return Err(Error::Usage(
            "give --path at least twice, each with at least two parameter files".into(),
        ));
    }
    if !args.covs.is_empty()
        && (args.covs.len() != args.paths.len()
            || args
                .covs
                .iter()
                .zip(args.paths)
                .any(|(c, p)| c.len() != p.len()))
    {
        return Err(Error::Usage(
            "--path-covs: give one list per --path with one covariance file per form".into(),
        ));
    }
    let all: Vec<PathBuf> = args.paths.iter().flatten().cloned().collect();
    let all_covs: Vec<PathBuf> = args.covs.iter().flatten().cloned().collect();
    let names = form_names(&all);
    let mut forms: BTreeMap<String, FormEstimates> = BTreeMap::new();
    for (k, (path, name)) in all.iter().zip(&names).enumerate() {
        if !forms.contains_key(name) {
            let cov = all_covs.get(k).map(PathBuf::as_path);
            let (form, _) = read_form(name, path, cov, None, args.opts.d)?;
            forms.insert(name.clone(), form);
        }
    }
    let failed = |e: crate::equate::link_se::LinkError| {
        Error::invalid(Location::file(exam::display(&all[0])), e.to_string())
    };
    let mut chains = Vec::new();
    let mut start = 0;
    for p in args.paths {
        let path: Vec<&FormEstimates> = names[start..start + p.len()]
            .iter()
            .map(|n| &forms[n])
            .collect();
        start += p.len();
        chains.push(chain_forms(&path, args.method, &args.opts).map_err(failed)?);
    }
    let refs: Vec<&LinkEstimate> = chains.iter().collect();
    let unweighted = bisector(&refs, &BisectorWeights::Unweighted).map_err(failed)?;
    let weighted = if unweighted.se_A.is_some() {
        Some(bisector(&refs, &BisectorWeights::MinimumVariance).map_err(failed)?)
    } else {
        None
    };
    let result = Bisectors {
        paths: chains,
        bisector: unweighted,
        weighted_bisector: weighted,
    };
    writers::write_bisector(out, &result)?;
    Ok(result)
}
