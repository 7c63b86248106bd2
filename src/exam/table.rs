//! Reading the small CSV tables (items, forms, candidates) with header checks and line numbers.

use std::collections::HashMap;
use std::path::Path;

use super::config::ColumnsConfig;
use super::diagnostics::{Diagnostics, Location};

/// A CSV file whose header has been matched against the expected columns.
pub struct Table {
    pub file: String,
    /// Position in each record of every column found, by qbank's (canonical) name.
    columns: HashMap<String, usize>,
    /// Columns present in the file but not expected (and not ignored), by their name in the file.
    pub extra: Vec<(usize, String)>,
    pub records: Vec<(u64, csv::StringRecord)>,
}

/// One record with its line number, for looking up fields by canonical column name.
pub struct Row<'a> {
    table: &'a Table,
    pub line: u64,
    record: &'a csv::StringRecord,
}

impl<'a> Row<'a> {
    /// The trimmed field of a column, or `None` if the file has no such column.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let idx = *self.table.columns.get(column)?;
        Some(self.record.get(idx).unwrap_or("").trim())
    }

    pub fn location(&self, column: &str) -> Location {
        Location::file(&self.table.file)
            .line(self.line)
            .column(column)
    }

    pub fn field(&self, idx: usize) -> &'a str {
        self.record.get(idx).unwrap_or("").trim()
    }
}

/// The message for a line that is not UTF-8, with what to do about it.
pub const NOT_UTF8: &str = "the line is not valid UTF-8 (the file was probably saved as Windows-1252 or Latin-1): save it as UTF-8 (in Excel: \"CSV UTF-8\"; or `iconv -f latin1 -t utf-8`)";

/// The field separator of a CSV file, from its header: `;` (or a tab) when the header has it and
/// no comma, as spreadsheets in many locales export; otherwise `,`.
pub fn sniff_delimiter(path: &Path) -> u8 {
    use std::io::{BufRead, Read};
    let mut first = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = std::io::BufReader::new(f)
            .take(1 << 16)
            .read_until(b'\n', &mut first);
    }
    let count = |c: u8| first.iter().filter(|&&b| b == c).count();
    if count(b',') > 0 {
        b','
    } else if count(b';') > 0 {
        b';'
    } else if count(b'\t') > 0 {
        b'\t'
    } else {
        b','
    }
}

impl Table {
    /// Reads `path`, checking that every `required` column is there (after `[columns]` renaming),
    /// that `optional` ones are recognised, and recording other columns in `extra`.
    /// Returns `None` (with an error) when the file cannot be read at all.
    pub fn read(
        path: &Path,
        file: &str,
        required: &[&str],
        optional: &[&str],
        mapping: &ColumnsConfig,
        diags: &mut Diagnostics,
    ) -> Option<Table> {
        let mut reader = match csv::ReaderBuilder::new()
            .flexible(true)
            .delimiter(sniff_delimiter(path))
            .from_path(path)
        {
            Ok(r) => r,
            Err(e) => {
                diags.error(Location::file(file), format!("cannot open: {e}"));
                return None;
            }
        };
        let header = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                diags.error(
                    Location::file(file).line(1),
                    format!("cannot read the header: {e}"),
                );
                return None;
            }
        };
        let names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        let mut columns = HashMap::new();
        for canonical in required.iter().chain(optional) {
            let source = mapping.source_name(canonical);
            // A shared mapping may name a column another file calls by qbank's name.
            let found = names
                .iter()
                .position(|n| n == source)
                .or_else(|| names.iter().position(|n| n == canonical));
            if let Some(idx) = found {
                columns.insert(canonical.to_string(), idx);
            } else if required.contains(canonical) {
                let renamed = if source != *canonical {
                    format!(" (mapped from '{canonical}' in [columns])")
                } else {
                    String::new()
                };
                diags.error(
                    Location::file(file).line(1).column(source),
                    format!(
                        "missing column '{source}'{renamed}; the header has: {}",
                        names.join(", ")
                    ),
                );
            }
        }
        let known: Vec<usize> = columns.values().copied().collect();
        let extra = names
            .iter()
            .enumerate()
            .filter(|(i, n)| !known.contains(i) && !mapping.ignore.contains(n))
            .map(|(i, n)| (i, n.clone()))
            .collect();
        let mut records = Vec::new();
        let ncols = names.len();
        for result in reader.records() {
            match result {
                Ok(rec) => {
                    let line = rec.position().map(|p| p.line()).unwrap_or(0);
                    if rec.len() != ncols {
                        diags.error(
                            Location::file(file).line(line),
                            format!(
                                "expected {ncols} fields as in the header, found {}",
                                rec.len()
                            ),
                        );
                        continue;
                    }
                    if rec.iter().all(|f| f.trim().is_empty()) {
                        continue;
                    }
                    records.push((line, rec));
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    let what = match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => NOT_UTF8.to_string(),
                        _ => format!("malformed CSV: {e}"),
                    };
                    diags.error(Location::file(file).line(line), what);
                }
            }
        }
        Some(Table {
            file: file.to_string(),
            columns,
            extra,
            records,
        })
    }

    /// Reports every extra column as an error (for files whose layout is fixed).
    pub fn reject_extra(&self, diags: &mut Diagnostics) {
        for (_, name) in &self.extra {
            diags.error(
                Location::file(&self.file).line(1).column(name),
                format!(
                    "unexpected column '{name}'; map it with [columns] or list it in [columns] ignore"
                ),
            );
        }
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().map(move |(line, record)| Row {
            table: self,
            line: *line,
            record,
        })
    }
}

/// Parses a boolean as written by people and spreadsheets.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}
