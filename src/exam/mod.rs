//! An exam on disk (a folder): `qbank.toml`, `items.csv`, `forms.csv`, the attempt log and an
//! optional `candidates.csv`, read and validated into an [`Exam`] and a [`ResponseMatrix`].
//!
//! Everything is checked before anything is analysed; every problem found is reported with its
//! file, line, column or item (see [`diagnostics`]).

pub mod attempts;
pub mod candidates;
pub mod columns;
pub mod config;
pub mod dates;
pub mod diagnostics;
pub mod forms;
pub mod import;
pub mod item_list;
pub mod items;
mod log_slices;
pub mod overview;
pub mod param_file_error;
pub mod param_files;
pub mod scores;
pub mod security_config;
pub mod table;
pub mod timestamps;
pub mod wide;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use candidates::Candidates;
pub use config::Config;
pub use diagnostics::{Diagnostic, Diagnostics, Location, Severity};
pub use forms::{Form, FormItem};
pub use items::{BankParams, Item, ItemType, OptionSet};
pub use overview::{FormOverview, Overview};

use crate::matrix::ResponseMatrix;
use table::Table;

/// A validated exam definition: configuration, item bank, forms and (optionally) candidates.
#[derive(Debug, Clone)]
pub struct Exam {
    pub dir: PathBuf,
    pub config: Config,
    pub items: Vec<Item>,
    pub item_index: HashMap<String, usize>,
    pub forms: Vec<Form>,
    pub candidates: Option<Candidates>,
    /// Path of the attempt log that was read.
    pub attempts_path: PathBuf,
}

impl Exam {
    pub fn form_index(&self, id: &str) -> Option<usize> {
        self.forms.iter().position(|f| f.id == id)
    }
    pub fn base_form(&self) -> usize {
        self.form_index(&self.config.base_form).unwrap_or(0)
    }
}

/// An exam with its responses: what every analysis starts from.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub exam: Exam,
    pub matrix: ResponseMatrix,
}

/// Reads and validates the data set in `dir`. Every problem goes into `diags`; the data set is
/// returned only when there are no errors (warnings are allowed).
pub fn load(dir: &Path, diags: &mut Diagnostics) -> Option<Dataset> {
    let toml_path = dir.join("qbank.toml");
    let text = match std::fs::read_to_string(&toml_path) {
        Ok(t) => t,
        Err(e) => {
            diags.error(
                Location::file(display(&toml_path)),
                format!("cannot read the exam definition: {e}"),
            );
            return None;
        }
    };
    let config = Config::parse(&text, &display(&toml_path), diags)?;
    let map = &config.columns;

    let items_path = dir.join(&config.files.items);
    let item_cols: Vec<&str> = items::ITEM_COLUMNS.to_vec();
    let items_table = Table::read(
        &items_path,
        &display(&items_path),
        &item_cols,
        &items::OPTIONAL_COLUMNS,
        &map.for_file("items"),
        diags,
    );
    let items = items_table
        .as_ref()
        .map(|t| items::read_items(t, &config, diags))
        .unwrap_or_default();
    let item_index: HashMap<String, usize> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.id.clone(), i))
        .collect();
    if items.len() > u16::MAX as usize {
        diags.error(
            Location::file(display(&items_path)),
            format!(
                "the bank has {} items; qbank handles up to {}",
                items.len(),
                u16::MAX
            ),
        );
        return None;
    }

    let forms_path = dir.join(&config.files.forms);
    let forms = Table::read(
        &forms_path,
        &display(&forms_path),
        &forms::FORM_COLUMNS,
        &[],
        &map.for_file("forms"),
        diags,
    )
    .map(|t| forms::read_forms(&t, &config, &items, &item_index, diags))
    .unwrap_or_default();

    let cand_path = dir.join(&config.files.candidates);
    let candidates = if cand_path.exists() {
        Table::read(
            &cand_path,
            &display(&cand_path),
            &candidates::CANDIDATE_COLUMNS,
            &candidates::OUTCOME_COLUMNS,
            &map.for_file("candidates"),
            diags,
        )
        .map(|t| candidates::read_candidates(&t, diags))
    } else {
        None
    };

    let attempts_path = match &config.files.attempts {
        Some(p) => dir.join(p),
        None if dir.join("attempts.parquet").exists() => {
            if dir.join("attempts.csv").exists() {
                diags.error(
                    Location::file(display(&dir.join("attempts.parquet"))),
                    format!(
                        "both {} and attempts.parquet are present: say which log to read in qbank.toml ([files] attempts = \"attempts.csv\"), or remove the other",
                        display(&dir.join("attempts.csv"))
                    ),
                );
            }
            dir.join("attempts.parquet")
        }
        None => dir.join("attempts.csv"),
    };
    if diags.has_errors() {
        // The log is checked against items and forms: with those broken, its messages would mislead.
        return None;
    }
    let index = attempts::ExamIndex {
        items: &items,
        item_index: &item_index,
        forms: &forms,
        zone: config.zone(),
    };
    let matrix = attempts::read_attempts(
        &attempts_path,
        &display(&attempts_path),
        &index,
        &map.for_file("attempts"),
        diags,
    )?;
    let exam = Exam {
        dir: dir.to_path_buf(),
        config,
        items,
        item_index,
        forms,
        candidates,
        attempts_path,
    };
    data_warnings(&exam, &matrix, diags);
    if diags.has_errors() {
        return None;
    }
    Some(Dataset { exam, matrix })
}

/// Suspicious but valid data: attempts with everything omitted, items that nobody or everybody
/// answered right, candidates missing from `candidates.csv`.
fn data_warnings(exam: &Exam, m: &ResponseMatrix, diags: &mut Diagnostics) {
    let file = display(&exam.attempts_path);
    let mut n = vec![0u64; exam.items.len()];
    let mut right = vec![0u64; exam.items.len()];
    for a in 0..m.n_attempts() {
        let mut answered = 0;
        for r in m.responses(a) {
            n[r.item] += 1;
            right[r.item] += r.right as u64;
            answered += !r.omitted() as usize;
        }
        if answered == 0 {
            diags.warning(
                Location::file(&file).column("response"),
                format!("attempt '{}' omitted every item", m.attempt_id(a)),
            );
        }
    }
    for (i, it) in exam.items.iter().enumerate() {
        if n[i] > 0 && right[i] == 0 {
            diags.warning(
                Location::file(&file).item(it.id.as_str()),
                format!(
                    "nobody answered item '{}' right ({} responses): check its key",
                    it.id, n[i]
                ),
            );
        } else if n[i] > 0 && right[i] == n[i] {
            diags.warning(
                Location::file(&file).item(it.id.as_str()),
                format!(
                    "everybody answered item '{}' right ({} responses)",
                    it.id, n[i]
                ),
            );
        }
    }
    if let Some(c) = &exam.candidates {
        let missing: Vec<&str> = (0..m.n_candidates())
            .map(|k| m.candidate_id(k))
            .filter(|id| !c.index.contains_key(*id))
            .collect();
        if let Some(first) = missing.first() {
            diags.warning(
                Location::file(display(&exam.dir.join(&exam.config.files.candidates))),
                format!(
                    "{} candidate(s) in the attempt log are not in this file (first: '{first}'); their group is unknown",
                    missing.len()
                ),
            );
        }
    }
}

/// A path as shown in messages.
pub fn display(p: &Path) -> String {
    p.display().to_string()
}
