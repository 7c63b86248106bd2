//! IRT observed-score equating with delta-method standard errors through both forms' item
//! parameters and the link (Ogasawara 2003, "Asymptotic standard errors of IRT observed-score
//! equating methods", Psychometrika 68; equateIRT's `score(..., method = "OSE", se = TRUE)`).
//!
//! The equated score is e(x) = G^{-1}[F(x)] (Kolen & Brennan 2014, 6.6): f and g are the
//! model-implied number-right distributions of the new and the old form in a synthetic population
//! on the old (base) scale, f(x) = sum_q w_q P_new(x | theta_q) by the Lord-Wingersky recursion,
//! then equipercentile with the usual continuization (K&B eqs. 2.14-2.17). The population's
//! points and weights are fixed (not estimated). The new form's items enter at
//! u_q = (theta_q - B) / A on their own scale, so A and B enter through u_q.
//!
//! Derivatives: a Lord-Wingersky distribution is linear in each item's probability,
//! d P(x | theta) / d p_i = P_{-i}(x - 1 | theta) - P_{-i}(x | theta), with P_{-i} the distribution
//! of the other items (prefix and suffix recursions, no deconvolution); the equipercentile
//! function is differentiable between its knots: with p = F(x - 1) + f(x) / 2 and y_U the
//! smallest score whose cumulative proportion exceeds p, e = (p - G(y_U - 1)) / g(y_U) + y_U - 1/2,
//! so de/dp = 1 / g(y_U), de/dg(j) = -1 / g(y_U) for j < y_U and -(p - G(y_U - 1)) / g(y_U)^2 for
//! j = y_U. Var e = sum over forms of grad Sigma grad', (A, B) replaced by their own Jacobian.
//! Scores whose rank lies beyond the old form's distribution (e at its maximum + 1/2) get no SE.

use nalgebra::DMatrix;

use super::constants::LinkEstimate;
use super::error::LinkError;
use super::params::{FormEstimates, ItemParams3pl};
use super::scores::{check_forms, scalar_se, EquatedScore};
use super::sensitivity::Sensitivity;

/// A form's number-right distribution in the population and its derivatives.
struct ScoreDistribution {
    /// f(x), x = 0..=n.
    f: Vec<f64>,
    /// d f / d(a, b, c) per item: (n + 1) x 3n.
    d_items: DMatrix<f64>,
    /// d f / d u summed over the points with the link's du/dA, du/dB: (n + 1) x 2.
    d_link: DMatrix<f64>,
}

/// Lord-Wingersky distribution of binary items with probabilities `p`.
fn convolve(dist: &[f64], p: f64) -> Vec<f64> {
    let mut next = vec![0.0; dist.len() + 1];
    for (s, &v) in dist.iter().enumerate() {
        next[s] += v * (1.0 - p);
        next[s + 1] += v * p;
    }
    next
}

/// The distribution of `items` at the points `theta` (old scale) with weights `w`, through the
/// link theta_own = (theta - B) / A (None: the items are on the old scale already).
fn distribution(
    items: &[ItemParams3pl],
    theta: &[f64],
    w: &[f64],
    link: Option<(f64, f64)>,
    d: f64,
) -> ScoreDistribution {
    let n = items.len();
    let mut f = vec![0.0; n + 1];
    let mut d_items = DMatrix::zeros(n + 1, 3 * n);
    let mut d_link = DMatrix::zeros(n + 1, 2);
    for (&t, &wq) in theta.iter().zip(w) {
        let (u, du_da, du_db) = match link {
            Some((a, b)) => ((t - b) / a, -(t - b) / (a * a), -1.0 / a),
            None => (t, 0.0, 0.0),
        };
        let p: Vec<f64> = items.iter().map(|it| it.p(u, d)).collect();
        // prefix[i]: items 0..i; suffix[i]: items i..n
        let mut prefix = vec![vec![1.0]];
        for &pi in &p {
            let next = convolve(prefix.last().expect("non-empty"), pi);
            prefix.push(next);
        }
        let mut suffix = vec![vec![1.0]; n + 1];
        for i in (0..n).rev() {
            suffix[i] = convolve(&suffix[i + 1], p[i]);
        }
        for (x, v) in prefix[n].iter().enumerate() {
            f[x] += wq * v;
        }
        for (i, it) in items.iter().enumerate() {
            // distribution without item i: prefix[i] * suffix[i + 1] (scores 0..n-1)
            let mut without = vec![0.0; n];
            for (s, &l) in prefix[i].iter().enumerate() {
                for (r, &q) in suffix[i + 1].iter().enumerate() {
                    without[s + r] += l * q;
                }
            }
            let g = it.p_grad(u, d);
            let slope = it.p_slope(u, d);
            for x in 0..=n {
                let dp = (if x > 0 { without[x - 1] } else { 0.0 })
                    - (if x < n { without[x] } else { 0.0 });
                if dp == 0.0 {
                    continue;
                }
                for k in 0..3 {
                    d_items[(x, 3 * i + k)] += wq * dp * g[k];
                }
                d_link[(x, 0)] += wq * dp * slope * du_da;
                d_link[(x, 1)] += wq * dp * slope * du_db;
            }
        }
    }
    ScoreDistribution { f, d_items, d_link }
}

/// Gradients of an equipercentile equivalent in the two distributions.
struct EquipercentileGradient {
    df: Vec<f64>,
    dg: Vec<f64>,
}

/// The equipercentile equivalent of score `x` of f on g (K&B eq. 2.18) and its gradients in f
/// and g; None past the top of g (no finite derivative).
fn equipercentile_with_gradient(
    f: &[f64],
    g: &[f64],
    x: usize,
) -> (f64, Option<EquipercentileGradient>) {
    let p: f64 = f[..x].iter().sum::<f64>() + 0.5 * f[x];
    let mut cum = 0.0;
    for (y, &gy) in g.iter().enumerate() {
        let next = cum + gy;
        if next > p + 1e-15 && gy > 0.0 {
            let e = (p - cum) / gy + (y as f64 - 0.5);
            let mut df = vec![0.0; f.len()];
            for (j, v) in df.iter_mut().enumerate().take(x + 1) {
                *v = if j < x { 1.0 / gy } else { 0.5 / gy };
            }
            let mut dg = vec![0.0; g.len()];
            for (j, v) in dg.iter_mut().enumerate().take(y + 1) {
                *v = if j < y {
                    -1.0 / gy
                } else {
                    -(p - cum) / (gy * gy)
                };
            }
            return (e, Some(EquipercentileGradient { df, dg }));
        }
        cum = next;
    }
    (g.len() as f64 - 0.5, None)
}

/// IRT observed-score equating of every new-form raw score to the old form (qbank's direction),
/// the synthetic population given by points `theta` on the old scale and weights (normalised
/// here), with delta-method standard errors (Ogasawara 2003). All items of both forms are used.
/// `EquatedScore::theta` is None (observed-score equating has no single theta per score).
pub fn observed_score_se(
    new: &FormEstimates,
    old: &FormEstimates,
    link: &LinkEstimate,
    theta: &[f64],
    weights: &[f64],
    d: f64,
) -> Result<Vec<EquatedScore>, LinkError> {
    check_forms(new, old, link)?;
    let total: f64 = weights.iter().sum();
    if theta.len() != weights.len() || theta.is_empty() || !(total > 0.0 && total.is_finite()) {
        return Err(LinkError::BadArgument {
            what: "population weights",
            value: total,
            expected: "as many positive weights as points",
        });
    }
    let w: Vec<f64> = weights.iter().map(|v| v / total).collect();
    let fx = distribution(&new.items, theta, &w, Some((link.A, link.B)), d);
    let gy = distribution(&old.items, theta, &w, None, d);
    let mut out = Vec::with_capacity(fx.f.len());
    for x in 0..fx.f.len() {
        let (equivalent, grad) = equipercentile_with_gradient(&fx.f, &gy.f, x);
        let mut s = Sensitivity::zeros(1);
        let mut se = None;
        if let Some(EquipercentileGradient { df, dg }) = grad {
            let df = DMatrix::from_row_slice(1, df.len(), &df);
            let dg = DMatrix::from_row_slice(1, dg.len(), &dg);
            s.add_form(new, &df * &fx.d_items)?;
            s.add_form(old, &dg * &gy.d_items)?;
            s.add_scaled(&(&df * &fx.d_link), &link.jacobian)?;
            se = scalar_se(&s)?;
        }
        out.push(EquatedScore {
            score: x as f64,
            theta: None,
            equivalent,
            se,
            gradient: s,
        });
    }
    Ok(out)
}
