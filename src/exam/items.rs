//! The item bank (`items.csv`): id, domain, single/multiple response, key, number of options and,
//! for calibrated items, bank parameters a, b, c; optionally `enemy_group` (items sharing a value
//! must not appear on one form together: test assembly puts at most one of them on a form).

use std::collections::HashMap;

use super::config::Config;
use super::diagnostics::Diagnostics;
use super::table::Table;

pub use crate::matrix::{OptionSet, OptionSetError};

/// The most answer options an item may have (options are the letters A..O).
pub const MAX_OPTIONS: u8 = 15;

/// Single-response (one key letter) or multiple-response (a key set; right only on an exact match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemType {
    Single,
    Multiple,
}

impl ItemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Single => "single",
            ItemType::Multiple => "multiple",
        }
    }
}

/// 3PL bank parameters on the logistic metric (D = 1): P = c + (1 - c) / (1 + exp(-a (theta - b))).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BankParams {
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    /// Index into `Config::domains`.
    pub domain: usize,
    pub item_type: ItemType,
    pub key: OptionSet,
    pub options: u8,
    pub bank: Option<BankParams>,
    /// Enemy group (empty cells: none).
    pub enemy_group: Option<String>,
}

impl Item {
    /// Scores a response: right only when the chosen set equals the key (no partial credit).
    pub fn is_right(&self, chosen: OptionSet) -> bool {
        !chosen.is_empty() && chosen == self.key
    }
}

pub(crate) const ITEM_COLUMNS: [&str; 5] = ["item_id", "domain", "type", "key", "options"];
pub(crate) const PARAM_COLUMNS: [&str; 3] = ["a", "b", "c"];
/// Columns items.csv may have beside [`ITEM_COLUMNS`].
pub(crate) const OPTIONAL_COLUMNS: [&str; 4] = ["a", "b", "c", "enemy_group"];

/// Reads and checks the item bank. Items with errors are left out; every error is reported.
pub fn read_items(table: &Table, config: &Config, diags: &mut Diagnostics) -> Vec<Item> {
    table.reject_extra(diags);
    let mut items: Vec<Item> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in table.rows() {
        let Some(id) = row.get("item_id") else {
            continue;
        };
        if id.is_empty() {
            diags.error(row.location("item_id"), "empty item_id");
            continue;
        }
        if let Some(first) = seen.insert(id.to_string(), row.line) {
            diags.error(
                row.location("item_id").item(id),
                format!("item '{id}' is defined twice (first on line {first})"),
            );
            continue;
        }
        let mut ok = true;
        let domain_text = row.get("domain").unwrap_or("");
        let domain = config.domain_index(domain_text);
        if domain.is_none() {
            let known: Vec<&str> = config.domains.iter().map(|d| d.id.as_str()).collect();
            diags.error(
                row.location("domain").item(id),
                format!(
                    "unknown domain '{domain_text}'; expected one of the domain ids in qbank.toml: {}",
                    known.join(", ")
                ),
            );
            ok = false;
        }
        let type_text = row.get("type").unwrap_or("");
        let item_type = match type_text.to_ascii_lowercase().as_str() {
            "single" => Some(ItemType::Single),
            "multiple" => Some(ItemType::Multiple),
            _ => {
                diags.error(
                    row.location("type").item(id),
                    format!("type '{type_text}' is not 'single' or 'multiple'"),
                );
                ok = false;
                None
            }
        };
        let options_text = row.get("options").unwrap_or("");
        let options = match options_text.parse::<u8>() {
            Ok(n) if (2..=MAX_OPTIONS).contains(&n) => Some(n),
            _ => {
                diags.error(
                    row.location("options").item(id),
                    format!(
                        "options '{options_text}' is not a whole number of choices from 2 to {MAX_OPTIONS}"
                    ),
                );
                ok = false;
                None
            }
        };
        let key_text = row.get("key").unwrap_or("");
        let key = options.and_then(|n| match OptionSet::parse(key_text, n) {
            Ok(k) if k.is_empty() => {
                diags.error(row.location("key").item(id), "the key is empty");
                None
            }
            Ok(k) => {
                match item_type {
                    Some(ItemType::Single) if k.len() != 1 => {
                        diags.error(
                            row.location("key").item(id),
                            format!("single-response item has key '{key_text}'; expected one option letter"),
                        );
                        return None;
                    }
                    Some(ItemType::Multiple) if k.len() < 2 => {
                        diags.error(
                            row.location("key").item(id),
                            format!("multiple-response item has key '{key_text}'; expected a set of at least two letters like 'A|D'"),
                        );
                        return None;
                    }
                    _ => {}
                }
                Some(k)
            }
            Err(msg) => {
                diags.error(row.location("key").item(id), format!("malformed key: {msg}"));
                None
            }
        });
        let bank = read_bank_params(&row, id, diags, &mut ok);
        if let (true, Some(domain), Some(item_type), Some(key), Some(options)) =
            (ok, domain, item_type, key, options)
        {
            items.push(Item {
                id: id.to_string(),
                domain,
                item_type,
                key,
                options,
                bank,
                enemy_group: row
                    .get("enemy_group")
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(String::from),
            });
        }
    }
    items
}

fn read_bank_params(
    row: &super::table::Row<'_>,
    id: &str,
    diags: &mut Diagnostics,
    ok: &mut bool,
) -> Option<BankParams> {
    let texts: Vec<&str> = PARAM_COLUMNS
        .iter()
        .map(|c| row.get(c).unwrap_or(""))
        .collect();
    if texts.iter().all(|t| t.is_empty()) {
        return None;
    }
    let mut values = [0.0; 3];
    for (k, col) in PARAM_COLUMNS.iter().enumerate() {
        // A missing c means no guessing (a 2PL bank item); a and b are both required.
        if texts[k].is_empty() && *col == "c" {
            continue;
        }
        match texts[k].parse::<f64>() {
            Ok(v) if v.is_finite() => values[k] = v,
            _ => {
                diags.error(
                    row.location(col).item(id),
                    format!(
                        "bank parameter {col} is '{}'; expected a number (or leave a, b and c all empty for an uncalibrated item)",
                        texts[k]
                    ),
                );
                *ok = false;
                return None;
            }
        }
    }
    let [a, b, c] = values;
    if a <= 0.0 {
        diags.error(
            row.location("a").item(id),
            format!("bank parameter a = {a} is out of range; expected a > 0"),
        );
        *ok = false;
    }
    if !(0.0..1.0).contains(&c) {
        diags.error(
            row.location("c").item(id),
            format!("bank parameter c = {c} is out of range; expected 0 <= c < 1"),
        );
        *ok = false;
    }
    Some(BankParams { a, b, c })
}
