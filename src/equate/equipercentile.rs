//! Equipercentile equating of discrete score distributions (Kolen & Brennan 2014, ch. 2):
//! percentile ranks with the usual continuization (uniform on [x - 0.5, x + 0.5]) and its inverse.

/// Percentile rank of integer score `x` under relative frequencies `f` (K&B eq. 2.14):
/// P(x) = 100 [F(x - 1) + 0.5 f(x)].
pub fn percentile_rank(f: &[f64], x: usize) -> f64 {
    let below: f64 = f[..x].iter().sum();
    100.0 * (below + 0.5 * f[x])
}

/// The inverse percentile function of K&B eq. 2.17: the (continuized) score with rank `p`,
/// using the smallest score y_U whose cumulative proportion exceeds p / 100.
pub fn inverse_percentile(g: &[f64], p: f64) -> f64 {
    let target = p / 100.0;
    let mut cum = 0.0;
    for (y, &gy) in g.iter().enumerate() {
        let next = cum + gy;
        if next > target + 1e-15 && gy > 0.0 {
            return (target - cum) / gy + (y as f64 - 0.5);
        }
        cum = next;
    }
    g.len() as f64 - 0.5
}

/// Equipercentile equivalents on Y of every score of X: e_Y(x) = P_Y^{-1}[P_X(x)] (K&B eq. 2.18).
pub fn equipercentile(f_x: &[f64], g_y: &[f64]) -> Vec<f64> {
    let (sx, sy): (f64, f64) = (f_x.iter().sum(), g_y.iter().sum());
    let f: Vec<f64> = f_x.iter().map(|v| v / sx).collect();
    let g: Vec<f64> = g_y.iter().map(|v| v / sy).collect();
    (0..f.len())
        .map(|x| inverse_percentile(&g, percentile_rank(&f, x)))
        .collect()
}

/// Percentile rank of a non-integer score (K&B eq. 2.14 with x* the integer nearest x), for the
/// second link of chained equipercentile equating.
pub fn percentile_rank_continuous(f: &[f64], x: f64) -> f64 {
    let k = f.len() as f64;
    if x < -0.5 {
        return 0.0;
    }
    if x >= k - 0.5 {
        return 100.0;
    }
    let xs = (x + 0.5).floor().clamp(0.0, k - 1.0) as usize;
    let below: f64 = f[..xs].iter().sum();
    100.0 * (below + (x - (xs as f64 - 0.5)) * f[xs])
}
