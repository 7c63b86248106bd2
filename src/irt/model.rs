//! Item response models behind one trait.
//!
//! Everything outside this file sees an item only through [`ItemModel`]:
//! - the EM engine and standard errors: category probabilities at a theta, and the log-likelihood
//!   of expected category counts over quadrature points with its gradient and Hessian in the
//!   model's own (free) parameters;
//! - test-level IRT ([`super::test_level`]: TCC, its slope and inverse, Lord-Wingersky, test
//!   information), scoring, fit, linking, scaling, readiness, the report's plots and the
//!   simulator: the expected item score, its slope and variance, the information, the lower
//!   asymptote, (a, b) and a linear rescaling of the theta scale.
//!
//! A new model (GRM, GPCM) is one more implementation of the trait and its tests.
//!
//! [`Logistic`] is the dichotomous 1PL/2PL/3PL in slope-intercept form (as mirt):
//! P(right | theta) = c + (1 - c) / (1 + exp(-(D a theta + d))), with b = -d / a, and the guessing
//! parameter estimated on the logit scale g = ln(c / (1 - c)), so the optimiser never hits a bound.

/// The models qbank estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// One-parameter logistic with the slope fixed (a = 1 by default); the latent SD is free.
    Rasch,
    #[serde(rename = "2pl")]
    TwoPL,
    #[serde(rename = "3pl")]
    ThreePL,
}

impl ModelKind {
    pub fn parse(s: &str) -> Option<ModelKind> {
        match s.to_ascii_lowercase().as_str() {
            "rasch" | "1pl" => Some(ModelKind::Rasch),
            "2pl" => Some(ModelKind::TwoPL),
            "3pl" => Some(ModelKind::ThreePL),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Rasch => "rasch",
            ModelKind::TwoPL => "2pl",
            ModelKind::ThreePL => "3pl",
        }
    }
}

/// Priors for Bayes modal estimation (all optional).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Priors {
    /// ln a ~ N(mean, sd): a lognormal prior on the slope.
    pub log_a: Option<(f64, f64)>,
    /// b ~ N(mean, sd).
    pub b: Option<(f64, f64)>,
    /// c ~ Beta(alpha, beta); the default for 3PL is Beta(5, 17) (BILOG-MG's).
    pub c: Option<(f64, f64)>,
}

impl Priors {
    pub const DEFAULT_C: (f64, f64) = (5.0, 17.0);
}

/// What the engine needs from an item model.
pub trait ItemModel: Send + Sync {
    /// Number of response categories (2 for right/wrong).
    fn n_categories(&self) -> usize;
    /// Probabilities of each category at `theta`, written into `out` (length `n_categories`).
    fn probs(&self, theta: f64, out: &mut [f64]);
    /// The free parameters, in the internal parameterisation the optimiser works in.
    fn free_params(&self) -> Vec<f64>;
    fn set_free_params(&mut self, p: &[f64]);
    /// Log-likelihood of expected counts `counts[k][q]` of category k at quadrature point
    /// `theta[q]`, plus the log prior; its gradient and Hessian (row-major, n x n) in the free
    /// parameters are written into `grad` and `hess`.
    fn log_lik(&self, theta: &[f64], counts: &[&[f64]], grad: &mut [f64], hess: &mut [f64]) -> f64;
    /// Per-quadrature-point score of one category: d ln P_k(theta) / d free params.
    fn score(&self, theta: f64, category: usize, out: &mut [f64]);

    /// Expected item score at theta, sum_k k P_k(theta) (P(right) for a right/wrong item).
    fn expected_score(&self, theta: f64) -> f64;
    /// Slope of the expected item score in theta (summed over items: the TCC's slope).
    fn expected_score_slope(&self, theta: f64) -> f64;
    /// [`Self::expected_score`] and [`Self::expected_score_slope`] together (one pass where the
    /// model can share the work).
    fn expected_score_and_slope(&self, theta: f64) -> (f64, f64) {
        (self.expected_score(theta), self.expected_score_slope(theta))
    }
    /// Variance of the item score at theta (P Q for a right/wrong item; Lord 1980, eq. 4-3).
    fn score_variance(&self, theta: f64) -> f64;
    /// Fisher information of the item at theta.
    fn information(&self, theta: f64) -> f64;
    /// P(right) of a right/wrong item with its first three theta-derivatives, for theta
    /// estimation ([`super::theta`]) and person fit. The default takes P and P' from the expected
    /// score and its slope and P'', P''' by central differences of the slope (h = 1e-4); a model
    /// with closed forms overrides it.
    fn curve(&self, theta: f64) -> Curve {
        let h = 1e-4;
        let p = self.expected_score(theta);
        let slope = |t: f64| self.expected_score_slope(t);
        let mid = slope(theta);
        Curve {
            p,
            q: 1.0 - p,
            dp: mid,
            d2p: (slope(theta + h) - slope(theta - h)) / (2.0 * h),
            d3p: (slope(theta + 2.0 * h) - 2.0 * mid + slope(theta - 2.0 * h)) / (4.0 * h * h),
        }
    }
    /// One right/wrong response's terms of the likelihood score at theta: (x - P) P'/(PQ), its
    /// theta-derivative, and the item information P'^2/(PQ). The default is from [`Self::curve`].
    fn score_terms(&self, theta: f64, right: bool) -> ScoreTerms {
        let e = self.curve(theta);
        let inv_pq = 1.0 / (e.p * e.q);
        let r = e.dp * inv_pq;
        let dr = (e.d2p - r * e.dp * (e.q - e.p)) * inv_pq;
        let resid = f64::from(u8::from(right)) - e.p;
        ScoreTerms {
            score: resid * r,
            dscore: -e.dp * r + resid * dr,
            info: e.dp * r,
        }
    }
    /// Highest item score (1 for right/wrong).
    fn max_score(&self) -> usize {
        self.n_categories() - 1
    }
    /// Expected score as theta goes to minus infinity (c for a 3PL item).
    fn lower_asymptote(&self) -> f64;
    /// Slope a in the IRT metric (for moment linking methods and reports).
    fn discrimination(&self) -> f64;
    /// Location b in the IRT metric (for moment linking methods and reports).
    fn difficulty(&self) -> f64;
    /// The item after the linear change of scale theta* = slope theta + intercept
    /// (Kolen & Brennan 2014, eqs. 6.4-6.6: a* = a / A, b* = A b + B).
    fn rescaled(&self, slope: f64, intercept: f64) -> Self
    where
        Self: Sized;
}

/// P(right) of a right/wrong item at one theta and its theta-derivatives ([`ItemModel::curve`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curve {
    /// P(right).
    pub p: f64,
    /// Q = 1 - P, computed without cancellation where the model allows.
    pub q: f64,
    /// dP/dtheta.
    pub dp: f64,
    /// d2P/dtheta2.
    pub d2p: f64,
    /// d3P/dtheta3.
    pub d3p: f64,
}

/// One response's terms of the likelihood score ([`ItemModel::score_terms`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreTerms {
    /// d ln P(x) / dtheta.
    pub score: f64,
    /// Its theta-derivative.
    pub dscore: f64,
    /// Item information P'^2/(PQ).
    pub info: f64,
}

/// Logistic function and its complement, each without cancellation: (psi, 1 - psi).
#[inline]
pub fn logistic_pair(z: f64) -> (f64, f64) {
    let e = (-z.abs()).exp();
    let big = 1.0 / (1.0 + e);
    let small = e / (1.0 + e);
    if z >= 0.0 {
        (big, small)
    } else {
        (small, big)
    }
}

/// Dichotomous logistic item: Rasch (slope fixed), 2PL or 3PL (or 2PL/3PL with a fixed slope).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Logistic {
    pub kind: ModelKind,
    /// Slope a (in the D-metric: the logit is D a theta + d).
    pub a: f64,
    /// Intercept d = -D a b.
    pub d: f64,
    /// Lower asymptote c (0 unless 3PL).
    pub c: f64,
    /// Scaling constant D: 1 (logistic metric, default) or 1.702 (normal metric).
    pub scale_d: f64,
    pub priors: Priors,
}

/// Derivatives of P with respect to (z, g) where z = D a theta + d and c = logistic(g).
struct Pd {
    p: f64,
    pz: f64,
    pzz: f64,
    pg: f64,
    pzg: f64,
    pgg: f64,
}

fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Keeps probabilities away from 0 and 1 so that logs stay finite.
pub const P_EPS: f64 = 1e-12;

impl Logistic {
    pub fn new(kind: ModelKind, a: f64, b: f64, c: f64, scale_d: f64) -> Logistic {
        let c = if kind == ModelKind::ThreePL { c } else { 0.0 };
        Logistic {
            kind,
            a,
            d: -scale_d * a * b,
            c,
            scale_d,
            priors: Priors::default(),
        }
    }
    /// A calibrated item from its (a, b, c): 3PL when c > 0, else 2PL.
    pub fn from_abc(a: f64, b: f64, c: f64, scale_d: f64) -> Logistic {
        let kind = if c > 0.0 {
            ModelKind::ThreePL
        } else {
            ModelKind::TwoPL
        };
        Logistic::new(kind, a, b, c, scale_d)
    }
    /// Difficulty b = -d / (D a).
    pub fn b(&self) -> f64 {
        -self.d / (self.scale_d * self.a)
    }
    pub fn p(&self, theta: f64) -> f64 {
        let psi = logistic(self.scale_d * self.a * theta + self.d);
        (self.c + (1.0 - self.c) * psi).clamp(P_EPS, 1.0 - P_EPS)
    }
    /// Fisher information of the item at theta: (dP/dtheta)^2 / (P (1 - P)).
    pub fn information(&self, theta: f64) -> f64 {
        let psi = logistic(self.scale_d * self.a * theta + self.d);
        let p = self.p(theta);
        let dp = (1.0 - self.c) * psi * (1.0 - psi) * self.scale_d * self.a;
        dp * dp / (p * (1.0 - p))
    }
    fn n_free(&self) -> usize {
        match self.kind {
            ModelKind::Rasch => 1,
            ModelKind::TwoPL => 2,
            ModelKind::ThreePL => 3,
        }
    }
    fn derivs(&self, theta: f64) -> Pd {
        let psi = logistic(self.scale_d * self.a * theta + self.d);
        let c = self.c;
        let s = psi * (1.0 - psi);
        let cc = c * (1.0 - c);
        Pd {
            p: (c + (1.0 - c) * psi).clamp(P_EPS, 1.0 - P_EPS),
            pz: (1.0 - c) * s,
            pzz: (1.0 - c) * s * (1.0 - 2.0 * psi),
            pg: (1.0 - psi) * cc,
            pzg: -s * cc,
            pgg: (1.0 - psi) * cc * (1.0 - 2.0 * c),
        }
    }
    /// Chain rule from (z, g) to the free parameters: returns dP/dparam and d2P/dparam2.
    fn param_derivs(&self, theta: f64, dp: &mut [f64; 3], d2p: &mut [[f64; 3]; 3]) -> f64 {
        let t = self.scale_d * theta;
        let pd = self.derivs(theta);
        match self.kind {
            ModelKind::Rasch => {
                dp[0] = pd.pz;
                d2p[0][0] = pd.pzz;
            }
            ModelKind::TwoPL | ModelKind::ThreePL => {
                // params: a (dz/da = D theta), d (dz/dd = 1), g
                dp[0] = pd.pz * t;
                dp[1] = pd.pz;
                d2p[0][0] = pd.pzz * t * t;
                d2p[0][1] = pd.pzz * t;
                d2p[1][1] = pd.pzz;
                if self.kind == ModelKind::ThreePL {
                    dp[2] = pd.pg;
                    d2p[0][2] = pd.pzg * t;
                    d2p[1][2] = pd.pzg;
                    d2p[2][2] = pd.pgg;
                }
            }
        }
        pd.p
    }

    /// Adds the log prior and its derivatives (free parameterisation) to ll, grad, hess.
    fn add_prior(&self, grad: &mut [f64], hess: &mut [f64]) -> f64 {
        let n = self.n_free();
        let mut lp = 0.0;
        if self.kind == ModelKind::Rasch {
            return lp;
        }
        let (a, d) = (self.a, self.d);
        if let Some((mu, sd)) = self.priors.log_a {
            if a > 0.0 {
                let la = a.ln();
                let v = sd * sd;
                lp += -la - (la - mu).powi(2) / (2.0 * v);
                grad[0] += -1.0 / a - (la - mu) / (v * a);
                hess[0] += 1.0 / (a * a) - (1.0 - (la - mu)) / (v * a * a);
            }
        }
        if let Some((mu, sd)) = self.priors.b {
            // b = -d / (D a): chain rule through (a, d).
            let dd = self.scale_d;
            let b = -d / (dd * a);
            let v = sd * sd;
            let f1 = -(b - mu) / v;
            let f2 = -1.0 / v;
            let ba = d / (dd * a * a);
            let bd = -1.0 / (dd * a);
            let baa = -2.0 * d / (dd * a * a * a);
            let bad = 1.0 / (dd * a * a);
            lp += -(b - mu).powi(2) / (2.0 * v);
            grad[0] += f1 * ba;
            grad[1] += f1 * bd;
            hess[0] += f2 * ba * ba + f1 * baa;
            hess[1] += f2 * ba * bd + f1 * bad;
            hess[n] += f2 * ba * bd + f1 * bad;
            hess[n + 1] += f2 * bd * bd;
        }
        if let (ModelKind::ThreePL, Some((al, be))) = (self.kind, self.priors.c) {
            // Mode on the c scale: no Jacobian term (maximisation is invariant to the reparameterisation).
            let c = self.c.clamp(P_EPS, 1.0 - P_EPS);
            lp += (al - 1.0) * c.ln() + (be - 1.0) * (1.0 - c).ln();
            grad[2] += (al - 1.0) * (1.0 - c) - (be - 1.0) * c;
            hess[2 * n + 2] += -(al - 1.0 + be - 1.0) * c * (1.0 - c);
        }
        lp
    }
}

impl ItemModel for Logistic {
    fn n_categories(&self) -> usize {
        2
    }

    fn probs(&self, theta: f64, out: &mut [f64]) {
        let p = self.p(theta);
        out[0] = 1.0 - p;
        out[1] = p;
    }

    fn free_params(&self) -> Vec<f64> {
        match self.kind {
            ModelKind::Rasch => vec![self.d],
            ModelKind::TwoPL => vec![self.a, self.d],
            ModelKind::ThreePL => {
                let c = self.c.clamp(1e-6, 1.0 - 1e-6);
                vec![self.a, self.d, (c / (1.0 - c)).ln()]
            }
        }
    }

    fn set_free_params(&mut self, p: &[f64]) {
        match self.kind {
            ModelKind::Rasch => self.d = p[0],
            ModelKind::TwoPL => {
                self.a = p[0];
                self.d = p[1];
            }
            ModelKind::ThreePL => {
                self.a = p[0];
                self.d = p[1];
                self.c = logistic(p[2]);
            }
        }
    }

    fn log_lik(&self, theta: &[f64], counts: &[&[f64]], grad: &mut [f64], hess: &mut [f64]) -> f64 {
        let n = self.n_free();
        grad[..n].iter_mut().for_each(|g| *g = 0.0);
        hess[..n * n].iter_mut().for_each(|h| *h = 0.0);
        let mut ll = 0.0;
        let mut dp = [0.0; 3];
        let mut d2p = [[0.0; 3]; 3];
        for (q, &t) in theta.iter().enumerate() {
            let (r0, r1) = (counts[0][q], counts[1][q]);
            if r0 == 0.0 && r1 == 0.0 {
                continue;
            }
            let p = self.param_derivs(t, &mut dp, &mut d2p);
            ll += r1 * p.ln() + r0 * (1.0 - p).ln();
            // d ll / dP and d2 ll / dP2 of the binomial kernel.
            let l1 = r1 / p - r0 / (1.0 - p);
            let l2 = -r1 / (p * p) - r0 / ((1.0 - p) * (1.0 - p));
            for u in 0..n {
                grad[u] += l1 * dp[u];
                for v in u..n {
                    hess[u * n + v] += l2 * dp[u] * dp[v] + l1 * d2p[u][v];
                }
            }
        }
        for u in 0..n {
            for v in 0..u {
                hess[u * n + v] = hess[v * n + u];
            }
        }
        ll + self.add_prior(grad, hess)
    }

    fn score(&self, theta: f64, category: usize, out: &mut [f64]) {
        let mut dp = [0.0; 3];
        let mut d2p = [[0.0; 3]; 3];
        let p = self.param_derivs(theta, &mut dp, &mut d2p);
        let f = if category == 1 {
            1.0 / p
        } else {
            -1.0 / (1.0 - p)
        };
        for u in 0..self.n_free() {
            out[u] = f * dp[u];
        }
    }

    fn expected_score(&self, theta: f64) -> f64 {
        self.p(theta)
    }

    fn expected_score_slope(&self, theta: f64) -> f64 {
        let psi = 1.0 / (1.0 + (-(self.scale_d * self.a * theta + self.d)).exp());
        (1.0 - self.c) * psi * (1.0 - psi) * self.scale_d * self.a
    }

    fn expected_score_and_slope(&self, theta: f64) -> (f64, f64) {
        let psi = logistic(self.scale_d * self.a * theta + self.d);
        let p = (self.c + (1.0 - self.c) * psi).clamp(P_EPS, 1.0 - P_EPS);
        (
            p,
            (1.0 - self.c) * psi * (1.0 - psi) * self.scale_d * self.a,
        )
    }

    fn score_variance(&self, theta: f64) -> f64 {
        self.p(theta) * (1.0 - self.p(theta))
    }

    fn information(&self, theta: f64) -> f64 {
        Logistic::information(self, theta)
    }

    /// Unclamped, in the IRT metric: with alpha = D a, psi = logistic(alpha (theta - b)),
    /// P = c + (1 - c) psi, P' = (1 - c) alpha psi (1 - psi), P'' = P' alpha (1 - 2 psi),
    /// P''' = P' alpha^2 (1 - 6 psi + 6 psi^2) (Birnbaum 1968).
    #[inline]
    fn curve(&self, theta: f64) -> Curve {
        let al = self.scale_d * self.a;
        let (psi, psi_c) = logistic_pair(al * (theta - self.b()));
        let one_c = 1.0 - self.c;
        let dp = one_c * al * psi * psi_c;
        Curve {
            p: self.c + one_c * psi,
            q: one_c * psi_c,
            dp,
            d2p: dp * al * (psi_c - psi),
            d3p: dp * al * al * (1.0 - 6.0 * psi * psi_c),
        }
    }

    /// In the 3PL's short forms (one exp and three divisions): r = P'/(PQ) = alpha psi / P,
    /// dr/dtheta = alpha^2 c psi (1 - psi) / P^2 and P' r = (1 - c) alpha^2 psi^2 (1 - psi) / P.
    #[inline]
    fn score_terms(&self, theta: f64, right: bool) -> ScoreTerms {
        let (al, c) = (self.scale_d * self.a, self.c);
        let (psi, psi_c) = logistic_pair(al * (theta - self.b()));
        let p = c + (1.0 - c) * psi;
        let inv_p = 1.0 / p;
        let r = al * psi * inv_p;
        let dp = (1.0 - c) * al * psi * psi_c;
        let dr = al * al * c * psi * psi_c * inv_p * inv_p;
        let resid = f64::from(u8::from(right)) - p;
        ScoreTerms {
            score: resid * r,
            dscore: -dp * r + resid * dr,
            info: dp * r,
        }
    }

    fn lower_asymptote(&self) -> f64 {
        self.c
    }

    fn discrimination(&self) -> f64 {
        self.a
    }

    fn difficulty(&self) -> f64 {
        self.b()
    }

    fn rescaled(&self, slope: f64, intercept: f64) -> Logistic {
        let mut t = Logistic::new(
            self.kind,
            self.a / slope,
            slope * self.b() + intercept,
            self.c,
            self.scale_d,
        );
        t.priors = self.priors;
        t
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
