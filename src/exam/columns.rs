//! `[columns]` in qbank.toml: maps the column names found in real files onto qbank's names.
//!
//! ```toml
//! [columns]                 # every file
//! ignore = ["ip_address"]   # extra columns that are allowed and skipped
//! [columns.attempts]        # one file only: items, forms, attempts or candidates
//! item_id = "ItemId"
//! ```
//! A key that is neither one of qbank's columns nor a file (a typo such as `itme_id`) is an error.

use serde::{de::Error as _, Deserialize, Deserializer};
use std::collections::BTreeMap;

/// The files a `[columns.FILE]` table can name.
pub const FILES: [&str; 4] = ["items", "forms", "attempts", "candidates"];

/// qbank's columns in one of [`FILES`] (the readers' own lists).
pub fn file_columns(file: &str) -> Vec<&'static str> {
    use super::{attempts, candidates, forms, items};
    match file {
        "items" => [&items::ITEM_COLUMNS[..], &items::OPTIONAL_COLUMNS[..]].concat(),
        "forms" => forms::FORM_COLUMNS.to_vec(),
        "attempts" => [&attempts::REQUIRED[..], &attempts::OPTIONAL[..]].concat(),
        "candidates" => [
            &candidates::CANDIDATE_COLUMNS[..],
            &candidates::OUTCOME_COLUMNS[..],
        ]
        .concat(),
        _ => Vec::new(),
    }
}

/// Column-name mapping: shared by every file, and per file (applied over the shared one).
#[derive(Debug, Clone, Default)]
pub struct ColumnsConfig {
    pub ignore: Vec<String>,
    pub rename: BTreeMap<String, String>,
    pub files: BTreeMap<String, ColumnsConfig>,
}

impl ColumnsConfig {
    /// The name to look for in the file for qbank's column `canonical`.
    pub fn source_name<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.rename
            .get(canonical)
            .map(String::as_str)
            .unwrap_or(canonical)
    }

    /// The mapping of one file (`items`, `forms`, `attempts`, `candidates`): the shared entries
    /// with that file's own over them.
    pub fn for_file(&self, file: &str) -> ColumnsConfig {
        let mut m = ColumnsConfig {
            ignore: self.ignore.clone(),
            rename: self.rename.clone(),
            files: BTreeMap::new(),
        };
        if let Some(own) = self.files.get(file) {
            m.ignore.extend(own.ignore.iter().cloned());
            m.rename
                .extend(own.rename.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        m
    }

    fn from_table(t: toml::Table, file: Option<&str>) -> Result<ColumnsConfig, String> {
        let here = file.map_or("[columns]".to_string(), |f| format!("[columns.{f}]"));
        let known: Vec<&str> = match file {
            Some(f) => file_columns(f),
            None => {
                let mut all: Vec<&str> = FILES.iter().flat_map(|f| file_columns(f)).collect();
                all.sort_unstable();
                all.dedup();
                all
            }
        };
        let mut m = ColumnsConfig::default();
        for (k, v) in t {
            match (k.as_str(), v) {
                ("ignore", toml::Value::Array(a)) => {
                    for x in a {
                        match x {
                            toml::Value::String(s) => m.ignore.push(s),
                            _ => {
                                return Err(format!(
                                    "{here} ignore must list column names as strings"
                                ))
                            }
                        }
                    }
                }
                (f, toml::Value::Table(t)) if file.is_none() && FILES.contains(&f) => {
                    m.files
                        .insert(f.to_string(), ColumnsConfig::from_table(t, Some(f))?);
                }
                (c, toml::Value::String(s)) if known.contains(&c) => {
                    m.rename.insert(c.to_string(), s);
                }
                (c, _) => {
                    let files: Vec<String> =
                        FILES.iter().map(|n| format!("[columns.{n}]")).collect();
                    return Err(format!(
                        "unknown key '{c}' in {here}: map one of qbank's columns ({}) to the name in your file, e.g. item_id = \"QuestionID\"{}",
                        known.join(", "),
                        if file.is_none() { format!("; per-file tables: {}", files.join(", ")) } else { String::new() }
                    ));
                }
            }
        }
        Ok(m)
    }
}

impl<'de> Deserialize<'de> for ColumnsConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = toml::Table::deserialize(d)?;
        ColumnsConfig::from_table(t, None).map_err(D::Error::custom)
    }
}
