//! The `qbank` command line: parse flags, call the library, map errors to exit codes
//! (2 for bad input, 1 for an internal or I/O failure).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
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

#[derive(Subcommand)]
enum Command {
    /// Check a data set and report every problem found (exit status 2 if there are errors).
    Validate {
        /// The data-set folder (with qbank.toml).
        dir: PathBuf,
    },
    /// The main job: validate, then run every analysis and write the outputs.
    Run {
        dir: PathBuf,
        /// Output folder (default: reports/<name of DIR>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a simulated data set with known truth.
    Simulate(SimulateArgs),
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
                println!(
                    "{}: valid ({} items, {} forms, {} attempts, {} responses; {} warning(s))",
                    dir.display(),
                    ds.exam.items.len(),
                    ds.exam.forms.len(),
                    ds.matrix.n_attempts(),
                    ds.matrix.n_responses(),
                    diags.warning_count()
                );
                ExitCode::SUCCESS
            }
            Err(e) => report(e),
        },
        Command::Run { dir, out } => {
            let out = out.unwrap_or_else(|| default_out(&dir));
            match qbank::run::run(&dir, &out) {
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

/// `reports/<last component of DIR>`.
fn default_out(dir: &std::path::Path) -> PathBuf {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_owned()))
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
