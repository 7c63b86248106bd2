//! IRT: item models behind one trait ([`model`]) and the test-level functions generic over it
//! ([`test_level`]: TCC, its slope and inverse, Lord-Wingersky, information); calibration by
//! MML-EM ([`em`]) with standard errors ([`se`]); person scoring ([`scoring`]), one attempt's ML, WLE or MAP theta ([`theta`]) and item fit
//! ([`fit`]); joint maximum likelihood Rasch measurement with Winsteps' fit statistics ([`jmle`]);
//! van der Linden's lognormal response-time model and its flags ([`response_time`]); the wrappers that turn a data set or plain responses into item-parameter estimates
//! ([`workflow`]); the calibrated forms every later stage reads ([`forms`]) and the calibration's
//! summary ([`summary`]).

pub mod cohort_se;
pub mod data;
pub mod em;
pub mod fit;
pub mod forms;
pub mod jmle;
pub mod model;
pub mod quadrature;
pub mod response_time;
pub mod scoring;
pub mod se;
pub mod summary;
pub mod test_level;
pub mod theta;
mod theta_grid;
pub mod workflow;
pub mod xpd;

pub use data::Responses;
pub use em::{calibrate, Calibration, EmOptions, Termination};
pub use forms::{CalibratedForm, CalibratedForms};
pub use model::{Curve, ItemModel, Logistic, ModelKind, Priors, ScoreTerms};
pub use se::{covariance, Covariance, SeMethod};
pub use summary::CalibrationSummary;

/// Thresholds for item warnings.
pub const A_LOW: f64 = 0.1;
pub const A_HIGH: f64 = 4.0;
/// Fewer responses than this (weighted) make an item's estimates unreliable.
pub const MIN_RESPONSES: f64 = 100.0;

/// One item's estimates in the IRT metric (a, b, c) and slope-intercept (a, d, c), with SEs.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemEstimate {
    pub item_id: String,
    pub model: ModelKind,
    pub fixed: bool,
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub d: f64,
    pub se_a: Option<f64>,
    pub se_b: Option<f64>,
    pub se_c: Option<f64>,
    pub se_d: Option<f64>,
    /// Responses to the item (weighted).
    pub n: f64,
    /// S-X2 and infit/outfit, once computed ([`attach_fit`]).
    pub fit: Option<fit::ItemFit>,
    pub flags: Vec<String>,
}

/// Significance level below which S-X2 flags an item as misfitting.
pub const FIT_ALPHA: f64 = 0.01;

/// Adds item fit to the estimates, flagging items whose S-X2 p-value is below [`FIT_ALPHA`].
pub fn attach_fit(estimates: &mut [ItemEstimate], fits: Vec<fit::ItemFit>) {
    for (e, f) in estimates.iter_mut().zip(fits) {
        if f.p_value < FIT_ALPHA {
            e.flags.push(format!(
                "misfit: S-X2 = {:.1} on {} df, p = {:.4}",
                f.s_x2, f.df, f.p_value
            ));
        }
        e.fit = Some(f);
    }
}

/// Starting values: d from the logit of the proportion right (adjusted for guessing), a = 1.
pub fn starting_items(
    data: &Responses,
    kinds: &[ModelKind],
    scale_d: f64,
    priors: Priors,
) -> Vec<Logistic> {
    let (n, right) = counts(data);
    kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| {
            let c = if kind == ModelKind::ThreePL { 0.2 } else { 0.0 };
            let p = ((right[i] + 0.5) / (n[i] + 1.0)).clamp(0.02, 0.98);
            let pstar = ((p - c) / (1.0 - c)).clamp(0.02, 0.98);
            let mut m = Logistic::new(kind, 1.0, 0.0, c, scale_d);
            m.d = (pstar / (1.0 - pstar)).ln();
            m.priors = Priors {
                c: if kind == ModelKind::ThreePL {
                    priors.c
                } else {
                    None
                },
                ..priors
            };
            m
        })
        .collect()
}

/// Weighted number of responses and of right responses per item.
pub fn counts(data: &Responses) -> (Vec<f64>, Vec<f64>) {
    let mut n = vec![0.0; data.n_items()];
    let mut right = vec![0.0; data.n_items()];
    for p in 0..data.n_persons() {
        for &c in data.codes(p) {
            n[c as usize / 2] += data.weight[p];
            right[c as usize / 2] += data.weight[p] * (c & 1) as f64;
        }
    }
    (n, right)
}

/// Item estimates with SEs by the delta method from the free-parameter covariance.
pub fn item_estimates(data: &Responses, cal: &Calibration, cov: &Covariance) -> Vec<ItemEstimate> {
    let (n, _) = counts(data);
    cal.items
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let v = cov.items.get(i).cloned().flatten();
            let sd = m.scale_d;
            let (mut se_a, mut se_b, mut se_c, mut se_d) = (None, None, None, None);
            if let Some(v) = &v {
                match m.kind {
                    ModelKind::Rasch => {
                        se_d = Some(v[0].sqrt());
                        se_b = Some(v[0].sqrt() / (sd * m.a));
                    }
                    _ => {
                        let np = if m.kind == ModelKind::ThreePL { 3 } else { 2 };
                        let (vaa, vad, vdd) = (v[0], v[1], v[np + 1]);
                        se_a = Some(vaa.sqrt());
                        se_d = Some(vdd.sqrt());
                        let (ga, gd) = (m.d / (sd * m.a * m.a), -1.0 / (sd * m.a));
                        se_b = Some((ga * ga * vaa + 2.0 * ga * gd * vad + gd * gd * vdd).max(0.0).sqrt());
                        if np == 3 {
                            se_c = Some(m.c * (1.0 - m.c) * v[8].sqrt());
                        }
                    }
                }
            }
            let fixed = cal.fixed[i];
            let mut flags = Vec::new();
            if !fixed {
                if v.is_none() {
                    flags.push("singular information: the item's parameters are not identified by these data".to_string());
                }
                if m.kind != ModelKind::Rasch && m.a <= A_LOW {
                    flags.push(format!("slope a = {:.3} <= {A_LOW}: the item hardly discriminates", m.a));
                }
                if m.a > A_HIGH {
                    flags.push(format!("slope a = {:.3} > {A_HIGH}: Heywood-like case, check the item", m.a));
                }
                if m.kind == ModelKind::ThreePL && (m.c < 1e-3 || m.c > 0.5) {
                    flags.push(format!("guessing c = {:.3} at its bound", m.c));
                }
                if n[i] < MIN_RESPONSES {
                    flags.push(format!("only {} responses (< {MIN_RESPONSES}): estimates are unstable", n[i]));
                }
                if m.b().abs() > 6.0 {
                    flags.push(format!("difficulty b = {:.2} beyond the quadrature range", m.b()));
                }
            }
            ItemEstimate {
                item_id: data.item_ids[i].clone(),
                model: m.kind,
                fixed,
                a: m.a,
                b: m.b(),
                c: m.c,
                d: m.d,
                se_a,
                se_b,
                se_c,
                se_d,
                n: n[i],
                fit: None,
                flags,
            }
        })
        .collect()
}
