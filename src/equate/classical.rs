//! Classical equating (Kolen & Brennan 2014, chs. 2-5) for random-groups and NEAT designs: one
//! front door ([`equate`]) dispatching on [`Method`], one result type ([`Conversion`]), so that
//! printing, bootstrapping and the CLI never special-case a method.
//!
//! Moments use population (divide-by-n) variances and covariances, as Kolen & Brennan.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::equipercentile::{equipercentile, inverse_percentile, percentile_rank_continuous};

/// Why a classical equating cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EquateError {
    #[error("this method needs anchor scores (a NEAT design)")]
    NoAnchor,
    #[error("both forms need examinees")]
    NoExaminees,
    #[error("log-linear presmoothing did not converge")]
    SmoothingFailed,
    #[error("singular log-linear fit")]
    SingularLoglinear,
}

/// Scores of one form's examinees: the total and, for NEAT designs, the anchor score.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub total: Vec<u32>,
    pub anchor: Option<Vec<u32>>,
    /// Highest possible total and anchor scores.
    pub max_total: usize,
    pub max_anchor: usize,
}

impl Sample {
    /// Examinees from a frequency table of total scores 0..len-1.
    pub fn from_frequencies(freq: &[u64]) -> Sample {
        let total = freq
            .iter()
            .enumerate()
            .flat_map(|(x, &n)| std::iter::repeat_n(x as u32, n as usize))
            .collect();
        Sample {
            total,
            anchor: None,
            max_total: freq.len().saturating_sub(1),
            max_anchor: 0,
        }
    }
    fn n(&self) -> f64 {
        self.total.len() as f64
    }
    /// Relative frequencies of the totals 0..=max_total.
    pub fn distribution(&self) -> Vec<f64> {
        rel_freq(&self.total, self.max_total)
    }
    fn anchor(&self) -> Result<&[u32], EquateError> {
        self.anchor.as_deref().ok_or(EquateError::NoAnchor)
    }
}

fn rel_freq(scores: &[u32], max: usize) -> Vec<f64> {
    let mut f = vec![0.0; max + 1];
    for &s in scores {
        f[(s as usize).min(max)] += 1.0;
    }
    let n = scores.len().max(1) as f64;
    f.iter().map(|c| c / n).collect()
}

fn mean(v: &[u32]) -> f64 {
    v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64
}

/// Population covariance.
fn cov(a: &[u32], b: &[u32]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - ma) * (y as f64 - mb))
        .sum::<f64>()
        / a.len() as f64
}

/// Equating methods.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Mean,
    Linear,
    /// Equipercentile; with log-linear presmoothing of both distributions when `smooth` is set
    /// (degree C, or 0 = chosen by AIC among 1..=10).
    Equipercentile {
        smooth: Option<usize>,
    },
    Tucker,
    /// Levine observed-score; `internal` anchor (its items count in the total) or external.
    LevineObserved {
        internal: bool,
    },
    LevineTrue {
        internal: bool,
    },
    ChainedLinear,
    ChainedEquipercentile,
    FrequencyEstimation,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s.to_ascii_lowercase().as_str() {
            "mean" => Method::Mean,
            "linear" => Method::Linear,
            "equipercentile" => Method::Equipercentile { smooth: None },
            "tucker" => Method::Tucker,
            "levine" => Method::LevineObserved { internal: true },
            "levine-external" => Method::LevineObserved { internal: false },
            "levine-true" => Method::LevineTrue { internal: true },
            "chained" | "chained-linear" => Method::ChainedLinear,
            "chained-equipercentile" => Method::ChainedEquipercentile,
            "freq-est" | "frequency-estimation" => Method::FrequencyEstimation,
            _ => return None,
        })
    }
    pub fn name(&self) -> String {
        match self {
            Method::Mean => "mean".into(),
            Method::Linear => "linear".into(),
            Method::Equipercentile { smooth: None } => "equipercentile".into(),
            Method::Equipercentile { smooth: Some(c) } => format!(
                "equipercentile (log-linear presmoothing, degree {})",
                if *c == 0 {
                    "by AIC".to_string()
                } else {
                    c.to_string()
                }
            ),
            Method::Tucker => "tucker".into(),
            Method::LevineObserved { internal } => format!(
                "levine observed-score ({} anchor)",
                if *internal { "internal" } else { "external" }
            ),
            Method::LevineTrue { internal } => format!(
                "levine true-score ({} anchor)",
                if *internal { "internal" } else { "external" }
            ),
            Method::ChainedLinear => "chained linear".into(),
            Method::ChainedEquipercentile => "chained equipercentile".into(),
            Method::FrequencyEstimation => "frequency estimation".into(),
        }
    }
}

/// The result of any method: Y equivalents of every X score 0..=max, the linear slope and
/// intercept where the method is linear, and bootstrap SEs when computed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Conversion {
    pub method: String,
    pub equivalents: Vec<f64>,
    pub slope: Option<f64>,
    pub intercept: Option<f64>,
    pub se: Option<Vec<f64>>,
    /// Degrees of log-linear presmoothing used (X, Y), when presmoothed.
    pub smoothing_degrees: Option<(usize, usize)>,
}

impl Conversion {
    fn linear(method: &Method, slope: f64, intercept: f64, max_x: usize) -> Conversion {
        Conversion {
            method: method.name(),
            equivalents: (0..=max_x).map(|x| slope * x as f64 + intercept).collect(),
            slope: Some(slope),
            intercept: Some(intercept),
            se: None,
            smoothing_degrees: None,
        }
    }
    fn table(method: &Method, equivalents: Vec<f64>) -> Conversion {
        Conversion {
            method: method.name(),
            equivalents,
            slope: None,
            intercept: None,
            se: None,
            smoothing_degrees: None,
        }
    }
}

/// Synthetic-population moments of X and Y for a NEAT linear method with weights w1, w2 and
/// the method's gammas (K&B eqs. 4.17-4.20).
fn synthetic_linear(
    x: &Sample,
    y: &Sample,
    g1: f64,
    g2: f64,
    w1: f64,
) -> Result<(f64, f64), EquateError> {
    let (v1, v2) = (x.anchor()?, y.anchor()?);
    let w2 = 1.0 - w1;
    let dm = mean(v1) - mean(v2);
    let dv = cov(v1, v1) - cov(v2, v2);
    let mx = mean(&x.total) - w2 * g1 * dm;
    let my = mean(&y.total) + w1 * g2 * dm;
    let vx = cov(&x.total, &x.total) - w2 * g1 * g1 * dv + w1 * w2 * g1 * g1 * dm * dm;
    let vy = cov(&y.total, &y.total) + w1 * g2 * g2 * dv + w1 * w2 * g2 * g2 * dm * dm;
    let slope = (vy / vx).sqrt();
    Ok((slope, my - slope * mx))
}

/// Levine's gammas (K&B eqs. 4.58-4.59 internal, 4.62-4.63 external anchor).
fn levine_gammas(x: &Sample, y: &Sample, internal: bool) -> Result<(f64, f64), EquateError> {
    let (v1, v2) = (x.anchor()?, y.anchor()?);
    let g = |t: &[u32], v: &[u32]| {
        if internal {
            cov(t, t) / cov(t, v)
        } else {
            (cov(t, t) + cov(t, v)) / (cov(v, v) + cov(t, v))
        }
    };
    Ok((g(&x.total, v1), g(&y.total, v2)))
}

/// Equates new form X (sample `x`) to old form Y (sample `y`); `w1` is the synthetic weight of
/// X's population for NEAT methods (K&B's default 0.5 is common; 1 = X's population).
pub fn equate(x: &Sample, y: &Sample, method: Method, w1: f64) -> Result<Conversion, EquateError> {
    if x.total.is_empty() || y.total.is_empty() {
        return Err(EquateError::NoExaminees);
    }
    let sd = |s: &[u32]| cov(s, s).sqrt();
    Ok(match method {
        Method::Mean => {
            Conversion::linear(&method, 1.0, mean(&y.total) - mean(&x.total), x.max_total)
        }
        Method::Linear => {
            let slope = sd(&y.total) / sd(&x.total);
            Conversion::linear(
                &method,
                slope,
                mean(&y.total) - slope * mean(&x.total),
                x.max_total,
            )
        }
        Method::Equipercentile { smooth: None } => Conversion::table(
            &method,
            equipercentile(&x.distribution(), &y.distribution()),
        ),
        Method::Equipercentile { smooth: Some(c) } => {
            let (fx, cx) = loglinear_smooth(&x.distribution(), x.n(), c)?;
            let (gy, cy) = loglinear_smooth(&y.distribution(), y.n(), c)?;
            let mut conv = Conversion::table(&method, equipercentile(&fx, &gy));
            conv.smoothing_degrees = Some((cx, cy));
            conv
        }
        Method::Tucker => {
            let (v1, v2) = (x.anchor()?, y.anchor()?);
            let g1 = cov(&x.total, v1) / cov(v1, v1);
            let g2 = cov(&y.total, v2) / cov(v2, v2);
            let (s, i) = synthetic_linear(x, y, g1, g2, w1)?;
            Conversion::linear(&method, s, i, x.max_total)
        }
        Method::LevineObserved { internal } => {
            let (g1, g2) = levine_gammas(x, y, internal)?;
            let (s, i) = synthetic_linear(x, y, g1, g2, w1)?;
            Conversion::linear(&method, s, i, x.max_total)
        }
        Method::LevineTrue { internal } => {
            // l(x) = (g2/g1) [x - mu1(X)] + mu2(Y) + g2 [mu1(V) - mu2(V)] (K&B eq. 4.67).
            let (g1, g2) = levine_gammas(x, y, internal)?;
            let (v1, v2) = (x.anchor()?, y.anchor()?);
            let slope = g2 / g1;
            let intercept = mean(&y.total) + g2 * (mean(v1) - mean(v2)) - slope * mean(&x.total);
            Conversion::linear(&method, slope, intercept, x.max_total)
        }
        Method::ChainedLinear => {
            // X -> V in population 1, V -> Y in population 2 (K&B eq. 4.75).
            let (v1, v2) = (x.anchor()?, y.anchor()?);
            let s1 = sd(v1) / sd(&x.total);
            let s2 = sd(&y.total) / sd(v2);
            let slope = s1 * s2;
            let intercept = mean(&y.total) + s2 * (mean(v1) - s1 * mean(&x.total) - mean(v2));
            Conversion::linear(&method, slope, intercept, x.max_total)
        }
        Method::ChainedEquipercentile => {
            let (v1, v2) = (x.anchor()?, y.anchor()?);
            let (h1, h2) = (
                rel_freq(v1, x.max_anchor),
                rel_freq(v2, y.max_anchor.max(x.max_anchor)),
            );
            let to_v = equipercentile(&x.distribution(), &h1);
            let gy = y.distribution();
            Conversion::table(
                &method,
                to_v.iter()
                    .map(|&v| inverse_percentile(&gy, percentile_rank_continuous(&h2, v)))
                    .collect(),
            )
        }
        Method::FrequencyEstimation => {
            let (fs, gs) = frequency_estimation(x, y, w1)?;
            Conversion::table(&method, equipercentile(&fs, &gs))
        }
    })
}

/// Synthetic-population distributions of X and Y under the frequency-estimation assumption
/// (K&B eqs. 5.1-5.10): the conditional distributions of total given anchor are the same in both
/// populations. Anchor scores seen in one population only carry no conditional information and
/// are dropped (the synthetic distributions are renormalised).
pub fn frequency_estimation(
    x: &Sample,
    y: &Sample,
    w1: f64,
) -> Result<(Vec<f64>, Vec<f64>), EquateError> {
    let (v1, v2) = (x.anchor()?, y.anchor()?);
    let kv = x.max_anchor.max(y.max_anchor);
    let (h1, h2) = (rel_freq(v1, kv), rel_freq(v2, kv));
    let joint = |t: &[u32], v: &[u32], kt: usize| {
        let mut j = vec![vec![0.0; kt + 1]; kv + 1];
        for (&a, &b) in t.iter().zip(v) {
            j[b as usize][a as usize] += 1.0 / t.len() as f64;
        }
        j
    };
    let (j1, j2) = (
        joint(&x.total, v1, x.max_total),
        joint(&y.total, v2, y.max_total),
    );
    let w2 = 1.0 - w1;
    let mut fs = vec![0.0; x.max_total + 1];
    let mut gs = vec![0.0; y.max_total + 1];
    for v in 0..=kv {
        for (xs, f) in fs.iter_mut().enumerate() {
            if h1[v] > 0.0 {
                *f += w1 * j1[v][xs] + w2 * j1[v][xs] / h1[v] * h2[v];
            }
        }
        for (ys, g) in gs.iter_mut().enumerate() {
            if h2[v] > 0.0 {
                *g += w2 * j2[v][ys] + w1 * j2[v][ys] / h2[v] * h1[v];
            }
        }
    }
    let (sf, sg): (f64, f64) = (fs.iter().sum(), gs.iter().sum());
    Ok((
        fs.iter().map(|v| v / sf).collect(),
        gs.iter().map(|v| v / sg).collect(),
    ))
}

/// Log-linear presmoothing (Holland & Thayer 2000): fits log(n p_x) = b0 + sum_k b_k u^k, k = 1..C,
/// to the counts by Newton-Raphson (Poisson likelihood), with u the standardised score; the
/// fit keeps the first C moments. `degree` 0 chooses C in 1..=10 by AIC. Returns the smoothed
/// relative frequencies and the degree used.
pub fn loglinear_smooth(
    rel: &[f64],
    n: f64,
    degree: usize,
) -> Result<(Vec<f64>, usize), EquateError> {
    if degree > 0 {
        return fit_loglinear(rel, n, degree).map(|(p, _)| (p, degree));
    }
    let mut best: Option<(Vec<f64>, usize, f64)> = None;
    for c in 1..=10.min(rel.len().saturating_sub(1)).max(1) {
        if let Ok((p, ll)) = fit_loglinear(rel, n, c) {
            let aic = -2.0 * ll + 2.0 * (c as f64 + 1.0);
            if best.as_ref().is_none_or(|b| aic < b.2) {
                best = Some((p, c, aic));
            }
        }
    }
    best.map(|(p, c, _)| (p, c))
        .ok_or(EquateError::SmoothingFailed)
}

/// The degree-c polynomial log-linear fit of the counts n rel (the model of kernel equating's
/// presmoothing, [`super::kernel::loglinear_fit`]): smoothed relative frequencies and the
/// multinomial log-likelihood.
fn fit_loglinear(rel: &[f64], n: f64, c: usize) -> Result<(Vec<f64>, f64), EquateError> {
    let counts: Vec<f64> = rel.iter().map(|r| r * n).collect();
    let fit = super::kernel::loglinear_fit(&counts, c).map_err(|e| match e {
        super::kernel::KernelError::NotConverged { .. } => EquateError::SmoothingFailed,
        _ => EquateError::SingularLoglinear,
    })?;
    Ok((fit.fitted, fit.log_likelihood))
}

/// Bootstrap standard errors of the equivalents: examinees resampled with replacement within
/// each form, `reps` times, from a seeded ChaCha8 stream (same seed, same SEs).
pub fn bootstrap_se(
    x: &Sample,
    y: &Sample,
    method: Method,
    w1: f64,
    reps: usize,
    seed: u64,
) -> Result<Vec<f64>, EquateError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let resample = |s: &Sample, rng: &mut ChaCha8Rng| {
        let idx: Vec<usize> = (0..s.total.len())
            .map(|_| rng.gen_range(0..s.total.len()))
            .collect();
        Sample {
            total: idx.iter().map(|&i| s.total[i]).collect(),
            anchor: s
                .anchor
                .as_ref()
                .map(|a| idx.iter().map(|&i| a[i]).collect()),
            ..s.clone()
        }
    };
    let k = x.max_total + 1;
    let (mut sum, mut sum2) = (vec![0.0; k], vec![0.0; k]);
    for _ in 0..reps {
        let (bx, by) = (resample(x, &mut rng), resample(y, &mut rng));
        let e = equate(&bx, &by, method, w1)?.equivalents;
        for i in 0..k {
            sum[i] += e[i];
            sum2[i] += e[i] * e[i];
        }
    }
    let r = reps as f64;
    Ok((0..k)
        .map(|i| {
            ((sum2[i] - sum[i] * sum[i] / r) / (r - 1.0))
                .max(0.0)
                .sqrt()
        })
        .collect())
}
