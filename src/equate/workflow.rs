//! Linking a data set's forms: separate calibrations linked to the base form through their
//! common items, with the drift of each anchor's b; classical NEAT equating of each form to the
//! base form through their common scored items, for comparison with the IRT tables.

use crate::exam::Dataset;
use crate::irt::workflow::CalibrationResult;
use crate::irt::{calibrate, starting_items, EmOptions, Logistic, ModelKind, Priors};

use super::classical::{equate, Conversion, Method, Sample};
use super::linking::{link, CurveOptions, Link, LinkMethod};

/// An anchor's difficulty on the base scale and after linking its form's separate calibration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AnchorDrift {
    pub item_id: String,
    pub b_base: f64,
    pub b_linked: f64,
    pub displacement: f64,
    pub flagged: bool,
}

/// One form linked onto the base form's scale.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FormLink {
    pub form_id: String,
    pub link: Link,
    pub n_common: usize,
    pub anchors: Vec<AnchorDrift>,
}

/// Forms sharing fewer items with the base form are not linked separately (too little to link on).
pub const MIN_COMMON: usize = 10;

/// Forms with fewer items are not calibrated separately (a short diagnostic cannot carry a 3PL).
pub const MIN_FORM_ITEMS: usize = 20;

/// Default threshold on |b displacement| for flagging anchor drift (theta units).
pub const DRIFT_THRESHOLD: f64 = 0.5;

/// Calibrates every form separately (its own N(0, 1) scale, 2PL/3PL as `model`), then links each
/// form onto the base form through the items they share, reporting the displacement of each
/// common item's b after linking (item parameter drift).
pub fn separate_links(
    cal: &CalibrationResult,
    base_group: u16,
    model: ModelKind,
    method: LinkMethod,
    em: &EmOptions,
) -> Vec<FormLink> {
    let data = &cal.responses;
    let priors = Priors {
        c: (model == ModelKind::ThreePL).then_some(Priors::DEFAULT_C),
        ..Priors::default()
    };
    // A form's own calibration; None for forms too short to carry it.
    let fit = |g: u16| -> Option<(Vec<usize>, Vec<Logistic>)> {
        let (sub, items) = data.select_group(g);
        if sub.n_items() < MIN_FORM_ITEMS {
            return None;
        }
        let start = starting_items(
            &sub,
            &vec![model; sub.n_items()],
            cal.calibration.items[0].scale_d,
            priors,
        );
        let opts = EmOptions {
            reference_group: Some(0),
            empirical_histogram: false,
            ..em.clone()
        };
        let c = calibrate(&sub, start, vec![false; sub.n_items()], &opts);
        Some((items, c.items))
    };
    let Some((base_items, base_params)) = fit(base_group) else {
        return Vec::new();
    };
    (0..data.n_groups() as u16)
        .filter(|&g| g != base_group)
        .filter_map(|g| {
            let (items, params) = fit(g)?;
            let common: Vec<(usize, usize)> = items
                .iter()
                .enumerate()
                .filter_map(|(k, i)| base_items.iter().position(|j| j == i).map(|kb| (k, kb)))
                .collect();
            if common.len() < MIN_COMMON {
                return None;
            }
            let new: Vec<Logistic> = common.iter().map(|&(k, _)| params[k]).collect();
            let old: Vec<Logistic> = common.iter().map(|&(_, kb)| base_params[kb]).collect();
            let l = link(&new, &old, method, &CurveOptions::default()).ok()?;
            let anchors = common
                .iter()
                .map(|&(k, kb)| {
                    let b_linked = l.transform(&params[k]).b();
                    let b_base = base_params[kb].b();
                    AnchorDrift {
                        item_id: data.item_ids[items[k]].clone(),
                        b_base,
                        b_linked,
                        displacement: b_linked - b_base,
                        flagged: (b_linked - b_base).abs() > DRIFT_THRESHOLD,
                    }
                })
                .collect();
            Some(FormLink {
                form_id: data.group_names[g as usize].clone(),
                link: l,
                n_common: common.len(),
                anchors,
            })
        })
        .collect()
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
