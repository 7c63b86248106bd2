//! `qbank import --wide FILE [--key KEY.csv] --out DIR`: a wide export read (exam::import), then
//! written as a data set folder (report::dataset) and validated as `qbank validate` would.

use std::path::Path;

use crate::exam::import::{read_key, read_wide_export, ImportOptions};
use crate::exam::{self, Diagnostics, Location};
use crate::report::dataset::write_dataset;

use super::Error;

/// What an import wrote.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub items: usize,
    pub examinees: usize,
    pub keyed: bool,
}

/// Reads `wide` (against `key` if given), writes the data set into `out` (which must not exist
/// or be empty) and checks it loads.
pub fn import_wide(
    wide: &Path,
    key: Option<&Path>,
    opts: &ImportOptions,
    form_id: &str,
    name: Option<&str>,
    out: &Path,
) -> Result<ImportSummary, Error> {
    if out.exists() && std::fs::read_dir(out).map_or(true, |mut d| d.next().is_some()) {
        return Err(Error::Usage(format!(
            "--out {} exists and is not empty; import writes a new data set folder",
            out.display()
        )));
    }
    let mut diags = Diagnostics::default();
    let key = key.map(|k| read_key(k, &mut diags));
    if diags.has_errors() {
        return Err(Error::Invalid(diags));
    }
    let x = read_wide_export(wide, key, opts, &mut diags).ok_or(Error::Invalid(diags))?;
    let stem = wide
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "imported exam".into());
    write_dataset(out, &x, form_id, name.unwrap_or(&stem))?;
    let mut check = Diagnostics::default();
    if exam::load(out, &mut check).is_none() {
        check.error(
            Location::file(exam::display(out)),
            "the imported data set does not validate (a bug of qbank import: please report it)",
        );
        return Err(Error::Invalid(check));
    }
    Ok(ImportSummary {
        items: x.items.len(),
        examinees: x.examinees.len(),
        keyed: x.keyed,
    })
}
