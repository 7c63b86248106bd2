//! IRT true-score equating and raw cut scores with delta-method standard errors through both
//! forms' item parameters and the link (Ogasawara 2001, JEBS, eqs. 14-22 as cited in equateIRT's code; equateIRT's
//! `score(..., method = "TSE", se = TRUE)`).
//!
//! New-to-old (qbank's direction): a raw score x on the new form is a true score; theta_new
//! solves TCC_new(theta_new) = x on the new form's own scale (the link does not change it), and
//! the equivalent is TCC_old(A theta_new + B). Old-to-new (equateIRT's `score`, which converts
//! scores of the form whose scale is the target): theta solves TCC_old(theta) = y and the
//! equivalent is TCC_new((theta - B) / A).
//!
//! Standard error: with theta defined implicitly, d theta / d gamma = -dTCC/d gamma / TCC'(theta),
//! so the equivalent's gradient in each form's parameters and in (A, B) is explicit; (A, B) are
//! replaced by their own Jacobian (chain rule), and Var = sum over forms of g Sigma g'. Scores at
//! or below the sum of the c's, and the maximum score, have no theta: they are mapped linearly
//! (Kolen & Brennan 2014, eq. 6.26) and to the maximum, without a standard error.

use nalgebra::DMatrix;

use super::constants::LinkEstimate;
use super::error::LinkError;
use super::params::{FormEstimates, ItemParams3pl};
use super::sensitivity::Sensitivity;
use crate::irt::test_level::{tcc, tcc_slope, theta_for_true_score};
use crate::irt::Logistic;

/// Which form's raw scores are converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScoreDirection {
    /// New-form raw score -> old-form true-score equivalent (qbank).
    NewToOld,
    /// Old-form raw score -> new-form equivalent (equateIRT's `score`).
    OldToNew,
}

/// One equated score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EquatedScore {
    /// Raw score on the form converted from.
    pub score: f64,
    /// Theta on the old (base) scale; None below the guessing floor and at the maximum score.
    pub theta: Option<f64>,
    /// True-score equivalent on the other form.
    pub equivalent: f64,
    /// Delta-method standard error (None without theta or without covariance matrices).
    pub se: Option<f64>,
    /// d equivalent / d(item parameters of each form), through the link (one row; empty
    /// without theta).
    #[serde(skip)]
    pub gradient: Sensitivity,
}

/// Expected raw score of a form at a theta cut, with its standard error.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RawCut {
    /// The cut on the base scale.
    pub theta_cut: f64,
    /// The cut on the form's own scale ((theta_cut - B) / A when a link is given).
    pub theta_on_form: f64,
    pub expected_score: f64,
    pub se: Option<f64>,
    /// d expected score / d(item parameters of each form), through the link (one row).
    #[serde(skip)]
    pub gradient: Sensitivity,
}

/// dTCC/d(a, b, c) per item (a 1 x 3n row).
fn tcc_grad(items: &[ItemParams3pl], theta: f64, d: f64) -> DMatrix<f64> {
    let mut g = DMatrix::zeros(1, 3 * items.len());
    for (i, it) in items.iter().enumerate() {
        let pg = it.p_grad(theta, d);
        for k in 0..3 {
            g[(0, 3 * i + k)] = pg[k];
        }
    }
    g
}

/// The form's items as qbank's item models, for `irt::test_level`.
fn models(items: &[ItemParams3pl], d: f64) -> Vec<Logistic> {
    items.iter().map(|it| it.model(d)).collect()
}

/// The link must go from `new` to `old`.
pub(crate) fn check_forms(
    new: &FormEstimates,
    old: &FormEstimates,
    link: &LinkEstimate,
) -> Result<(), LinkError> {
    if link.new_form != new.name || link.old_form != old.name {
        return Err(LinkError::WrongForms {
            link_new: link.new_form.clone(),
            link_old: link.old_form.clone(),
            new: new.name.clone(),
            old: old.name.clone(),
        });
    }
    Ok(())
}

/// Variance of a scalar from its sensitivity; None when a covariance matrix is missing.
pub(crate) fn scalar_se(s: &Sensitivity) -> Result<Option<f64>, LinkError> {
    match s.covariance() {
        Ok(v) => Ok(Some(v[(0, 0)].max(0.0).sqrt())),
        Err(LinkError::MissingCovariance { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// IRT true-score equating of `scores` (default: every integer score of the form converted
/// from) with delta-method standard errors (Ogasawara 2001; equateIRT `score`). All items of
/// both forms are used (internal anchors).
pub fn true_score_se(
    new: &FormEstimates,
    old: &FormEstimates,
    link: &LinkEstimate,
    direction: ScoreDirection,
    scores: Option<&[f64]>,
    d: f64,
) -> Result<Vec<EquatedScore>, LinkError> {
    check_forms(new, old, link)?;
    let (from, to) = match direction {
        ScoreDirection::NewToOld => (new, old),
        ScoreDirection::OldToNew => (old, new),
    };
    let n_from = from.items.len();
    let default: Vec<f64> = (0..=n_from).map(|x| x as f64).collect();
    let scores = scores.unwrap_or(&default);
    let c_from: f64 = from.items.iter().map(|it| it.c).sum();
    let c_to: f64 = to.items.iter().map(|it| it.c).sum();
    let (a, b) = (link.A, link.B);
    let (from_m, new_m, old_m) = (
        models(&from.items, d),
        models(&new.items, d),
        models(&old.items, d),
    );
    let mut out = Vec::with_capacity(scores.len());
    for &x in scores {
        if !x.is_finite() {
            return Err(LinkError::BadArgument {
                what: "raw score",
                value: x,
                expected: "a finite score",
            });
        }
        let Some(t_from) = theta_for_true_score(&from_m, x) else {
            let equivalent = if x >= n_from as f64 {
                to.items.len() as f64
            } else if c_from > 0.0 {
                x.max(0.0) * c_to / c_from
            } else {
                0.0
            };
            out.push(EquatedScore {
                score: x,
                theta: None,
                equivalent,
                se: None,
                gradient: Sensitivity::zeros(1),
            });
            continue;
        };
        // d theta_from / d gamma_from (on the from-form's own scale)
        let dtheta = tcc_grad(&from.items, t_from, d) * (-1.0 / tcc_slope(&from_m, t_from));
        let mut s = Sensitivity::zeros(1);
        let (theta_old, equivalent) = match direction {
            ScoreDirection::NewToOld => {
                let t_old = a * t_from + b;
                let slope_old = tcc_slope(&old_m, t_old);
                s.add_form(new, dtheta * (slope_old * a))?;
                s.add_form(old, tcc_grad(&old.items, t_old, d))?;
                let dab = DMatrix::from_row_slice(1, 2, &[slope_old * t_from, slope_old]);
                s.add_scaled(&dab, &link.jacobian)?;
                (t_old, tcc(&old_m, t_old))
            }
            ScoreDirection::OldToNew => {
                let u = (t_from - b) / a;
                let slope_new = tcc_slope(&new_m, u);
                s.add_form(old, dtheta * (slope_new / a))?;
                s.add_form(new, tcc_grad(&new.items, u, d))?;
                let dab = DMatrix::from_row_slice(1, 2, &[-slope_new * u / a, -slope_new / a]);
                s.add_scaled(&dab, &link.jacobian)?;
                (t_from, tcc(&new_m, u))
            }
        };
        out.push(EquatedScore {
            score: x,
            theta: Some(theta_old),
            equivalent,
            se: scalar_se(&s)?,
            gradient: s,
        });
    }
    Ok(out)
}

/// Expected raw score of `form` at a theta cut, with its delta-method standard error. Without a
/// link the cut is on the form's own scale and only its parameters vary; with a link (whose new
/// form must be `form`) the cut is on the link's old (base) scale, the form's scale is
/// theta_new = (theta_cut - B) / A, and the error of (A, B) is included.
pub fn raw_cut_se(
    form: &FormEstimates,
    theta_cut: f64,
    link: Option<&LinkEstimate>,
    d: f64,
) -> Result<RawCut, LinkError> {
    if !theta_cut.is_finite() {
        return Err(LinkError::BadArgument {
            what: "theta cut",
            value: theta_cut,
            expected: "a finite theta",
        });
    }
    let mut s = Sensitivity::zeros(1);
    let form_m = models(&form.items, d);
    let u = match link {
        None => theta_cut,
        Some(l) => {
            if l.new_form != form.name {
                return Err(LinkError::WrongForms {
                    link_new: l.new_form.clone(),
                    link_old: l.old_form.clone(),
                    new: form.name.clone(),
                    old: l.old_form.clone(),
                });
            }
            let u = (theta_cut - l.B) / l.A;
            let slope = tcc_slope(&form_m, u);
            let dab = DMatrix::from_row_slice(1, 2, &[-slope * u / l.A, -slope / l.A]);
            s.add_scaled(&dab, &l.jacobian)?;
            u
        }
    };
    s.add_form(form, tcc_grad(&form.items, u, d))?;
    Ok(RawCut {
        theta_cut,
        theta_on_form: u,
        expected_score: tcc(&form_m, u),
        se: scalar_se(&s)?,
        gradient: s,
    })
}
