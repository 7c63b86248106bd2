//! Handlers of the equating commands: `qbank equate` (data set, score files, parameter files,
//! kernel) and `qbank link` (two forms or a chain).

use std::path::{Path, PathBuf};

use super::args::{EquateArgs, LinkArgs};
use super::commands::Outcome;
use super::usage;
use crate::equate::classical::{Conversion, Method};
use crate::equate::kernel::KernelOptions;
use crate::equate::link_se::LinkOptions;
use crate::pipeline::commands::{self as cmd, ScoreFiles};
use crate::pipeline::uncertainty::{chain_files, equate_kernel as equate_kernel_files, ChainFiles};
use crate::pipeline::{default_out, Error};
use crate::scale::equating::Equating;

/// The classical method of `--method` (with `--smooth`), or None for the IRT methods.
fn classical_method(a: &EquateArgs, irt: Option<bool>) -> Result<Option<Method>, Error> {
    Ok(match (irt, Method::parse(&a.method), a.smooth.as_deref()) {
        (Some(_), _, _) => None,
        (None, Some(Method::Equipercentile { .. }), Some(sm)) => match sm {
            "aic" => Some(Method::Equipercentile { smooth: Some(0) }),
            d => match d.parse::<usize>() {
                Ok(c) if (1..=10).contains(&c) => Some(Method::Equipercentile { smooth: Some(c) }),
                _ => {
                    return Err(usage(format!(
                        "--smooth '{d}': expected a degree 1-10 or aic"
                    )))
                }
            },
        },
        (None, Some(m), _) => Some(m),
        (None, None, _) => return Err(usage(format!("unknown --method '{}'", a.method))),
    })
}

pub fn equate(a: &EquateArgs) -> Outcome {
    if !(0.0..=1.0).contains(&a.w1) {
        return Err(usage(format!("--w1 {} must lie in [0, 1]", a.w1)));
    }
    let irt = match a.method.as_str() {
        "irt-true" => Some(false),
        "irt-observed" => Some(true),
        _ => None,
    };
    if a.method == "kernel" {
        return equate_kernel(a);
    }
    let classical = classical_method(a, irt)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports/equate"));
    let conv = if let (Some(n), Some(o)) = (&a.new_scores, &a.old_scores) {
        let Some(method) = classical else {
            return Err(usage("score files take a classical --method (IRT methods need --new-params/--old-params or a data set)"));
        };
        let args = ScoreFiles {
            new_scores: n,
            old_scores: o,
            score_column: &a.score_column,
            anchor_column: a.anchor_column.as_deref(),
            frequency_column: a.frequency_column.as_deref(),
            max_score: a.max_score,
            w1: a.w1,
            bootstrap: a.bootstrap.map(|r| (r.max(2), a.seed)),
        };
        cmd::equate_scores(&args, method, &out)?
    } else if let (Some(n), Some(o)) = (&a.new_params, &a.old_params) {
        let Some(observed) = irt else {
            return Err(usage(
                "parameter files take --method irt-true or irt-observed",
            ));
        };
        let args = a.items.files(n, o, &a.uncertainty, false)?;
        cmd::equate_params(&args, a.link_method, observed, &out)?
    } else if let Some(dir) = &a.dir {
        let out = a.out.clone().unwrap_or_else(|| default_out(dir));
        let eq = cmd::equate_dataset(dir, classical, &out)?;
        print!("{}", base_form_table(&eq));
        println!("outputs in {}", out.display());
        return Ok(());
    } else {
        return Err(usage(
            "give a data set, --new-scores/--old-scores or --new-params/--old-params",
        ));
    };
    print_conversion(&conv, &out);
    Ok(())
}

fn print_conversion(conv: &Conversion, out: &Path) {
    println!("{}", conv.method);
    println!("{:>5} {:>10} {:>8}", "raw", "equivalent", "se");
    for (x, e) in conv.equivalents.iter().enumerate() {
        let se = conv
            .se
            .as_ref()
            .map(|s| format!("{:8.4}", s[x]))
            .unwrap_or_default();
        println!("{x:>5} {e:>10.4} {se}");
    }
    println!("outputs in {}", out.display());
}

/// The base form's conversion table and each form's raw cut, as a terminal table.
fn base_form_table(eq: &Equating) -> String {
    let summary = &eq.summary;
    let mut text = format!(
        "base form {} (IRT true-score; cut {} at theta {:.3})\n",
        summary.base_form, summary.scale.cut, summary.scale.theta_cut
    );
    text.push_str(&format!(
        "{:>4} {:>8} {:>7} {:>5} {:>6}\n",
        "raw", "theta", "scaled", "pass", "csem"
    ));
    if let Some(t) = eq.tables.iter().find(|t| t.form_id == summary.base_form) {
        for r in &t.rows {
            text.push_str(&format!(
                "{:>4} {:>8} {:>7} {:>5} {:>6}\n",
                r.raw,
                r.theta
                    .map(|x| format!("{x:.3}"))
                    .unwrap_or_else(|| "-".into()),
                r.reported,
                if r.pass { "pass" } else { "" },
                r.csem
                    .map(|x| format!("{x:.1}"))
                    .unwrap_or_else(|| "-".into())
            ));
        }
    }
    for f in &summary.forms {
        text.push_str(&format!(
            "form {}: raw cut {:?}, mean b {:.3}\n",
            f.form_id, f.raw_cut, f.mean_b
        ));
    }
    text
}

pub fn link(a: &LinkArgs) -> Outcome {
    if !a.chain.is_empty() {
        return link_chain(a);
    }
    if !a.path.is_empty() {
        return super::equating_paths::link_paths(a);
    }
    let (Some(new), Some(old)) = (&a.new_params, &a.old_params) else {
        return Err(usage("give --new-params and --old-params, or --chain"));
    };
    let args = a.items.files(new, old, &a.uncertainty, a.symmetric)?;
    let lp = cmd::link_files(&args, a.method, &a.out)?;
    println!(
        "{:<20} {:>10} {:>10} {:>10} {:>10}",
        "method", "A", "B", "se_A", "se_B"
    );
    let se = |x: Option<f64>| x.map(|v| format!("{v:.6}")).unwrap_or_else(|| "-".into());
    for l in &lp.links {
        let mark = if l.method == a.method {
            "  <- new_params_linked.csv"
        } else {
            ""
        };
        println!(
            "{:<20} {:>10.6} {:>10.6} {:>10} {:>10}{mark}",
            l.method.as_str(),
            l.A,
            l.B,
            se(l.se_A),
            se(l.se_B)
        );
    }
    println!("outputs in {}", a.out.display());
    Ok(())
}

/// `qbank link --chain F1,...,Fk`.
fn link_chain(a: &LinkArgs) -> Outcome {
    let curve = a
        .uncertainty
        .theta_points
        .curve_options(a.symmetric)
        .map_err(|e| usage(e.to_string()))?;
    let args = ChainFiles {
        forms: &a.chain,
        covs: &a.covs,
        method: a.method,
        opts: LinkOptions {
            curve,
            d: a.items.d,
            anchors: None,
        },
        compare_direct: a.compare_direct,
    };
    let c = chain_files(&args, &a.out)?;
    let se = |x: Option<f64>| x.map(|v| format!("{v:.6}")).unwrap_or_else(|| "-".into());
    println!(
        "{:<12} {:<12} {:>10} {:>10} {:>10} {:>10}",
        "from", "to", "A", "B", "se_A", "se_B"
    );
    for l in c.steps.iter().chain([&c.chain]) {
        println!(
            "{:<12} {:<12} {:>10.6} {:>10.6} {:>10} {:>10}",
            l.new_form,
            l.old_form,
            l.A,
            l.B,
            se(l.se_A),
            se(l.se_B)
        );
    }
    for (what, t) in [
        ("identity test", &c.identity_test),
        ("scale-drift test", &c.scale_drift_test),
    ] {
        if let Some(t) = t {
            println!(
                "{what}: chi-square {:.4} on {} df, p = {:.4}",
                t.statistic, t.df, t.p_value
            );
        }
    }
    for n in &c.notes {
        println!("note: {n}");
    }
    println!("outputs in {}", a.out.display());
    Ok(())
}

/// `qbank equate --method kernel` from score files.
fn equate_kernel(a: &EquateArgs) -> Outcome {
    let (Some(n), Some(o)) = (&a.new_scores, &a.old_scores) else {
        return Err(usage("--method kernel takes --new-scores and --old-scores"));
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports/equate"));
    let args = ScoreFiles {
        new_scores: n,
        old_scores: o,
        score_column: &a.score_column,
        anchor_column: a.anchor_column.as_deref().filter(|_| a.design != "eg"),
        frequency_column: a.frequency_column.as_deref(),
        max_score: a.max_score,
        w1: a.w1,
        bootstrap: None,
    };
    if a.design != "eg" {
        return super::equating_paths::equate_kernel_neat(a, &args, &out);
    }
    let opts = KernelOptions {
        kernel: a.kernel,
        bandwidth_x: a.bandwidth,
        bandwidth_y: a.bandwidth,
        ..KernelOptions::new(a.smooth_new, a.smooth_old)
    };
    let k = equate_kernel_files(&args, &opts, &out)?;
    println!(
        "kernel equating ({}), bandwidths h_new = {:.4}, h_old = {:.4}",
        k.kernel.as_str(),
        k.h_x,
        k.h_y
    );
    print_equated(&k.e_y, &k.see_y, &out);
    Ok(())
}

/// A kernel equating's table (raw, equivalent, see) and the output folder.
pub(super) fn print_equated(e_y: &[f64], see_y: &[f64], out: &Path) {
    println!("{:>5} {:>12} {:>8}", "raw", "equivalent", "see");
    for (x, (e, s)) in e_y.iter().zip(see_y).enumerate() {
        println!("{x:>5} {e:>12.4} {s:>8.4}");
    }
    println!("outputs in {}", out.display());
}
