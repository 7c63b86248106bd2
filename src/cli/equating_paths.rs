//! Handlers of the NEAT kernel equating (`qbank equate --method kernel --design neat-ce|neat-pse`)
//! and of the bisector of several paths (`qbank link --path ... --path ...`).

use std::path::{Path, PathBuf};

use super::args::{EquateArgs, LinkArgs};
use super::commands::Outcome;
use super::usage;
use crate::equate::kernel::{BivariateModel, NeatMethod, NeatOptions};
use crate::equate::link_se::{LinkEstimate, LinkOptions};
use crate::pipeline::commands::ScoreFiles;
use crate::pipeline::uncertainty::{bisector_files, equate_kernel_neat as neat_files, PathFiles};

/// `qbank equate --method kernel --design neat-ce|neat-pse`.
pub fn equate_kernel_neat(a: &EquateArgs, files: &ScoreFiles<'_>, out: &Path) -> Outcome {
    let method = match a.design.as_str() {
        "neat-ce" => NeatMethod::ChainEquating,
        _ => NeatMethod::PostStratification { w: a.w1 },
    };
    let model = |moments_x: usize| BivariateModel {
        moments_x,
        moments_a: a.smooth_anchor,
        cross_x: a.cross_moments,
        cross_a: a.cross_moments,
    };
    let opts = NeatOptions {
        method,
        model_xa: model(a.smooth_new),
        model_ya: model(a.smooth_old),
        kernel: a.kernel,
        bandwidth: a.bandwidth,
        kappa: 0.0,
    };
    let k = neat_files(files, &opts, out)?;
    let h = &k.bandwidths;
    println!(
        "kernel equating, NEAT {} ({}), bandwidths h_new = {:.4}, h_old = {:.4}",
        match method {
            NeatMethod::ChainEquating => "chain equating".to_string(),
            NeatMethod::PostStratification { w } => format!("post-stratification, w = {w}"),
        },
        k.kernel.as_str(),
        h.h_x,
        h.h_y
    );
    super::equating::print_equated(&k.e_y, &k.see_y, out);
    Ok(())
}

/// A comma-separated list of files.
fn file_list(s: &str) -> Vec<PathBuf> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// `qbank link --path F1,...,Fk --path F1,...,Fk [--path-covs ...]`.
pub fn link_paths(a: &LinkArgs) -> Outcome {
    let curve = a
        .uncertainty
        .theta_points
        .curve_options(a.symmetric)
        .map_err(|e| usage(e.to_string()))?;
    let paths: Vec<Vec<PathBuf>> = a.path.iter().map(|p| file_list(p)).collect();
    let covs: Vec<Vec<PathBuf>> = a.path_covs.iter().map(|p| file_list(p)).collect();
    let args = PathFiles {
        paths: &paths,
        covs: &covs,
        method: a.method,
        opts: LinkOptions {
            curve,
            d: a.items.d,
            anchors: None,
        },
    };
    let b = bisector_files(&args, &a.out)?;
    let se = |x: Option<f64>| x.map(|v| format!("{v:.6}")).unwrap_or_else(|| "-".into());
    println!(
        "{:<32} {:>10} {:>10} {:>10} {:>10}",
        "path", "A", "B", "se_A", "se_B"
    );
    let line = |what: String, l: &LinkEstimate| {
        println!(
            "{what:<32} {:>10.6} {:>10.6} {:>10} {:>10}",
            l.A,
            l.B,
            se(l.se_A),
            se(l.se_B)
        );
    };
    for l in &b.paths {
        line(l.path().join(" > "), l);
    }
    line("bisector".into(), &b.bisector);
    if let Some(w) = &b.weighted_bisector {
        line("weighted bisector".into(), w);
    }
    println!("outputs in {}", a.out.display());
    Ok(())
}
