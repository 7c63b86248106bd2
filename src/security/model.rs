//! The calibrated items every security statistic needs, as qbank's [`Logistic`] items (the
//! bank-scale parameters from the calibration), with what the trait does not give: P's first three
//! theta-derivatives, and per-item tables of ln P, ln Q and 1/P, 1/Q on a fixed theta grid (so
//! that per-attempt grid passes need no `exp`).
//!
//! P(theta) = c + (1 - c) / (1 + exp(-D a (theta - b))) (Birnbaum 1968).

use crate::irt::Logistic;

use super::error::SecurityError;

/// P and its theta-derivatives for one item at one theta.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemEval {
    /// P(right).
    pub p: f64,
    /// Q = 1 - P, computed without cancellation.
    pub q: f64,
    /// dP/dtheta.
    pub dp: f64,
    /// d2P/dtheta2.
    pub d2p: f64,
    /// d3P/dtheta3.
    pub d3p: f64,
}

/// A validated item bank: per item its calibrated [`Logistic`] and (D a, b, c) for the
/// derivative formulas.
#[derive(Debug, Clone)]
pub struct ItemBank {
    items: Vec<Logistic>,
    /// (D * a, b, c) per item.
    abc: Vec<(f64, f64, f64)>,
}

/// Logistic function and its complement, each without cancellation: (psi, 1 - psi).
#[inline]
pub(crate) fn logistic_pair(z: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    let big = 1.0 / (1.0 + e);
    let small = e / (1.0 + e);
    if z >= 0.0 {
        (big, small)
    } else {
        (small, big)
    }
}

impl ItemBank {
    /// Validates the items: D a > 0 and finite, b finite, 0 <= c < 1.
    pub fn new(items: Vec<Logistic>) -> Result<ItemBank, SecurityError> {
        let mut abc = Vec::with_capacity(items.len());
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
            abc.push((alpha, b, it.c));
        }
        Ok(ItemBank { items, abc })
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

    /// (D a, b, c) of item `i`.
    #[inline]
    pub(crate) fn abc(&self, i: usize) -> (f64, f64, f64) {
        self.abc[i]
    }

    /// P(right) for item `i` at `theta` ([`Logistic::p`]).
    #[inline]
    pub fn p(&self, i: usize, theta: f64) -> f64 {
        self.items[i].p(theta)
    }

    /// P, Q and the first three derivatives of P for item `i` at `theta`.
    ///
    /// With psi = logistic(D a (theta - b)) and alpha = D a:
    /// P' = (1-c) alpha psi (1-psi), P'' = P' alpha (1 - 2 psi),
    /// P''' = P' alpha^2 (1 - 6 psi + 6 psi^2).
    #[inline]
    pub fn eval(&self, i: usize, theta: f64) -> ItemEval {
        let (al, b, c) = self.abc[i];
        let (psi, psi_c) = logistic_pair(al * (theta - b));
        let one_c = 1.0 - c;
        let p = c + one_c * psi;
        let q = one_c * psi_c;
        let dp = one_c * al * psi * psi_c;
        let d2p = dp * al * (psi_c - psi);
        let d3p = dp * al * al * (1.0 - 6.0 * psi * psi_c);
        ItemEval { p, q, dp, d2p, d3p }
    }

    /// Fisher information of item `i` at `theta`: P'^2 / (P Q).
    pub fn information(&self, i: usize, theta: f64) -> f64 {
        let e = self.eval(i, theta);
        e.dp * e.dp / (e.p * e.q)
    }
}

/// An equally spaced theta grid.
#[derive(Debug, Clone, PartialEq)]
pub struct ThetaGrid {
    pub points: Vec<f64>,
}

impl ThetaGrid {
    /// `n` equally spaced points from `lo` to `hi` inclusive (n >= 2).
    pub fn new(lo: f64, hi: f64, n: usize) -> ThetaGrid {
        let n = n.max(2);
        let step = (hi - lo) / (n - 1) as f64;
        ThetaGrid {
            points: (0..n).map(|g| lo + step * g as f64).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// Per-item tables on a theta grid, item-major (item i occupies `i * G .. (i + 1) * G`).
#[derive(Debug, Clone)]
pub(crate) struct GridTables {
    pub grid: ThetaGrid,
    pub ln_p: Vec<f64>,
    pub ln_q: Vec<f64>,
    /// Filled only when `with_inverses`: 1/P, 1/Q and P/Q.
    pub inv_p: Vec<f64>,
    pub inv_q: Vec<f64>,
    pub p_over_q: Vec<f64>,
}

impl GridTables {
    pub fn new(bank: &ItemBank, grid: ThetaGrid, with_inverses: bool) -> GridTables {
        let g = grid.len();
        let n = bank.len();
        let mut ln_p = vec![0.0; n * g];
        let mut ln_q = vec![0.0; n * g];
        let (mut p_over_q, mut inv_p, mut inv_q) = if with_inverses {
            (vec![0.0; n * g], vec![0.0; n * g], vec![0.0; n * g])
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        for i in 0..n {
            for (k, &t) in grid.points.iter().enumerate() {
                let e = bank.eval(i, t);
                ln_p[i * g + k] = e.p.ln();
                ln_q[i * g + k] = e.q.ln();
                if with_inverses {
                    p_over_q[i * g + k] = e.p / e.q;
                    inv_p[i * g + k] = 1.0 / e.p;
                    inv_q[i * g + k] = 1.0 / e.q;
                }
            }
        }
        GridTables {
            grid,
            ln_p,
            ln_q,
            inv_p,
            inv_q,
            p_over_q,
        }
    }

    #[inline]
    pub fn g(&self) -> usize {
        self.grid.len()
    }

    /// Sum of a[k] * b[k] in four lanes (vectorisable; the order is fixed, so deterministic).
    #[inline]
    pub fn dot(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let mut acc = [0.0f64; 4];
        let mut ca = a.chunks_exact(4);
        let mut cb = b.chunks_exact(4);
        for (x, y) in (&mut ca).zip(&mut cb) {
            acc[0] += x[0] * y[0];
            acc[1] += x[1] * y[1];
            acc[2] += x[2] * y[2];
            acc[3] += x[3] * y[3];
        }
        let mut tail = 0.0;
        for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
            tail += x * y;
        }
        (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
    }

    /// Adds the log-likelihood of response `x` to item `i` at every grid point into `acc`.
    #[inline]
    pub fn add_loglik(&self, i: usize, x: u8, acc: &mut [f64]) {
        let g = self.g();
        let row = if x == 1 {
            &self.ln_p[i * g..(i + 1) * g]
        } else {
            &self.ln_q[i * g..(i + 1) * g]
        };
        for (a, r) in acc.iter_mut().zip(row) {
            *a += r;
        }
    }
}
