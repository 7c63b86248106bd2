//! One-sided (upper) CUSUM of standardised statistics, C_t = max(0, C_{t-1} + z_t - k), signal
//! when C_t > h (Page 1954), and the choice of h for a target false-alarm rate.
//!
//! With z_t independent N(mu, 1), the probability of no signal within t more steps from C = u,
//! S_t(u), satisfies S_t(u) = Phi(k - mu - u) S_{t-1}(0) + int_0^h phi(x + k - mu - u)
//! S_{t-1}(x) dx, and the average run length L(u) = 1 + Phi(k - mu - u) L(0) +
//! int_0^h phi(x + k - mu - u) L(x) dx (Brook & Evans 1972; Goel & Wu 1971). Both integral
//! equations are solved by the Nystroem method with Gauss-Legendre nodes on [0, h] (as R spc's
//! `xcusum.arl`; Vance 1986).
//!
//! The monitoring horizon is finite (T windows, e.g. 20 weeks), so h is chosen for a target
//! probability of a false signal within T windows on an item with no change ("per item over the
//! whole period"), not for an in-control ARL; both are reported.

use statrs::function::erf::erfc;

use super::error::{check_open, SecurityError};

/// Number of Gauss-Legendre nodes used for the integral equations.
pub const CUSUM_NODES: usize = 48;

fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn big_phi(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Gauss-Legendre nodes and weights on [lo, hi].
pub(crate) fn gauss_legendre(n: usize, lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let m = n.div_ceil(2);
    let (xm, xl) = (0.5 * (hi + lo), 0.5 * (hi - lo));
    for i in 0..m {
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut pp = 0.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (1.0, 0.0);
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                p1 = ((2 * j + 1) as f64 * z * p2 - j as f64 * p3) / (j + 1) as f64;
            }
            pp = n as f64 * (z * p1 - p2) / (z * z - 1.0);
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() < 1e-15 {
                break;
            }
        }
        x[i] = xm - xl * z;
        x[n - 1 - i] = xm + xl * z;
        w[i] = 2.0 * xl / ((1.0 - z * z) * pp * pp);
        w[n - 1 - i] = w[i];
    }
    (x, w)
}

/// The Nystroem kernel on the states {0, x_1..x_r}: row u, column 0 = Phi(k - mu - u) (reset to
/// zero), column j = w_j phi(x_j + k - mu - u).
fn kernel(k: f64, h: f64, mu: f64) -> (usize, Vec<f64>) {
    let (x, w) = gauss_legendre(CUSUM_NODES, 0.0, h);
    let m = CUSUM_NODES + 1;
    let mut states = Vec::with_capacity(m);
    states.push(0.0);
    states.extend_from_slice(&x);
    let mut kmat = vec![0.0; m * m];
    for (r, &u) in states.iter().enumerate() {
        kmat[r * m] = big_phi(k - mu - u);
        for j in 0..CUSUM_NODES {
            kmat[r * m + j + 1] = w[j] * phi(x[j] + k - mu - u);
        }
    }
    (m, kmat)
}

/// Probability that an upper CUSUM started at 0 signals within `horizon` steps when the z_t are
/// independent N(mu, 1).
pub fn cusum_signal_prob(k: f64, h: f64, mu: f64, horizon: usize) -> f64 {
    if h <= 0.0 {
        return 1.0 - big_phi(k - mu).powi(horizon as i32);
    }
    let (m, kmat) = kernel(k, h, mu);
    let mut s = vec![1.0; m];
    let mut next = vec![0.0; m];
    for _ in 0..horizon {
        for r in 0..m {
            let row = &kmat[r * m..(r + 1) * m];
            next[r] = row.iter().zip(&s).map(|(a, b)| a * b).sum();
        }
        std::mem::swap(&mut s, &mut next);
    }
    (1.0 - s[0]).clamp(0.0, 1.0)
}

/// Average run length of an upper CUSUM started at 0 with z_t independent N(mu, 1).
pub fn cusum_arl(k: f64, h: f64, mu: f64) -> f64 {
    if h <= 0.0 {
        return 1.0 / (1.0 - big_phi(k - mu));
    }
    let (m, kmat) = kernel(k, h, mu);
    // (I - K) L = 1 by Gaussian elimination with partial pivoting.
    let mut a: Vec<f64> = kmat.iter().map(|v| -v).collect();
    for r in 0..m {
        a[r * m + r] += 1.0;
    }
    let mut b = vec![1.0; m];
    for col in 0..m {
        let piv = (col..m)
            .max_by(|&i, &j| a[i * m + col].abs().total_cmp(&a[j * m + col].abs()))
            .unwrap_or(col);
        if piv != col {
            for c in 0..m {
                a.swap(col * m + c, piv * m + c);
            }
            b.swap(col, piv);
        }
        let d = a[col * m + col];
        for r in col + 1..m {
            let f = a[r * m + col] / d;
            if f != 0.0 {
                for c in col..m {
                    a[r * m + c] -= f * a[col * m + c];
                }
                b[r] -= f * b[col];
            }
        }
    }
    let mut l = vec![0.0; m];
    for r in (0..m).rev() {
        let mut s = b[r];
        for c in r + 1..m {
            s -= a[r * m + c] * l[c];
        }
        l[r] = s / a[r * m + r];
    }
    l[0]
}

/// Decision interval h such that an upper CUSUM with reference value k, on independent N(0,1)
/// statistics, signals falsely within `horizon` steps with probability `false_alarm_prob`.
/// Returns 0 when even h = 0 keeps the false-alarm probability below the target.
pub fn cusum_threshold(
    k: f64,
    horizon: usize,
    false_alarm_prob: f64,
) -> Result<f64, SecurityError> {
    check_open(
        "false_alarm_prob",
        false_alarm_prob,
        0.0,
        1.0,
        "a probability strictly between 0 and 1",
    )?;
    if !(k.is_finite() && k >= 0.0) {
        return Err(SecurityError::BadOption {
            name: "cusum k",
            value: k,
            expected: "a reference value >= 0",
        });
    }
    if horizon == 0 {
        return Err(SecurityError::BadOption {
            name: "horizon",
            value: 0.0,
            expected: "at least one window",
        });
    }
    if cusum_signal_prob(k, 0.0, 0.0, horizon) <= false_alarm_prob {
        return Ok(0.0);
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while cusum_signal_prob(k, hi, 0.0, horizon) > false_alarm_prob {
        lo = hi;
        hi *= 2.0;
        if hi > 1e4 {
            break;
        }
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if cusum_signal_prob(k, mid, 0.0, horizon) > false_alarm_prob {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-9 {
            break;
        }
    }
    Ok(hi)
}
