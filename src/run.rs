//! `qbank run`: validate a data set, then run every analysis and write the outputs of each stage
//! under one report folder.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::exam::{self, Dataset, Diagnostics};
use crate::output::{write_atomic, write_csv};

/// Why a run stopped without results.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The input has errors; the diagnostics say where.
    #[error("{} error(s) in the input", .0.error_count())]
    Invalid(Diagnostics),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What the overview of a data set says: counts and the date range of the attempts.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub exam: String,
    pub data_dir: String,
    pub items: usize,
    pub forms: Vec<FormOverview>,
    pub attempts: usize,
    pub candidates: usize,
    pub responses: usize,
    pub first_submitted: String,
    pub last_submitted: String,
    pub matrix_bytes: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FormOverview {
    pub form_id: String,
    pub scored_items: usize,
    pub pretest_items: usize,
    pub attempts: usize,
    pub mean_raw_score: f64,
}

impl Overview {
    pub fn of(ds: &Dataset, warnings: usize) -> Overview {
        let m = &ds.matrix;
        let mut per_form = vec![(0usize, 0u64); ds.exam.forms.len()];
        for a in 0..m.n_attempts() {
            let f = m.form(a);
            per_form[f].0 += 1;
            per_form[f].1 += m.raw_score(a) as u64;
        }
        let dates = (0..m.n_attempts())
            .map(|a| m.submitted_at(a))
            .filter(|s| !s.is_empty());
        let first = dates.clone().min().unwrap_or("").to_string();
        let last = dates.max().unwrap_or("").to_string();
        Overview {
            exam: ds.exam.config.name.clone(),
            data_dir: exam::display(&ds.exam.dir),
            items: ds.exam.items.len(),
            forms: ds
                .exam
                .forms
                .iter()
                .zip(per_form)
                .map(|(f, (n, total))| FormOverview {
                    form_id: f.id.clone(),
                    scored_items: f.n_scored(),
                    pretest_items: f.items.len() - f.n_scored(),
                    attempts: n,
                    mean_raw_score: if n > 0 {
                        total as f64 / n as f64
                    } else {
                        f64::NAN
                    },
                })
                .collect(),
            attempts: m.n_attempts(),
            candidates: m.n_candidates(),
            responses: m.n_responses(),
            first_submitted: first,
            last_submitted: last,
            matrix_bytes: m.heap_bytes(),
            warnings,
        }
    }
}

/// Loads and validates `dir`; on errors returns them all.
pub fn load(dir: &Path) -> Result<(Dataset, Diagnostics), RunError> {
    let mut diags = Diagnostics::default();
    match exam::load(dir, &mut diags) {
        Some(ds) if !diags.has_errors() => Ok((ds, diags)),
        _ => Err(RunError::Invalid(diags)),
    }
}

/// Writes the diagnostics as `validation.csv` (severity, file, line, column, item, message).
pub fn write_validation(path: &Path, diags: &Diagnostics) -> std::io::Result<()> {
    write_csv(
        path,
        &["severity", "file", "line", "column", "item", "message"],
        diags.iter().map(|d| {
            vec![
                d.severity.as_str().to_string(),
                d.location.file.clone(),
                d.location.line.map(|l| l.to_string()).unwrap_or_default(),
                d.location.column.clone().unwrap_or_default(),
                d.location.item.clone().unwrap_or_default(),
                d.message.clone(),
            ]
        }),
    )
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        writeln!(w)
    })
}

/// The main job: validate, then run each stage, writing into `out`.
pub fn run(dir: &Path, out: &Path) -> Result<Overview, RunError> {
    let (ds, diags) = load(dir)?;
    let overview = Overview::of(&ds, diags.warning_count());
    let w = |path: PathBuf, r: std::io::Result<()>| {
        r.map_err(|source| RunError::Write { path, source })
    };
    w(
        out.join("validation.csv"),
        write_validation(&out.join("validation.csv"), &diags),
    )?;
    w(
        out.join("overview.json"),
        write_json(&out.join("overview.json"), &overview),
    )?;
    Ok(overview)
}
