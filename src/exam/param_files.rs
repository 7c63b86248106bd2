//! Reading a form's parameter file and covariance file (CSV) into plain tables, and assembling a
//! [`FormEstimates`] from them.
//!
//! Parameter file: a header `item_id,a,b,c` (c may be absent, or empty for an item = 0),
//! `item_id,a,b` (2PL), `item_id,b` (1PL, a = 1), or slope-intercept `item_id,a,d,g` /
//! `item_id,a,d` / `item_id,d` (logit D a theta + d, g = logit c). ltm's names are accepted as
//! aliases: `beta.2i` = a, `beta.1i` = d, `c.i` = g. Columns may come in any order.
//!
//! Covariance file: square, the first column (`param`) names the rows and the header names the
//! columns, in the same order, each as `PARAM:ITEM` (PARAM as in the parameter file's
//! parameterisation, aliases accepted). It must hold exactly the free parameters of the model:
//! b (or d) for a 1PL, a and b for a 2PL (a c or g column empty or zero throughout makes the form
//! 2PL), a, b and c for a 3PL. Nothing else is accepted, so a forgotten entry is an error rather
//! than a silent zero variance.
//!
//! [`parse_params`] and [`parse_cov`] only turn text into values; `equate::link_se::form_from_tables`
//! checks the names against each other and converts to (a, b, c) by the delta method.

use std::path::Path;

use nalgebra::DMatrix;

use crate::exam::param_file_error::ParamFileError;

use super::table::parse_bool;

/// Parameterisation of a parameter file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Parameterisation {
    /// (a, b, c)
    Abc,
    /// (a, d, g): logit D a theta + d, g = logit c
    SlopeIntercept,
}

impl Parameterisation {
    pub fn as_str(self) -> &'static str {
        match self {
            Parameterisation::Abc => "a,b,c",
            Parameterisation::SlopeIntercept => "a,d,g",
        }
    }
}

/// A parameter name of a header or a covariance entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    A,
    B,
    C,
    D,
    G,
}

impl ParamKind {
    /// Parses `a`, `b`, `c`, `d`, `g` (any case) and ltm's `beta.2i`, `beta.1i`, `c.i`.
    pub fn parse(s: &str) -> Option<ParamKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a" | "beta.2i" => Some(ParamKind::A),
            "b" => Some(ParamKind::B),
            "c" => Some(ParamKind::C),
            "d" | "beta.1i" => Some(ParamKind::D),
            "g" | "c.i" => Some(ParamKind::G),
            _ => None,
        }
    }
    /// Slot within an item: 0 = slope, 1 = location (b or d), 2 = guessing (c or g).
    pub fn slot(self) -> usize {
        match self {
            ParamKind::A => 0,
            ParamKind::B | ParamKind::D => 1,
            ParamKind::C | ParamKind::G => 2,
        }
    }
    pub fn belongs_to(self, p: Parameterisation) -> bool {
        match p {
            Parameterisation::Abc => matches!(self, ParamKind::A | ParamKind::B | ParamKind::C),
            Parameterisation::SlopeIntercept => {
                matches!(self, ParamKind::A | ParamKind::D | ParamKind::G)
            }
        }
    }
}

/// One row of a parameter file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamRow {
    /// 1-based line number in the file (header = line 1).
    pub line: u64,
    pub item_id: String,
    /// Slope, location (b or d), guessing (c or g); None where absent or empty.
    pub values: [Option<f64>; 3],
    /// From the common-item column (1/0, true/false), when one was named.
    pub common: Option<bool>,
}

/// A parsed parameter file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamTable {
    pub file: String,
    pub parameterisation: Parameterisation,
    /// The file gives slopes (a); without them every slope is 1 (Rasch).
    pub has_slope: bool,
    /// The file gives guessing parameters (c or g) and at least one is not 0.
    pub has_guessing: bool,
    pub rows: Vec<ParamRow>,
}

/// A parsed covariance file.
#[derive(Debug, Clone, PartialEq)]
pub struct CovTable {
    pub file: String,
    pub names: Vec<String>,
    pub values: DMatrix<f64>,
}

const HEADER_EXPECTED: &str =
    "item_id then a,b[,c] or b (or slope-intercept a,d[,g] or d; ltm aliases beta.2i, beta.1i, c.i)";

fn csv_error(file: &str, e: &csv::Error) -> ParamFileError {
    ParamFileError::Csv {
        file: file.to_string(),
        line: e.position().map(|p| p.line()).unwrap_or(0),
        message: e.to_string(),
    }
}

fn number(file: &str, line: u64, column: &str, cell: &str) -> Result<Option<f64>, ParamFileError> {
    let t = cell.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("na") {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(ParamFileError::NotNumeric {
            file: file.to_string(),
            line,
            column: column.to_string(),
            value: cell.to_string(),
        }),
    }
}

/// A CSV reader over `text` (cells trimmed) and its header.
fn reader<'t>(
    file: &str,
    text: &'t str,
) -> Result<(csv::Reader<&'t [u8]>, Vec<String>), ParamFileError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_error(file, &e))?
        .iter()
        .map(|s| s.to_string())
        .collect();
    Ok((rdr, header))
}

/// Parses a parameter file's text (`file` labels the messages); `common_column` names an optional
/// 0/1 column marking the common items.
pub fn parse_params(
    file: &str,
    text: &str,
    common_column: Option<&str>,
) -> Result<ParamTable, ParamFileError> {
    let (mut rdr, header) = reader(file, text)?;
    let bad_header = || ParamFileError::BadHeader {
        file: file.to_string(),
        header: header.join(","),
        expected: HEADER_EXPECTED,
    };
    let first = header.first().map(|s| s.to_ascii_lowercase());
    if !matches!(first.as_deref(), Some("item_id") | Some("item")) {
        return Err(bad_header());
    }
    let mut kinds: Vec<ParamKind> = Vec::new();
    let mut columns: Vec<usize> = Vec::new();
    let mut common_at = None;
    for (k, h) in header.iter().enumerate().skip(1) {
        if common_column.is_some_and(|c| c.eq_ignore_ascii_case(h)) {
            common_at = Some(k);
            continue;
        }
        // Other columns (attributes such as an anchor flag or a domain) are not parameters.
        let Some(kind) = ParamKind::parse(h) else {
            continue;
        };
        columns.push(k);
        let k = kind;
        if kinds.contains(&k) {
            return Err(bad_header());
        }
        kinds.push(k);
    }
    let has = |k: ParamKind| kinds.contains(&k);
    let parameterisation = match (has(ParamKind::B), has(ParamKind::D)) {
        (true, false) if !has(ParamKind::G) => Parameterisation::Abc,
        (false, true) if !has(ParamKind::C) => Parameterisation::SlopeIntercept,
        _ => return Err(bad_header()),
    };
    let has_guess = has(ParamKind::C) || has(ParamKind::G);
    if has_guess && !has(ParamKind::A) {
        return Err(bad_header());
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(file, &e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let item_id = rec.get(0).unwrap_or("").trim().to_string();
        if item_id.is_empty() {
            return Err(ParamFileError::MissingValue {
                file: file.to_string(),
                line,
                column: header[0].clone(),
            });
        }
        let mut values = [None; 3];
        for (kind, &k) in kinds.iter().zip(&columns) {
            let col = &header[k];
            values[kind.slot()] = number(file, line, col, rec.get(k).unwrap_or(""))?;
        }
        let common = match common_at {
            None => None,
            Some(k) => {
                let cell = rec.get(k).unwrap_or("");
                Some(parse_bool(cell).ok_or_else(|| ParamFileError::NotNumeric {
                    file: file.to_string(),
                    line,
                    column: header[k].clone(),
                    value: cell.to_string(),
                })?)
            }
        };
        rows.push(ParamRow {
            line,
            item_id,
            values,
            common,
        });
    }
    if rows.is_empty() {
        return Err(ParamFileError::Empty {
            file: file.to_string(),
        });
    }
    let any_guess = rows.iter().any(|r| r.values[2].is_some_and(|v| v != 0.0))
        || (parameterisation == Parameterisation::SlopeIntercept
            && rows.iter().any(|r| r.values[2].is_some()));
    let (has_slope, has_guessing) = (has(ParamKind::A), has_guess && any_guess);
    Ok(ParamTable {
        file: file.to_string(),
        parameterisation,
        has_slope,
        has_guessing,
        rows,
    })
}

/// Parses a covariance file's text.
pub fn parse_cov(file: &str, text: &str) -> Result<CovTable, ParamFileError> {
    let (mut rdr, header) = reader(file, text)?;
    let names: Vec<String> = header.iter().skip(1).cloned().collect();
    let p = names.len();
    let mut row_names = Vec::new();
    let mut data = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(file, &e))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rec.len() != p + 1 {
            return Err(ParamFileError::Csv {
                file: file.to_string(),
                line,
                message: format!("{} cells but the header has {}", rec.len(), p + 1),
            });
        }
        row_names.push(rec.get(0).unwrap_or("").trim().to_string());
        for (j, name) in names.iter().enumerate() {
            let v = number(file, line, name, rec.get(j + 1).unwrap_or(""))?.ok_or_else(|| {
                ParamFileError::MissingValue {
                    file: file.to_string(),
                    line,
                    column: name.clone(),
                }
            })?;
            data.push(v);
        }
    }
    if row_names.len() != p {
        return Err(ParamFileError::NotSquare {
            file: file.to_string(),
            rows: row_names.len(),
            columns: p,
        });
    }
    for (i, (r, c)) in row_names.iter().zip(&names).enumerate() {
        if r != c {
            return Err(ParamFileError::RowColumnMismatch {
                file: file.to_string(),
                index: i + 1,
                row: r.clone(),
                column: c.clone(),
            });
        }
    }
    Ok(CovTable {
        file: file.to_string(),
        names,
        values: DMatrix::from_row_slice(p, p, &data),
    })
}

/// Reads a parameter file and, optionally, its covariance file.
pub fn read_param_tables(
    param_path: &Path,
    cov_path: Option<&Path>,
    common_column: Option<&str>,
) -> Result<(ParamTable, Option<CovTable>), ParamFileError> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| ParamFileError::Io {
            file: super::display(p),
            message: e.to_string(),
        })
    };
    let params = parse_params(
        &super::display(param_path),
        &read(param_path)?,
        common_column,
    )?;
    let cov = match cov_path {
        Some(p) => Some(parse_cov(&super::display(p), &read(p)?)?),
        None => None,
    };
    Ok((params, cov))
}
