//! Person scores from calibrated items.
//!
//! - EAP and posterior SD over the calibration's quadrature grid with the person's group density as
//!   the prior (Bock & Mislevy 1982);
//! - MAP with the group's normal prior, by Fisher scoring, SE from the observed curvature of the
//!   log posterior;
//! - ML by Fisher scoring bounded to [-ML_BOUND, ML_BOUND], SE = 1 / sqrt(test information); an
//!   all-right or all-wrong pattern has no finite ML and is reported at the bound with a flag.
//!
//! Summed-score tables and test information are in [`super::test_level`].

use rayon::prelude::*;

use super::data::Responses;
use super::em::Calibration;
use super::model::ItemModel;
use super::quadrature::{moments, relative_weights};

/// ML estimates are bounded to this interval (theta units).
pub const ML_BOUND: f64 = 6.0;

/// The scores of one person (attempt).
#[derive(Debug, Clone, PartialEq)]
pub struct PersonScore {
    pub eap: f64,
    pub psd: f64,
    pub map: f64,
    pub map_se: f64,
    pub ml: f64,
    pub ml_se: f64,
    /// Why the ML estimate is not an interior maximum, if so.
    pub ml_flag: Option<&'static str>,
}

/// Score of the log-likelihood of responses (item, x) at theta, and the test information there.
fn score_info<M: ItemModel>(items: &[M], resp: &[(usize, bool)], theta: f64) -> (f64, f64) {
    let (mut s, mut info) = (0.0, 0.0);
    for &(i, x) in resp {
        let (p, d) = items[i].expected_score_and_slope(theta);
        s += (x as u8 as f64 - p) * d / (p * (1.0 - p));
        info += d * d / (p * (1.0 - p));
    }
    (s, info)
}

/// Maximises log L + log prior by Fisher scoring (step-limited), within [-bound, bound].
fn fisher_scoring<M: ItemModel>(
    items: &[M],
    resp: &[(usize, bool)],
    prior: Option<(f64, f64)>,
    bound: f64,
    start: f64,
) -> (f64, f64) {
    let mut t: f64 = start.clamp(-bound, bound);
    let mut info = 0.0;
    for _ in 0..100 {
        let (mut s, mut i) = score_info(items, resp, t);
        if let Some((mu, sd)) = prior {
            s -= (t - mu) / (sd * sd);
            i += 1.0 / (sd * sd);
        }
        info = i;
        if i <= 0.0 {
            break;
        }
        let step = (s / i).clamp(-1.0, 1.0);
        t = (t + step).clamp(-bound, bound);
        if step.abs() < 1e-10 {
            break;
        }
    }
    (t, info)
}

/// Scores every person of `data` under `cal`.
pub fn score_persons(data: &Responses, cal: &Calibration) -> Vec<PersonScore> {
    let q = cal.grid.len();
    let tables = super::em::log_tables(&cal.items, &cal.grid);
    let log_w = super::em::log_weights(cal);
    (0..data.n_persons())
        .into_par_iter()
        .map(|p| {
            let g = data.group[p] as usize;
            let codes = data.codes(p);
            let mut ll = log_w[g].clone();
            for &c in codes {
                for (l, t) in ll
                    .iter_mut()
                    .zip(&tables[c as usize * q..(c as usize + 1) * q])
                {
                    *l += t;
                }
            }
            let (eap, psd) = moments(&relative_weights(&ll), &cal.grid.theta);
            let resp: Vec<(usize, bool)> = codes
                .iter()
                .map(|&c| (c as usize / 2, c & 1 == 1))
                .collect();
            let lat = &cal.latent[g];
            // the MAP starts from the EAP, near it (fewer steps than from the prior mean); the ML
            // keeps its start at 0: for some low 3PL patterns its likelihood has more than one
            // maximum, and the start decides which one is found
            let (map, _) = fisher_scoring(&cal.items, &resp, Some((lat.mean, lat.sd)), 20.0, eap);
            // The MAP's SE from the observed curvature of the log posterior (for 3PL items it
            // differs from the Fisher information; mirt reports the observed one).
            let h = 1e-4;
            let curvature = -(score_info(&cal.items, &resp, map + h).0
                - score_info(&cal.items, &resp, map - h).0)
                / (2.0 * h);
            let map_info = curvature + 1.0 / (lat.sd * lat.sd);
            let n_right = resp.iter().filter(|r| r.1).count();
            let (ml, ml_info, ml_flag) = if resp.is_empty() {
                (f64::NAN, 0.0, Some("no responses"))
            } else if n_right == resp.len() {
                (
                    ML_BOUND,
                    score_info(&cal.items, &resp, ML_BOUND).1,
                    Some("all right: no finite ML, reported at the upper bound"),
                )
            } else if n_right == 0 {
                (
                    -ML_BOUND,
                    score_info(&cal.items, &resp, -ML_BOUND).1,
                    Some("all wrong: no finite ML, reported at the lower bound"),
                )
            } else {
                let (t, i) = fisher_scoring(&cal.items, &resp, None, ML_BOUND, 0.0);
                let flag =
                    (t.abs() >= ML_BOUND - 1e-9).then_some("ML at the bound of the theta range");
                (t, i, flag)
            };
            PersonScore {
                eap,
                psd,
                map,
                map_se: 1.0 / map_info.sqrt(),
                ml,
                ml_se: if ml_info > 0.0 {
                    1.0 / ml_info.sqrt()
                } else {
                    f64::INFINITY
                },
                ml_flag,
            }
        })
        .collect()
}
