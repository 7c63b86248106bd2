//! IRT scale linking through common items (Kolen & Brennan 2014, ch. 6): find A and B such that
//! theta_old = A theta_new + B, so that new-form parameters move onto the old (base) scale as
//! a* = a / A, b* = A b + B, c* = c.
//!
//! - mean-mean (Loyd & Hoover 1980): A = mean(a_new) / mean(a_old)
//! - mean-sigma (Marco 1977): A = sd(b_old) / sd(b_new) (population SDs)
//! - Haebara (1980): least squares between the common items' characteristic curves
//! - Stocking-Lord (1983): least squares between the common items' test characteristic curves
//!
//! with B = mean(b_old) - A mean(b_new) for the moment methods (K&B eqs. 6.8-6.9). The
//! characteristic-curve criteria are summed over theta points on the old scale (non-symmetric,
//! the usual criterion) or, symmetric, over points on both scales.

use crate::irt::quadrature::gauss_hermite_normal;
use crate::irt::test_level::tcc;
use crate::irt::ItemModel;

pub use super::link_se::error::LinkError;

/// A linking method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkMethod {
    MeanMean,
    MeanGeometricMean,
    MeanSigma,
    Haebara,
    StockingLord,
}

impl LinkMethod {
    pub const ALL: [LinkMethod; 5] = [
        LinkMethod::MeanMean,
        LinkMethod::MeanGeometricMean,
        LinkMethod::MeanSigma,
        LinkMethod::Haebara,
        LinkMethod::StockingLord,
    ];
    pub fn parse(s: &str) -> Option<LinkMethod> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "mean-mean" => Some(LinkMethod::MeanMean),
            "mean-geometric-mean" | "mean-gmean" => Some(LinkMethod::MeanGeometricMean),
            "mean-sigma" => Some(LinkMethod::MeanSigma),
            "haebara" => Some(LinkMethod::Haebara),
            "stocking-lord" | "sl" => Some(LinkMethod::StockingLord),
            _ => None,
        }
    }
    /// Haebara and Stocking-Lord (characteristic-curve criteria).
    pub fn is_curve(self) -> bool {
        matches!(self, LinkMethod::Haebara | LinkMethod::StockingLord)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LinkMethod::MeanMean => "mean-mean",
            LinkMethod::MeanGeometricMean => "mean-geometric-mean",
            LinkMethod::MeanSigma => "mean-sigma",
            LinkMethod::Haebara => "haebara",
            LinkMethod::StockingLord => "stocking-lord",
        }
    }
}

/// Options of the characteristic-curve criteria.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveOptions {
    /// Theta points (on the scale being matched) and their weights.
    pub theta: Vec<f64>,
    pub weights: Vec<f64>,
    /// Sum the criterion over both directions (old scale and new scale).
    pub symmetric: bool,
}

impl Default for CurveOptions {
    /// 40 equally spaced points on [-4, 4] with equal weights (as R plink's default).
    fn default() -> Self {
        ThetaPoints::PLINK
            .curve_options(false)
            .expect("plink's grid is valid")
    }
}

/// Points and weights of a characteristic-curve criterion, as given on the command line:
/// - `uniform:lo:hi:n`: n equally spaced points on [lo, hi] with equal weights 1 (R plink's
///   default is uniform:-4:4:40; equateIRT's `quadrature = FALSE` is the same grid);
/// - `gauss-hermite:n`: the n-point Gauss-Hermite rule for N(0, 1) with weights summing to 1
///   (statmod's `gauss.quad.prob(n, "normal")`, equateIRT's default with n = 30).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ThetaPoints {
    Uniform { lo: f64, hi: f64, n: usize },
    GaussHermite { n: usize },
}

impl ThetaPoints {
    /// R plink's default: 40 equally spaced points on [-4, 4], equal weights.
    pub const PLINK: ThetaPoints = ThetaPoints::Uniform {
        lo: -4.0,
        hi: 4.0,
        n: 40,
    };
    /// equateIRT's default: 30-point Gauss-Hermite rule for N(0, 1).
    pub const EQUATEIRT: ThetaPoints = ThetaPoints::GaussHermite { n: 30 };

    /// Parses `uniform:lo:hi:n` or `gauss-hermite:n` (also `gh:n`).
    pub fn parse(spec: &str) -> Result<ThetaPoints, LinkError> {
        let bad = |reason: &str| LinkError::BadThetaPoints {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let parts: Vec<&str> = spec.trim().split(':').map(|s| s.trim()).collect();
        let kind = parts
            .first()
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default();
        let int = |s: &str| {
            s.parse::<usize>()
                .map_err(|_| bad("n must be a positive integer"))
        };
        let pts = match (kind.as_str(), parts.len()) {
            ("uniform", 4) => {
                let f = |s: &str| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| bad("lo and hi must be numbers"))
                };
                ThetaPoints::Uniform {
                    lo: f(parts[1])?,
                    hi: f(parts[2])?,
                    n: int(parts[3])?,
                }
            }
            ("gauss-hermite" | "gh", 2) => ThetaPoints::GaussHermite { n: int(parts[1])? },
            _ => return Err(bad("expected uniform:lo:hi:n or gauss-hermite:n")),
        };
        pts.validate().map_err(|r| bad(&r))?;
        Ok(pts)
    }

    fn validate(&self) -> Result<(), String> {
        match *self {
            ThetaPoints::Uniform { lo, hi, n } => {
                if n < 2 {
                    return Err("a uniform grid needs at least 2 points".into());
                }
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    return Err("lo must be below hi".into());
                }
            }
            ThetaPoints::GaussHermite { n } => {
                if !(1..=200).contains(&n) {
                    return Err("the Gauss-Hermite rule needs 1 to 200 points".into());
                }
            }
        }
        Ok(())
    }

    /// The points (ascending) and their weights.
    pub fn nodes_weights(&self) -> Result<(Vec<f64>, Vec<f64>), LinkError> {
        self.validate()
            .map_err(|reason| LinkError::BadThetaPoints {
                spec: format!("{self:?}"),
                reason,
            })?;
        Ok(match *self {
            ThetaPoints::Uniform { lo, hi, n } => {
                let theta = (0..n)
                    .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
                    .collect();
                (theta, vec![1.0; n])
            }
            ThetaPoints::GaussHermite { n } => gauss_hermite_normal(n),
        })
    }

    /// The criterion's options with these points.
    pub fn curve_options(&self, symmetric: bool) -> Result<CurveOptions, LinkError> {
        let (theta, weights) = self.nodes_weights()?;
        Ok(CurveOptions {
            theta,
            weights,
            symmetric,
        })
    }
}

/// Linking constants: theta_old = a_slope * theta_new + b_intercept.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Link {
    pub method: LinkMethod,
    #[serde(rename = "A")]
    pub slope: f64,
    #[serde(rename = "B")]
    pub intercept: f64,
}

impl Link {
    pub const IDENTITY: Link = Link {
        method: LinkMethod::MeanSigma,
        slope: 1.0,
        intercept: 0.0,
    };
    /// A new-form item on the old scale: a / A, A b + B, c (K&B eqs. 6.4-6.6).
    pub fn transform<M: ItemModel>(&self, m: &M) -> M {
        m.rescaled(self.slope, self.intercept)
    }
    /// The inverse link (old onto new).
    pub fn inverse(&self) -> Link {
        Link {
            method: self.method,
            slope: 1.0 / self.slope,
            intercept: -self.intercept / self.slope,
        }
    }
}

fn mean(v: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = v.clone().count() as f64;
    v.sum::<f64>() / n
}

fn sd_pop(v: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = mean(v.clone());
    let n = v.clone().count() as f64;
    (v.map(|x| (x - m).powi(2)).sum::<f64>() / n).sqrt()
}

/// Links `new` onto `old` (the same common items, in the same order).
pub fn link<M: ItemModel>(
    new: &[M],
    old: &[M],
    method: LinkMethod,
    opts: &CurveOptions,
) -> Result<Link, LinkError> {
    if new.len() != old.len() || new.is_empty() {
        return Err(LinkError::CommonItems {
            new: new.len(),
            old: old.len(),
        });
    }
    let bn = new.iter().map(|m| m.difficulty());
    let bo = old.iter().map(|m| m.difficulty());
    let moment_b = |a: f64| mean(bo.clone()) - a * mean(bn.clone());
    let mm = {
        let a = mean(new.iter().map(|m| m.discrimination()))
            / mean(old.iter().map(|m| m.discrimination()));
        Link {
            method: LinkMethod::MeanMean,
            slope: a,
            intercept: moment_b(a),
        }
    };
    let ms = {
        let sdn = sd_pop(bn.clone());
        if sdn <= 0.0 {
            return Err(LinkError::NoSpread { form: "new".into() });
        }
        let a = sd_pop(bo.clone()) / sdn;
        Link {
            method: LinkMethod::MeanSigma,
            slope: a,
            intercept: moment_b(a),
        }
    };
    match method {
        LinkMethod::MeanMean => Ok(mm),
        LinkMethod::MeanGeometricMean => {
            // Mislevy & Bock (1990): A = (prod a_new / a_old)^(1/n)
            let a = mean(
                new.iter()
                    .zip(old)
                    .map(|(n, o)| (n.discrimination() / o.discrimination()).ln()),
            )
            .exp();
            Ok(Link {
                method,
                slope: a,
                intercept: moment_b(a),
            })
        }
        LinkMethod::MeanSigma => Ok(ms),
        LinkMethod::Haebara | LinkMethod::StockingLord => {
            let start = if ms.slope.is_finite() && ms.slope > 0.0 {
                ms
            } else {
                mm
            };
            let (a, b) = minimise(
                |a, b| residuals(new, old, a, b, method, opts),
                start.slope,
                start.intercept,
            )?;
            Ok(Link {
                method,
                slope: a,
                intercept: b,
            })
        }
    }
}

/// Residuals whose sum of squares is the criterion (K&B eqs. 6.13 Haebara, 6.16 Stocking-Lord).
fn residuals<M: ItemModel>(
    new: &[M],
    old: &[M],
    a: f64,
    b: f64,
    method: LinkMethod,
    opts: &CurveOptions,
) -> Vec<f64> {
    let fwd = Link {
        method,
        slope: a,
        intercept: b,
    };
    let new_on_old: Vec<M> = new.iter().map(|m| fwd.transform(m)).collect();
    let mut r = Vec::new();
    let mut push = |x: &[M], y: &[M]| {
        for (t, w) in opts.theta.iter().zip(&opts.weights) {
            let sw = w.sqrt();
            match method {
                LinkMethod::Haebara => {
                    for (p, q) in x.iter().zip(y) {
                        r.push(sw * (p.expected_score(*t) - q.expected_score(*t)));
                    }
                }
                _ => {
                    let (tx, ty) = (tcc(x, *t), tcc(y, *t));
                    r.push(sw * (tx - ty));
                }
            }
        }
    };
    push(old, &new_on_old);
    if opts.symmetric {
        let inv = fwd.inverse();
        let old_on_new: Vec<M> = old.iter().map(|m| inv.transform(m)).collect();
        push(new, &old_on_new);
    }
    r
}

/// Levenberg-Marquardt on a two-parameter least-squares problem with a central-difference
/// Jacobian; stops when the step is below 1e-12.
fn minimise<F: Fn(f64, f64) -> Vec<f64>>(f: F, a0: f64, b0: f64) -> Result<(f64, f64), LinkError> {
    let ss = |r: &[f64]| r.iter().map(|x| x * x).sum::<f64>();
    let (mut a, mut b) = (a0, b0);
    let mut r = f(a, b);
    let mut cost = ss(&r);
    let mut lambda = 1e-3;
    for _ in 0..500 {
        let h = 1e-6;
        let ra = (f(a + h, b), f(a - h, b));
        let rb = (f(a, b + h), f(a, b - h));
        let ja: Vec<f64> =
            ra.0.iter()
                .zip(&ra.1)
                .map(|(p, m)| (p - m) / (2.0 * h))
                .collect();
        let jb: Vec<f64> =
            rb.0.iter()
                .zip(&rb.1)
                .map(|(p, m)| (p - m) / (2.0 * h))
                .collect();
        let (mut aa, mut ab, mut bb, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for k in 0..r.len() {
            aa += ja[k] * ja[k];
            ab += ja[k] * jb[k];
            bb += jb[k] * jb[k];
            ga += ja[k] * r[k];
            gb += jb[k] * r[k];
        }
        let mut improved = false;
        for _ in 0..40 {
            let (m11, m22) = (aa * (1.0 + lambda), bb * (1.0 + lambda));
            let det = m11 * m22 - ab * ab;
            if det.abs() < 1e-300 {
                lambda *= 10.0;
                continue;
            }
            let da = -(m22 * ga - ab * gb) / det;
            let db = -(m11 * gb - ab * ga) / det;
            let (na, nb) = (a + da, b + db);
            if na <= 0.0 || !na.is_finite() || !nb.is_finite() {
                lambda *= 10.0;
                continue;
            }
            let nr = f(na, nb);
            let nc = ss(&nr);
            if nc <= cost {
                let small = da.abs() < 1e-12 && db.abs() < 1e-12;
                a = na;
                b = nb;
                r = nr;
                cost = nc;
                lambda = (lambda / 10.0).max(1e-12);
                improved = true;
                if small {
                    return Ok((a, b));
                }
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            return Ok((a, b));
        }
    }
    Ok((a, b))
}
