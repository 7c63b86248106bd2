//! Linking a data set's forms: separate calibrations linked to the base form through their
//! common items (or, for forms that share too few items with it, through a chain of forms), with
//! the delta-method standard errors of the links and a drift test of each anchor; classical NEAT
//! equating of each form to the base form through their common scored items, for comparison
//! with the IRT tables.

use crate::exam::Dataset;
use crate::irt::se::{covariance, OAKES_MAX_PARAMS};
use crate::irt::workflow::CalibrationResult;
use crate::irt::{calibrate, starting_items, EmOptions, ModelKind, Priors};

use super::classical::{equate, Conversion, Method, Sample};
use super::link_se::{
    anchor_drift_tests, chain, link_with_options, observed_score_se, raw_cut_se, true_score_se,
    AnchorDrift, DriftOptions, FormEstimates, LinkEstimate, LinkOptions, ScoreDirection,
};
use super::linking::{CurveOptions, Link, LinkMethod};

/// One form linked onto the base form's scale.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FormLink {
    pub form_id: String,
    pub link: Link,
    /// Delta-method standard errors of A and B and their covariance, from each form's separate
    /// calibration (None when a calibration's information was singular).
    pub se_a: Option<f64>,
    pub se_b: Option<f64>,
    pub cov_ab: Option<f64>,
    /// The forms the link goes through: [form, base] for a direct link, longer for a chain.
    pub path: Vec<String>,
    /// Items shared with the base form (0 for a chain).
    pub n_common: usize,
    /// Drift tests of the anchors shared with the base form (direct links only).
    pub anchors: Vec<AnchorDrift>,
    /// The link recomputed without the flagged anchors (None when no anchor is flagged or too few
    /// remain).
    pub without_flagged: Option<Link>,
    /// SE of each raw score's base-form true-score equivalent (raw 0..=max), by the delta method
    /// through both forms' parameters and the link (None below the guessing floor, at the
    /// maximum, or without covariances).
    pub se_equating: Vec<Option<f64>>,
    /// SE of each raw score's base-form observed-score equivalent (raw 0..=max) in the form's
    /// synthetic population ([`SeparateOptions::observed`]; `link_se::observed_score_se`); empty
    /// when the form has no population given or without covariances.
    pub se_equating_observed: Vec<Option<f64>>,
    /// The form's expected raw score at the cut theta of the base scale, with its SE.
    pub raw_cut: Option<RawCutSe>,
}

/// The expected raw score at the cut theta and its delta-method standard error.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RawCutSe {
    pub expected_score: f64,
    pub se: Option<f64>,
}

/// A form that could not be linked to the base form, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Unlinked {
    pub form_id: String,
    pub reason: String,
}

/// Every form's link to the base form, and the forms that could not be linked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, Default)]
pub struct SeparateLinks {
    pub links: Vec<FormLink>,
    pub unlinked: Vec<Unlinked>,
    /// The base form's expected raw score at the cut theta with its SE (its own calibration).
    pub base_raw_cut: Option<RawCutSe>,
}

/// Forms sharing fewer items are not linked to each other (too little to link on).
pub const MIN_COMMON: usize = 10;

/// Forms with fewer items are not calibrated separately (a short diagnostic cannot carry a 3PL).
pub const MIN_FORM_ITEMS: usize = 20;

/// One form's separate calibration as estimates with the (a, b, c) covariance, by the delta
/// method from the free-parameter covariance of `irt::se`: the full matrix when it has one (Oakes'
/// observed information, up to `irt::se::OAKES_MAX_PARAMS` free parameters, or the full
/// cross-product `irt::xpd::cross_product_full`), otherwise its blocks by item (the covariances
/// between items, among them the common shift of every b when the sample's ability mean is off,
/// are then left out and the SEs of links are too small). Only the form's scored items are kept (the
/// conversion table is theirs); items with a non-positive slope (flagged by the calibration) are
/// left out too: they cannot anchor a link. Every item is estimated (none fixed).
pub fn calibration_estimates(
    name: &str,
    ids: Vec<String>,
    items: &[crate::irt::Logistic],
    cov: &crate::irt::Covariance,
    model: ModelKind,
    scored: &dyn Fn(&str) -> bool,
) -> Option<FormEstimates> {
    use super::link_se::params::slope_intercept_to_abc;
    use nalgebra::DMatrix;
    // free parameters of an item in the slots (a, d, g), and their offsets in `irt::em::pack`
    let slots = |m: &crate::irt::Logistic| -> &'static [usize] {
        match m.kind {
            ModelKind::Rasch => &[1],
            ModelKind::TwoPL => &[0, 1],
            ModelKind::ThreePL => &[0, 1, 2],
        }
    };
    let offsets: Vec<usize> = items
        .iter()
        .scan(0, |acc, m| {
            let o = *acc;
            *acc += slots(m).len();
            Some(o)
        })
        .collect();
    let keep: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].a > 0.0 && items[i].a.is_finite() && scored(&ids[i]))
        .collect();
    let n = keep.len();
    // covariance of (a, d, g) of the kept items, entry by entry
    let entry = |i: usize, r: usize, j: usize, q: usize| -> Option<f64> {
        match &cov.full {
            Some(f) => Some(f[(offsets[i] + r, offsets[j] + q)]),
            None if i == j => {
                let v = cov.items.get(i)?.as_ref()?;
                Some(v[r * slots(&items[i]).len() + q])
            }
            None => Some(0.0),
        }
    };
    let mut adg = Some(DMatrix::zeros(3 * n, 3 * n));
    let mut jac = DMatrix::zeros(3 * n, 3 * n);
    let mut est = Vec::with_capacity(n);
    for (u, &i) in keep.iter().enumerate() {
        let m = &items[i];
        let three = m.kind == ModelKind::ThreePL && m.c > 0.0;
        let g = three.then(|| (m.c / (1.0 - m.c)).ln());
        let (abc, j) = slope_intercept_to_abc(m.a, m.d, g, m.scale_d);
        est.push(super::link_se::ItemParams3pl {
            item_id: ids[i].clone(),
            a: abc[0],
            b: abc[1],
            c: abc[2],
        });
        jac.view_mut((3 * u, 3 * u), (3, 3)).copy_from(&j);
        for (v, &k) in keep.iter().enumerate() {
            for (r, &sr) in slots(m).iter().enumerate() {
                for (q, &sq) in slots(&items[k]).iter().enumerate() {
                    match (entry(i, r, k, q), adg.as_mut()) {
                        (Some(x), Some(c)) => c[(3 * u + sr, 3 * v + sq)] = x,
                        _ => adg = None,
                    }
                }
            }
        }
    }
    let cov = adg.map(|c| &jac * c * jac.transpose());
    // a covariance that fails the checks (not positive semidefinite) gives no standard errors
    FormEstimates::new(name, model, est.clone(), cov)
        .or_else(|_| FormEstimates::new(name, model, est, None))
        .ok()
}

/// How [`separate_links`] calibrates, links and tests.
#[derive(Debug, Clone, Copy)]
pub struct SeparateOptions<'a> {
    pub model: ModelKind,
    pub priors: Priors,
    pub method: LinkMethod,
    pub em: &'a EmOptions,
    pub drift: &'a DriftOptions,
    /// The cut on the base scale (for the raw cuts' SEs).
    pub theta_cut: f64,
    /// The synthetic population of each form's observed-score equating, on the base scale (for
    /// the SEs of observed-score equated scores; forms not listed get none).
    pub observed: &'a [ObservedPopulation],
}

/// The synthetic population in which a form's observed-score equating is done: quadrature points
/// on the base scale and their weights (treated as known).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedPopulation {
    pub form_id: String,
    pub theta: Vec<f64>,
    pub weights: Vec<f64>,
}

/// Calibrates every form separately (its own N(0, 1) scale, `model` and `priors` as the run's
/// calibration), then links each form onto
/// the base form through the items they share, with the standard errors of the link and a drift
/// test of each shared item (displacement, SE, Wald z, Holm-adjusted p; flagged when significant
/// and larger than `drift.threshold`), the SE of equating of every raw score and the SE of the
/// expected raw score at `theta_cut`. Forms keep their scored items (`scored(form, item)`). A form sharing fewer than [`MIN_COMMON`] items with the
/// base form is linked through the shortest chain of forms that do share enough items; forms
/// that cannot be reached are listed with the reason.
pub fn separate_links(
    cal: &CalibrationResult,
    base_group: u16,
    opts: &SeparateOptions<'_>,
    scored: &dyn Fn(&str, &str) -> bool,
) -> SeparateLinks {
    let SeparateOptions {
        model,
        priors,
        method,
        em,
        drift,
        theta_cut,
        observed,
    } = *opts;
    let data = &cal.responses;
    let scale_d = cal.calibration.items[0].scale_d;
    let name = |g: usize| data.group_names[g].clone();
    // A form's own calibration with its covariance; Err(reason) for forms that cannot carry one.
    let fit = |g: u16| -> Result<FormEstimates, String> {
        let (sub, items) = data.select_group(g);
        if sub.n_items() < MIN_FORM_ITEMS {
            return Err(format!(
                "{} items (fewer than {MIN_FORM_ITEMS}): too short to calibrate separately",
                sub.n_items()
            ));
        }
        let start = starting_items(&sub, &vec![model; sub.n_items()], scale_d, priors);
        let opts = EmOptions {
            reference_group: Some(0),
            empirical_histogram: false,
            ..em.clone()
        };
        let c = calibrate(&sub, start, vec![false; sub.n_items()], &opts);
        // the covariance between items matters for links: Oakes' full matrix for small forms,
        // else the full cross-product (with the items' blocks from the same pass)
        let cov = match c.n_free() > OAKES_MAX_PARAMS {
            true => crate::irt::xpd::covariance_with_full(&sub, &c),
            false => None,
        }
        .unwrap_or_else(|| {
            let mut cov = covariance(&sub, &c);
            if cov.full.is_none() {
                cov.full = crate::irt::xpd::cross_product_full(&sub, &c);
            }
            cov
        });
        let ids = items.iter().map(|&i| data.item_ids[i].clone()).collect();
        let form_id = name(g as usize);
        let is_scored = |id: &str| scored(&form_id, id);
        calibration_estimates(&name(g as usize), ids, &c.items, &cov, model, &is_scored)
            .ok_or_else(|| "its separate calibration gave invalid estimates".to_string())
    };
    let n = data.n_groups();
    let forms: Vec<Result<FormEstimates, String>> = (0..n as u16).map(fit).collect();
    let base = base_group as usize;
    let mut out = SeparateLinks::default();
    let Ok(base_form) = &forms[base] else {
        for g in (0..n).filter(|&g| g != base) {
            out.unlinked.push(Unlinked {
                form_id: name(g),
                reason: "the base form cannot be calibrated separately".into(),
            });
        }
        return out;
    };
    let opts = LinkOptions {
        curve: CurveOptions::default(),
        d: scale_d,
        anchors: None,
    };
    let cut = |form: &FormEstimates, link: Option<&LinkEstimate>| {
        raw_cut_se(form, theta_cut, link, scale_d)
            .ok()
            .map(|c| RawCutSe {
                expected_score: c.expected_score,
                se: c.se,
            })
    };
    out.base_raw_cut = cut(base_form, None);
    let shared = |a: &FormEstimates, b: &FormEstimates| -> Vec<String> {
        a.items
            .iter()
            .filter(|it| b.index_of(&it.item_id).is_some())
            .map(|it| it.item_id.clone())
            .collect()
    };
    // neighbours: pairs of calibrated forms sharing at least MIN_COMMON items
    let adjacent = |g: usize, h: usize| match (&forms[g], &forms[h]) {
        (Ok(a), Ok(b)) => shared(a, b).len() >= MIN_COMMON,
        _ => false,
    };
    // breadth-first search from the base form: prev[g] = the next form towards the base
    let mut prev: Vec<Option<usize>> = vec![None; n];
    let mut seen = vec![false; n];
    seen[base] = true;
    let mut queue = std::collections::VecDeque::from([base]);
    while let Some(h) = queue.pop_front() {
        for g in 0..n {
            if !seen[g] && adjacent(g, h) {
                seen[g] = true;
                prev[g] = Some(h);
                queue.push_back(g);
            }
        }
    }
    for g in (0..n).filter(|&g| g != base) {
        let form = match &forms[g] {
            Ok(f) => f,
            Err(reason) => {
                out.unlinked.push(Unlinked {
                    form_id: name(g),
                    reason: reason.clone(),
                });
                continue;
            }
        };
        let Some(first) = prev[g] else {
            out.unlinked.push(Unlinked {
                form_id: name(g),
                reason: format!(
                    "shares fewer than {MIN_COMMON} items with the base form and with every form linked to it ({} with the base form)",
                    shared(form, base_form).len()
                ),
            });
            continue;
        };
        let mut path = vec![g, first];
        while let Some(next) = prev[*path.last().unwrap_or(&base)] {
            path.push(next);
        }
        let step = |a: usize, b: usize| -> Result<LinkEstimate, String> {
            match (&forms[a], &forms[b]) {
                (Ok(x), Ok(y)) => link_with_options(
                    x,
                    y,
                    method,
                    &LinkOptions {
                        anchors: Some(shared(x, y)),
                        ..opts.clone()
                    },
                )
                .map_err(|e| e.to_string()),
                _ => Err("a form on the path is not calibrated".into()),
            }
        };
        let linked = path
            .windows(2)
            .map(|w| step(w[0], w[1]))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|steps| chain(&steps).map_err(|e| e.to_string()));
        let l = match linked {
            Ok(l) => l,
            Err(reason) => {
                out.unlinked.push(Unlinked {
                    form_id: name(g),
                    reason,
                });
                continue;
            }
        };
        let direct = path.len() == 2;
        let common = if direct {
            shared(form, base_form)
        } else {
            Vec::new()
        };
        let anchors = if direct && form.cov.is_some() && base_form.cov.is_some() {
            anchor_drift_tests(form, base_form, &l, Some(&common), drift).unwrap_or_default()
        } else {
            Vec::new()
        };
        let kept: Vec<String> = anchors
            .iter()
            .filter(|a| !a.flagged)
            .map(|a| a.item_id.clone())
            .collect();
        let without_flagged = (kept.len() < common.len() && kept.len() >= 2)
            .then(|| {
                link_with_options(
                    form,
                    base_form,
                    method,
                    &LinkOptions {
                        anchors: Some(kept),
                        ..opts.clone()
                    },
                )
                .ok()
            })
            .flatten()
            .map(|w| as_link(&w));
        let se_equating =
            true_score_se(form, base_form, &l, ScoreDirection::NewToOld, None, scale_d)
                .map(|rows| rows.iter().map(|r| r.se).collect())
                .unwrap_or_default();
        let se_equating_observed = observed
            .iter()
            .find(|p| p.form_id == name(g))
            .and_then(|p| {
                observed_score_se(form, base_form, &l, &p.theta, &p.weights, scale_d).ok()
            })
            .map(|rows| rows.iter().map(|r| r.se).collect())
            .unwrap_or_default();
        out.links.push(FormLink {
            se_equating_observed,
            raw_cut: cut(form, Some(&l)),
            se_equating,
            form_id: name(g),
            link: as_link(&l),
            se_a: l.se_A,
            se_b: l.se_B,
            cov_ab: l.cov_AB,
            path: path.iter().map(|&k| name(k)).collect(),
            n_common: common.len(),
            anchors,
            without_flagged,
        });
    }
    out
}

fn as_link(l: &LinkEstimate) -> Link {
    Link {
        method: l.method,
        slope: l.A,
        intercept: l.B,
    }
}

/// The NEAT methods shown beside the IRT tables in `qbank run`.
pub const NEAT_METHODS: [Method; 5] = [
    Method::Tucker,
    Method::LevineObserved { internal: true },
    Method::ChainedLinear,
    Method::FrequencyEstimation,
    Method::ChainedEquipercentile,
];

/// One form's classical NEAT conversions to the base form.
#[derive(Debug, Clone)]
pub struct NeatTable {
    pub form_id: String,
    /// Scored items on the form (raw scores 0..=max_raw).
    pub max_raw: usize,
    /// One conversion per method that could be computed.
    pub conversions: Vec<Conversion>,
}

/// Classical NEAT equating of every form to the base form through their common scored items
/// (an internal anchor; Kolen & Brennan 2014, chs. 4-5), for comparison with the IRT tables.
/// Forms with fewer than 5 common items, or nothing but common items, are skipped.
pub fn neat_tables(ds: &Dataset, methods: &[Method]) -> Vec<NeatTable> {
    let m = &ds.matrix;
    let base = ds.exam.base_form();
    let mut out = Vec::new();
    for (f, form) in ds.exam.forms.iter().enumerate().filter(|(f, _)| *f != base) {
        let common: Vec<usize> = form
            .scored()
            .map(|fi| fi.item)
            .filter(|&i| m.is_scored(base, i))
            .collect();
        if common.len() < 5 || common.len() == form.n_scored() {
            continue;
        }
        let sample = |g: usize, max_total: usize| {
            let (mut total, mut anchor) = (Vec::new(), Vec::new());
            for a in (0..m.n_attempts()).filter(|&a| m.form(a) == g) {
                total.push(m.raw_score(a));
                anchor.push(
                    m.responses(a)
                        .filter(|r| r.right && common.contains(&r.item))
                        .count() as u32,
                );
            }
            Sample {
                total,
                anchor: Some(anchor),
                max_total,
                max_anchor: common.len(),
            }
        };
        let (x, y) = (
            sample(f, form.n_scored()),
            sample(base, ds.exam.forms[base].n_scored()),
        );
        if x.total.is_empty() || y.total.is_empty() {
            continue;
        }
        out.push(NeatTable {
            form_id: form.id.clone(),
            max_raw: form.n_scored(),
            conversions: methods
                .iter()
                .filter_map(|&me| equate(&x, &y, me, 0.5).ok())
                .collect(),
        });
    }
    out
}
