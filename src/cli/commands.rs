//! One handler per command: check the flags, call the pipeline, print a short summary.

use std::path::{Path, PathBuf};

use super::args::{AssembleArgs, CalibrateArgs, ImportArgs, ReportFormat, SimulateArgs};
use super::usage;
use crate::classical::{analyse, DifSpec};
use crate::irt::workflow::CalibrateOptions;
use crate::irt::{CalibrationSummary, EmOptions, ModelKind, Priors};
use crate::pipeline::commands::{self as cmd, MatrixFile};
use crate::pipeline::{default_out, run_and_write, stages, Error, RunOptions};
use crate::report::item_tables::write_item_analysis;
use crate::simulate::{AttemptsFormat, SimConfig};

pub(super) type Outcome = Result<(), Error>;

pub fn validate(dir: &Path) -> Outcome {
    let (ds, diags) = stages::load(dir)?;
    eprint!("{}", diags.render());
    let bytes = ds.matrix.heap_bytes();
    println!(
        "{}: valid ({} items, {} forms, {} attempts, {} responses; {} warning(s)); response matrix {:.1} MiB ({:.1} bytes per response)",
        dir.display(),
        ds.exam.items.len(),
        ds.exam.forms.len(),
        ds.matrix.n_attempts(),
        ds.matrix.n_responses(),
        diags.warning_count(),
        bytes as f64 / 1048576.0,
        bytes as f64 / ds.matrix.n_responses().max(1) as f64
    );
    Ok(())
}

pub fn run(
    dir: &Path,
    out: Option<PathBuf>,
    format: &[ReportFormat],
    candidates: Vec<String>,
    quiet: bool,
    timings: bool,
) -> Outcome {
    let out = out.unwrap_or_else(|| default_out(dir));
    let opts = RunOptions {
        markdown: format.contains(&ReportFormat::Md),
        quiet,
        readiness_pages: candidates,
        timings,
    };
    let o = run_and_write(dir, &out, &opts)?;
    println!(
        "{}: {} attempts by {} candidates on {} forms; outputs in {}",
        o.exam,
        o.attempts,
        o.candidates,
        o.forms.len(),
        out.display()
    );
    Ok(())
}

pub fn readiness(dir: &Path, out: Option<PathBuf>, candidates: &[String], quiet: bool) -> Outcome {
    let out = out.unwrap_or_else(|| default_out(dir));
    let c = cmd::readiness(dir, &out, candidates, quiet)?;
    let share = |k: usize| c.status.get(k).map(|s| 100.0 * s.share).unwrap_or(0.0);
    println!(
        "{} candidates: {:.1} % Ready, {:.1} % Borderline, {:.1} % Not yet; outputs in {}",
        c.candidates,
        share(0),
        share(1),
        share(2),
        out.display()
    );
    Ok(())
}

pub fn security(
    dir: &Path,
    suspected: Option<&Path>,
    out: Option<PathBuf>,
    quiet: bool,
) -> Outcome {
    let out = out.unwrap_or_else(|| default_out(dir));
    let s = cmd::security(dir, &out, suspected, quiet)?;
    println!(
        "{} attempts: {} with statistically unusual person fit (lz*, about {:.0} expected by \
         chance), {} items with a signal over time, {} attempts unusual on {} suspected items; \
         outputs in {}",
        s.attempts,
        s.lz_star_flags,
        s.person_fit_expected_false_flags,
        s.flagged_items.len(),
        s.preknowledge_flags,
        s.suspected_items.len(),
        out.display()
    );
    Ok(())
}

pub fn items(
    dir: &Path,
    dif: Option<String>,
    reference: Option<String>,
    focal: Option<String>,
    out: Option<PathBuf>,
) -> Outcome {
    let out = out.unwrap_or_else(|| default_out(dir));
    let spec = dif.map(|column| DifSpec {
        column,
        reference: reference.unwrap_or_default(),
        focal: focal.unwrap_or_default(),
    });
    let (ds, _) = stages::load(dir)?;
    let a = analyse(&ds, spec.as_ref(), &ds.exam.config.flags);
    write_item_analysis(&out, &a)?;
    println!(
        "{} item rows, {} option rows, {} flags, {} DIF rows; outputs in {}",
        a.items.len(),
        a.options.len(),
        a.flags.len(),
        a.dif.len(),
        out.display()
    );
    Ok(())
}

/// The planted security cases asked for by `--leak`, `--preknowledge` and `--rapid-guessers`.
fn planted(a: &SimulateArgs) -> Result<Option<crate::simulate::leak::LeakConfig>, Error> {
    if a.leak == 0 && a.rapid_guessers == 0.0 {
        return Ok(None);
    }
    let day = crate::exam::dates::days_from_iso(&a.leak_from).ok_or_else(|| {
        usage(format!(
            "--leak-from '{}': expected YYYY-MM-DD",
            a.leak_from
        ))
    })?;
    Ok(Some(crate::simulate::leak::LeakConfig {
        items: a.leak,
        from_day: (day - 20_458) as f64,
        share: a.leak_share,
        preknowledge: a.preknowledge,
        rapid_guessers: a.rapid_guessers,
    }))
}

pub fn import(a: &ImportArgs) -> Outcome {
    let opts = crate::exam::import::ImportOptions {
        id_column: a.id_column.clone(),
        omit_codes: a.omit_codes.clone(),
        not_presented_codes: a.not_presented_codes.clone(),
    };
    let s = crate::pipeline::import::import_wide(
        &a.wide,
        a.key.as_deref(),
        &opts,
        &a.form_id,
        a.name.as_deref(),
        &a.out,
    )?;
    println!(
        "wrote {}: {} items, {} examinees{}; next: qbank run {}",
        a.out.display(),
        s.items,
        s.examinees,
        if s.keyed {
            ""
        } else {
            " (scored 0/1: no option analysis)"
        },
        a.out.display()
    );
    Ok(())
}

pub fn simulate(a: &SimulateArgs) -> Outcome {
    let cfg = SimConfig {
        seed: a.seed,
        candidates: a.candidates,
        forms: a.forms,
        pool: a.pool,
        scored: a.scored,
        pretest: a.pretest,
        anchors: a.anchors,
        repeat_share: a.repeat_share,
        diagnostic_share: a.diagnostic_share,
        leak: planted(a)?,
        attempts_format: if a.parquet {
            AttemptsFormat::Parquet
        } else {
            AttemptsFormat::Csv
        },
        ..SimConfig::default()
    };
    if !(0.0..=1.0).contains(&cfg.repeat_share) || !(0.0..=1.0).contains(&cfg.diagnostic_share) {
        return Err(usage("shares must lie between 0 and 1"));
    }
    let s = crate::simulate::simulate(&cfg, &a.out)?;
    println!(
        "wrote {}: {} items, {} forms, {} candidates, {} attempts, {} responses",
        a.out.display(),
        s.items,
        s.forms,
        s.candidates,
        s.attempts,
        s.responses
    );
    Ok(())
}

pub fn convert(csv: &Path, parquet: &Path) -> Outcome {
    crate::report::convert::csv_to_parquet(csv, parquet)?;
    Ok(())
}

/// `qbank calibrate --model rasch --method jmle`.
fn calibrate_jmle(a: &CalibrateArgs, em: EmOptions, priors: Priors) -> Outcome {
    use crate::irt::jmle::JmleOptions;
    use crate::pipeline::commands::JmleSource;
    if !matches!(a.model, None | Some(ModelKind::Rasch)) {
        return Err(usage(
            "--method jmle estimates the Rasch model: use --model rasch",
        ));
    }
    let opts = JmleOptions {
        bias_correction: a.bias_correction,
        ..if a.winsteps_convergence {
            JmleOptions::winsteps()
        } else {
            JmleOptions::default()
        }
    };
    let (source, out) = match (&a.matrix, &a.dir) {
        (Some(matrix), _) => (
            JmleSource::Matrix(MatrixFile {
                path: matrix,
                id_column: a.id_column.as_deref(),
                weight_column: a.weights.as_deref(),
                model: ModelKind::Rasch,
                scale_d: 1.0,
                priors,
                em,
            }),
            a.out.clone().unwrap_or_else(|| default_out(matrix)),
        ),
        (None, Some(dir)) => (
            JmleSource::Dataset(dir),
            a.out.clone().unwrap_or_else(|| default_out(dir)),
        ),
        (None, None) => return Err(usage("give a data set or --matrix")),
    };
    let fit = cmd::calibrate_jmle(&source, &opts, &out)?;
    let extreme =
        |m: &[crate::irt::jmle::RaschMeasure]| m.iter().filter(|x| x.extreme.is_some()).count();
    println!(
        "Rasch (JMLE): {} persons ({} extreme), {} items ({} extreme), {} iterations, converged: {}{}; outputs in {}",
        fit.persons.len(),
        extreme(&fit.persons),
        fit.items.len(),
        extreme(&fit.items),
        fit.iterations,
        fit.converged,
        fit.bias_correction_factor
            .map(|f| format!(", bias correction x{f:.4}"))
            .unwrap_or_default(),
        out.display()
    );
    Ok(())
}

pub fn calibrate(a: &CalibrateArgs) -> Outcome {
    if !(a.d > 0.0 && a.d.is_finite() && a.tol > 0.0) || a.quadpts < 5 {
        return Err(usage(
            "--d must be positive, --quadpts at least 5, --tol positive",
        ));
    }
    let by_form = match a.groups.as_str() {
        "form" => true,
        "none" => false,
        other => return Err(usage(format!("--groups '{other}': expected form or none"))),
    };
    let em = EmOptions {
        quad_points: a.quadpts,
        max_iter: a.max_iter,
        tol: a.tol,
        empirical_histogram: a.empirical_histogram,
        ..EmOptions::default()
    };
    let priors = Priors {
        c: (!a.no_prior).then_some(Priors::DEFAULT_C),
        log_a: a.prior_a,
        b: a.prior_b,
    };
    match a.method.as_str() {
        "mml" => {}
        "jmle" => return calibrate_jmle(a, em, priors),
        other => return Err(usage(format!("--method '{other}': expected mml or jmle"))),
    }
    if a.bias_correction || a.winsteps_convergence {
        return Err(usage(
            "--bias-correction and --winsteps-convergence need --method jmle",
        ));
    }
    let (s, out) = if let Some(matrix) = &a.matrix {
        let out = a.out.clone().unwrap_or_else(|| default_out(matrix));
        let m = MatrixFile {
            path: matrix,
            id_column: a.id_column.as_deref(),
            weight_column: a.weights.as_deref(),
            model: a.model.unwrap_or(ModelKind::TwoPL),
            scale_d: a.d,
            priors,
            em,
        };
        (cmd::calibrate_matrix(&m, &out, a.timings)?, out)
    } else {
        let dir = a.dir.clone().unwrap_or_default();
        let out = a.out.clone().unwrap_or_else(|| default_out(&dir));
        let opts = CalibrateOptions {
            model: a.model.unwrap_or(ModelKind::ThreePL),
            scale_d: a.d,
            fixed_bank: Some(a.fixed_bank),
            group_by_form: by_form,
            priors,
            em,
            small_n_2pl: a.small_n_2pl,
        };
        (cmd::calibrate_dataset(&dir, &opts, &out, a.timings)?, out)
    };
    print_calibration(&s, &out);
    Ok(())
}

fn print_calibration(s: &CalibrationSummary, out: &Path) {
    println!(
        "{} items, {} persons: log-likelihood {:.3} after {} EM cycles ({}); outputs in {}",
        s.items,
        s.persons,
        s.log_likelihood,
        s.iterations,
        if s.converged {
            "converged"
        } else {
            "NOT converged"
        },
        out.display()
    );
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
}

pub fn bank(dir: &Path, out: Option<PathBuf>, quiet: bool) -> Outcome {
    use crate::assemble::bank::BankStatus as S;
    let out = out.unwrap_or_else(|| default_out(dir).join("bank"));
    let b = crate::pipeline::cycle::bank_command(dir, &out, quiet)?;
    println!(
        "next bank: {} operational, {} ready, {} needs revision, {} retired, {} new; {} changes; {}",
        b.count(S::Operational),
        b.count(S::Ready),
        b.count(S::NeedsRevision),
        b.count(S::Retired),
        b.count(S::New),
        b.changes().count(),
        out.join("items.csv").display()
    );
    Ok(())
}

pub fn assemble(a: &AssembleArgs) -> Outcome {
    use crate::pipeline::cycle;
    let next = match (&a.dir, &a.pool) {
        (Some(dir), _) => {
            let out = a
                .out
                .clone()
                .unwrap_or_else(|| default_out(dir).join("next_forms"));
            (
                cycle::assemble_dataset(dir, &a.spec, &out, a.quiet, a.timings)?,
                out,
            )
        }
        (None, Some(pool)) => {
            let out = a
                .out
                .clone()
                .ok_or_else(|| usage("--pool needs --out DIR"))?;
            (
                cycle::assemble_pool_file(pool, &a.spec, &out, a.timings)?,
                out,
            )
        }
        (None, None) => return Err(usage("give a data-set folder or --pool FILE")),
    };
    let (next, out) = next;
    let asm = &next.assembly;
    println!(
        "{} forms of {} items: {:?}, objective {:.4}, gap {}, {:.2} s ({})",
        asm.forms.len(),
        next.spec.length,
        asm.status,
        asm.objective_value,
        asm.gap
            .map_or("not reported".into(), |g| format!("{:.2} %", 100.0 * g)),
        asm.seconds,
        asm.backend
    );
    if let Some(pre) = &next.pre_equating {
        for f in std::iter::once(&pre.reference).chain(&pre.forms) {
            println!(
                "  {}: raw cut {}, expected pass rate {}",
                f.form_id,
                f.table.raw_cut.map_or("-".into(), |r| r.to_string()),
                f.classification
                    .map_or("-".into(), |c| format!("{:.1} %", 100.0 * c.p_pass))
            );
        }
    }
    for n in &next.notes {
        println!("  note: {n}");
    }
    println!("outputs in {}", out.display());
    Ok(())
}
