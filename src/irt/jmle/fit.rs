//! Infit and outfit mean squares with their ZSTD as Winsteps computes them.

use super::{logistic, JmleError, Matrix, MISSING};

/// Infit and outfit of one person or item.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RaschFit {
    /// Information-weighted mean square sum (x - P)^2 / sum P (1 - P).
    pub infit_msq: f64,
    pub infit_zstd: f64,
    /// Unweighted mean square: mean of (x - P)^2 / (P (1 - P)).
    pub outfit_msq: f64,
    pub outfit_zstd: f64,
    /// Responses the statistics are based on.
    pub n: usize,
}

/// Wilson-Hilferty standardisation of a mean square with model SD q (Wright & Masters 1982,
/// p. 101; Winsteps WHEXACT): ZSTD = (MS^(1/3) - 1) (3 / q) + q / 3 (the last term only when
/// `exact`), with q at most sqrt(2) (at least 1 degree of freedom).
pub fn wilson_hilferty(ms: f64, q: f64, exact: bool) -> f64 {
    let q = q.min(std::f64::consts::SQRT_2);
    if q <= 0.0 {
        return 0.0;
    }
    (ms.cbrt() - 1.0) * (3.0 / q) + if exact { q / 3.0 } else { 0.0 }
}

/// In the model variance of the outfit mean square, a response's variance P (1 - P) counts as at
/// least sqrt(1e-5) (its C / W^2 term, about 1 / W, at most about 316). Far off-target
/// responses would otherwise dominate q. This is the rule of R rpf's `rpf.1dim.fit`, which
/// reproduces Winsteps' published OUTFIT ZSTD; without it the KCT items' outfit ZSTD differ from
/// Winsteps' by up to 0.17.
pub const OUTFIT_VARIANCE_FLOOR: f64 = 0.003_162_277_660_168_379_5;

/// Fit statistics of the persons and of the items.
pub type FitPair = (Vec<Option<RaschFit>>, Vec<Option<RaschFit>>);

pub(super) fn fit_statistics(
    m: &Matrix,
    theta: &[Option<f64>],
    b: &[Option<f64>],
    exact: bool,
) -> (Vec<Option<RaschFit>>, Vec<Option<RaschFit>>) {
    // per person / item: sum z^2, sum (x-P)^2, sum W, sum C/W^2, sum (C - W^2), n
    let mut acc_p = vec![[0.0f64; 6]; m.n_p];
    let mut acc_i = vec![[0.0f64; 6]; m.n_i];
    for p in 0..m.n_p {
        let Some(t) = theta[p] else { continue };
        for i in 0..m.n_i {
            let Some(d) = b[i] else { continue };
            let x = m.get(p, i);
            if x == MISSING {
                continue;
            }
            let pr = logistic(t - d);
            let q = 1.0 - pr;
            let w = pr * q;
            // fourth central moment of a Bernoulli: P Q (P^3 + Q^3)
            let c = w * (pr * pr * pr + q * q * q);
            let r = x as f64 - pr;
            let w_floor = w.max(OUTFIT_VARIANCE_FLOOR);
            let terms = [r * r / w, r * r, w, c / (w_floor * w_floor), c - w * w, 1.0];
            for (a, t) in acc_p[p].iter_mut().zip(terms) {
                *a += t;
            }
            for (a, t) in acc_i[i].iter_mut().zip(terms) {
                *a += t;
            }
        }
    }
    let finish = |a: &[f64; 6]| -> Option<RaschFit> {
        let n = a[5];
        if n == 0.0 {
            return None;
        }
        let outfit = a[0] / n;
        let infit = a[1] / a[2];
        // model variances of the mean squares (Wright & Masters 1982, pp. 100-101)
        let q_out = (a[3] / (n * n) - 1.0 / n).max(0.0).sqrt();
        let q_in = (a[4] / (a[2] * a[2])).max(0.0).sqrt();
        Some(RaschFit {
            infit_msq: infit,
            infit_zstd: wilson_hilferty(infit, q_in, exact),
            outfit_msq: outfit,
            outfit_zstd: wilson_hilferty(outfit, q_out, exact),
            n: n as usize,
        })
    };
    (
        acc_p.iter().map(finish).collect(),
        acc_i.iter().map(finish).collect(),
    )
}

/// Infit and outfit mean squares and ZSTD for given measures (Wright & Masters 1982, Rating
/// Scale Analysis, pp. 100-101: z_ni = (x_ni - P_ni) / sqrt(W_ni); outfit = mean z^2 with model
/// variance q^2 = sum (C_ni / W_ni^2) / n^2 - 1 / n (W floored at [`OUTFIT_VARIANCE_FLOOR`]); infit = sum W z^2 / sum W with
/// q^2 = sum (C_ni - W_ni^2) / (sum W)^2; C = 4th central moment), standardised by
/// [`wilson_hilferty`]. Persons or items given `None` (extreme scores) are left out of everybody's
/// statistics and get None. Returns (persons, items).
pub fn rasch_fit_statistics(
    responses: &[Vec<Option<u8>>],
    theta: &[Option<f64>],
    b: &[Option<f64>],
    wh_exact: bool,
) -> Result<FitPair, JmleError> {
    let m = Matrix::from_rows(responses)?;
    if theta.len() != m.n_p {
        return Err(JmleError::Mismatch {
            what: "persons",
            got: theta.len(),
            expected: m.n_p,
        });
    }
    if b.len() != m.n_i {
        return Err(JmleError::Mismatch {
            what: "items",
            got: b.len(),
            expected: m.n_i,
        });
    }
    Ok(fit_statistics(&m, theta, b, wh_exact))
}
