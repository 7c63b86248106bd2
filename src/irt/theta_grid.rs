//! A fixed theta grid and per-item tables of ln P, ln Q (and 1/P, 1/Q, P/Q) on it, so that
//! per-attempt passes over the grid (the start of [`super::theta`]'s solver, posterior
//! predictives) need no `exp`.

use super::model::ItemModel;

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

/// Per-item tables on a theta grid, item-major (item i occupies `i * G .. (i + 1) * G`), from
/// each item's [`ItemModel::curve`].
#[derive(Debug, Clone)]
pub struct GridTables {
    pub grid: ThetaGrid,
    pub ln_p: Vec<f64>,
    pub ln_q: Vec<f64>,
    /// Filled only when `with_inverses`: 1/P, 1/Q and P/Q.
    pub inv_p: Vec<f64>,
    pub inv_q: Vec<f64>,
    pub p_over_q: Vec<f64>,
}

impl GridTables {
    pub fn new<M: ItemModel>(items: &[M], grid: ThetaGrid, with_inverses: bool) -> GridTables {
        let g = grid.len();
        let n = items.len();
        let mut ln_p = vec![0.0; n * g];
        let mut ln_q = vec![0.0; n * g];
        let (mut p_over_q, mut inv_p, mut inv_q) = if with_inverses {
            (vec![0.0; n * g], vec![0.0; n * g], vec![0.0; n * g])
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        for (i, item) in items.iter().enumerate() {
            for (k, &t) in grid.points.iter().enumerate() {
                let e = item.curve(t);
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
