//! The simulated item pool, the forms drawn from it by the blueprint, and the planted item
//! problems (a miskey, a DIF item). Each step draws from the caller's stream in a fixed order, so
//! the same seed gives the same pool and forms.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, LogNormal, Normal};

use super::responses::sample_mask;
use super::{apportion, SimConfig, SimulateError, DIAGNOSTIC_FORM, DOMAINS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Anchor,
    Scored,
    Pretest,
    Reserve,
}

impl Role {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Role::Anchor => "anchor",
            Role::Scored => "scored",
            Role::Pretest => "pretest",
            Role::Reserve => "reserve",
        }
    }
}

pub(super) struct SimItem {
    pub(super) id: String,
    pub(super) domain: usize,
    pub(super) multiple: bool,
    pub(super) options: u8,
    /// True key as a bit mask.
    pub(super) key: u16,
    /// Key written to items.csv (differs from `key` for the planted miskey).
    pub(super) listed_key: u16,
    pub(super) a: f64,
    pub(super) b: f64,
    pub(super) c: f64,
    pub(super) role: Role,
    pub(super) planted: &'static str,
    pub(super) dif: f64,
    /// Distractor attractiveness (intercept, slope on theta) per option.
    pub(super) lure: Vec<(f64, f64)>,
    pub(super) log_seconds: f64,
}

pub(super) struct SimForm {
    pub(super) id: String,
    /// (item index, scored)
    pub(super) items: Vec<(usize, bool)>,
}

/// The pool: per domain (blueprint weights) items with 3PL parameters, keys, distractor lures and
/// typical log-seconds, shuffled and numbered Q0001, ...
pub(super) fn draw_pool(
    cfg: &SimConfig,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<SimItem>, SimulateError> {
    let weights: Vec<f64> = DOMAINS.iter().map(|d| d.2).collect();
    let pool_by_domain = apportion(cfg.pool, &weights);
    let a_dist =
        LogNormal::<f64>::new(0.0, 0.25).map_err(|e| SimulateError::Config(e.to_string()))?;
    let b_dist = Normal::<f64>::new(0.0, 1.0).map_err(|e| SimulateError::Config(e.to_string()))?;
    let c_single = Beta::new(5.0, 17.0).map_err(|e| SimulateError::Config(e.to_string()))?;
    let c_multi = Beta::new(2.0, 38.0).map_err(|e| SimulateError::Config(e.to_string()))?;
    let mut items: Vec<SimItem> = Vec::with_capacity(cfg.pool);
    for (d, &count) in pool_by_domain.iter().enumerate() {
        for _ in 0..count {
            let multiple = rng.gen_bool(cfg.multiple_share);
            let options: u8 = if multiple { 5 } else { 4 };
            let key = sample_mask(rng, options, if multiple { 2 } else { 1 }, 0);
            let lure = (0..options)
                .map(|_| (rng.gen_range(-1.0..1.0), -rng.gen_range(0.2..0.9)))
                .collect();
            let c = if multiple {
                c_multi.sample(rng)
            } else {
                c_single.sample(rng)
            };
            items.push(SimItem {
                id: String::new(),
                domain: d,
                multiple,
                options,
                key,
                listed_key: key,
                a: a_dist.sample(rng).clamp(0.4, 2.5),
                b: b_dist.sample(rng).clamp(-3.0, 3.0),
                c,
                role: Role::Reserve,
                planted: "",
                dif: 0.0,
                lure,
                log_seconds: (40.0 + 40.0 * rng.gen::<f64>()).ln()
                    + if multiple { 0.3 } else { 0.0 },
            });
        }
    }
    items.shuffle(rng);
    for (i, it) in items.iter_mut().enumerate() {
        it.id = format!("Q{:04}", i + 1);
    }
    Ok(items)
}

/// The forms: every form has the anchor set and its own scored and pretest items by the
/// blueprint (shuffled into positions), then the diagnostic form from form 1's scored items.
/// Returns the forms (the diagnostic last) and the anchor items.
pub(super) fn draw_forms(
    cfg: &SimConfig,
    rng: &mut ChaCha8Rng,
    items: &mut [SimItem],
) -> Result<(Vec<SimForm>, Vec<usize>), SimulateError> {
    let weights: Vec<f64> = DOMAINS.iter().map(|d| d.2).collect();
    let nd = DOMAINS.len();
    let mut free: Vec<Vec<usize>> = vec![Vec::new(); nd];
    for (i, it) in items.iter().enumerate() {
        free[it.domain].push(i);
    }
    let mut take = |role: Role,
                    counts: &[usize],
                    items: &mut [SimItem]|
     -> Result<Vec<usize>, SimulateError> {
        let mut chosen = Vec::new();
        for (d, &k) in counts.iter().enumerate() {
            if free[d].len() < k {
                return Err(SimulateError::Config(format!(
                    "the pool has too few items in domain {} for the forms; use a larger --pool",
                    DOMAINS[d].0
                )));
            }
            for _ in 0..k {
                let i = free[d].pop().expect("checked");
                items[i].role = role;
                chosen.push(i);
            }
        }
        Ok(chosen)
    };
    let scored_counts = apportion(cfg.scored, &weights);
    let anchor_counts = apportion(cfg.anchors, &weights);
    let anchors = take(Role::Anchor, &anchor_counts, items)?;
    let unique_counts: Vec<usize> = scored_counts
        .iter()
        .zip(&anchor_counts)
        .map(|(s, a)| s.saturating_sub(*a))
        .collect();
    let unique_fix = cfg.scored - cfg.anchors - unique_counts.iter().sum::<usize>();
    let pretest_counts = apportion(cfg.pretest, &weights);
    let mut forms: Vec<SimForm> = Vec::new();
    for f in 0..cfg.forms {
        let mut scored = anchors.clone();
        let mut counts = unique_counts.clone();
        counts[0] += unique_fix;
        scored.extend(take(Role::Scored, &counts, items)?);
        let pretest = take(Role::Pretest, &pretest_counts, items)?;
        let mut list: Vec<(usize, bool)> = scored
            .into_iter()
            .map(|i| (i, true))
            .chain(pretest.into_iter().map(|i| (i, false)))
            .collect();
        list.shuffle(rng);
        forms.push(SimForm {
            id: format!("F{}", f + 1),
            items: list,
        });
    }
    // The diagnostic: scored-pool items following the blueprint.
    let diag_counts = apportion(cfg.diagnostic, &weights);
    let mut diag = Vec::new();
    for (d, &k) in diag_counts.iter().enumerate() {
        let mut cands: Vec<usize> = forms[0]
            .items
            .iter()
            .filter(|(i, s)| *s && items[*i].domain == d)
            .map(|(i, _)| *i)
            .collect();
        cands.sort_unstable();
        cands.shuffle(rng);
        diag.extend(cands.into_iter().take(k).map(|i| (i, true)));
    }
    forms.push(SimForm {
        id: DIAGNOSTIC_FORM.into(),
        items: diag,
    });
    Ok((forms, anchors))
}

/// Plants a miskey on a single-response pretest item of form 1 and DIF (b shifted by
/// `dif_shift` for the focal group) on one of the last full form.
pub(super) fn plant_problems(
    cfg: &SimConfig,
    rng: &mut ChaCha8Rng,
    items: &mut [SimItem],
    forms: &[SimForm],
) -> Result<(), SimulateError> {
    // Planted problems on pretest items: a miskey on form 1, DIF on the last full form.
    let single_pretest = |f: &SimForm, items: &[SimItem], skip: Option<usize>| {
        f.items
            .iter()
            .find(|(i, s)| !s && !items[*i].multiple && Some(*i) != skip)
            .map(|(i, _)| *i)
    };
    let miskey = single_pretest(&forms[0], items, None).ok_or(SimulateError::Config(
        "no single-response pretest item to miskey".into(),
    ))?;
    let wrong = sample_mask(rng, items[miskey].options, 1, items[miskey].key);
    items[miskey].listed_key = wrong;
    items[miskey].planted = "miskey";
    let dif_item = single_pretest(&forms[cfg.forms - 1], items, Some(miskey))
        .ok_or(SimulateError::Config("no pretest item for DIF".into()))?;
    items[dif_item].planted = "dif";
    items[dif_item].dif = cfg.dif_shift;
    Ok(())
}
