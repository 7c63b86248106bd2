//! Classical item analysis for item authors: per item per form and pooled over forms, option
//! (distractor) analysis, reliability per form, plain-word review flags and Mantel-Haenszel DIF.
//!
//! Criterion scores: for a scored item, the total of the other scored items on its form (the
//! corrected item-total); for a pretest item, the scored total (pretest items never count in any
//! total). Score groups (quintiles for option analysis, upper and lower 27 % for the
//! discrimination index) are formed on the form's scored total by mid-percentile rank, so that
//! tied scores stay in one group and the groups are as close to their nominal sizes as ties allow.

pub mod dif;
mod form_pass;
pub mod stats;

pub use dif::{default_dif, DifResult, DifSpec};

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::exam::config::FlagsConfig;
use crate::exam::{Dataset, ItemType};
use crate::matrix::Role;
use dif::dif_analysis;
use form_pass::{form_pass, FormPass};
use stats::{biserial, Moments};

/// Form id used for statistics pooled over forms.
pub const POOLED: &str = "ALL";

/// Statistics of one item on one form (or pooled).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemStats {
    pub form_id: String,
    pub item_id: String,
    /// "scored", "pretest" or, pooled, "mixed" when it plays both roles.
    pub role: String,
    pub n_presented: f64,
    pub n_answered: f64,
    pub omit_rate: f64,
    pub mean_seconds: f64,
    pub median_seconds: f64,
    pub p_value: f64,
    pub point_biserial: f64,
    pub biserial: f64,
    /// p(upper 27 %) - p(lower 27 %).
    pub upper_lower: f64,
}

/// One option (or the omit row, or a chosen set of a multiple-response item) of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionStats {
    pub form_id: String,
    pub item_id: String,
    pub option: String,
    /// "key", "distractor", "omit", or "set" (a chosen combination of a multiple-response item).
    pub kind: &'static str,
    pub share: f64,
    /// Share choosing it in each criterion quintile, lowest first (NaN for an empty quintile).
    pub share_by_quintile: [f64; 5],
    pub point_biserial: f64,
}

/// Reliability of a form's scored items.
#[derive(Debug, Clone, PartialEq)]
pub struct FormReliability {
    pub form_id: String,
    pub attempts: f64,
    pub scored_items: usize,
    pub mean: f64,
    pub sd: f64,
    pub kr20: f64,
    pub sem: f64,
    /// (item id, alpha if the item is deleted).
    pub alpha_if_deleted: Vec<(String, f64)>,
}

/// A review flag with its reason in plain words.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub item_id: String,
    pub flag: &'static str,
    pub reason: String,
}

/// Everything the item analysis produces.
#[derive(Debug, Clone, Default)]
pub struct ItemAnalysis {
    pub items: Vec<ItemStats>,
    pub options: Vec<OptionStats>,
    pub reliability: Vec<FormReliability>,
    pub flags: Vec<Flag>,
    pub dif: Vec<DifResult>,
    pub dif_spec: Option<DifSpec>,
}

/// Per chosen set of a multiple-response item: weight, shares by quintile, criterion moments.
type SetStats = (f64, [f64; 5], Moments);

/// Sums for one item on one form; added over forms for the pooled row.
#[derive(Debug, Clone, Default)]
struct Acc {
    scored: bool,
    pretest: bool,
    n: f64,
    answered: f64,
    right: f64,
    seconds: Vec<f32>,
    pbis: Moments,
    upper: (f64, f64),
    lower: (f64, f64),
    /// Per option (index 0..15; 15 = omit): count, count per quintile, moments with the criterion.
    option: Vec<(f64, [f64; 5], Moments)>,
    n_quintile: [f64; 5],
    /// Chosen sets of multiple-response items: mask -> (count, per quintile, moments).
    sets: BTreeMap<u16, SetStats>,
}

const OMIT: usize = 15;

impl Acc {
    fn new() -> Acc {
        Acc {
            option: vec![(0.0, [0.0; 5], Moments::default()); 16],
            ..Default::default()
        }
    }
    fn merge(&mut self, o: &Acc) {
        self.scored |= o.scored;
        self.pretest |= o.pretest;
        self.n += o.n;
        self.answered += o.answered;
        self.right += o.right;
        self.seconds.extend_from_slice(&o.seconds);
        self.pbis.merge(&o.pbis);
        self.upper = (self.upper.0 + o.upper.0, self.upper.1 + o.upper.1);
        self.lower = (self.lower.0 + o.lower.0, self.lower.1 + o.lower.1);
        for (a, b) in self.option.iter_mut().zip(&o.option) {
            a.0 += b.0;
            for q in 0..5 {
                a.1[q] += b.1[q];
            }
            a.2.merge(&b.2);
        }
        for q in 0..5 {
            self.n_quintile[q] += o.n_quintile[q];
        }
        for (k, v) in &o.sets {
            let e = self
                .sets
                .entry(*k)
                .or_insert((0.0, [0.0; 5], Moments::default()));
            e.0 += v.0;
            for q in 0..5 {
                e.1[q] += v.1[q];
            }
            e.2.merge(&v.2);
        }
    }
}

/// The criterion score of a response: for a scored item the total of the other scored items,
/// for a pretest item the scored total.
fn criterion(role: Role, total: usize, x: f64) -> f64 {
    if role == Role::Scored {
        total as f64 - x
    } else {
        total as f64
    }
}

/// Mid-percentile rank group of each raw score: `groups` equal parts of the distribution.
fn score_groups(counts: &[f64], groups: usize) -> Vec<usize> {
    let n: f64 = counts.iter().sum();
    let mut below = 0.0;
    counts
        .iter()
        .map(|&c| {
            let mid = (below + 0.5 * c) / n.max(1.0);
            below += c;
            ((mid * groups as f64).floor() as usize).min(groups - 1)
        })
        .collect()
}

fn median(v: &mut [f32]) -> f64 {
    let v: Vec<f32> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    let mut v = v;
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m] as f64
    } else {
        0.5 * (v[m - 1] as f64 + v[m] as f64)
    }
}

/// Runs the item analysis of a data set: each form's pass over its attempts in parallel (the
/// passes are independent), combined in form order, so the result is the serial one.
pub fn analyse(ds: &Dataset, dif: Option<&DifSpec>, cfg: &FlagsConfig) -> ItemAnalysis {
    let m = &ds.matrix;
    let n_items = ds.exam.items.len();
    let mut out = ItemAnalysis {
        dif_spec: dif.cloned(),
        ..Default::default()
    };
    let raw: Vec<u32> = (0..m.n_attempts())
        .into_par_iter()
        .map(|a| m.raw_score(a))
        .collect();
    let passes: Vec<Option<FormPass>> = (0..ds.exam.forms.len())
        .into_par_iter()
        .map(|f| form_pass(ds, &raw, f))
        .collect();
    let mut pooled: Vec<Option<Acc>> = vec![None; n_items];
    for (form, pass) in ds.exam.forms.iter().zip(passes) {
        let Some(mut pass) = pass else { continue };
        for (i, a) in pass.acc.iter_mut().enumerate() {
            let Some(a) = a.as_mut() else { continue };
            emit(&mut out, &form.id, ds, i, a);
            match pooled[i].as_mut() {
                Some(p) => p.merge(a),
                None => pooled[i] = Some(a.clone()),
            }
        }
        out.reliability.push(pass.reliability);
    }
    for (i, a) in pooled.iter_mut().enumerate() {
        if let Some(a) = a.as_mut() {
            emit(&mut out, POOLED, ds, i, a);
        }
    }
    if let Some(spec) = dif {
        out.dif = dif_analysis(ds, spec, &raw, cfg.dif_min_group);
    }
    out.flags = flags(&out, ds, cfg);
    out
}

/// Turns an accumulator into the item row and its option rows.
fn emit(out: &mut ItemAnalysis, form_id: &str, ds: &Dataset, i: usize, a: &mut Acc) {
    let item = &ds.exam.items[i];
    let p = if a.n > 0.0 { a.right / a.n } else { f64::NAN };
    let r = a.pbis.corr();
    let nan_div = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
    let secs: Vec<f64> = a
        .seconds
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| x as f64)
        .collect();
    out.items.push(ItemStats {
        form_id: form_id.to_string(),
        item_id: item.id.clone(),
        role: match (a.scored, a.pretest) {
            (true, true) => "mixed",
            (true, false) => "scored",
            _ => "pretest",
        }
        .to_string(),
        n_presented: a.n,
        n_answered: a.answered,
        omit_rate: nan_div(a.n - a.answered, a.n),
        mean_seconds: if secs.is_empty() {
            f64::NAN
        } else {
            secs.iter().sum::<f64>() / secs.len() as f64
        },
        median_seconds: median(&mut a.seconds),
        p_value: p,
        point_biserial: r,
        biserial: biserial(r, p),
        upper_lower: nan_div(a.upper.1, a.upper.0) - nan_div(a.lower.1, a.lower.0),
    });
    let by_q = |c: &[f64; 5]| {
        let mut s = [0.0; 5];
        for q in 0..5 {
            s[q] = nan_div(c[q], a.n_quintile[q]);
        }
        s
    };
    for o in (0..item.options as usize).chain(std::iter::once(OMIT)) {
        let (count, per_q, mom) = &a.option[o];
        let (option, kind) = if o == OMIT {
            ("omit".to_string(), "omit")
        } else {
            let key = item.key.contains(o as u8);
            (
                ((b'A' + o as u8) as char).to_string(),
                if key { "key" } else { "distractor" },
            )
        };
        out.options.push(OptionStats {
            form_id: form_id.to_string(),
            item_id: item.id.clone(),
            option,
            kind,
            share: nan_div(*count, a.n),
            share_by_quintile: by_q(per_q),
            point_biserial: mom.corr(),
        });
    }
    // The five most chosen sets of a multiple-response item (ties by mask, for determinism).
    let mut sets: Vec<(&u16, &SetStats)> = a.sets.iter().collect();
    sets.sort_by(|x, y| {
        y.1 .0
            .partial_cmp(&x.1 .0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(x.0.cmp(y.0))
    });
    for (mask, (count, per_q, mom)) in sets.into_iter().take(5) {
        out.options.push(OptionStats {
            form_id: form_id.to_string(),
            item_id: item.id.clone(),
            option: crate::exam::OptionSet(*mask).to_string(),
            kind: "set",
            share: nan_div(*count, a.n),
            share_by_quintile: by_q(per_q),
            point_biserial: mom.corr(),
        });
    }
}

/// One-sided critical value of a point-biserial's t statistic at p = 0.001 (normal approximation,
/// the samples that reach the chooser minimum being large enough).
const MISKEY_T_CRITICAL: f64 = 3.09;

/// Why distractor `d` suggests a miskey, if it does. Evidence needs at least
/// `miskey_min_choosers` choosers (share x presented), a point-biserial above
/// `miskey_distractor_pbis` (default 0), and either above the key's or significantly above zero: t = r sqrt((n - 2) / (1 - r^2))
/// beyond the one-sided 0.001 critical value (the usual test of a correlation, e.g. Crocker &
/// Algina 1986, ch. 14). A distractor too rare to count as functioning never gets here.
fn miskey_evidence(
    d: &OptionStats,
    key: Option<&OptionStats>,
    n_presented: f64,
    cfg: &FlagsConfig,
) -> Option<String> {
    let choosers = d.share * n_presented;
    let r = d.point_biserial;
    if choosers < cfg.miskey_min_choosers || !r.is_finite() || r <= cfg.miskey_distractor_pbis {
        return None;
    }
    if let Some(k) = key.filter(|k| d.point_biserial > k.point_biserial) {
        return Some(format!(
            "distractor {} (chosen by {:.0}) correlates more with the score than the key {} (point-biserial {:+.2} vs {:+.2}): check the key",
            d.option, choosers, k.option, d.point_biserial, k.point_biserial
        ));
    }
    let t = r * ((n_presented - 2.0) / (1.0 - r * r)).max(0.0).sqrt();
    (t > MISKEY_T_CRITICAL).then(|| {
        format!(
            "distractor {} (chosen by {:.0}) attracts stronger candidates (point-biserial {:+.2}, significantly above zero): check the key",
            d.option, choosers, r
        )
    })
}

/// Review flags from the pooled statistics, options and DIF.
fn flags(a: &ItemAnalysis, ds: &Dataset, cfg: &FlagsConfig) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut push = |item: &str, flag: &'static str, reason: String| {
        out.push(Flag {
            item_id: item.to_string(),
            flag,
            reason,
        })
    };
    for s in a.items.iter().filter(|s| s.form_id == POOLED) {
        let id = s.item_id.as_str();
        if s.n_presented < 2.0 {
            push(
                id,
                "too_few_responses",
                format!(
                    "only {} response(s): no statistic can be trusted",
                    s.n_presented
                ),
            );
        }
        if s.p_value < cfg.too_hard {
            push(
                id,
                "too_hard",
                format!(
                    "only {:.0} % answered right (threshold {:.0} %)",
                    100.0 * s.p_value,
                    100.0 * cfg.too_hard
                ),
            );
        }
        if s.p_value > cfg.too_easy {
            push(
                id,
                "too_easy",
                format!(
                    "{:.0} % answered right (threshold {:.0} %): it tells candidates apart little",
                    100.0 * s.p_value,
                    100.0 * cfg.too_easy
                ),
            );
        }
        if s.point_biserial.is_nan() && s.n_presented >= 2.0 {
            push(id, "no_variance", "everybody gave the same kind of answer (all right or all wrong): no discrimination can be computed".to_string());
        } else if s.point_biserial < 0.0 {
            push(
                id,
                "negative_discrimination",
                format!(
                    "stronger candidates did worse on it than weaker ones (point-biserial {:.2})",
                    s.point_biserial
                ),
            );
        } else if s.point_biserial < cfg.weak_discrimination {
            push(id, "weak_discrimination", format!("it hardly separates strong from weak candidates (point-biserial {:.2} < {:.2})", s.point_biserial, cfg.weak_discrimination));
        }
        if s.omit_rate > cfg.high_omit {
            push(
                id,
                "high_omit",
                format!(
                    "{:.0} % left it unanswered (threshold {:.0} %)",
                    100.0 * s.omit_rate,
                    100.0 * cfg.high_omit
                ),
            );
        }
        if s.median_seconds < cfg.rapid_seconds {
            push(id, "rapid_responses", format!("half the candidates answered within {:.1} s (threshold {:.0} s): possible guessing", s.median_seconds, cfg.rapid_seconds));
        }
        let single = ds
            .exam
            .item_index
            .get(id)
            .map(|&i| ds.exam.items[i].item_type == ItemType::Single)
            .unwrap_or(false);
        let opts: Vec<&OptionStats> = a
            .options
            .iter()
            .filter(|o| o.form_id == POOLED && o.item_id == id)
            .collect();
        if single {
            let key = opts.iter().find(|o| o.kind == "key").copied();
            for d in opts.iter().filter(|o| o.kind == "distractor") {
                if d.share < cfg.nonfunctioning_distractor {
                    push(id, "nonfunctioning_distractor", format!("distractor {} was chosen by only {:.1} % (threshold {:.0} %): it distracts nobody", d.option, 100.0 * d.share, 100.0 * cfg.nonfunctioning_distractor));
                } else if let Some(reason) = miskey_evidence(d, key, s.n_presented, cfg) {
                    push(id, "possible_miskey", reason);
                }
            }
        }
    }
    for d in &a.dif {
        if let Some(mh) = &d.mh {
            if mh.category == 'C' {
                push(&d.item_id, "dif_c", format!(
                    "large DIF (ETS C): MH D-DIF {:+.2}, {} group found it {} at equal total scores",
                    mh.d_dif,
                    a.dif_spec.as_ref().map(|s| s.focal.as_str()).unwrap_or("focal"),
                    if mh.d_dif < 0.0 { "harder" } else { "easier" }
                ));
            }
        }
    }
    out
}
