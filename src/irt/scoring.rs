//! Person scores from calibrated items.
//!
//! - EAP and posterior SD over the calibration's quadrature grid with the person's group density as
//!   the prior (Bock & Mislevy 1982);
//! - MAP with the group's normal prior on [-MAP_BOUND, MAP_BOUND], by the one-attempt solver of
//!   [`super::theta`] (grid start, safeguarded Newton), SE from the observed curvature of the log
//!   posterior;
//! - ML by Fisher scoring from 0 bounded to [-ML_BOUND, ML_BOUND], SE = 1 / sqrt(test
//!   information); an all-right or all-wrong pattern has no finite ML and is reported at the bound
//!   with a flag. (The [`super::theta`] solver would change published scores: it takes the
//!   maximum of the likelihood on the interval, where Fisher scoring from 0 can stop at a
//!   stationary point of a 3PL likelihood that rises to the bound; one demo attempt of 3,852.)
//!
//! Summed-score tables and test information are in [`super::test_level`].

use rayon::prelude::*;

use super::data::Responses;
use super::em::Calibration;
use super::model::ItemModel;
use super::quadrature::{moments, relative_weights};
use super::theta::{estimate_with, GridTables, ThetaMethod, ThetaOptions, ThetaWork};

/// ML estimates are bounded to this interval (theta units).
pub const ML_BOUND: f64 = 6.0;
/// MAP estimates are bounded to this interval (theta units).
pub const MAP_BOUND: f64 = 20.0;

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

/// Maximises log L by Fisher scoring (step-limited) from 0, within [-bound, bound]: the ML
/// estimate and the test information there.
fn ml_fisher_scoring<M: ItemModel>(items: &[M], resp: &[(usize, bool)], bound: f64) -> (f64, f64) {
    let mut t: f64 = 0.0;
    let mut info = 0.0;
    for _ in 0..100 {
        let (s, i) = score_info(items, resp, t);
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
    let map_grid = ThetaOptions {
        method: ThetaMethod::Ml,
        lower: -MAP_BOUND,
        upper: MAP_BOUND,
    }
    .start_grid();
    let map_tables = GridTables::new(&cal.items, map_grid.clone(), false);
    let q = cal.grid.len();
    let tables = super::em::log_tables(&cal.items, &cal.grid);
    let log_w = super::em::log_weights(cal);
    (0..data.n_persons())
        .into_par_iter()
        .map_init(ThetaWork::default, |work, p| {
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
            let resp32: Vec<(u32, u8)> =
                resp.iter().map(|&(i, x)| (i as u32, u8::from(x))).collect();
            let map_opts = ThetaOptions {
                method: ThetaMethod::Map {
                    mu: lat.mean,
                    sigma: lat.sd,
                },
                lower: -MAP_BOUND,
                upper: MAP_BOUND,
            };
            let map = if resp.is_empty() {
                lat.mean
            } else {
                estimate_with(
                    &cal.items,
                    &resp32,
                    &map_opts,
                    &map_grid,
                    Some(&map_tables),
                    work,
                )
                .map_or(lat.mean, |e| e.theta)
            };
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
                let (t, i) = ml_fisher_scoring(&cal.items, &resp, ML_BOUND);
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
