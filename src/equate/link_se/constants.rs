//! Linking constants between two forms through their common items, with their delta-method
//! standard errors and their Jacobian with respect to both forms' item parameters.
//!
//! Convention (qbank's and Kolen & Brennan's, ch. 6): theta_old = A theta_new + B, so the new
//! form's parameters move onto the old (base) scale as a* = a / A, b* = A b + B, c* = c. In
//! equateIRT's `direc(mods, which = c(i, j))` form i is "new" and form j is "old": the link
//! "test1.test5" puts test1's parameters on test5's scale.
//!
//! Methods (B = mean(b_old) - A mean(b_new) for the moment methods, K&B eqs. 6.8-6.9):
//! - mean-mean (Loyd & Hoover 1980): A = mean(a_new) / mean(a_old);
//! - mean-geometric-mean (Mislevy & Bock 1990): A = (prod a_new / a_old)^(1/n);
//! - mean-sigma (Marco 1977): A = sd(b_old) / sd(b_new);
//! - Haebara (1980): minimises 1/2 sum_q w_q sum_j [P_old,j(theta_q) - P*_new,j(theta_q)]^2;
//! - Stocking-Lord (1983): minimises 1/2 sum_q w_q [sum_j P_old,j(theta_q) - P*_new,j(theta_q)]^2;
//!
//! with the points theta_q on the old scale (non-symmetric criterion, as plink's default and
//! equateIRT's `obj`) or, `symmetric`, plus the same sum with the old items moved onto the new
//! scale by the inverse link and points on the new scale (Kim & Lee 2006).
//!
//! Standard errors: the derivatives of (A, B) with respect to the item parameters are explicit for
//! the moment methods (Ogasawara 2000) and, for the characteristic-curve methods, come from
//! implicit differentiation of the first-order conditions G(A, B; gamma) = 0:
//! d(A, B)/d gamma = -H^{-1} dG/d gamma, H the criterion's Hessian in (A, B) (Ogasawara 2001;
//! Battauz 2015, section 2.1, the delta-method covariance of (A, B)). Forms are independent, so
//! Cov(A, B) = J_new Sigma_new J_new' + J_old Sigma_old J_old'.
//!
//! Mean-sigma: the derivative of A = s_old / s_new is A (b_old,j - mean) / sum (b_old - mean)^2
//! (and minus the same for the new form), whichever SD divisor is used. equateIRT 2.5.x divides
//! by n times the (n - 1)-divisor variance instead, which makes its mean-sigma derivatives of A
//! (n - 1) / n of these; this crate uses the exact derivative (checked by finite differences).

use nalgebra::DMatrix;

use super::curve::curve_link;
use super::error::LinkError;
use super::params::{FormEstimates, ItemParams3pl};
use super::sensitivity::Sensitivity;
use crate::equate::linking::{CurveOptions, LinkMethod, ThetaPoints};
use crate::irt::ModelKind;

/// Options of a direct link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOptions {
    /// Points, weights and symmetry of the characteristic-curve criteria.
    pub curve: CurveOptions,
    /// Scaling constant D of the logistic (1 or 1.7).
    pub d: f64,
    /// The anchor items to link through (default: every item on both forms).
    pub anchors: Option<Vec<String>>,
}

impl Default for LinkOptions {
    /// plink's 40 points on [-4, 4], D = 1, non-symmetric, all common items (qbank's defaults).
    fn default() -> Self {
        LinkOptions {
            curve: CurveOptions::default(),
            d: 1.0,
            anchors: None,
        }
    }
}

/// How a link was obtained.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LinkKind {
    /// Through the common items of two forms.
    Direct { common_items: Vec<String> },
    /// Composition of direct links along a path of forms (first = new, last = old).
    Chain { path: Vec<String> },
    /// Bisector of several paths between the same two forms, with the normalised weights w_p.
    Bisector {
        paths: Vec<Vec<String>>,
        weights: Vec<f64>,
    },
}

/// Linking constants theta_old = A theta_new + B with their delta-method standard errors.
#[allow(non_snake_case)]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LinkEstimate {
    pub method: LinkMethod,
    /// The form whose scale is transformed.
    pub new_form: String,
    /// The base form.
    pub old_form: String,
    pub kind: LinkKind,
    pub A: f64,
    pub B: f64,
    /// None when a form involved has no covariance matrix.
    pub se_A: Option<f64>,
    pub se_B: Option<f64>,
    pub cov_AB: Option<f64>,
    /// Value of the characteristic-curve criterion at the solution (direct Haebara and
    /// Stocking-Lord links only).
    pub criterion: Option<f64>,
    /// d(A, B) / d(item parameters of each form involved), rows (A, B).
    #[serde(skip)]
    pub jacobian: Sensitivity,
}

impl LinkEstimate {
    /// Fills the standard errors from the Jacobian (None if a covariance matrix is missing).
    #[allow(non_snake_case, clippy::too_many_arguments)]
    pub(crate) fn assemble(
        method: LinkMethod,
        new_form: &str,
        old_form: &str,
        kind: LinkKind,
        A: f64,
        B: f64,
        criterion: Option<f64>,
        jacobian: Sensitivity,
    ) -> LinkEstimate {
        let (se_A, se_B, cov_AB) = match jacobian.covariance() {
            Ok(v) => (
                Some(v[(0, 0)].max(0.0).sqrt()),
                Some(v[(1, 1)].max(0.0).sqrt()),
                Some(v[(0, 1)]),
            ),
            Err(_) => (None, None, None),
        };
        LinkEstimate {
            method,
            new_form: new_form.to_string(),
            old_form: old_form.to_string(),
            kind,
            A,
            B,
            se_A,
            se_B,
            cov_AB,
            criterion,
            jacobian,
        }
    }

    /// The 2 x 2 covariance matrix of (A, B) (error if a covariance matrix is missing).
    pub fn covariance(&self) -> Result<DMatrix<f64>, LinkError> {
        self.jacobian.covariance()
    }

    /// The forms along the link: [new, old] for a direct link, the path for a chain.
    pub fn path(&self) -> Vec<String> {
        match &self.kind {
            LinkKind::Chain { path } => path.clone(),
            _ => vec![self.new_form.clone(), self.old_form.clone()],
        }
    }

    /// A new-form item on the old scale: a / A, A b + B, c (K&B eqs. 6.4-6.6).
    pub fn transform_item(&self, it: &ItemParams3pl) -> ItemParams3pl {
        ItemParams3pl {
            item_id: it.item_id.clone(),
            a: it.a / self.A,
            b: self.A * it.b + self.B,
            c: it.c,
        }
    }

    /// A new-scale theta on the old scale.
    pub fn transform_theta(&self, theta: f64) -> f64 {
        self.A * theta + self.B
    }
}

/// Common items of two forms: ids and positions in each form.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    pub ids: Vec<String>,
    pub new_idx: Vec<usize>,
    pub old_idx: Vec<usize>,
}

pub(crate) fn common_items(
    new: &FormEstimates,
    old: &FormEstimates,
    anchors: Option<&[String]>,
) -> Result<Common, LinkError> {
    let mut c = Common {
        ids: Vec::new(),
        new_idx: Vec::new(),
        old_idx: Vec::new(),
    };
    match anchors {
        Some(list) => {
            for id in list {
                match (new.index_of(id), old.index_of(id)) {
                    (Some(i), Some(j)) => {
                        if !c.ids.contains(id) {
                            c.ids.push(id.clone());
                            c.new_idx.push(i);
                            c.old_idx.push(j);
                        }
                    }
                    _ => {
                        return Err(LinkError::UnknownAnchor {
                            item: id.clone(),
                            new: new.name.clone(),
                            old: old.name.clone(),
                        })
                    }
                }
            }
        }
        None => {
            for (i, it) in new.items.iter().enumerate() {
                if let Some(j) = old.index_of(&it.item_id) {
                    c.ids.push(it.item_id.clone());
                    c.new_idx.push(i);
                    c.old_idx.push(j);
                }
            }
        }
    }
    Ok(c)
}

/// Links `new` onto `old` through all their common items with the criterion's `points`
/// (non-symmetric) and scaling constant `d`; see [`link_with_options`].
pub fn link_with_se(
    new: &FormEstimates,
    old: &FormEstimates,
    method: LinkMethod,
    points: &ThetaPoints,
    d: f64,
) -> Result<LinkEstimate, LinkError> {
    link_with_options(
        new,
        old,
        method,
        &LinkOptions {
            curve: points.curve_options(false)?,
            d,
            anchors: None,
        },
    )
}

/// Direct link of `new` onto `old` (theta_old = A theta_new + B) with the delta-method
/// covariance of (A, B) (Ogasawara 2000 for the moment methods, Ogasawara 2001 for Haebara and
/// Stocking-Lord; equateIRT's `direc`). When both forms are 1PL the slope is fixed, A = 1, as in
/// equateIRT.
pub fn link_with_options(
    new: &FormEstimates,
    old: &FormEstimates,
    method: LinkMethod,
    opts: &LinkOptions,
) -> Result<LinkEstimate, LinkError> {
    if !(opts.d.is_finite() && opts.d > 0.0) {
        return Err(LinkError::BadArgument {
            what: "D",
            value: opts.d,
            expected: "a positive scaling constant (1 or 1.7)",
        });
    }
    let common = common_items(new, old, opts.anchors.as_deref())?;
    let needed = if method == LinkMethod::MeanSigma {
        2
    } else {
        1
    };
    if common.ids.len() < needed {
        return Err(LinkError::TooFewCommonItems {
            new: new.name.clone(),
            old: old.name.clone(),
            n: common.ids.len(),
            method: method.as_str(),
            needed,
        });
    }
    let fix_a = new.model == ModelKind::Rasch && old.model == ModelKind::Rasch;
    let (a, b, jn, jo, criterion) = if method.is_curve() {
        curve_link(new, old, &common, method, opts, fix_a)?
    } else {
        let (a, b, jn, jo) = moment_link(new, old, &common, method, fix_a)?;
        (a, b, jn, jo, None)
    };
    let mut jac = Sensitivity::zeros(2);
    jac.add_form(new, jn)?;
    jac.add_form(old, jo)?;
    Ok(LinkEstimate::assemble(
        method,
        &new.name,
        &old.name,
        LinkKind::Direct {
            common_items: common.ids.clone(),
        },
        a,
        b,
        criterion,
        jac,
    ))
}

type Jac = DMatrix<f64>;

/// Moment methods: (A, B) and their explicit derivatives (Ogasawara 2000).
pub(crate) fn moment_link(
    new: &FormEstimates,
    old: &FormEstimates,
    common: &Common,
    method: LinkMethod,
    fix_a: bool,
) -> Result<(f64, f64, Jac, Jac), LinkError> {
    let m = common.ids.len();
    let mf = m as f64;
    let item_n = |j: usize| &new.items[common.new_idx[j]];
    let item_o = |j: usize| &old.items[common.old_idx[j]];
    let mean_bn = (0..m).map(|j| item_n(j).b).sum::<f64>() / mf;
    let mean_bo = (0..m).map(|j| item_o(j).b).sum::<f64>() / mf;
    // dA with respect to (a, b) of each common item, per form
    let mut da_n = vec![[0.0; 2]; m];
    let mut da_o = vec![[0.0; 2]; m];
    let a = if fix_a {
        1.0
    } else {
        match method {
            LinkMethod::MeanMean => {
                let sn: f64 = (0..m).map(|j| item_n(j).a).sum();
                let so: f64 = (0..m).map(|j| item_o(j).a).sum();
                let a = sn / so;
                for j in 0..m {
                    da_n[j][0] = 1.0 / so;
                    da_o[j][0] = -a / so;
                }
                a
            }
            LinkMethod::MeanGeometricMean => {
                let l: f64 = (0..m)
                    .map(|j| item_n(j).a.ln() - item_o(j).a.ln())
                    .sum::<f64>()
                    / mf;
                let a = l.exp();
                for j in 0..m {
                    da_n[j][0] = a / (mf * item_n(j).a);
                    da_o[j][0] = -a / (mf * item_o(j).a);
                }
                a
            }
            LinkMethod::MeanSigma => {
                let var = |f: &dyn Fn(usize) -> f64, mean: f64| {
                    (0..m).map(|j| (f(j) - mean).powi(2)).sum::<f64>() / mf
                };
                let vn = var(&|j| item_n(j).b, mean_bn);
                let vo = var(&|j| item_o(j).b, mean_bo);
                for (v, mean, form) in [(vn, mean_bn, &new.name), (vo, mean_bo, &old.name)] {
                    if v.is_nan() || v <= 1e-14 * mean.powi(2).max(1.0) {
                        return Err(LinkError::NoSpread { form: form.clone() });
                    }
                }
                let a = (vo / vn).sqrt();
                for j in 0..m {
                    da_o[j][1] = a * (item_o(j).b - mean_bo) / (mf * vo);
                    da_n[j][1] = -a * (item_n(j).b - mean_bn) / (mf * vn);
                }
                a
            }
            _ => unreachable!("moment_link is called for moment methods only"),
        }
    };
    let b = mean_bo - a * mean_bn;
    let mut jn = DMatrix::zeros(2, new.n_params());
    let mut jo = DMatrix::zeros(2, old.n_params());
    for j in 0..m {
        let (ci, co) = (3 * common.new_idx[j], 3 * common.old_idx[j]);
        for k in 0..2 {
            jn[(0, ci + k)] = da_n[j][k];
            jo[(0, co + k)] = da_o[j][k];
            jn[(1, ci + k)] = -mean_bn * da_n[j][k];
            jo[(1, co + k)] = -mean_bn * da_o[j][k];
        }
        jn[(1, ci + 1)] += -a / mf;
        jo[(1, co + 1)] += 1.0 / mf;
    }
    Ok((a, b, jn, jo))
}
