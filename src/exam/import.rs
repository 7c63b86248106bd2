//! Wide exports (`qbank import --wide FILE --key KEY.csv`): one row per examinee, one column per
//! item, the chosen option as a letter (A-O) or an option number (1 = A), special codes for "not
//! answered" and "not presented". Read here into plain values; `report::dataset` writes them as a
//! data set folder. Without a key the file must already be scored 0/1.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::diagnostics::{Diagnostics, Location};
use super::table::sniff_delimiter;

/// How to read a wide export.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The examinee-id column (default: the first column).
    pub id_column: Option<String>,
    /// Codes meaning "not answered" (omitted: counts wrong, kept apart in option analysis).
    pub omit_codes: Vec<String>,
    /// Codes meaning "not presented" (no response at all).
    pub not_presented_codes: Vec<String>,
}

/// One item of the answer key (or of a scored file: key `A` = right, two options).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedItem {
    pub item_id: String,
    pub domain: Option<String>,
    pub multiple: bool,
    /// Key as letters, e.g. `C` or `A|D`.
    pub key: String,
    pub options: u8,
    /// Whether `options` came from the key file (else it is inferred from the responses).
    pub options_given: bool,
    /// Bank parameters as written in the key file (text, possibly empty).
    pub params: [String; 3],
}

/// A wide export read: the items and one row of responses per examinee (`None` = not presented,
/// `Some("")` = omitted, else option letters joined by `|`).
#[derive(Debug, Clone)]
pub struct WideExport {
    pub items: Vec<KeyedItem>,
    pub examinees: Vec<String>,
    pub responses: Vec<Vec<Option<String>>>,
    /// False for an already scored 0/1 file (no option analysis).
    pub keyed: bool,
}

/// Letters `A`.. of an option number or letter; `numbers` says which the file uses.
fn option_letter(code: &str, numbers: bool) -> Option<char> {
    if numbers {
        let n: u8 = code.parse().ok()?;
        (1..=15).contains(&n).then(|| (b'A' + n - 1) as char)
    } else {
        let c = code.chars().next()?.to_ascii_uppercase();
        (code.len() == 1 && ('A'..='O').contains(&c)).then_some(c)
    }
}

/// Parses `A|D`, `1|4` (or a single option) into sorted letters.
fn letters(text: &str, numbers: bool) -> Option<Vec<char>> {
    let mut v: Vec<char> = text
        .split('|')
        .map(|p| option_letter(p.trim(), numbers))
        .collect::<Option<_>>()?;
    v.sort_unstable();
    v.dedup();
    Some(v)
}

/// Whether a file's codes are option numbers (all digits) rather than letters.
fn uses_numbers<'a>(codes: impl Iterator<Item = &'a str>) -> bool {
    codes
        .flat_map(|c| c.split('|'))
        .map(str::trim)
        .find(|c| !c.is_empty())
        .map(|c| c.chars().all(|ch| ch.is_ascii_digit()))
        .unwrap_or(false)
}

fn open(path: &Path, file: &str, diags: &mut Diagnostics) -> Option<csv::Reader<std::fs::File>> {
    match csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(path))
        .from_path(path)
    {
        Ok(r) => Some(r),
        Err(e) => {
            diags.error(Location::file(file), format!("cannot open: {e}"));
            None
        }
    }
}

/// The trimmed header of a CSV (an error if it cannot be read).
pub(crate) fn header<R: std::io::Read>(
    r: &mut csv::Reader<R>,
    file: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    match r.headers() {
        Ok(h) => Some(h.iter().map(|s| s.trim().to_string()).collect()),
        Err(e) => {
            diags.error(
                Location::file(file).line(1),
                format!("cannot read the header: {e}"),
            );
            None
        }
    }
}

/// Rows of a CSV with their line numbers; unreadable lines are reported.
fn records(
    r: &mut csv::Reader<std::fs::File>,
    file: &str,
    diags: &mut Diagnostics,
) -> Vec<(u64, csv::StringRecord)> {
    let mut out = Vec::new();
    for rec in r.records() {
        match rec {
            Ok(rec) if rec.iter().all(|f| f.trim().is_empty()) => {}
            Ok(rec) => out.push((rec.position().map_or(0, |p| p.line()), rec)),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let what = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => super::table::NOT_UTF8.to_string(),
                    _ => format!("malformed CSV: {e}"),
                };
                diags.error(Location::file(file).line(line), what);
            }
        }
    }
    out
}

/// Reads the answer key: `item_id,key` and optionally `domain,type,options,a,b,c`.
pub fn read_key(path: &Path, diags: &mut Diagnostics) -> Vec<KeyedItem> {
    let file = super::display(path);
    let Some(mut r) = open(path, &file, diags) else {
        return Vec::new();
    };
    let Some(header) = header(&mut r, &file, diags) else {
        return Vec::new();
    };
    let col = |n: &str| header.iter().position(|h| h == n);
    const KNOWN: [&str; 8] = ["item_id", "key", "domain", "type", "options", "a", "b", "c"];
    for h in &header {
        if !KNOWN.contains(&h.as_str()) {
            diags.error(
                Location::file(&file).line(1).column(h.as_str()),
                format!("unexpected column '{h}'; a key file has item_id, key and optionally domain, type, options, a, b, c"),
            );
        }
    }
    let (Some(ci), Some(ck)) = (col("item_id"), col("key")) else {
        diags.error(
            Location::file(&file).line(1),
            format!(
                "a key file needs columns item_id and key; the header has: {}",
                header.join(", ")
            ),
        );
        return Vec::new();
    };
    let rows = records(&mut r, &file, diags);
    let numbers = uses_numbers(rows.iter().map(|(_, rec)| rec.get(ck).unwrap_or("")));
    let get = |rec: &csv::StringRecord, c: Option<usize>| {
        c.and_then(|c| rec.get(c)).unwrap_or("").trim().to_string()
    };
    let mut items = Vec::new();
    let mut seen = HashMap::new();
    for (line, rec) in &rows {
        let id = get(rec, Some(ci));
        let loc = |c: &str| {
            Location::file(&file)
                .line(*line)
                .column(c)
                .item(id.as_str())
        };
        if let Some(first) = seen.insert(id.clone(), *line) {
            diags.error(
                loc("item_id"),
                format!("item '{id}' is listed twice (first on line {first})"),
            );
            continue;
        }
        let key_text = get(rec, Some(ck));
        let Some(key) = letters(&key_text, numbers) else {
            let form = if numbers {
                "option numbers 1-15"
            } else {
                "letters A-O"
            };
            diags.error(loc("key"), format!("key '{key_text}' is not one option or a set like A|D; this file writes {form} (use one way in the whole file)"));
            continue;
        };
        let highest = *key.last().unwrap_or(&'A') as u8 - b'A' + 1;
        let options_given = !get(rec, col("options")).is_empty();
        let options = match get(rec, col("options")) {
            t if t.is_empty() => highest.max(2),
            t => match t.parse::<u8>() {
                Ok(n) if (2..=15).contains(&n) && n >= highest => n,
                _ => {
                    diags.error(loc("options"), format!("options '{t}' must be a number of choices from 2 to 15, at least the key's highest option"));
                    continue;
                }
            },
        };
        let multiple = match get(rec, col("type")).as_str() {
            "" => key.len() > 1,
            "single" if key.len() == 1 => false,
            "multiple" => true,
            t => {
                diags.error(
                    loc("type"),
                    format!("type '{t}' must be single (one key option) or multiple"),
                );
                continue;
            }
        };
        let domain = Some(get(rec, col("domain"))).filter(|d| !d.is_empty());
        items.push(KeyedItem {
            item_id: id.clone(),
            domain,
            multiple,
            key: key
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|"),
            options,
            options_given,
            params: [get(rec, col("a")), get(rec, col("b")), get(rec, col("c"))],
        });
    }
    items
}

/// Items whose key file gave no `options`: as many options as the responses use without a gap
/// from A (at least the key's highest and 2), so a code such as 8 after options 1-5 stays a code
/// (reported unless given as --omit-codes or --not-presented-codes).
fn infer_options(
    items: &mut [KeyedItem],
    item_cols: &[usize],
    rows: &[(u64, csv::StringRecord)],
    numbers: bool,
    is_code: &dyn Fn(&str) -> bool,
) {
    for (it, &c) in items.iter_mut().zip(item_cols) {
        if it.options_given {
            continue;
        }
        let mut used = [false; 15];
        for (_, rec) in rows {
            let v = rec.get(c).unwrap_or("").trim();
            if v.is_empty() || is_code(v) {
                continue;
            }
            for l in letters(v, numbers).unwrap_or_default() {
                used[(l as u8 - b'A') as usize] = true;
            }
        }
        let run = used.iter().take_while(|&&u| u).count() as u8;
        it.options = it.options.max(run).max(2);
    }
}

/// Reads a wide export against `key` (None: an already scored 0/1 file).
pub fn read_wide_export(
    path: &Path,
    key: Option<Vec<KeyedItem>>,
    opts: &ImportOptions,
    diags: &mut Diagnostics,
) -> Option<WideExport> {
    let file = super::display(path);
    let mut r = open(path, &file, diags)?;
    let header = header(&mut r, &file, diags)?;
    let id_col = match &opts.id_column {
        Some(name) => match header.iter().position(|h| h == name) {
            Some(i) => i,
            None => {
                diags.error(
                    Location::file(&file).line(1).column(name.as_str()),
                    format!(
                        "no id column '{name}'; the header has: {}",
                        header.join(", ")
                    ),
                );
                return None;
            }
        },
        None => 0,
    };
    let keyed = key.is_some();
    let by_id: BTreeMap<String, KeyedItem> = key
        .unwrap_or_default()
        .into_iter()
        .map(|k| (k.item_id.clone(), k))
        .collect();
    let item_cols: Vec<usize> = (0..header.len()).filter(|&c| c != id_col).collect();
    let mut items = Vec::new();
    for &c in &item_cols {
        let name = &header[c];
        match by_id.get(name) {
            Some(k) => items.push(k.clone()),
            None if keyed => diags.error(
                Location::file(&file).line(1).column(name.as_str()),
                format!("column '{name}' is not an item of the key file (an item in the export but not in the key); add it to the key, or remove the column"),
            ),
            None => items.push(KeyedItem {
                item_id: name.clone(),
                domain: None,
                multiple: false,
                key: "A".into(),
                options: 2,
                options_given: true,
                params: Default::default(),
            }),
        }
    }
    for id in by_id.keys() {
        if !header.contains(id) {
            diags.error(
                Location::file(&file).line(1).item(id.as_str()),
                format!("item '{id}' of the key file has no column in the export"),
            );
        }
    }
    let rows = records(&mut r, &file, diags);
    let is_code = |v: &str| {
        opts.omit_codes
            .iter()
            .chain(&opts.not_presented_codes)
            .any(|c| c == v)
    };
    let numbers = keyed
        && uses_numbers(
            rows.iter()
                .flat_map(|(_, rec)| {
                    item_cols
                        .iter()
                        .map(move |&c| rec.get(c).unwrap_or("").trim())
                })
                .filter(|v| !is_code(v)),
        );
    if items.len() == item_cols.len() {
        infer_options(&mut items, &item_cols, &rows, numbers, &is_code);
    }
    let mut examinees = Vec::new();
    let mut responses = Vec::new();
    let mut seen = HashMap::new();
    let mut reported = std::collections::HashSet::new();
    for (line, rec) in &rows {
        let id = rec.get(id_col).unwrap_or("").trim().to_string();
        let loc = |c: &str| Location::file(&file).line(*line).column(c);
        if id.is_empty() {
            diags.error(loc(&header[id_col]), "empty examinee id");
            continue;
        }
        if let Some(first) = seen.insert(id.clone(), *line) {
            diags.error(
                loc(&header[id_col]),
                format!("examinee '{id}' appears twice (first on line {first})"),
            );
            continue;
        }
        let mut row = Vec::with_capacity(items.len());
        for (k, &c) in item_cols.iter().enumerate() {
            let v = rec.get(c).unwrap_or("").trim();
            let Some(item) = items.get(k).filter(|_| items.len() == item_cols.len()) else {
                break;
            };
            let cell = loc(&header[c]).item(item.item_id.as_str());
            if opts.not_presented_codes.iter().any(|x| x == v) {
                row.push(None);
            } else if v.is_empty() || opts.omit_codes.iter().any(|x| x == v) {
                row.push(Some(String::new()));
            } else if !keyed {
                match v {
                    "1" => row.push(Some("A".into())),
                    "0" => row.push(Some("B".into())),
                    _ => diags.error(cell, format!("'{v}' is not 0 or 1 (a file without --key must be scored 0/1); give --omit-codes or --not-presented-codes for special codes")),
                }
            } else {
                match letters(v, numbers) {
                    Some(l)
                        if (*l.last().unwrap_or(&'A') as u8 - b'A') < item.options
                            && (item.multiple || l.len() == 1) =>
                    {
                        row.push(Some(
                            l.iter()
                                .map(|c| c.to_string())
                                .collect::<Vec<_>>()
                                .join("|"),
                        ))
                    }
                    _ if !reported.insert((k, v.to_string())) => {}
                    _ => {
                        let form = if numbers {
                            format!("1-{}", item.options)
                        } else {
                            format!("A-{}", (b'A' + item.options - 1) as char)
                        };
                        diags.error(cell, format!("response '{v}' is not an option of item '{}' ({form}{}); if it is a code, give --omit-codes {v} (not answered) or --not-presented-codes {v} (further lines with '{v}' in this column not listed)", item.item_id, if item.multiple { ", or a set like A|D" } else { "" }));
                    }
                }
            }
        }
        examinees.push(id);
        responses.push(row);
    }
    if rows.is_empty() {
        diags.error(
            Location::file(&file).line(2),
            "the export has a header and no examinees",
        );
    }
    if diags.has_errors() {
        return None;
    }
    Some(WideExport {
        items,
        examinees,
        responses,
        keyed,
    })
}
