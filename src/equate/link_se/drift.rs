//! Item parameter drift of the anchor items after linking: the displacement of each anchor's
//! difficulty, d_j = b_old,j - (A b_new,j + B), its delta-method standard error through both
//! forms' parameters and the link (the anchor's own estimates enter both directly and through
//! (A, B)), a Wald z test, Holm's step-down adjustment over the anchors (Holm 1979), and a flag
//! that requires both significance and a practically large displacement.
//!
//! Default magnitude threshold: 0.3 on the theta metric (logits with D = 1). A displacement
//! screen of 0.3 is at the conservative end of the screens used in operational drift checks of
//! Rasch/IRT banks (0.3 to 0.5 logits); with large calibration samples almost every anchor is
//! "significant", so the magnitude condition is what keeps the flag meaningful, and a lower
//! threshold catches drift before it moves cut scores by a raw point. Configurable.

use nalgebra::DMatrix;
use statrs::distribution::{ContinuousCDF, Normal};

use super::constants::{common_items, LinkEstimate, LinkKind};
use super::error::LinkError;
use super::params::FormEstimates;
use super::scores::check_forms;
use super::sensitivity::Sensitivity;

/// Options of the anchor drift tests.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DriftOptions {
    /// Smallest |displacement| (theta units) that is flagged.
    pub threshold: f64,
    /// Familywise significance level for the Holm-adjusted p-values.
    pub alpha: f64,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions {
            threshold: 0.3,
            alpha: 0.05,
        }
    }
}

/// Drift statistics of one anchor item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AnchorDrift {
    pub item_id: String,
    pub b_old: f64,
    pub b_new: f64,
    /// A b_new + B: the new estimate on the old scale.
    pub b_new_on_old: f64,
    /// b_old - (A b_new + B).
    pub displacement: f64,
    pub se: f64,
    pub z: f64,
    /// Two-sided p-value of z.
    pub p_value: f64,
    /// Holm-adjusted p-value over the anchors tested.
    pub p_holm: f64,
    /// p_holm < alpha and |displacement| > threshold.
    pub flagged: bool,
    /// d displacement / d(item parameters of each form), through the link (one row).
    #[serde(skip)]
    pub gradient: Sensitivity,
}

/// Holm's step-down adjusted p-values, in the input order: with p sorted ascending,
/// p_(i) adj = max over j <= i of min(1, (m - j + 1) p_(j)).
pub fn holm_adjust(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut out = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let adj = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

/// Displacement tests of the anchors (default: the link's common items, or all items on both
/// forms for a chain or bisector) after linking `new` onto `old` with `link`.
pub fn anchor_drift_tests(
    new: &FormEstimates,
    old: &FormEstimates,
    link: &LinkEstimate,
    anchors: Option<&[String]>,
    opts: &DriftOptions,
) -> Result<Vec<AnchorDrift>, LinkError> {
    check_forms(new, old, link)?;
    for (what, value) in [("threshold", opts.threshold), ("alpha", opts.alpha)] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(LinkError::BadArgument {
                what,
                value,
                expected: "a finite non-negative number",
            });
        }
    }
    let default_anchors;
    let anchors = match (anchors, &link.kind) {
        (Some(a), _) => Some(a),
        (None, LinkKind::Direct { common_items }) => {
            default_anchors = common_items.clone();
            Some(default_anchors.as_slice())
        }
        (None, _) => None,
    };
    let common = common_items(new, old, anchors)?;
    if common.ids.is_empty() {
        return Err(LinkError::TooFewCommonItems {
            new: new.name.clone(),
            old: old.name.clone(),
            n: 0,
            method: "the drift test",
            needed: 1,
        });
    }
    let normal = Normal::new(0.0, 1.0).map_err(|_| LinkError::BadArgument {
        what: "normal distribution",
        value: 1.0,
        expected: "unit variance",
    })?;
    let mut rows = Vec::with_capacity(common.ids.len());
    for (j, id) in common.ids.iter().enumerate() {
        let (i_n, i_o) = (common.new_idx[j], common.old_idx[j]);
        let (b_n, b_o) = (new.items[i_n].b, old.items[i_o].b);
        let on_old = link.A * b_n + link.B;
        let disp = b_o - on_old;
        let mut s = Sensitivity::zeros(1);
        let mut g_old = DMatrix::zeros(1, old.n_params());
        g_old[(0, 3 * i_o + 1)] = 1.0;
        let mut g_new = DMatrix::zeros(1, new.n_params());
        g_new[(0, 3 * i_n + 1)] = -link.A;
        s.add_form(old, g_old)?;
        s.add_form(new, g_new)?;
        s.add_scaled(
            &DMatrix::from_row_slice(1, 2, &[-b_n, -1.0]),
            &link.jacobian,
        )?;
        let var = s.covariance()?[(0, 0)];
        if !(var > 0.0 && var.is_finite()) {
            return Err(LinkError::SingularCovariance {
                what: format!("the displacement of anchor '{id}' (variance {var:e})"),
            });
        }
        let se = var.sqrt();
        let z = disp / se;
        rows.push(AnchorDrift {
            item_id: id.clone(),
            b_old: b_o,
            b_new: b_n,
            b_new_on_old: on_old,
            displacement: disp,
            se,
            z,
            p_value: 2.0 * normal.sf(z.abs()),
            p_holm: 0.0,
            flagged: false,
            gradient: s,
        });
    }
    let p: Vec<f64> = rows.iter().map(|r| r.p_value).collect();
    for (r, adj) in rows.iter_mut().zip(holm_adjust(&p)) {
        r.p_holm = adj;
        r.flagged = adj < opts.alpha && r.displacement.abs() > opts.threshold;
    }
    Ok(rows)
}
