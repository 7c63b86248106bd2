//! Jacobians of derived quantities (linking constants, displacements, equated scores) with
//! respect to the item parameters of each form, and the covariance matrix they imply by the delta
//! method.
//!
//! Forms are estimated from independent samples, so the covariance of the item parameters of all
//! forms is block diagonal and Cov(y) = sum over forms f of J_f Sigma_f J_f' (Battauz 2013; 2015,
//! sections 2.1-2.3). A form that appears more than once (a circular chain, two paths sharing a
//! form) is one parameter vector: its Jacobian blocks are summed before the product, which keeps
//! the covariance terms between steps that share a form.

use std::collections::BTreeMap;
use std::sync::Arc;

use nalgebra::DMatrix;

use super::error::LinkError;
use super::params::FormEstimates;

/// Jacobian block of one form.
#[derive(Debug, Clone, PartialEq)]
pub struct FormBlock {
    /// rows = derived quantities, columns = the form's (a, b, c) per item.
    pub jacobian: DMatrix<f64>,
    /// The form's covariance matrix (None if the form has none).
    pub cov: Option<Arc<DMatrix<f64>>>,
}

/// Jacobian of `n_rows` derived quantities with respect to the parameters of every form involved,
/// keyed by form name (sorted, so results do not depend on insertion order).
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    pub n_rows: usize,
    pub blocks: BTreeMap<String, FormBlock>,
}

impl Sensitivity {
    pub fn zeros(n_rows: usize) -> Sensitivity {
        Sensitivity {
            n_rows,
            blocks: BTreeMap::new(),
        }
    }

    fn merge(
        &mut self,
        name: &str,
        jac: DMatrix<f64>,
        cov: Option<Arc<DMatrix<f64>>>,
    ) -> Result<(), LinkError> {
        debug_assert_eq!(jac.nrows(), self.n_rows);
        match self.blocks.get_mut(name) {
            Some(b) => {
                let same_cov = match (&b.cov, &cov) {
                    (None, None) => true,
                    (Some(x), Some(y)) => Arc::ptr_eq(x, y) || x == y,
                    _ => false,
                };
                if b.jacobian.ncols() != jac.ncols() || !same_cov {
                    return Err(LinkError::InconsistentForm {
                        form: name.to_string(),
                    });
                }
                b.jacobian += jac;
            }
            None => {
                self.blocks
                    .insert(name.to_string(), FormBlock { jacobian: jac, cov });
            }
        }
        Ok(())
    }

    /// Adds `jac` (n_rows x 3 n_items) as derivatives with respect to `form`'s parameters.
    pub fn add_form(&mut self, form: &FormEstimates, jac: DMatrix<f64>) -> Result<(), LinkError> {
        let cov = form.cov.as_ref().map(|m| Arc::new(m.clone()));
        self.merge(&form.name, jac, cov)
    }

    /// self += left * other, where `left` is n_rows x other.n_rows (the chain rule through
    /// intermediate quantities such as A and B).
    pub fn add_scaled(
        &mut self,
        left: &DMatrix<f64>,
        other: &Sensitivity,
    ) -> Result<(), LinkError> {
        for (name, b) in &other.blocks {
            self.merge(name, left * &b.jacobian, b.cov.clone())?;
        }
        Ok(())
    }

    /// The quantities of all parts stacked (rows in order), for joint covariances.
    pub fn stack(parts: &[&Sensitivity]) -> Result<Sensitivity, LinkError> {
        let n: usize = parts.iter().map(|p| p.n_rows).sum();
        let mut out = Sensitivity::zeros(n);
        let mut r0 = 0;
        for p in parts {
            let mut sel = DMatrix::zeros(n, p.n_rows);
            for i in 0..p.n_rows {
                sel[(r0 + i, i)] = 1.0;
            }
            out.add_scaled(&sel, p)?;
            r0 += p.n_rows;
        }
        Ok(out)
    }

    /// Delta-method covariance of the quantities: sum over forms of J Sigma J'. Forms whose
    /// Jacobian is identically zero do not need a covariance matrix.
    pub fn covariance(&self) -> Result<DMatrix<f64>, LinkError> {
        let mut v = DMatrix::zeros(self.n_rows, self.n_rows);
        for (name, b) in &self.blocks {
            if b.jacobian.iter().all(|x| *x == 0.0) {
                continue;
            }
            let cov = b
                .cov
                .as_ref()
                .ok_or_else(|| LinkError::MissingCovariance { form: name.clone() })?;
            v += &b.jacobian * cov.as_ref() * b.jacobian.transpose();
        }
        Ok((&v + v.transpose()) * 0.5)
    }

    /// Whether every form with a non-zero Jacobian has a covariance matrix.
    pub fn has_covariance(&self) -> bool {
        self.blocks
            .values()
            .all(|b| b.cov.is_some() || b.jacobian.iter().all(|x| *x == 0.0))
    }
}
