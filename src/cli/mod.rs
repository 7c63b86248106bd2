//! The command line: argument structs and their checks ([`args`]), one handler per command that
//! calls the pipeline and prints a short terminal summary ([`commands`]), and the mapping of
//! errors to messages and exit codes (2 bad input, 1 an internal or I/O failure).

pub mod args;
pub mod commands;
pub mod equating;
pub mod equating_paths;

use std::process::ExitCode;

use clap::Parser;

use crate::pipeline::Error;
use crate::report::staging::StagingError;
use args::{Cli, Command};

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Validate { dir } => commands::validate(&dir),
        Command::Run {
            dir,
            out,
            format,
            candidates,
            quiet,
        } => commands::run(&dir, out, &format, candidates, quiet),
        Command::Readiness {
            dir,
            candidates,
            out,
            quiet,
        } => commands::readiness(&dir, out, &candidates, quiet),
        Command::Items {
            dir,
            dif,
            reference,
            focal,
            out,
        } => commands::items(&dir, dif, reference, focal, out),
        Command::Simulate(a) => commands::simulate(&a),
        Command::Security {
            dir,
            suspected,
            out,
            quiet,
        } => commands::security(&dir, suspected.as_deref(), out, quiet),
        Command::Import(a) => commands::import(&a),
        Command::Calibrate(a) => commands::calibrate(&a),
        Command::Equate(a) => equating::equate(&a),
        Command::Link(a) => equating::link(&a),
        Command::Convert { csv, parquet } => commands::convert(&csv, &parquet),
        Command::Bank { dir, out, quiet } => commands::bank(&dir, out, quiet),
        Command::Assemble(a) => commands::assemble(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit(e),
    }
}

/// A bad flag value: exit status 2 with the message.
pub fn usage(message: impl Into<String>) -> Error {
    Error::Usage(message.into())
}

/// Prints an error like a compiler's diagnostics and returns its exit code.
fn exit(e: Error) -> ExitCode {
    match e {
        Error::Invalid(diags) => {
            eprint!("{}", diags.render());
            eprintln!(
                "{} error(s), {} warning(s): nothing was written",
                diags.error_count(),
                diags.warning_count()
            );
            ExitCode::from(2)
        }
        e @ (Error::Usage(_)
        | Error::Convert(_)
        | Error::Simulate(_)
        | Error::Security(_)
        | Error::Staging(StagingError::Locked { .. } | StagingError::NotAnOutput(_))) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        other => {
            eprintln!("error: {other}");
            ExitCode::from(1)
        }
    }
}
