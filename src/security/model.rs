//! The calibrated items every security statistic needs: qbank's [`Logistic`] items (the
//! bank-scale parameters from the calibration), validated for the security statistics (positive
//! slopes, finite difficulties, 0 <= c < 1). P and its theta-derivatives come from the item model
//! ([`ItemModel::curve`]); theta estimation and the grid tables are in [`crate::irt::theta`].

use crate::irt::{Curve, ItemModel, Logistic};

use super::error::SecurityError;

/// A validated item bank.
#[derive(Debug, Clone)]
pub struct ItemBank {
    items: Vec<Logistic>,
}

impl ItemBank {
    /// Validates the items: D a > 0 and finite, b finite, 0 <= c < 1.
    pub fn new(items: Vec<Logistic>) -> Result<ItemBank, SecurityError> {
        for (i, it) in items.iter().enumerate() {
            let alpha = it.scale_d * it.a;
            if !(alpha.is_finite() && alpha > 0.0) {
                return Err(SecurityError::BadItem {
                    item: i,
                    field: "a",
                    value: it.a,
                    expected: "a positive finite slope",
                });
            }
            let b = it.b();
            if !b.is_finite() {
                return Err(SecurityError::BadItem {
                    item: i,
                    field: "b",
                    value: b,
                    expected: "a finite difficulty",
                });
            }
            if !(it.c.is_finite() && (0.0..1.0).contains(&it.c)) {
                return Err(SecurityError::BadItem {
                    item: i,
                    field: "c",
                    value: it.c,
                    expected: "a lower asymptote in [0, 1)",
                });
            }
        }
        Ok(ItemBank { items })
    }

    /// From (a, b, c) triples on the metric with scaling constant `d` (3PL items; 2PL when c = 0).
    pub fn from_abc(items: &[(f64, f64, f64)], d: f64) -> Result<ItemBank, SecurityError> {
        if !(d.is_finite() && d > 0.0) {
            return Err(SecurityError::BadOption {
                name: "D",
                value: d,
                expected: "a positive scaling constant (1 or 1.702)",
            });
        }
        ItemBank::new(
            items
                .iter()
                .map(|&(a, b, c)| Logistic::from_abc(a, b, c, d))
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[Logistic] {
        &self.items
    }

    /// P(right) for item `i` at `theta` ([`Logistic::p`]).
    #[inline]
    pub fn p(&self, i: usize, theta: f64) -> f64 {
        self.items[i].p(theta)
    }

    /// P, Q and the first three derivatives of P for item `i` at `theta` ([`ItemModel::curve`]).
    #[inline]
    pub fn eval(&self, i: usize, theta: f64) -> Curve {
        self.items[i].curve(theta)
    }
}
