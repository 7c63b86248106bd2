//! Item parameters of one form (dichotomous 1PL/2PL/3PL) and their covariance matrix.
//!
//! The working parameterisation is (a, b, c): P(theta) = c + (1 - c) / (1 + exp(-D a (theta - b))).
//! The covariance matrix of a form is 3n x 3n, items in form order and (a, b, c) within an item
//! (index 3 i + 0, 1, 2); parameters a model does not estimate (c of a 2PL, a of a 1PL) have zero
//! rows and columns.
//!
//! Files may instead give the slope-intercept parameterisation (a, d, g) with logit D a theta + d
//! (qbank's and mirt's; with D = 1 the logit is a theta + d) and g = logit c, as ltm and mirt
//! estimate it. It is converted by b = -d / (D a), c = exp(g) / (1 + exp(g)), a unchanged, and
//! the covariance by the delta method, Sigma_abc = J Sigma_adg J' with the Jacobian of
//! [`slope_intercept_to_abc`] (as equateIRT's `modIRT`, Battauz 2015, section 3.1).

use nalgebra::{DMatrix, Matrix3, SymmetricEigen};

use crate::exam::param_file_error::ParamFileError;
use crate::exam::param_files::{CovTable, ParamKind, ParamTable, Parameterisation};
use crate::irt::{Logistic, ModelKind};

/// Whether a model estimates parameter `slot` (0 = a, 1 = b or d, 2 = c or g).
pub fn is_free(model: ModelKind, slot: usize) -> bool {
    match model {
        ModelKind::Rasch => slot == 1,
        ModelKind::TwoPL => slot <= 1,
        ModelKind::ThreePL => slot <= 2,
    }
}

/// One item's parameters in the (a, b, c) parameterisation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemParams3pl {
    pub item_id: String,
    /// Discrimination (slope on the D-metric).
    pub a: f64,
    /// Difficulty.
    pub b: f64,
    /// Lower asymptote (0 for 1PL/2PL).
    pub c: f64,
}

pub fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl ItemParams3pl {
    /// Probability of a right answer at theta with scaling constant `d`.
    pub fn p(&self, theta: f64, d: f64) -> f64 {
        self.c + (1.0 - self.c) * logistic(d * self.a * (theta - self.b))
    }
    /// The item as qbank's item model (for the test-level functions of `irt::test_level`).
    pub fn model(&self, d: f64) -> Logistic {
        Logistic::new(ModelKind::ThreePL, self.a, self.b, self.c, d)
    }
    /// dP/dtheta.
    pub fn p_slope(&self, theta: f64, d: f64) -> f64 {
        let psi = logistic(d * self.a * (theta - self.b));
        (1.0 - self.c) * psi * (1.0 - psi) * d * self.a
    }
    /// dP/d(a, b, c) at theta.
    pub fn p_grad(&self, theta: f64, d: f64) -> [f64; 3] {
        let psi = logistic(d * self.a * (theta - self.b));
        let s = (1.0 - self.c) * psi * (1.0 - psi);
        [s * d * (theta - self.b), -s * d * self.a, 1.0 - psi]
    }
}

/// One form's item parameter estimates with their covariance matrix (optional: links and scores
/// are computed without it, standard errors are not).
#[derive(Debug, Clone, PartialEq)]
pub struct FormEstimates {
    /// The form's name; forms with the same name are the same parameter vector in chains.
    pub name: String,
    pub model: ModelKind,
    pub items: Vec<ItemParams3pl>,
    /// 3n x 3n covariance of (a, b, c) per item, in item order.
    pub cov: Option<DMatrix<f64>>,
}

impl FormEstimates {
    /// Builds a form after checking the items (a > 0, c in [0, 1), finite values, distinct ids)
    /// and the covariance matrix (dimension 3n, symmetric, positive semidefinite).
    pub fn new(
        name: impl Into<String>,
        model: ModelKind,
        items: Vec<ItemParams3pl>,
        cov: Option<DMatrix<f64>>,
    ) -> Result<FormEstimates, ParamFileError> {
        let name = name.into();
        let mut seen = std::collections::HashSet::new();
        for (k, it) in items.iter().enumerate() {
            if !seen.insert(it.item_id.as_str()) {
                return Err(ParamFileError::DuplicateItem {
                    file: name.clone(),
                    line: k as u64 + 1,
                    item: it.item_id.clone(),
                });
            }
            check_item(&name, it)?;
        }
        let cov = match cov {
            None => None,
            Some(m) => {
                let p = 3 * items.len();
                if m.nrows() != p || m.ncols() != p {
                    return Err(ParamFileError::WrongDimension {
                        file: name.clone(),
                        got: m.nrows().max(m.ncols()),
                        expected: p,
                    });
                }
                let labels: Vec<String> = items
                    .iter()
                    .flat_map(|it| ["a", "b", "c"].map(|s| format!("{s}:{}", it.item_id)))
                    .collect();
                Some(check_covariance(&name, &labels, m)?)
            }
        };
        Ok(FormEstimates {
            name,
            model,
            items,
            cov,
        })
    }

    /// Position of an item in the form.
    pub fn index_of(&self, item_id: &str) -> Option<usize> {
        self.items.iter().position(|it| it.item_id == item_id)
    }

    /// Number of parameters (3 per item).
    pub fn n_params(&self) -> usize {
        3 * self.items.len()
    }

    /// Standard errors of (a, b, c) of item `i` (None without a covariance matrix).
    pub fn se(&self, i: usize) -> Option<[f64; 3]> {
        let m = self.cov.as_ref()?;
        Some([0, 1, 2].map(|k| m[(3 * i + k, 3 * i + k)].max(0.0).sqrt()))
    }

    /// The form in the slope-intercept parameterisation (a, d, g) with its covariance by the
    /// delta method. g is None for items with c = 0 (logit undefined); their g rows are zero.
    #[allow(clippy::type_complexity)]
    pub fn to_slope_intercept(
        &self,
        d: f64,
    ) -> (Vec<(f64, f64, Option<f64>)>, Option<DMatrix<f64>>) {
        let n = self.items.len();
        let mut jac = DMatrix::zeros(3 * n, 3 * n);
        let mut out = Vec::with_capacity(n);
        for (i, it) in self.items.iter().enumerate() {
            let (v, j) = abc_to_slope_intercept(it.a, it.b, it.c, d);
            out.push((v[0], v[1], if it.c > 0.0 { Some(v[2]) } else { None }));
            jac.view_mut((3 * i, 3 * i), (3, 3)).copy_from(&j);
        }
        let cov = self.cov.as_ref().map(|m| &jac * m * jac.transpose());
        (out, cov)
    }
}

pub(crate) fn check_item(file: &str, it: &ItemParams3pl) -> Result<(), ParamFileError> {
    let bad = |parameter: &'static str, value: f64, expected: &'static str| {
        Err(ParamFileError::BadParameter {
            file: file.to_string(),
            item: it.item_id.clone(),
            parameter,
            value,
            expected,
        })
    };
    if !(it.a.is_finite() && it.a > 0.0) {
        return bad("a", it.a, "the slope must be positive and finite");
    }
    if !it.b.is_finite() {
        return bad("b", it.b, "the difficulty must be finite");
    }
    if !(it.c.is_finite() && (0.0..1.0).contains(&it.c)) {
        return bad("c", it.c, "the lower asymptote must lie in [0, 1)");
    }
    Ok(())
}

/// (a, d, g) -> (a, b, c) with b = -d / (D a), c = logistic(g) (g = None means c = 0), and the
/// Jacobian J[i][j] = d(a, b, c)_i / d(a, d, g)_j.
pub fn slope_intercept_to_abc(
    a: f64,
    d: f64,
    g: Option<f64>,
    scale_d: f64,
) -> ([f64; 3], Matrix3<f64>) {
    let b = -d / (scale_d * a);
    let (c, dc) = match g {
        Some(g) => {
            let c = logistic(g);
            (c, c * (1.0 - c))
        }
        None => (0.0, 0.0),
    };
    let j = Matrix3::new(
        1.0,
        0.0,
        0.0,
        d / (scale_d * a * a),
        -1.0 / (scale_d * a),
        0.0,
        0.0,
        0.0,
        dc,
    );
    ([a, b, c], j)
}

/// (a, b, c) -> (a, d, g) with d = -D a b, g = ln(c / (1 - c)) (0 when c = 0, with a zero
/// derivative), and the Jacobian d(a, d, g) / d(a, b, c).
pub fn abc_to_slope_intercept(a: f64, b: f64, c: f64, scale_d: f64) -> ([f64; 3], Matrix3<f64>) {
    let (g, dg) = if c > 0.0 && c < 1.0 {
        ((c / (1.0 - c)).ln(), 1.0 / (c * (1.0 - c)))
    } else {
        (0.0, 0.0)
    };
    let j = Matrix3::new(1.0, 0.0, 0.0, -scale_d * b, -scale_d * a, 0.0, 0.0, 0.0, dg);
    ([a, -scale_d * a * b, g], j)
}

/// Checks that a covariance matrix is symmetric (to 1e-8 relative to the largest diagonal entry,
/// then symmetrised) and positive semidefinite (smallest eigenvalue >= -1e-10 times the largest
/// in magnitude). `labels` name the rows for the error messages.
pub fn check_covariance(
    file: &str,
    labels: &[String],
    m: DMatrix<f64>,
) -> Result<DMatrix<f64>, ParamFileError> {
    let p = m.nrows();
    if m.ncols() != p {
        return Err(ParamFileError::NotSquare {
            file: file.to_string(),
            rows: p,
            columns: m.ncols(),
        });
    }
    let label = |i: usize| {
        labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("#{}", i + 1))
    };
    for i in 0..p {
        for j in 0..p {
            if !m[(i, j)].is_finite() {
                return Err(ParamFileError::NotNumeric {
                    file: file.to_string(),
                    line: i as u64 + 2,
                    column: label(j),
                    value: m[(i, j)].to_string(),
                });
            }
        }
    }
    let scale = (0..p)
        .map(|i| m[(i, i)].abs())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    for i in 0..p {
        for j in (i + 1)..p {
            let diff = (m[(i, j)] - m[(j, i)]).abs();
            if diff > 1e-8 * scale {
                return Err(ParamFileError::NotSymmetric {
                    file: file.to_string(),
                    row: label(i),
                    column: label(j),
                    value: m[(i, j)],
                    transposed: m[(j, i)],
                    difference: diff,
                });
            }
        }
    }
    let sym = (&m + m.transpose()) * 0.5;
    if p > 0 {
        let eig = SymmetricEigen::new(sym.clone()).eigenvalues;
        let min = eig.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = eig.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let big = eig.iter().map(|x| x.abs()).fold(0.0, f64::max);
        if min < -1e-10 * big {
            return Err(ParamFileError::NotPositiveSemidefinite {
                file: file.to_string(),
                min_eigenvalue: min,
                max_eigenvalue: max,
            });
        }
    }
    Ok(sym)
}

/// Builds a form from its parsed tables: checks the covariance entries' names against the
/// parameter file (every free parameter once, nothing else), symmetry and positive
/// semidefiniteness, and converts slope-intercept values and covariance to (a, b, c) by the
/// delta method with scaling constant `d`.
pub fn form_from_tables(
    name: &str,
    params: &ParamTable,
    cov: Option<&CovTable>,
    d: f64,
) -> Result<FormEstimates, ParamFileError> {
    let file = &params.file;
    let model = if !params.has_slope {
        ModelKind::Rasch
    } else if params.has_guessing {
        ModelKind::ThreePL
    } else {
        ModelKind::TwoPL
    };
    let n = params.rows.len();
    let mut items = Vec::with_capacity(n);
    let mut jacobians = Vec::with_capacity(n);
    let mut index = std::collections::HashMap::new();
    for (i, row) in params.rows.iter().enumerate() {
        if index.insert(row.item_id.clone(), i).is_some() {
            return Err(ParamFileError::DuplicateItem {
                file: file.clone(),
                line: row.line,
                item: row.item_id.clone(),
            });
        }
        let missing = |column: &str| ParamFileError::MissingValue {
            file: file.clone(),
            line: row.line,
            column: column.to_string(),
        };
        let a = if model == ModelKind::Rasch {
            1.0
        } else {
            row.values[0].ok_or_else(|| missing("a"))?
        };
        let (vals, jac) = match params.parameterisation {
            Parameterisation::Abc => {
                let b = row.values[1].ok_or_else(|| missing("b"))?;
                let c = if model == ModelKind::ThreePL {
                    row.values[2].unwrap_or(0.0)
                } else {
                    0.0
                };
                ([a, b, c], nalgebra::Matrix3::identity())
            }
            Parameterisation::SlopeIntercept => {
                let dd = row.values[1].ok_or_else(|| missing("d"))?;
                let g = if model == ModelKind::ThreePL {
                    Some(row.values[2].ok_or_else(|| missing("g"))?)
                } else {
                    None
                };
                if !(a.is_finite() && a > 0.0) {
                    return Err(ParamFileError::BadParameter {
                        file: file.clone(),
                        item: row.item_id.clone(),
                        parameter: "a",
                        value: a,
                        expected: "the slope must be positive and finite",
                    });
                }
                slope_intercept_to_abc(a, dd, g, d)
            }
        };
        let it = ItemParams3pl {
            item_id: row.item_id.clone(),
            a: vals[0],
            b: vals[1],
            c: vals[2],
        };
        check_item(file, &it)?;
        items.push(it);
        jacobians.push(jac);
    }
    let cov_abc = match cov {
        None => None,
        Some(ct) => {
            let p = ct.names.len();
            // position of each file entry in the 3n parameter vector
            let mut pos = Vec::with_capacity(p);
            let mut taken = vec![false; 3 * n];
            for name in &ct.names {
                let bad = || ParamFileError::BadEntryName {
                    file: ct.file.clone(),
                    name: name.clone(),
                };
                let (par, item) = name.split_once(':').ok_or_else(bad)?;
                let kind = ParamKind::parse(par).ok_or_else(bad)?;
                let i = *index
                    .get(item.trim())
                    .ok_or_else(|| ParamFileError::UnknownItem {
                        file: ct.file.clone(),
                        name: name.clone(),
                        item: item.to_string(),
                        param_file: file.clone(),
                    })?;
                if !kind.belongs_to(params.parameterisation) || !is_free(model, kind.slot()) {
                    return Err(ParamFileError::UnexpectedEntry {
                        file: ct.file.clone(),
                        name: name.clone(),
                        param_file: file.clone(),
                        parameterisation: params.parameterisation.as_str(),
                        model: model.as_str(),
                    });
                }
                let k = 3 * i + kind.slot();
                if taken[k] {
                    return Err(ParamFileError::DuplicateEntry {
                        file: ct.file.clone(),
                        name: name.clone(),
                    });
                }
                taken[k] = true;
                pos.push(k);
            }
            let labels = match params.parameterisation {
                Parameterisation::Abc => ["a", "b", "c"],
                Parameterisation::SlopeIntercept => ["a", "d", "g"],
            };
            for (i, it) in items.iter().enumerate() {
                for (slot, lab) in labels.iter().enumerate() {
                    if is_free(model, slot) && !taken[3 * i + slot] {
                        return Err(ParamFileError::MissingEntry {
                            file: ct.file.clone(),
                            name: format!("{lab}:{}", it.item_id),
                            param_file: file.clone(),
                        });
                    }
                }
            }
            let checked = check_covariance(&ct.file, &ct.names, ct.values.clone())?;
            let mut full = DMatrix::zeros(3 * n, 3 * n);
            for (r, &kr) in pos.iter().enumerate() {
                for (c, &kc) in pos.iter().enumerate() {
                    full[(kr, kc)] = checked[(r, c)];
                }
            }
            let mut jac = DMatrix::zeros(3 * n, 3 * n);
            for (i, j) in jacobians.iter().enumerate() {
                jac.view_mut((3 * i, 3 * i), (3, 3)).copy_from(j);
            }
            Some(&jac * full * jac.transpose())
        }
    };
    FormEstimates::new(name, model, items, cov_abc)
}
