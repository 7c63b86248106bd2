//! The report: one self-contained HTML file (`index.html`: CSS inline, figures as inline SVG, no
//! scripts, no network), the same as Markdown (`index.md`, with `--format md`), every figure as
//! `figures/NAME.svg` and `.png`, and every table as `tables/NAME.csv`. The report reads the same
//! result structs the stages' CSVs are written from.
//!
//! This is the one layer that writes files: atomic writes ([`files`]), the stage tables as CSV and
//! JSON ([`tables`], [`item_tables`]), figures ([`figures`]), the HTML/Markdown builder ([`doc`]),
//! the report's sections ([`sections`], [`review`]), the exam-security tables and section
//! ([`security`]), readiness pages ([`readiness`]) and the
//! Parquet conversion ([`convert`]).

pub mod assembly;
mod cohorts;
pub mod convert;
pub mod dataset;
pub mod doc;
pub mod figures;
pub mod files;
pub mod item_tables;
pub mod jmle;
mod multiples;
mod precision;
pub mod readiness;
pub mod readiness_model;
mod review;
mod sections;
pub mod security;
pub mod staging;
pub mod tables;
pub mod uncertainty;

use crate::report::files::WriteError;
use std::path::Path;

use crate::classical::ItemAnalysis;
use crate::exam::{Dataset, Overview};
use crate::irt::workflow::CalibrationResult;
use crate::irt::CalibratedForms;
use crate::scale::equating::EquatingSummary;
use crate::scale::ConversionTable;
use doc::Doc;

/// Escapes text for HTML (ids and messages come from user files).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Everything the report shows.
pub struct ReportInput<'a> {
    pub ds: &'a Dataset,
    pub overview: &'a Overview,
    pub items: &'a ItemAnalysis,
    pub calibration: &'a CalibrationResult,
    /// Each form's scored items and cohort density under that calibration.
    pub forms: &'a CalibratedForms,
    /// Every person's scores under that calibration (in its `responses` order).
    pub scores: &'a [crate::irt::scoring::PersonScore],
    pub equating: &'a EquatingSummary,
    pub tables: &'a [ConversionTable],
    pub warnings: &'a [String],
    pub readiness: Option<(&'a crate::readiness::Context, &'a crate::readiness::Cohort)>,
    /// The next bank and, when assembled, the next forms.
    pub cycle: Option<(
        &'a crate::assemble::bank::BankUpdate,
        Option<&'a crate::assemble::cycle::NextForms>,
    )>,
    /// The exam-security stage, when it ran.
    pub security: Option<&'a crate::security::workflow::SecurityAnalysis>,
    /// Also write `index.md`.
    pub markdown: bool,
}

pub(crate) fn f(x: f64, d: usize) -> String {
    crate::report::files::fmt_f(x, d)
}

pub(crate) fn pct(x: f64) -> String {
    format!("{} %", f(100.0 * x, 1))
}

/// The data set's folder name (never the absolute path it was read from).
fn dataset_name(dir: &str) -> String {
    Path::new(dir)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.to_string())
}

/// Flagged items get a card each, up to this many (the rest are in the table).
pub const MAX_CARDS: usize = 40;

/// Builds the figures, tables and `index.html` (and `index.md`) in `out`.
pub fn write_report(input: &ReportInput<'_>, out: &Path) -> Result<(), WriteError> {
    let o = input.overview;
    let mut doc = Doc::new(
        &format!("{} — qbank report", o.exam),
        &format!("qbank report of the data set {}", dataset_name(&o.data_dir)),
        &out.join("figures"),
        "figures",
        Some(&out.join("tables")),
    );
    // Person scores (EAP) for the Wright map and the item cards' ability groups.
    let scores = input.scores;
    sections::overview(&mut doc, input)?;
    sections::score_distributions(&mut doc, input)?;
    review::item_review(&mut doc, input, scores)?;
    sections::calibration(&mut doc, input, scores)?;
    cohorts::cohort_densities(&mut doc, input)?;
    sections::equating(&mut doc, input)?;
    if let Some((bank, next)) = input.cycle {
        assembly::bank_section(&mut doc, bank)?;
        if let Some(next) = next {
            assembly::assembled_section(&mut doc, next)?;
        }
    }
    if let Some((ctx, coh)) = input.readiness {
        readiness::cohort_section(&mut doc, ctx, coh)?;
    }
    sections::dif(&mut doc, input)?;
    if let Some(sec) = input.security {
        security::section(&mut doc, input.ds, sec)?;
    }
    doc.write(
        &out.join("index.html"),
        input.markdown.then(|| out.join("index.md")).as_deref(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_cannot_inject_markup() {
        assert_eq!(
            super::esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
