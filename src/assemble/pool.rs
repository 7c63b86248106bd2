//! The item pool for assembly: ids, 3PL parameters and free attribute columns read from CSV,
//! and the item-level IRT functions the objectives need.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;

use serde::Serialize;

use super::error::AtaError;
use crate::irt::Logistic;

/// One attribute value of an item. A column whose every non-empty cell parses as a number is
/// numeric; any other column is categorical (text).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    Number(f64),
    Text(String),
    /// Empty cell.
    Missing,
}

impl AttrValue {
    /// The value as text for matching count values and grouping ("3" for 3.0).
    pub fn as_text(&self) -> Option<String> {
        match self {
            AttrValue::Number(x) => Some(format_number(*x)),
            AttrValue::Text(s) => Some(s.clone()),
            AttrValue::Missing => None,
        }
    }
}

/// Formats a number without a trailing ".0" when it is whole (so 3.0 matches "3").
pub(crate) fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// An item: id, 3PL parameters (D is a property of the spec, not the item) and attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub id: String,
    /// Discrimination a (> 0).
    pub a: f64,
    /// Difficulty b.
    pub b: f64,
    /// Lower asymptote (guessing) c in [0, 1).
    pub c: f64,
    pub attributes: BTreeMap<String, AttrValue>,
}

impl Item {
    /// The item as qbank's 3PL item model with scaling constant `d` (the pool's a, b, c are
    /// in the logistic metric; `d` = 1.7 gives eatATA's normal-metric convention).
    pub fn model(&self, d: f64) -> Logistic {
        Logistic::from_abc(self.a, self.b, self.c, d)
    }

    /// Probability of a right answer, P = c + (1 - c) / (1 + exp(-d a (theta - b)))
    /// (Birnbaum 1968; Lord 1980, ch. 2), through [`Logistic::p`].
    pub fn p(&self, theta: f64, d: f64) -> f64 {
        self.model(d).p(theta)
    }

    /// Fisher information (dP/dtheta)^2 / (P Q) at theta (Lord 1980, ch. 5), through
    /// [`Logistic::information`].
    pub fn information(&self, theta: f64, d: f64) -> f64 {
        self.model(d).information(theta)
    }

    /// A numeric attribute, or a, b, c by those names when the item has no attribute of that name.
    pub fn numeric(&self, column: &str) -> Option<f64> {
        match self.attributes.get(column) {
            Some(AttrValue::Number(x)) => Some(*x),
            Some(_) => None,
            None => match column {
                "a" => Some(self.a),
                "b" => Some(self.b),
                "c" => Some(self.c),
                _ => None,
            },
        }
    }
}

/// Which CSV columns hold the id and the IRT parameters. Defaults: item_id, a, b, c.
/// A missing `a` column (when `a` is `None`) means a = 1; a missing `c` column means c = 0.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolColumns {
    pub id: String,
    pub a: Option<String>,
    pub b: String,
    pub c: Option<String>,
}

impl Default for PoolColumns {
    fn default() -> Self {
        PoolColumns {
            id: "item_id".into(),
            a: Some("a".into()),
            b: "b".into(),
            c: Some("c".into()),
        }
    }
}

/// The items available to assembly, in file order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pool {
    pub items: Vec<Item>,
    /// Attribute column names in file order (everything but id, a, b, c).
    pub attribute_columns: Vec<String>,
    /// Ids of the file's rows with an empty `b` (items not calibrated yet), left out.
    pub uncalibrated: Vec<String>,
}

impl Pool {
    /// Builds a pool from items, checking ids are unique and parameters are in range.
    pub fn new(items: Vec<Item>) -> Result<Pool, AtaError> {
        let mut seen = HashSet::new();
        let mut columns: Vec<String> = Vec::new();
        for item in &items {
            if !seen.insert(item.id.as_str()) {
                return Err(AtaError::DuplicateItem(item.id.clone()));
            }
            check_params(item)?;
            for k in item.attributes.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
        Ok(Pool {
            items,
            attribute_columns: columns,
            uncalibrated: Vec::new(),
        })
    }

    /// Reads a pool from CSV text: the id and parameter columns named by `columns` (a and c may
    /// be absent, see [`PoolColumns`]), every other column an attribute. Rows with an empty b
    /// (items without parameters, as in a bank file) are left out and listed in `uncalibrated`.
    pub fn from_csv<R: Read>(reader: R, columns: &PoolColumns) -> Result<Pool, AtaError> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let header: Vec<String> = rdr
            .headers()
            .map_err(|e| AtaError::PoolRead(e.to_string()))?
            .iter()
            .map(|s| s.to_string())
            .collect();
        let find = |name: &str| header.iter().position(|h| h == name);
        let missing = |name: &str| AtaError::MissingColumn {
            column: name.to_string(),
            available: header.join(", "),
        };
        let id_col = find(&columns.id).ok_or_else(|| missing(&columns.id))?;
        let b_col = find(&columns.b).ok_or_else(|| missing(&columns.b))?;
        // A named a/c column that is absent is an error only for the defaults' opposite: the
        // defaults "a" and "c" may be absent (1PL pools), other names must exist.
        let a_col = match &columns.a {
            Some(name) => match find(name) {
                Some(i) => Some(i),
                None if name == "a" => None,
                None => return Err(missing(name)),
            },
            None => None,
        };
        let c_col = match &columns.c {
            Some(name) => match find(name) {
                Some(i) => Some(i),
                None if name == "c" => None,
                None => return Err(missing(name)),
            },
            None => None,
        };
        let param_cols: Vec<usize> = [Some(id_col), Some(b_col), a_col, c_col]
            .into_iter()
            .flatten()
            .collect();
        let attr_cols: Vec<usize> = (0..header.len())
            .filter(|i| !param_cols.contains(i))
            .collect();

        let mut rows: Vec<Vec<String>> = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| AtaError::PoolRead(e.to_string()))?;
            rows.push(rec.iter().map(|s| s.to_string()).collect());
        }
        // A column is numeric when every non-empty cell parses as a finite number.
        let numeric: Vec<bool> = attr_cols
            .iter()
            .map(|&j| {
                rows.iter().all(|r| {
                    let s = r.get(j).map(|s| s.as_str()).unwrap_or("");
                    s.is_empty() || s.parse::<f64>().map(|x| x.is_finite()).unwrap_or(false)
                })
            })
            .collect();

        let mut items = Vec::with_capacity(rows.len());
        let mut uncalibrated = Vec::new();
        for (line, r) in rows.iter().enumerate() {
            let cell = |j: usize| r.get(j).map(|s| s.as_str()).unwrap_or("");
            let id = cell(id_col).to_string();
            if id.is_empty() {
                return Err(AtaError::BadCell {
                    item: format!("(data row {})", line + 1),
                    column: columns.id.clone(),
                    problem: "the item id is empty".into(),
                });
            }
            let num = |j: usize, name: &str| -> Result<f64, AtaError> {
                cell(j).parse::<f64>().map_err(|_| AtaError::BadCell {
                    item: id.clone(),
                    column: name.to_string(),
                    problem: format!("'{}' is not a number", cell(j)),
                })
            };
            if cell(b_col).is_empty() {
                uncalibrated.push(id);
                continue;
            }
            let b = num(b_col, &columns.b)?;
            let a = match a_col {
                Some(j) => num(j, &header[j])?,
                None => 1.0,
            };
            let c = match c_col {
                Some(j) if cell(j).is_empty() => 0.0,
                Some(j) => num(j, &header[j])?,
                None => 0.0,
            };
            let mut attributes = BTreeMap::new();
            for (k, &j) in attr_cols.iter().enumerate() {
                let s = cell(j);
                let v = if s.is_empty() {
                    AttrValue::Missing
                } else if numeric[k] {
                    AttrValue::Number(s.parse::<f64>().unwrap_or(f64::NAN))
                } else {
                    AttrValue::Text(s.to_string())
                };
                attributes.insert(header[j].clone(), v);
            }
            items.push(Item {
                id,
                a,
                b,
                c,
                attributes,
            });
        }
        let mut pool = Pool::new(items)?;
        pool.attribute_columns = attr_cols.iter().map(|&j| header[j].clone()).collect();
        pool.uncalibrated = uncalibrated;
        Ok(pool)
    }

    /// Index of an item id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|it| it.id == id)
    }

    /// True when some item has an attribute of that name (or the name is a, b or c).
    pub fn has_column(&self, column: &str) -> bool {
        matches!(column, "a" | "b" | "c") || self.attribute_columns.iter().any(|c| c == column)
    }
}

fn check_params(item: &Item) -> Result<(), AtaError> {
    let bad = |column: &str, problem: String| AtaError::BadCell {
        item: item.id.clone(),
        column: column.to_string(),
        problem,
    };
    if !(item.a.is_finite() && item.a > 0.0) {
        return Err(bad(
            "a",
            format!("a = {} must be a positive number", item.a),
        ));
    }
    if !item.b.is_finite() {
        return Err(bad("b", format!("b = {} must be a finite number", item.b)));
    }
    if !(item.c.is_finite() && (0.0..1.0).contains(&item.c)) {
        return Err(bad("c", format!("c = {} must lie in [0, 1)", item.c)));
    }
    Ok(())
}
