//! The bank's next cycle as stages and commands: the next bank after a run (`qbank bank`, and a
//! stage of `qbank run`), automated assembly of the next forms from a data set's bank or a pool
//! file (`qbank assemble`), and their pre-equating. The analyses are in [`crate::assemble`]; the
//! files are written by [`crate::report::assembly`].

use std::path::Path;

use crate::assemble::bank::{update_bank, BankUpdate};
use crate::assemble::cycle::{assemble_pool, next_forms, NextForms};
use crate::assemble::{AtaError, Pool, PoolColumns, Spec};
use crate::classical::ItemAnalysis;
use crate::exam::{self, Dataset, Location, Overview};
use crate::report::assembly::{write_bank, write_next_forms};
use crate::scale::equating::Equating;

use super::stages::{self, Calibrated};
use super::{Error, Progress};

/// The spec file `qbank run` assembles from when the data set has one.
pub const SPEC_FILE: &str = "assembly.toml";

/// The next bank: the `[bank]` rules applied to the run's calibration, item analysis and links.
pub fn bank(
    ds: &Dataset,
    items: &ItemAnalysis,
    c: &Calibrated,
    eq: &Equating,
    overview: &Overview,
) -> BankUpdate {
    update_bank(
        &ds.exam,
        items,
        &c.result.estimates,
        &c.result.exam_items,
        &eq.summary.links,
        &overview.last_submitted,
    )
}

/// An assembly error as the user sees it: a problem of the spec (or of the pool against it),
/// reported against `spec_path` (exit 2), or a solver failure (exit 1).
fn assembly_error(e: AtaError, spec_path: &Path) -> Error {
    match e {
        AtaError::NoSolutionInTime { .. } | AtaError::Solver { .. } => Error::Assemble(e),
        e => Error::invalid(Location::file(exam::display(spec_path)), e.to_string()),
    }
}

/// Reads an assembly spec (TOML; checked when assembling); errors name the file (and the line,
/// for syntax).
pub fn read_spec(path: &Path) -> Result<Spec, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::invalid(
            Location::file(exam::display(path)),
            format!("cannot read the spec: {e}"),
        )
    })?;
    Spec::parse_toml(&text).map_err(|e| assembly_error(e, path))
}

/// Reads a pool file (item_id, a, b, c and attribute columns); errors name the file.
pub fn read_pool(path: &Path) -> Result<Pool, Error> {
    let loc = || Location::file(exam::display(path));
    let file = std::fs::File::open(path)
        .map_err(|e| Error::invalid(loc(), format!("cannot read the pool: {e}")))?;
    Pool::from_csv(file, &PoolColumns::default()).map_err(|e| Error::invalid(loc(), e.to_string()))
}

/// The assembly stage of a data set: its next bank's items, assembled by `spec`, pre-equated.
pub fn assemble_stage(
    ds: &Dataset,
    bank: &BankUpdate,
    c: &Calibrated,
    eq: &Equating,
    spec: Spec,
    spec_path: &Path,
) -> Result<NextForms, Error> {
    next_forms(ds, bank, &c.forms, &eq.summary.scale, spec)
        .map_err(|e| assembly_error(e, spec_path))
}

/// What `qbank bank` and `qbank assemble DIR` compute before they write.
struct Cycle {
    ds: Dataset,
    calibrated: Calibrated,
    equating: Equating,
    bank: BankUpdate,
}

fn run_to_bank(dir: &Path, progress: &Progress) -> Result<Cycle, Error> {
    progress.stage("reading and validating");
    let (ds, diags) = stages::load(dir)?;
    let overview = Overview::of(&ds, diags.warning_count());
    progress.stage("classical item analysis");
    let items = stages::items(&ds);
    progress.stage("IRT calibration");
    let calibrated = stages::calibrate(
        &ds,
        &stages::run_calibration_options(&ds.exam.config.calibration),
    );
    progress.stage("IRT equating and linking");
    let equating = stages::equate(&ds, &calibrated)?;
    let bank = bank(&ds, &items, &calibrated, &equating, &overview);
    Ok(Cycle {
        ds,
        calibrated,
        equating,
        bank,
    })
}

/// `qbank bank DIR`: runs the analyses the rules need and writes `OUT/items.csv` and
/// `OUT/changes.csv`.
pub fn bank_command(dir: &Path, out: &Path, quiet: bool) -> Result<BankUpdate, Error> {
    let progress = Progress::new(5, quiet);
    let c = run_to_bank(dir, &progress)?;
    progress.stage("writing the bank");
    write_bank(out, &c.bank)?;
    progress.finish();
    Ok(c.bank)
}

/// `qbank assemble DIR --spec SPEC`: the next bank of the data set (written to `OUT/bank/`),
/// the forms assembled from it and pre-equated (written to `OUT`).
pub fn assemble_dataset(
    dir: &Path,
    spec_path: &Path,
    out: &Path,
    quiet: bool,
    timings: bool,
) -> Result<NextForms, Error> {
    let spec = read_spec(spec_path)?;
    let progress = Progress::new(6, quiet);
    let c = run_to_bank(dir, &progress)?;
    progress.stage("assembling");
    let next = assemble_stage(&c.ds, &c.bank, &c.calibrated, &c.equating, spec, spec_path)?;
    write_bank(&out.join("bank"), &c.bank)?;
    write_next_forms(out, &next, timings)?;
    progress.finish();
    Ok(next)
}

/// `qbank assemble --pool FILE --spec SPEC`: forms from a pool file (no pre-equating: a pool
/// has no reporting scale).
pub fn assemble_pool_file(
    pool_path: &Path,
    spec_path: &Path,
    out: &Path,
    timings: bool,
) -> Result<NextForms, Error> {
    let spec = read_spec(spec_path)?;
    let pool = read_pool(pool_path)?;
    let next = assemble_pool(pool, spec).map_err(|e| assembly_error(e, spec_path))?;
    write_next_forms(out, &next, timings)?;
    Ok(next)
}
