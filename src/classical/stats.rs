//! The formulas of classical test theory on plain data, with frequency weights, so that reference
//! data given as response patterns with counts can be analysed directly.
//!
//! Variances and covariances use n - 1 (the textbook sample formulas; correlations and
//! coefficient alpha do not depend on the choice, the standard error of measurement does).

use statrs::distribution::{ContinuousCDF, Normal};

/// Weighted running sums for the moments and correlation of two variables.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    pub w: f64,
    sx: f64,
    sy: f64,
    sxx: f64,
    syy: f64,
    sxy: f64,
}

impl Moments {
    pub fn add(&mut self, x: f64, y: f64, w: f64) {
        self.w += w;
        self.sx += w * x;
        self.sy += w * y;
        self.sxx += w * x * x;
        self.syy += w * y * y;
        self.sxy += w * x * y;
    }
    pub fn merge(&mut self, o: &Moments) {
        self.w += o.w;
        self.sx += o.sx;
        self.sy += o.sy;
        self.sxx += o.sxx;
        self.syy += o.syy;
        self.sxy += o.sxy;
    }
    pub fn mean_x(&self) -> f64 {
        self.sx / self.w
    }
    pub fn mean_y(&self) -> f64 {
        self.sy / self.w
    }
    /// Sample variance (n - 1) of x.
    pub fn var_x(&self) -> f64 {
        (self.sxx - self.sx * self.sx / self.w) / (self.w - 1.0)
    }
    pub fn var_y(&self) -> f64 {
        (self.syy - self.sy * self.sy / self.w) / (self.w - 1.0)
    }
    pub fn cov(&self) -> f64 {
        (self.sxy - self.sx * self.sy / self.w) / (self.w - 1.0)
    }
    /// Pearson correlation; NaN when either variable is constant or n < 2.
    pub fn corr(&self) -> f64 {
        let d = self.var_x() * self.var_y();
        if self.w < 2.0 || d <= 0.0 {
            f64::NAN
        } else {
            self.cov() / d.sqrt()
        }
    }
}

/// Biserial correlation from the point-biserial of a 0/1 item with proportion right p
/// (Lord & Novick 1968, eq. 15.7.1): r_bis = r_pbis sqrt(p q) / phi(z_p), phi the normal density
/// at the p-quantile.
pub fn biserial(r_pbis: f64, p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0 && r_pbis.is_finite()) {
        return f64::NAN;
    }
    let n = Normal::new(0.0, 1.0).expect("standard normal");
    let z = n.inverse_cdf(p);
    let h = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    r_pbis * (p * (1.0 - p)).sqrt() / h
}

/// Classical statistics of one set of 0/1 items answered by every person.
#[derive(Debug, Clone, PartialEq)]
pub struct TestStats {
    pub n: f64,
    pub k: usize,
    pub mean: f64,
    pub sd: f64,
    /// KR-20 = coefficient alpha for 0/1 items: k/(k-1) (1 - sum var_i / var_X) (Kuder &
    /// Richardson 1937; Cronbach 1951).
    pub kr20: f64,
    /// Standard error of measurement: SD sqrt(1 - KR-20).
    pub sem: f64,
    pub items: Vec<ItemTestStats>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemTestStats {
    pub p_value: f64,
    /// Correlation with the total including the item.
    pub item_total: f64,
    /// Corrected point-biserial: correlation with the total of the other items.
    pub item_rest: f64,
    pub alpha_if_deleted: f64,
}

/// Statistics of complete 0/1 data given as rows (each of length k) with weights.
pub fn test_stats<'a>(k: usize, rows: impl Iterator<Item = (&'a [u8], f64)>) -> TestStats {
    let mut total = Moments::default();
    let mut with_total = vec![Moments::default(); k];
    let mut with_rest = vec![Moments::default(); k];
    for (row, w) in rows {
        let t: f64 = row.iter().map(|&x| x as f64).sum();
        total.add(t, t, w);
        for (i, &x) in row.iter().enumerate() {
            with_total[i].add(x as f64, t, w);
            with_rest[i].add(x as f64, t - x as f64, w);
        }
    }
    let alpha = |k: usize, sum_item_var: f64, var_total: f64| {
        if k < 2 || var_total <= 0.0 {
            f64::NAN
        } else {
            k as f64 / (k as f64 - 1.0) * (1.0 - sum_item_var / var_total)
        }
    };
    let item_vars: Vec<f64> = with_total.iter().map(|m| m.var_x()).collect();
    let sum_var: f64 = item_vars.iter().sum();
    let kr20 = alpha(k, sum_var, total.var_x());
    let sd = total.var_x().sqrt();
    TestStats {
        n: total.w,
        k,
        mean: total.mean_x(),
        sd,
        kr20,
        sem: sd * (1.0 - kr20).max(0.0).sqrt(),
        items: (0..k)
            .map(|i| ItemTestStats {
                p_value: with_total[i].mean_x(),
                item_total: with_total[i].corr(),
                item_rest: with_rest[i].corr(),
                alpha_if_deleted: alpha(k - 1, sum_var - item_vars[i], with_rest[i].var_y()),
            })
            .collect(),
    }
}

/// Mantel-Haenszel DIF for one item over strata of (reference right, reference wrong, focal
/// right, focal wrong) counts (Holland & Thayer 1988; variance of ln alpha by Robins, Breslow &
/// Greenland 1986; ETS categories as in Zwick 2012).
#[derive(Debug, Clone, PartialEq)]
pub struct MantelHaenszel {
    pub alpha_mh: f64,
    /// MH D-DIF = -2.35 ln alpha_MH (negative: the item favours the reference group).
    pub d_dif: f64,
    pub se_d_dif: f64,
    /// Continuity-corrected MH chi-square (1 df) and its p-value.
    pub chi_square: f64,
    pub p_value: f64,
    /// ETS category A, B or C.
    pub category: char,
}

pub fn mantel_haenszel(strata: &[[f64; 4]]) -> Option<MantelHaenszel> {
    let (mut r, mut s, mut sum_a, mut sum_ea, mut sum_va) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut pr, mut ps_qr, mut qs) = (0.0, 0.0, 0.0);
    for &[a, b, c, d] in strata {
        let t = a + b + c + d;
        if t < 2.0 || (a + b) == 0.0 || (c + d) == 0.0 {
            continue;
        }
        let (rk, sk) = (a * d / t, b * c / t);
        let (pk, qk) = ((a + d) / t, (b + c) / t);
        r += rk;
        s += sk;
        pr += pk * rk;
        ps_qr += pk * sk + qk * rk;
        qs += qk * sk;
        let (nr, nf, m1, m0) = (a + b, c + d, a + c, b + d);
        sum_a += a;
        sum_ea += nr * m1 / t;
        sum_va += nr * nf * m1 * m0 / (t * t * (t - 1.0));
    }
    if r <= 0.0 || s <= 0.0 || sum_va <= 0.0 {
        return None;
    }
    let alpha = r / s;
    let var_ln = pr / (2.0 * r * r) + ps_qr / (2.0 * r * s) + qs / (2.0 * s * s);
    let d = -2.35 * alpha.ln();
    let se = 2.35 * var_ln.sqrt();
    let chi = ((sum_a - sum_ea).abs() - 0.5).max(0.0).powi(2) / sum_va;
    let p = 1.0
        - statrs::distribution::ChiSquared::new(1.0)
            .expect("df 1")
            .cdf(chi);
    // Zwick 2012: C if |D| >= 1.5 and |D| significantly greater than 1 (one-sided 5 %);
    // A if |D| < 1 or D not significantly different from 0 (MH chi-square at 5 %); else B.
    let category = if d.abs() >= 1.5 && (d.abs() - 1.0) / se > 1.645 {
        'C'
    } else if d.abs() < 1.0 || p >= 0.05 {
        'A'
    } else {
        'B'
    };
    Some(MantelHaenszel {
        alpha_mh: alpha,
        d_dif: d,
        se_d_dif: se,
        chi_square: chi,
        p_value: p,
        category,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn biserial_of_a_median_split() {
        // p = 0.5: phi(0) = 0.398942, sqrt(pq) = 0.5, so r_bis = 1.253314 r_pbis.
        assert!((biserial(0.4, 0.5) - 0.4 * 1.2533141373155).abs() < 1e-9);
        assert!(biserial(0.4, 1.0).is_nan());
    }
}
