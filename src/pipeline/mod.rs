//! The stages of `qbank run` and the file-based commands, as compositions of library calls.
//!
//! Each stage is a function from inputs to a result value ([`stages`]); `qbank run` is the short
//! sequence validate -> items -> calibrate -> equate/scale -> next bank (and assembly) ->
//! readiness -> security, collected in one [`Run`]
//! value that [`Run::write`] hands to the writer layer ([`crate::report`]). The file-based
//! commands (link, equate from files, calibrate a matrix) are in [`commands`]; the bank's next
//! cycle (bank, assemble) in [`cycle`].

pub mod commands;
pub mod cycle;
pub mod import;
pub mod progress;
pub mod stages;
pub mod uncertainty;

use std::path::{Path, PathBuf};

use crate::classical::ItemAnalysis;
use crate::equate::workflow::NeatTable;
use crate::exam::{Dataset, Diagnostics, Location, Overview};
use crate::report::files::WriteError;
use crate::report::{self, tables};
use crate::scale::equating::Equating;
use crate::scale::ScaleError;

pub use progress::{Progress, StageTime};
pub use stages::{Calibrated, Readiness};

/// Why a command stopped without results.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input has errors; the diagnostics say where.
    #[error("{} error(s) in the input", .0.error_count())]
    Invalid(Diagnostics),
    /// A flag value that cannot be used.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Convert(#[from] report::convert::ConvertError),
    #[error(transparent)]
    Simulate(#[from] crate::simulate::SimulateError),
    #[error(transparent)]
    Staging(#[from] report::staging::StagingError),
    /// The assembly solver failed (not a problem of the input).
    #[error(transparent)]
    Assemble(crate::assemble::AtaError),
    #[error("exam security: {0}")]
    Security(#[from] crate::security::SecurityError),
}

impl Error {
    /// One input error at `location`.
    pub fn invalid(location: Location, message: impl Into<String>) -> Error {
        let mut d = Diagnostics::default();
        d.error(location, message);
        Error::Invalid(d)
    }

    /// A scale that cannot be built, reported against qbank.toml's `[scale]`.
    pub fn scale(ds: &Dataset, e: ScaleError) -> Error {
        Error::invalid(
            Location::file(crate::exam::display(&ds.exam.dir.join("qbank.toml"))).column("scale"),
            e.to_string(),
        )
    }
}

/// Options of the main job.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Also write the report as Markdown (`index.md`).
    pub markdown: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Candidates to write a readiness page for.
    pub readiness_pages: Vec<String>,
    /// Print each stage's wall time to stderr and keep them in overview.json.
    pub timings: bool,
}

/// Everything `qbank run` computed.
pub struct Run {
    pub ds: Dataset,
    pub diags: Diagnostics,
    pub overview: Overview,
    pub items: ItemAnalysis,
    pub calibrated: Calibrated,
    pub equating: Equating,
    pub neat: Vec<NeatTable>,
    /// Readiness, for practice data only (see [`stages::is_practice`]).
    pub readiness: Option<Readiness>,
    /// The next item bank.
    pub bank: crate::assemble::bank::BankUpdate,
    /// The next forms, when the data set has an `assembly.toml`.
    pub next_forms: Option<crate::assemble::cycle::NextForms>,
    /// The exam-security stage (person fit, response times, items over time, preknowledge).
    pub security: crate::security::workflow::SecurityAnalysis,
}

/// The main job's analyses: validate, then each stage in turn.
pub fn run(dir: &Path, opts: &RunOptions, progress: &Progress) -> Result<Run, Error> {
    progress.stage("reading and validating");
    let (ds, diags) = stages::load(dir)?;
    stages::check_candidates(&ds, &opts.readiness_pages)?;
    let overview = Overview::of(&ds, diags.warning_count());
    progress.stage("classical item analysis");
    let items = stages::items(&ds);
    progress.stage("IRT calibration");
    let mut calibrated = stages::calibrate_timed(
        &ds,
        &stages::run_calibration_options(&ds.exam.config.calibration),
        progress,
    );
    progress.stage("IRT equating and linking");
    let equating = stages::equate(&ds, &calibrated)?;
    progress.stage("classical equating");
    let neat = crate::equate::workflow::neat_tables(&ds, &crate::equate::workflow::NEAT_METHODS);
    progress.stage("next item bank");
    let bank = cycle::bank(&ds, &items, &calibrated, &equating, &overview);
    let spec_path = dir.join(cycle::SPEC_FILE);
    let next_forms = if spec_path.exists() {
        progress.stage("assembling the next forms");
        let spec = cycle::read_spec(&spec_path)?;
        Some(cycle::assemble_stage(
            &ds,
            &bank,
            &calibrated,
            &equating,
            spec,
            &spec_path,
        )?)
    } else {
        None
    };
    progress.stage("readiness");
    // operational data (each candidate once): no readiness report, so nothing to compute
    let readiness = stages::is_practice(&ds).then(|| {
        stages::readiness_timed(
            &ds,
            &calibrated.forms,
            &equating.summary.scale,
            &equating.tables,
            progress,
        )
    });
    // Nothing after this point reads the calibration's copy of the responses.
    calibrated.result.responses.forget_codes();
    progress.stage("exam security");
    let security = stages::security_timed(&ds, &calibrated.forms, None, progress)?;
    Ok(Run {
        security,
        ds,
        diags,
        overview,
        items,
        calibrated,
        equating,
        neat,
        readiness,
        bank,
        next_forms,
    })
}

impl Run {
    /// Writes every output of the run into `out`: the stage tables, the readiness pages asked
    /// for and the report. The stage tables, the security tables and the report are independent
    /// files, written side by side (no file's bytes depend on the order); the first error in that
    /// order is returned.
    pub fn write(&self, out: &Path, opts: &RunOptions) -> Result<(), WriteError> {
        let (tables, (security, report)) = rayon::join(
            || self.write_tables(out, opts),
            || {
                rayon::join(
                    || report::security::write_tables(out, &self.ds, &self.security),
                    || self.write_report(out, opts),
                )
            },
        );
        tables.and(security).and(report)
    }

    fn write_tables(&self, out: &Path, opts: &RunOptions) -> Result<(), WriteError> {
        tables::write_validation(&out.join("validation.csv"), &self.diags)?;
        tables::write_json(&out.join("overview.json"), &self.overview)?;
        report::item_tables::write_item_analysis(out, &self.items)?;
        self.calibrated.write(out, &self.ds)?;
        tables::write_equating(out, &self.equating)?;
        tables::write_neat_tables(out, &self.neat)?;
        // Readiness files only for practice data (as the report's section).
        if let Some(r) = &self.readiness {
            r.write(out, &opts.readiness_pages)?;
        }
        report::assembly::write_bank(&out.join("bank"), &self.bank)?;
        if let Some(next) = &self.next_forms {
            report::assembly::write_next_forms(&out.join("next_forms"), next, opts.timings)?;
        }
        Ok(())
    }

    fn write_report(&self, out: &Path, opts: &RunOptions) -> Result<(), WriteError> {
        let warnings: Vec<String> = self.diags.iter().map(|d| d.to_string()).collect();
        let input = report::ReportInput {
            ds: &self.ds,
            overview: &self.overview,
            items: &self.items,
            calibration: &self.calibrated.result,
            forms: &self.calibrated.forms,
            scores: &self.calibrated.scores,
            equating: &self.equating.summary,
            tables: &self.equating.tables,
            warnings: &warnings,
            readiness: self.readiness.as_ref().map(|r| (&r.ctx, &r.cohort)),
            cycle: Some((&self.bank, self.next_forms.as_ref())),
            security: Some(&self.security),
            markdown: opts.markdown,
        };
        report::write_report(&input, out)
    }
}

/// `qbank run`: the analyses, then every output written into a staging folder beside `out`
/// that replaces `out` only when complete (a second run on the same `out` meanwhile is refused).
pub fn run_and_write(dir: &Path, out: &Path, opts: &RunOptions) -> Result<Overview, Error> {
    let staging = report::staging::Staging::begin(out)?;
    let progress = Progress::new(11, opts.quiet).live_timings(opts.timings);
    let run = run(dir, opts, &progress)?;
    progress.stage("report");
    run.write(staging.path(), opts)?;
    if opts.timings {
        let timings = progress.timings();
        let overview = progress::WithTimings {
            value: &run.overview,
            timings: &timings,
        };
        tables::write_json(&staging.path().join("overview.json"), &overview)?;
        progress.print_timings();
    }
    staging.commit()?;
    progress.finish();
    Ok(run.overview)
}

/// The default output folder of a data set: `reports/<last component of DIR>`.
pub fn default_out(dir: &Path) -> PathBuf {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_stem().map(|n| n.to_owned()))
        .unwrap_or_else(|| "run".into());
    PathBuf::from("reports").join(name)
}
