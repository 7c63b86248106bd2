//! Raw -> theta -> scaled conversion tables with the cut at 700 meaning the same on every form.
//!
//! The reporting scale is linear in theta on the bank scale: scaled(theta) = cut + slope (theta -
//! theta_cut), clipped to [min, max] and rounded for reporting. The cut is anchored on the base
//! form either at a theta (`theta_cut`) or at a raw cut score from standard setting (`raw_cut`,
//! mapped to theta through the base form's test characteristic curve); the slope is given or
//! follows from a second anchor point. A raw score x on any form is mapped to theta by IRT
//! true-score equating (the theta with TCC_form(theta) = x; Kolen & Brennan 2014, 6.4); scores at or
//! below the sum of the form's guessing parameters are interpolated linearly down to the scale
//! minimum at 0, and the maximum raw score maps to the scale maximum.

pub mod equating;

use crate::exam::config::ScaleConfig;
use crate::irt::test_level::{
    lord_wingersky, max_score, score_floor, score_variance, tcc, tcc_slope, theta_for_true_score,
};
use crate::irt::ItemModel;

/// Why the reporting scale cannot be built from qbank.toml's `[scale]`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScaleError {
    #[error("raw_cut {raw_cut} is not between the base form's guessing floor ({floor:.2}) and its {items} scored items")]
    RawCutOutOfRange {
        raw_cut: f64,
        floor: f64,
        items: usize,
    },
    #[error("the cut is not anchored (theta_cut or raw_cut)")]
    NotAnchored,
    #[error("the scale needs a slope or a second anchor point away from the cut")]
    NoSlope,
    #[error("the scale's slope {0} must be positive")]
    BadSlope(f64),
    #[error("the base form has scored items nobody answered: no scale")]
    NoBaseParameters,
}

/// The linear theta-to-scale transformation with its clipping bounds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    pub cut: f64,
    pub theta_cut: f64,
    /// Scaled points per theta unit.
    pub slope: f64,
}

impl Scale {
    /// Builds the scale from qbank.toml's settings; `base` are the base form's scored items
    /// (needed when the cut is given as a raw score).
    pub fn from_config<M: ItemModel>(cfg: &ScaleConfig, base: &[M]) -> Result<Scale, ScaleError> {
        let theta_cut = match (cfg.theta_cut, cfg.raw_cut) {
            (Some(t), _) => t,
            (None, Some(r)) => {
                theta_for_true_score(base, r).ok_or_else(|| ScaleError::RawCutOutOfRange {
                    raw_cut: r,
                    floor: score_floor(base),
                    items: max_score(base),
                })?
            }
            (None, None) => return Err(ScaleError::NotAnchored),
        };
        let slope = match (cfg.slope, cfg.theta_anchor, cfg.scaled_anchor) {
            (Some(s), _, _) => s,
            (None, Some(t), Some(s)) if (t - theta_cut).abs() > 1e-9 => {
                (s - cfg.cut) / (t - theta_cut)
            }
            _ => return Err(ScaleError::NoSlope),
        };
        if !(slope > 0.0 && slope.is_finite()) {
            return Err(ScaleError::BadSlope(slope));
        }
        Ok(Scale {
            min: cfg.min,
            max: cfg.max,
            cut: cfg.cut,
            theta_cut,
            slope,
        })
    }

    /// Unrounded, unclipped scaled score at theta.
    pub fn scaled(&self, theta: f64) -> f64 {
        self.cut + self.slope * (theta - self.theta_cut)
    }

    /// The reported score: rounded to an integer and clipped to [min, max].
    pub fn reported(&self, unrounded: f64) -> f64 {
        unrounded.round().clamp(self.min, self.max)
    }
}

/// One row of a form's conversion table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConversionRow {
    pub raw: usize,
    /// Theta on the bank scale (None where no theta has this true score).
    pub theta: Option<f64>,
    /// The base form's true-score equivalent of this raw score.
    pub base_equivalent: f64,
    pub unrounded: f64,
    pub reported: f64,
    pub pass: bool,
    /// Conditional SEM of the scaled score: slope * sqrt(sum P Q) / TCC'(theta) (delta method from
    /// the binomial-compound raw-score error; Lord 1980).
    pub csem: Option<f64>,
    /// The base-form equivalent by IRT observed-score equating, when computed
    /// ([`equating::equate_forms`]).
    pub base_equivalent_observed: Option<f64>,
    /// Standard error of equating: the SE of the base-form true-score equivalent (base raw-score
    /// points) from the separate calibrations and the link, when computed
    /// ([`equating::equate_forms`]).
    pub se_equating: Option<f64>,
    /// Standard error of the observed-score equivalent (base raw-score points), the same way.
    pub se_equating_observed: Option<f64>,
}

/// A form's raw -> scaled conversion table and its raw cut.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversionTable {
    pub form_id: String,
    pub rows: Vec<ConversionRow>,
    /// The lowest raw score whose reported scaled score reaches the cut (None if none does).
    pub raw_cut: Option<usize>,
    pub theta_cut: f64,
    /// The form's expected raw score at the cut theta (its true-score cut).
    pub true_score_cut: f64,
}

/// Builds the conversion table of a form from its scored items (on the bank scale).
pub fn conversion_table<M: ItemModel>(
    form_id: &str,
    items: &[M],
    base: &[M],
    scale: &Scale,
) -> ConversionTable {
    let n = max_score(items);
    let floor_x = score_floor(items);
    let floor_base = score_floor(base);
    let mut rows: Vec<ConversionRow> = (0..=n)
        .map(|x| {
            let theta = if x < n {
                theta_for_true_score(items, x as f64)
            } else {
                None
            };
            let (base_equivalent, unrounded, csem) = match theta {
                Some(t) => {
                    let pq = score_variance(items, t);
                    let d = tcc_slope(items, t);
                    (
                        tcc(base, t),
                        scale.scaled(t),
                        Some(scale.slope * pq.sqrt() / d),
                    )
                }
                None if x == n => (max_score(base) as f64, scale.max, None),
                None => (
                    if floor_x > 0.0 {
                        x as f64 * floor_base / floor_x
                    } else {
                        0.0
                    },
                    f64::NAN,
                    None,
                ),
            };
            ConversionRow {
                raw: x,
                theta,
                base_equivalent,
                unrounded,
                reported: 0.0,
                pass: false,
                csem,
                se_equating: None,
                se_equating_observed: None,
                base_equivalent_observed: None,
            }
        })
        .collect();
    // Below the guessing floor: linear from the scale minimum at 0 to the first defined score.
    if let Some(first) = rows.iter().position(|r| r.unrounded.is_finite()) {
        let (x1, s1) = (first as f64, rows[first].unrounded.max(scale.min));
        for r in rows.iter_mut().take(first) {
            r.unrounded = if x1 > 0.0 {
                scale.min + (s1 - scale.min) * r.raw as f64 / x1
            } else {
                s1
            };
        }
    }
    // The top score has no theta: it reports the maximum, and never below its neighbour.
    if n > 0 {
        rows[n].unrounded = rows[n].unrounded.max(rows[n - 1].unrounded);
    }
    let mut prev = f64::NEG_INFINITY;
    for r in rows.iter_mut() {
        // Keep the table monotone even where rounding or clipping ties neighbours.
        r.reported = scale.reported(r.unrounded).max(prev);
        prev = r.reported;
        r.pass = r.reported >= scale.cut;
    }
    let raw_cut = rows.iter().find(|r| r.pass).map(|r| r.raw);
    ConversionTable {
        form_id: form_id.to_string(),
        rows,
        raw_cut,
        theta_cut: scale.theta_cut,
        true_score_cut: tcc(items, scale.theta_cut),
    }
}

/// Decision accuracy and consistency at a form's raw cut (Rudner 2005; Lee 2010), from the IRT
/// model: for each quadrature point, P(pass | theta) = P(raw >= cut | theta) by Lord-Wingersky.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Classification {
    /// Model-implied pass rate in the population.
    pub p_pass: f64,
    /// P(classified as the true theta says: pass iff theta >= theta_cut).
    pub accuracy: f64,
    pub false_positive: f64,
    pub false_negative: f64,
    /// P(the same decision on two independent administrations of the form).
    pub consistency: f64,
    /// Cohen's kappa of the consistency against chance agreement.
    pub kappa: f64,
}

/// Classification accuracy and consistency of `items` at `raw_cut`, for a population given by
/// quadrature points and weights, with the true classification at `theta_cut`.
pub fn classification<M: ItemModel>(
    items: &[M],
    raw_cut: usize,
    theta_cut: f64,
    theta: &[f64],
    weights: &[f64],
) -> Classification {
    let lw = lord_wingersky(items, theta);
    let (mut p_pass, mut acc, mut fp, mut fneg, mut cons) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for ((d, &w), &t) in lw.iter().zip(weights).zip(theta) {
        let pp: f64 = d.iter().skip(raw_cut).sum();
        p_pass += w * pp;
        cons += w * (pp * pp + (1.0 - pp) * (1.0 - pp));
        if t >= theta_cut {
            acc += w * pp;
            fneg += w * (1.0 - pp);
        } else {
            acc += w * (1.0 - pp);
            fp += w * pp;
        }
    }
    let chance = p_pass * p_pass + (1.0 - p_pass) * (1.0 - p_pass);
    Classification {
        p_pass,
        accuracy: acc,
        false_positive: fp,
        false_negative: fneg,
        consistency: cons,
        kappa: (cons - chance) / (1.0 - chance),
    }
}
