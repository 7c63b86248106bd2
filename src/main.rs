//! The `qbank` command line: parse flags, call the library, map errors to exit codes
//! (2 for bad input, 1 for an internal or I/O failure).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use qbank::irt::ModelKind;
use qbank::run::RunError;
use qbank::simulate::SimConfig;

#[derive(Parser)]
#[command(
    name = "qbank",
    version,
    about = "Certification-exam question banks: validate, analyse, calibrate, equate, report"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ReportFormat {
    Html,
    Md,
}

#[derive(Subcommand)]
enum Command {
    /// Check a data set and report every problem found (exit status 2 if there are errors).
    Validate {
        /// The data-set folder (with qbank.toml).
        dir: PathBuf,
    },
    /// The main job: validate, then run every analysis and write the outputs and the report
    /// (index.html); `qbank report DIR` is the same command.
    #[command(visible_alias = "report")]
    Run {
        dir: PathBuf,
        /// Output folder (default: reports/<name of DIR>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Report formats: html (always written) and md (index.md beside it).
        #[arg(long, value_delimiter = ',', default_value = "html")]
        format: Vec<ReportFormat>,
        /// Also write a readiness page for this candidate (repeatable).
        #[arg(long = "candidate")]
        candidates: Vec<String>,
        /// No progress bar on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Readiness of practice candidates: readiness.csv (one row per candidate), per-attempt
    /// scores with intervals, cohort figures, and a page per candidate asked for.
    Readiness {
        dir: PathBuf,
        /// Write readiness/ID.html and ID.md for this candidate (repeatable).
        #[arg(long = "candidate")]
        candidates: Vec<String>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Classical item analysis: statistics, options, reliability, review flags and DIF.
    Items {
        dir: PathBuf,
        /// Group column of candidates.csv for Mantel-Haenszel DIF.
        #[arg(long, requires_all = ["reference", "focal"])]
        dif: Option<String>,
        /// Reference group value.
        #[arg(long = "ref")]
        reference: Option<String>,
        /// Focal group value.
        #[arg(long)]
        focal: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a simulated data set with known truth.
    Simulate(SimulateArgs),
    /// IRT calibration (MML-EM) of a data set, or of a plain wide 0/1 matrix with --matrix.
    Calibrate(CalibrateArgs),
    /// Equate forms: a data set (IRT tables per form), score files (classical) or parameter files (IRT).
    Equate(EquateArgs),
    /// Link a new form's item parameters onto an old form's scale through common items.
    Link(LinkArgs),
    /// Convert a CSV attempt log to Parquet (streaming; columns kept as text).
    Convert { csv: PathBuf, parquet: PathBuf },
}

#[derive(Args)]
struct CalibrateArgs {
    /// The data-set folder (omit with --matrix).
    #[arg(required_unless_present = "matrix")]
    dir: Option<PathBuf>,
    /// A wide 0/1 CSV: header of item ids; empty or NA = not presented.
    #[arg(long, conflicts_with = "dir")]
    matrix: Option<PathBuf>,
    /// With --matrix: a frequency-weight column (response-pattern data).
    #[arg(long, requires = "matrix")]
    weights: Option<String>,
    /// With --matrix: a person-id column.
    #[arg(long, requires = "matrix")]
    id_column: Option<String>,
    /// Model of the estimated items: rasch, 2pl or 3pl (default 3pl for a data set, 2pl for --matrix).
    #[arg(long, value_parser = parse_model)]
    model: Option<ModelKind>,
    /// Keep bank parameters of items.csv fixed and estimate only the other (pretest) items.
    #[arg(long)]
    fixed_bank: bool,
    /// Latent groups: `form` (one density per form cohort) or `none`.
    #[arg(long, default_value = "form")]
    groups: String,
    /// Scaling constant D: 1 (logistic metric) or 1.702 (normal metric).
    #[arg(long, default_value_t = 1.0)]
    d: f64,
    /// Quadrature points on [-6, 6].
    #[arg(long, default_value_t = 61)]
    quadpts: usize,
    #[arg(long, default_value_t = 500)]
    max_iter: usize,
    #[arg(long, default_value_t = 1e-4)]
    tol: f64,
    /// No Beta(5, 17) prior on the 3PL guessing parameter.
    #[arg(long)]
    no_prior: bool,
    /// Estimate 3PL items with fewer responses than this as 2PL.
    #[arg(long)]
    small_n_2pl: Option<f64>,
    /// Lognormal prior on a: MEAN,SD of ln a (e.g. 0,0.5).
    #[arg(long, value_parser = parse_pair)]
    prior_a: Option<(f64, f64)>,
    /// Normal prior on b: MEAN,SD (e.g. 0,2).
    #[arg(long, value_parser = parse_pair)]
    prior_b: Option<(f64, f64)>,
    /// Empirical-histogram latent densities for the groups other than the reference group.
    #[arg(long)]
    empirical_histogram: bool,
    /// Output folder (default: reports/<name of DIR or of the matrix file>).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct LinkArgs {
    /// CSV of the new form's parameters: item_id, a, b[, c][, common column].
    #[arg(long)]
    new_params: PathBuf,
    /// CSV of the old (base) form's parameters.
    #[arg(long)]
    old_params: PathBuf,
    #[command(flatten)]
    items: CommonItems,
    /// mean-mean, mean-sigma, haebara or stocking-lord (for new_params_linked.csv; all are printed).
    #[arg(long, default_value = "stocking-lord", value_parser = parse_link)]
    method: qbank::equate::linking::LinkMethod,
    /// Symmetric Haebara / Stocking-Lord criteria.
    #[arg(long)]
    symmetric: bool,
    #[arg(long, default_value = "reports/link")]
    out: PathBuf,
}

#[derive(Args)]
struct EquateArgs {
    /// A data set: calibrate, then write the conversion tables of every form.
    #[arg(conflicts_with_all = ["new_scores", "new_params"])]
    dir: Option<PathBuf>,
    /// irt-true, irt-observed, mean, linear, equipercentile, tucker, levine, levine-external,
    /// levine-true, chained, chained-equipercentile, freq-est.
    #[arg(long, default_value = "irt-true")]
    method: String,
    /// Scores of the new form: one row per examinee (or score/frequency rows).
    #[arg(long, requires = "old_scores")]
    new_scores: Option<PathBuf>,
    #[arg(long)]
    old_scores: Option<PathBuf>,
    #[arg(long, default_value = "total")]
    score_column: String,
    /// Anchor-score column (NEAT designs).
    #[arg(long)]
    anchor_column: Option<String>,
    /// Frequency column (score/frequency rows).
    #[arg(long)]
    frequency_column: Option<String>,
    /// Highest possible total score (default: highest observed).
    #[arg(long)]
    max_score: Option<usize>,
    /// Synthetic-population weight of the new form's group (NEAT).
    #[arg(long, default_value_t = 0.5)]
    w1: f64,
    /// Log-linear presmoothing for equipercentile: a degree, or `aic`.
    #[arg(long)]
    smooth: Option<String>,
    /// Bootstrap replications for standard errors of equating.
    #[arg(long)]
    bootstrap: Option<usize>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Item parameters of the new form (IRT equating from parameters).
    #[arg(long, requires = "old_params")]
    new_params: Option<PathBuf>,
    #[arg(long)]
    old_params: Option<PathBuf>,
    #[command(flatten)]
    items: CommonItems,
    /// Linking method before IRT equating from parameters.
    #[arg(long, default_value = "stocking-lord", value_parser = parse_link)]
    link_method: qbank::equate::linking::LinkMethod,
    #[arg(long)]
    out: Option<PathBuf>,
}

fn equate(a: EquateArgs) -> ExitCode {
    use qbank::equate::classical::Method;
    let bad = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    if !(0.0..=1.0).contains(&a.w1) {
        return bad(format!("--w1 {} must lie in [0, 1]", a.w1));
    }
    let irt = match a.method.as_str() {
        "irt-true" => Some(false),
        "irt-observed" => Some(true),
        _ => None,
    };
    let classical = match (irt, Method::parse(&a.method), a.smooth.as_deref()) {
        (Some(_), _, _) => None,
        (None, Some(Method::Equipercentile { .. }), Some(sm)) => match sm {
            "aic" => Some(Method::Equipercentile { smooth: Some(0) }),
            d => match d.parse::<usize>() {
                Ok(c) if (1..=10).contains(&c) => Some(Method::Equipercentile { smooth: Some(c) }),
                _ => return bad(format!("--smooth '{d}': expected a degree 1-10 or aic")),
            },
        },
        (None, Some(m), _) => Some(m),
        (None, None, _) => return bad(format!("unknown --method '{}'", a.method)),
    };
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports/equate"));
    let result = if let (Some(n), Some(o)) = (&a.new_scores, &a.old_scores) {
        let Some(method) = classical else {
            return bad("score files take a classical --method (IRT methods need --new-params/--old-params or a data set)".into());
        };
        let args = qbank::run::ScoreFiles {
            new_scores: n,
            old_scores: o,
            score_column: &a.score_column,
            anchor_column: a.anchor_column.as_deref(),
            frequency_column: a.frequency_column.as_deref(),
            max_score: a.max_score,
            w1: a.w1,
            bootstrap: a.bootstrap.map(|r| (r.max(2), a.seed)),
        };
        qbank::run::equate_scores(&args, method, &out)
    } else if let (Some(n), Some(o)) = (&a.new_params, &a.old_params) {
        let Some(observed) = irt else {
            return bad("parameter files take --method irt-true or irt-observed".into());
        };
        let args = a.items.files(n, o, false);
        qbank::run::equate_params(&args, a.link_method, observed, &out)
    } else if let Some(dir) = &a.dir {
        let out = a.out.clone().unwrap_or_else(|| default_out(dir));
        return match qbank::run::equate_dataset(dir, classical, &out) {
            Ok(text) => {
                print!("{text}");
                println!("outputs in {}", out.display());
                ExitCode::SUCCESS
            }
            Err(e) => report(e),
        };
    } else {
        return bad(
            "give a data set, --new-scores/--old-scores or --new-params/--old-params".into(),
        );
    };
    match result {
        Ok(conv) => {
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
            ExitCode::SUCCESS
        }
        Err(e) => report(e),
    }
}

/// Which items two parameter files have in common, and their metric.
#[derive(Args)]
struct CommonItems {
    /// Common items, comma-separated (default: the --common-column, else every id in both files).
    #[arg(long, value_delimiter = ',')]
    common: Vec<String>,
    /// A 0/1 column marking common items in both files.
    #[arg(long)]
    common_column: Option<String>,
    /// Leave an item out of the common items (repeatable).
    #[arg(long)]
    exclude: Vec<String>,
    /// Scaling constant D of the parameters.
    #[arg(long, default_value_t = 1.0)]
    d: f64,
}

impl CommonItems {
    fn files<'a>(
        &'a self,
        new: &'a std::path::Path,
        old: &'a std::path::Path,
        symmetric: bool,
    ) -> qbank::run::LinkFiles<'a> {
        qbank::run::LinkFiles {
            new_params: new,
            old_params: old,
            scale_d: self.d,
            common: self.common.clone(),
            common_column: self.common_column.as_deref(),
            exclude: self.exclude.clone(),
            symmetric,
        }
    }
}

fn parse_link(s: &str) -> Result<qbank::equate::linking::LinkMethod, String> {
    qbank::equate::linking::LinkMethod::parse(s).ok_or_else(|| {
        format!("unknown method '{s}': expected mean-mean, mean-sigma, haebara or stocking-lord")
    })
}

fn link(a: LinkArgs) -> ExitCode {
    let args = a.items.files(&a.new_params, &a.old_params, a.symmetric);
    match qbank::run::link_files(&args, a.method, &a.out) {
        Ok(links) => {
            println!("{:<14} {:>10} {:>10}", "method", "A", "B");
            for l in links {
                let mark = if l.method == a.method {
                    "  <- new_params_linked.csv"
                } else {
                    ""
                };
                println!(
                    "{:<14} {:>10.6} {:>10.6}{mark}",
                    l.method.as_str(),
                    l.slope,
                    l.intercept
                );
            }
            println!("outputs in {}", a.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => report(e),
    }
}

fn parse_pair(s: &str) -> Result<(f64, f64), String> {
    let mut it = s.split(',').map(|x| x.trim().parse::<f64>());
    match (it.next(), it.next(), it.next()) {
        (Some(Ok(m)), Some(Ok(sd)), None) if sd > 0.0 && m.is_finite() => Ok((m, sd)),
        _ => Err(format!("'{s}' is not MEAN,SD with SD > 0")),
    }
}

fn parse_model(s: &str) -> Result<ModelKind, String> {
    ModelKind::parse(s).ok_or_else(|| format!("unknown model '{s}': expected rasch, 2pl or 3pl"))
}

#[derive(Args)]
struct SimulateArgs {
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = SimConfig::default().candidates)]
    candidates: usize,
    #[arg(long, default_value_t = SimConfig::default().forms)]
    forms: usize,
    #[arg(long, default_value_t = SimConfig::default().pool)]
    pool: usize,
    #[arg(long, default_value_t = SimConfig::default().scored)]
    scored: usize,
    #[arg(long, default_value_t = SimConfig::default().pretest)]
    pretest: usize,
    #[arg(long, default_value_t = SimConfig::default().anchors)]
    anchors: usize,
    /// Share of candidates who take several practice attempts.
    #[arg(long, default_value_t = SimConfig::default().repeat_share)]
    repeat_share: f64,
    /// Share of candidates who start with the 10-question diagnostic.
    #[arg(long, default_value_t = SimConfig::default().diagnostic_share)]
    diagnostic_share: f64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { dir } => match qbank::run::load(&dir) {
            Ok((ds, diags)) => {
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
                ExitCode::SUCCESS
            }
            Err(e) => report(e),
        },
        Command::Readiness {
            dir,
            candidates,
            out,
            quiet,
        } => {
            let out = out.unwrap_or_else(|| default_out(&dir));
            match qbank::run::readiness(&dir, &out, &candidates, quiet) {
                Ok(c) => {
                    let share = |k: usize| c.status.get(k).map(|s| 100.0 * s.share).unwrap_or(0.0);
                    println!(
                        "{} candidates: {:.1} % Ready, {:.1} % Borderline, {:.1} % Not yet; outputs in {}",
                        c.candidates,
                        share(0),
                        share(1),
                        share(2),
                        out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => report(e),
            }
        }
        Command::Run {
            dir,
            out,
            format,
            candidates,
            quiet,
        } => {
            let out = out.unwrap_or_else(|| default_out(&dir));
            let opts = qbank::run::RunOptions {
                markdown: format.contains(&ReportFormat::Md),
                quiet,
                readiness_pages: candidates,
            };
            match qbank::run::run(&dir, &out, &opts) {
                Ok(o) => {
                    println!(
                        "{}: {} attempts by {} candidates on {} forms; outputs in {}",
                        o.exam,
                        o.attempts,
                        o.candidates,
                        o.forms.len(),
                        out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => report(e),
            }
        }
        Command::Calibrate(a) => calibrate(a),
        Command::Link(a) => link(a),
        Command::Items {
            dir,
            dif,
            reference,
            focal,
            out,
        } => {
            let out = out.unwrap_or_else(|| default_out(&dir));
            let spec = dif.map(|column| qbank::classical::DifSpec {
                column,
                reference: reference.unwrap_or_default(),
                focal: focal.unwrap_or_default(),
            });
            match qbank::run::load(&dir)
                .and_then(|(ds, _)| qbank::run::items_stage(&ds, spec.as_ref(), &out))
            {
                Ok(a) => {
                    println!(
                        "{} item rows, {} option rows, {} flags, {} DIF rows; outputs in {}",
                        a.items.len(),
                        a.options.len(),
                        a.flags.len(),
                        a.dif.len(),
                        out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => report(e),
            }
        }
        Command::Equate(a) => equate(a),
        Command::Convert { csv, parquet } => {
            match qbank::exam::attempts::csv_to_parquet(&csv, &parquet) {
                Ok(()) => ExitCode::SUCCESS,
                Err(msg) => {
                    eprintln!("error: {msg}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Simulate(a) => {
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
                ..SimConfig::default()
            };
            if !(0.0..=1.0).contains(&cfg.repeat_share)
                || !(0.0..=1.0).contains(&cfg.diagnostic_share)
            {
                eprintln!("error: shares must lie between 0 and 1");
                return ExitCode::from(2);
            }
            match qbank::simulate::simulate(&cfg, &a.out) {
                Ok(s) => {
                    println!(
                        "wrote {}: {} items, {} forms, {} candidates, {} attempts, {} responses",
                        a.out.display(),
                        s.items,
                        s.forms,
                        s.candidates,
                        s.attempts,
                        s.responses
                    );
                    ExitCode::SUCCESS
                }
                Err(msg) => {
                    eprintln!("error: {msg}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn calibrate(a: CalibrateArgs) -> ExitCode {
    use qbank::irt::workflow::CalibrateOptions;
    use qbank::irt::{EmOptions, Priors};
    if !(a.d > 0.0 && a.d.is_finite()) || a.quadpts < 5 || !(a.tol > 0.0) {
        eprintln!("error: --d must be positive, --quadpts at least 5, --tol positive");
        return ExitCode::from(2);
    }
    let by_form = match a.groups.as_str() {
        "form" => true,
        "none" => false,
        other => {
            eprintln!("error: --groups '{other}': expected form or none");
            return ExitCode::from(2);
        }
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
    let result = if let Some(matrix) = &a.matrix {
        let out = a.out.clone().unwrap_or_else(|| default_out(matrix));
        let model = a.model.unwrap_or(ModelKind::TwoPL);
        let id = a.id_column.as_deref();
        let w = a.weights.as_deref();
        qbank::run::calibrate_matrix(matrix, id, w, model, a.d, priors, &em, &out).map(|s| (s, out))
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
        qbank::run::load(&dir)
            .and_then(|(ds, _)| qbank::run::calibrate_stage(&ds, &opts, &out))
            .map(|(r, _)| (r.summary(opts.model), out))
    };
    match result {
        Ok((s, out)) => {
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
            ExitCode::SUCCESS
        }
        Err(e) => report(e),
    }
}

/// `reports/<last component of DIR>`.
fn default_out(dir: &std::path::Path) -> PathBuf {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_stem().map(|n| n.to_owned()))
        .unwrap_or_else(|| "run".into());
    PathBuf::from("reports").join(name)
}

fn report(e: RunError) -> ExitCode {
    match e {
        RunError::Invalid(diags) => {
            eprint!("{}", diags.render());
            eprintln!(
                "{} error(s), {} warning(s): nothing was written",
                diags.error_count(),
                diags.warning_count()
            );
            ExitCode::from(2)
        }
        other => {
            eprintln!("error: {other}");
            ExitCode::from(1)
        }
    }
}
