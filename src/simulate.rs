//! A simulator of realistic exam data with known truth.
//!
//! Items follow the 3PL (D = 1): P(right | theta) = c + (1 - c) / (1 + exp(-a (theta - b))).
//! Forms of `scored + pretest` items follow the blueprint and share a set of anchor items; cohorts
//! per form differ in mean ability; some candidates repeat with growth; every candidate has a
//! planted weak domain; one pretest item is miskeyed and one shows DIF against a focal group.
//! Everything is drawn from one ChaCha8 stream, so the same seed gives the same bytes.

use std::io::{self, Write};
use std::path::Path;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, LogNormal, Normal};

pub mod leak;
pub mod matrix;

pub use matrix::{respond, simulate_design, simulate_matrix, MatrixTruth};

use crate::exam::dates::civil_from_days;
use crate::irt::{ItemModel, Logistic, ModelKind};
use crate::report::files::{fmt_f, write_atomic, write_csv};

/// What to simulate. The defaults make the demo data set.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    pub candidates: usize,
    pub forms: usize,
    pub pool: usize,
    pub scored: usize,
    pub pretest: usize,
    /// Scored items common to every form (the anchor set).
    pub anchors: usize,
    /// Items on the short diagnostic form, drawn from the scored pool.
    pub diagnostic: usize,
    /// Share of candidates who take several practice attempts.
    pub repeat_share: f64,
    pub max_attempts: usize,
    /// Share of candidates who start with the diagnostic.
    pub diagnostic_share: f64,
    /// Share of multiple-response items in the pool.
    pub multiple_share: f64,
    pub omit_rate: f64,
    /// Ability growth per repeat attempt (theta units).
    pub growth: f64,
    /// Ability shortfall in each candidate's planted weak domain (theta units).
    pub weak_domain_shift: f64,
    /// Shift of the DIF item's b for the focal group.
    pub dif_shift: f64,
    pub focal_share: f64,
    /// Share of candidates with an official outcome in candidates.csv.
    pub official_share: f64,
    /// Planted exam-security cases (leaked items, preknowledge, rapid guessers); none by default.
    pub leak: Option<leak::LeakConfig>,
}

impl SimConfig {
    /// A testing program as the benchmarks size it: `attempts` first-time full-length attempts
    /// (no repeaters, no diagnostic) on 8 forms from a 600-item pool.
    pub fn program(attempts: usize, seed: u64) -> SimConfig {
        SimConfig {
            seed,
            candidates: attempts,
            forms: 8,
            pool: 600,
            repeat_share: 0.0,
            diagnostic_share: 0.0,
            ..SimConfig::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            candidates: 2000,
            forms: 4,
            pool: 300,
            scored: 50,
            pretest: 15,
            anchors: 20,
            diagnostic: 10,
            repeat_share: 0.3,
            max_attempts: 5,
            diagnostic_share: 0.25,
            multiple_share: 0.12,
            omit_rate: 0.01,
            growth: 0.15,
            weak_domain_shift: 0.5,
            dif_shift: 1.2,
            focal_share: 0.3,
            official_share: 0.5,
            leak: None,
        }
    }
}

/// The blueprint of the simulated exam (CLF-C02's four domains).
pub const DOMAINS: [(&str, &str, f64); 4] = [
    ("D1", "Cloud Concepts", 24.0),
    ("D2", "Security and Compliance", 30.0),
    ("D3", "Cloud Technology and Services", 34.0),
    ("D4", "Billing, Pricing and Support", 12.0),
];
/// Scale anchoring of the simulated exam: 700 at theta = THETA_CUT, SLOPE scaled points per theta.
pub const THETA_CUT: f64 = -0.25;
pub const SLOPE: f64 = 100.0;
const DIAGNOSTIC_FORM: &str = "DIAG";
const GROUP_COLUMN: &str = "language";
const REFERENCE: &str = "en";
const FOCAL: &str = "other";

/// Splits `n` into parts proportional to `weights` (largest remainder, ties to the first).
pub fn apportion(n: usize, weights: &[f64]) -> Vec<usize> {
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| n as f64 * w / total).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&i, &j| {
        let (ri, rj) = (exact[i] - counts[i] as f64, exact[j] - counts[j] as f64);
        // Remainders equal up to rounding are ties, broken by order.
        if (ri - rj).abs() < 1e-9 {
            i.cmp(&j)
        } else {
            rj.partial_cmp(&ri).unwrap_or(std::cmp::Ordering::Equal)
        }
    });
    let short = n - counts.iter().sum::<usize>();
    for &i in order.iter().take(short) {
        counts[i] += 1;
    }
    counts
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anchor,
    Scored,
    Pretest,
    Reserve,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Anchor => "anchor",
            Role::Scored => "scored",
            Role::Pretest => "pretest",
            Role::Reserve => "reserve",
        }
    }
}

struct SimItem {
    id: String,
    domain: usize,
    multiple: bool,
    options: u8,
    /// True key as a bit mask.
    key: u16,
    /// Key written to items.csv (differs from `key` for the planted miskey).
    listed_key: u16,
    a: f64,
    b: f64,
    c: f64,
    role: Role,
    planted: &'static str,
    dif: f64,
    /// Distractor attractiveness (intercept, slope on theta) per option.
    lure: Vec<(f64, f64)>,
    log_seconds: f64,
}

struct SimForm {
    id: String,
    /// (item index, scored)
    items: Vec<(usize, bool)>,
}

struct SimAttempt {
    candidate: usize,
    form: usize,
    number: usize,
    theta: f64,
    day: f64,
}

struct SimCandidate {
    focal: bool,
    weak_domain: usize,
    theta_final: f64,
}

fn letters(mask: u16) -> String {
    let mut s = String::new();
    for i in 0..15u8 {
        if mask & (1 << i) != 0 {
            if !s.is_empty() {
                s.push('|');
            }
            s.push((b'A' + i) as char);
        }
    }
    s
}

fn timestamp(day: f64) -> String {
    // Day 0 is 2026-01-05 (20458 days after 1970-01-01).
    let whole = day.floor() as i64;
    let secs = ((day - day.floor()) * 86_400.0).round() as i64;
    let (y, m, d) = civil_from_days(20_458 + whole + secs / 86_400);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn sample_mask(rng: &mut ChaCha8Rng, options: u8, size: usize, not: u16) -> u16 {
    let mut all: Vec<u8> = (0..options).collect();
    loop {
        all.shuffle(rng);
        let mask = all[..size].iter().fold(0u16, |m, &o| m | 1 << o);
        if mask != not {
            return mask;
        }
    }
}

/// Why a data set could not be simulated.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The configuration cannot be met (the message says why).
    #[error("{0}")]
    Config(String),
    #[error("{}: {source}", .path.display())]
    Write {
        path: std::path::PathBuf,
        source: io::Error,
    },
}

/// Writes a complete data set with its truth into `out`. Fails with a message when the sizes do
/// not fit together (for example a pool too small for the forms).
pub fn simulate(cfg: &SimConfig, out: &Path) -> Result<SimSummary, SimulateError> {
    let unique = cfg
        .scored
        .checked_sub(cfg.anchors)
        .ok_or(SimulateError::Config(
            "anchors must not exceed scored".into(),
        ))?;
    let needed = cfg.anchors + cfg.forms * (unique + cfg.pretest);
    if cfg.forms == 0 || cfg.candidates == 0 || cfg.scored == 0 {
        return Err(SimulateError::Config(
            "forms, candidates and scored must be at least 1".into(),
        ));
    }
    if needed > cfg.pool {
        return Err(SimulateError::Config(format!(
            "a pool of {} items is too small: {} forms of {} scored ({} anchors) + {} pretest need {needed}",
            cfg.pool, cfg.forms, cfg.scored, cfg.anchors, cfg.pretest
        )));
    }
    if cfg.diagnostic > cfg.scored {
        return Err(SimulateError::Config(
            "the diagnostic form cannot have more items than a form's scored set".into(),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let weights: Vec<f64> = DOMAINS.iter().map(|d| d.2).collect();
    let nd = DOMAINS.len();

    // --- the pool, domain by domain
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
            let key = sample_mask(&mut rng, options, if multiple { 2 } else { 1 }, 0);
            let lure = (0..options)
                .map(|_| (rng.gen_range(-1.0..1.0), -rng.gen_range(0.2..0.9)))
                .collect();
            let c = if multiple {
                c_multi.sample(&mut rng)
            } else {
                c_single.sample(&mut rng)
            };
            items.push(SimItem {
                id: String::new(),
                domain: d,
                multiple,
                options,
                key,
                listed_key: key,
                a: a_dist.sample(&mut rng).clamp(0.4, 2.5),
                b: b_dist.sample(&mut rng).clamp(-3.0, 3.0),
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
    items.shuffle(&mut rng);
    for (i, it) in items.iter_mut().enumerate() {
        it.id = format!("Q{:04}", i + 1);
    }
    let mut free: Vec<Vec<usize>> = vec![Vec::new(); nd];
    for (i, it) in items.iter().enumerate() {
        free[it.domain].push(i);
    }
    let mut take = |role: Role,
                    counts: &[usize],
                    items: &mut Vec<SimItem>|
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
    let anchors = take(Role::Anchor, &anchor_counts, &mut items)?;
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
        scored.extend(take(Role::Scored, &counts, &mut items)?);
        let pretest = take(Role::Pretest, &pretest_counts, &mut items)?;
        let mut list: Vec<(usize, bool)> = scored
            .into_iter()
            .map(|i| (i, true))
            .chain(pretest.into_iter().map(|i| (i, false)))
            .collect();
        list.shuffle(&mut rng);
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
        cands.shuffle(&mut rng);
        diag.extend(cands.into_iter().take(k).map(|i| (i, true)));
    }
    forms.push(SimForm {
        id: DIAGNOSTIC_FORM.into(),
        items: diag,
    });
    // Planted problems on pretest items: a miskey on form 1, DIF on the last full form.
    let single_pretest = |f: &SimForm, items: &[SimItem], skip: Option<usize>| {
        f.items
            .iter()
            .find(|(i, s)| !s && !items[*i].multiple && Some(*i) != skip)
            .map(|(i, _)| *i)
    };
    let miskey = single_pretest(&forms[0], &items, None).ok_or(SimulateError::Config(
        "no single-response pretest item to miskey".into(),
    ))?;
    let wrong = sample_mask(&mut rng, items[miskey].options, 1, items[miskey].key);
    items[miskey].listed_key = wrong;
    items[miskey].planted = "miskey";
    let dif_item = single_pretest(&forms[cfg.forms - 1], &items, Some(miskey))
        .ok_or(SimulateError::Config("no pretest item for DIF".into()))?;
    items[dif_item].planted = "dif";
    items[dif_item].dif = cfg.dif_shift;

    // --- candidates and attempts
    let cohort_mu = [0.0, 0.2, -0.15, 0.1, 0.3, -0.2, 0.05, 0.15];
    let theta_noise = Normal::new(0.0, 1.0).map_err(|e| SimulateError::Config(e.to_string()))?;
    let mut candidates = Vec::with_capacity(cfg.candidates);
    let mut attempts: Vec<SimAttempt> = Vec::new();
    for cand in 0..cfg.candidates {
        let first_form = rng.gen_range(0..cfg.forms);
        let mut theta = cohort_mu[first_form % cohort_mu.len()] + theta_noise.sample(&mut rng);
        let focal = rng.gen_bool(cfg.focal_share);
        let weak_domain = rng.gen_range(0..nd);
        let mut day = rng.gen_range(0.0..300.0);
        let mut number = 0;
        if rng.gen_bool(cfg.diagnostic_share) {
            number += 1;
            attempts.push(SimAttempt {
                candidate: cand,
                form: cfg.forms,
                number,
                theta,
                day,
            });
            day += rng.gen_range(1.0..7.0);
        }
        let n_full = if cfg.max_attempts > 1 && rng.gen_bool(cfg.repeat_share) {
            rng.gen_range(2..=cfg.max_attempts)
        } else {
            1
        };
        let mut form = first_form;
        for k in 0..n_full {
            if k > 0 {
                theta += cfg.growth * (1.0 + 0.3 * theta_noise.sample(&mut rng));
                day += rng.gen_range(3.0..21.0);
                if cfg.forms > 1 {
                    form = (form + rng.gen_range(1..cfg.forms)) % cfg.forms;
                }
            }
            number += 1;
            attempts.push(SimAttempt {
                candidate: cand,
                form,
                number,
                theta,
                day,
            });
        }
        candidates.push(SimCandidate {
            focal,
            weak_domain,
            theta_final: theta,
        });
    }
    attempts.sort_by(|x, y| {
        x.day
            .partial_cmp(&y.day)
            .unwrap_or(std::cmp::Ordering::Equal)
    });

    // --- planted security cases (their own random stream)
    let mut plan = match &cfg.leak {
        Some(l) => {
            let other: Vec<usize> = forms[..cfg.forms]
                .iter()
                .flat_map(|f| f.items.iter())
                .filter(|(i, s)| *s && items[*i].role == Role::Scored)
                .map(|(i, _)| *i)
                .collect();
            let days: Vec<f64> = attempts.iter().map(|a| a.day).collect();
            let p = leak::Plan::new(l, cfg.seed, items.len(), &anchors, &other, &days)
                .map_err(SimulateError::Config)?;
            for (it, &leaked) in items.iter_mut().zip(&p.leaked) {
                if leaked {
                    it.planted = "leak";
                }
            }
            Some(p)
        }
        None => None,
    };

    // --- files
    let io = |source: io::Error| SimulateError::Write {
        path: out.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(out.join("truth")).map_err(io)?;
    write_atomic(&out.join("qbank.toml"), |w| write_toml(w, cfg)).map_err(io)?;
    write_csv(
        &out.join("items.csv"),
        &["item_id", "domain", "type", "key", "options", "a", "b", "c"],
        items.iter().map(|it| {
            let bank = if it.role == Role::Pretest {
                [String::new(), String::new(), String::new()]
            } else {
                // Operational and reserve items carry their true values as bank parameters.
                [fmt_f(it.a, 4), fmt_f(it.b, 4), fmt_f(it.c, 4)]
            };
            vec![
                it.id.clone(),
                DOMAINS[it.domain].0.to_string(),
                if it.multiple { "multiple" } else { "single" }.to_string(),
                letters(it.listed_key),
                it.options.to_string(),
                bank[0].clone(),
                bank[1].clone(),
                bank[2].clone(),
            ]
        }),
    )
    .map_err(io)?;
    write_csv(
        &out.join("forms.csv"),
        &["form_id", "position", "item_id", "scored"],
        forms.iter().flat_map(|f| {
            f.items.iter().enumerate().map(|(p, (i, s))| {
                vec![
                    f.id.clone(),
                    (p + 1).to_string(),
                    items[*i].id.clone(),
                    s.to_string(),
                ]
            })
        }),
    )
    .map_err(io)?;
    let cand_id = |c: usize| format!("C{:06}", c + 1);
    let att_id = |k: usize| format!("A{:07}", k + 1);
    let mut official = Vec::with_capacity(cfg.candidates);
    for c in &candidates {
        let took = rng.gen_bool(cfg.official_share);
        let measured = c.theta_final + 0.1 + 0.25 * theta_noise.sample(&mut rng);
        official.push(took.then_some(measured));
    }
    write_csv(
        &out.join("candidates.csv"),
        &[
            "candidate_id",
            GROUP_COLUMN,
            "official_passed",
            "official_scaled",
        ],
        candidates
            .iter()
            .zip(&official)
            .enumerate()
            .map(|(k, (c, off))| {
                let (passed, scaled) = match off {
                    Some(t) => {
                        let s = (700.0 + SLOPE * (t - THETA_CUT))
                            .round()
                            .clamp(100.0, 1000.0);
                        ((s >= 700.0).to_string(), format!("{s}"))
                    }
                    None => (String::new(), String::new()),
                };
                vec![
                    cand_id(k),
                    if c.focal { FOCAL } else { REFERENCE }.to_string(),
                    passed,
                    scaled,
                ]
            }),
    )
    .map_err(io)?;
    write_csv(
        &out.join("truth/items.csv"),
        &[
            "item_id",
            "domain",
            "type",
            "true_key",
            "listed_key",
            "a",
            "b",
            "c",
            "role",
            "planted",
            "dif_shift",
        ],
        items.iter().map(|it| {
            vec![
                it.id.clone(),
                DOMAINS[it.domain].0.to_string(),
                if it.multiple { "multiple" } else { "single" }.to_string(),
                letters(it.key),
                letters(it.listed_key),
                fmt_f(it.a, 6),
                fmt_f(it.b, 6),
                fmt_f(it.c, 6),
                it.role.as_str().to_string(),
                it.planted.to_string(),
                fmt_f(it.dif, 3),
            ]
        }),
    )
    .map_err(io)?;
    write_csv(
        &out.join("truth/candidates.csv"),
        &[
            "attempt_id",
            "candidate_id",
            "form_id",
            "attempt_number",
            "theta",
            "weak_domain",
            GROUP_COLUMN,
        ],
        attempts.iter().enumerate().map(|(k, at)| {
            let c = &candidates[at.candidate];
            vec![
                att_id(k),
                cand_id(at.candidate),
                forms[at.form].id.clone(),
                at.number.to_string(),
                fmt_f(at.theta, 6),
                DOMAINS[c.weak_domain].0.to_string(),
                if c.focal { FOCAL } else { REFERENCE }.to_string(),
            ]
        }),
    )
    .map_err(io)?;
    let mut n_responses = 0usize;
    let omit = cfg.omit_rate;
    let weak_shift = cfg.weak_domain_shift;
    write_atomic(&out.join("attempts.csv"), |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record([
            "attempt_id",
            "candidate_id",
            "form_id",
            "item_id",
            "response",
            "seconds",
            "submitted_at",
        ])?;
        for (k, at) in attempts.iter().enumerate() {
            let c = &candidates[at.candidate];
            let aid = att_id(k);
            let cid = cand_id(at.candidate);
            let when = timestamp(at.day);
            let form = &forms[at.form];
            for (i, _) in &form.items {
                let it = &items[*i];
                let theta = at.theta
                    - if it.domain == c.weak_domain {
                        weak_shift
                    } else {
                        0.0
                    };
                let b = it.b + if c.focal { it.dif } else { 0.0 };
                let p = Logistic::new(ModelKind::ThreePL, it.a, b, it.c, 1.0).expected_score(theta);
                let response = if rng.gen_bool(omit) {
                    0
                } else if rng.gen_bool(p.clamp(0.0, 1.0)) {
                    it.key
                } else if it.multiple {
                    let size = match rng.gen_range(0..10) {
                        0 => 1,
                        1 => 3,
                        _ => 2,
                    };
                    sample_mask(&mut rng, it.options, size, it.key)
                } else {
                    // Distractors with a negative slope on theta lure weaker candidates more.
                    let w: Vec<f64> = (0..it.options)
                        .map(|o| {
                            if it.key & (1 << o) != 0 {
                                0.0
                            } else {
                                (it.lure[o as usize].0 + it.lure[o as usize].1 * theta).exp()
                            }
                        })
                        .collect();
                    let mut u = rng.gen::<f64>() * w.iter().sum::<f64>();
                    let mut pick = 0u8;
                    for (o, wo) in w.iter().enumerate() {
                        if *wo > 0.0 {
                            pick = o as u8;
                            if u < *wo {
                                break;
                            }
                            u -= wo;
                        }
                    }
                    1 << pick
                };
                let mut secs =
                    (it.log_seconds - 0.1 * theta + 0.35 * theta_noise.sample(&mut rng)).exp();
                let mut response = response;
                if let Some(plan) = plan.as_mut() {
                    match plan.response(k, *i, at.day) {
                        leak::Planted::Known => {
                            if plan.known_right() {
                                response = it.key;
                            }
                            secs *= (-leak::FAST_SD * leak::LOG_TIME_SD).exp();
                        }
                        leak::Planted::Guess => {
                            let (o, s) = plan.guess(it.options);
                            response = 1 << o;
                            secs = s;
                        }
                        leak::Planted::None => {}
                    }
                }
                csv.write_record([
                    aid.as_str(),
                    cid.as_str(),
                    form.id.as_str(),
                    it.id.as_str(),
                    letters(response).as_str(),
                    format!("{secs:.1}").as_str(),
                    when.as_str(),
                ])?;
                n_responses += 1;
            }
        }
        csv.flush()?;
        Ok(())
    })
    .map_err(io)?;
    if let Some(plan) = &plan {
        let (y, m, d) = civil_from_days(20_458 + plan.cfg.from_day.ceil() as i64);
        let from = format!("{y:04}-{m:02}-{d:02}");
        write_csv(
            &out.join("truth/leak.csv"),
            &["item_id", "leaked_from"],
            items
                .iter()
                .zip(&plan.leaked)
                .filter(|(_, &l)| l)
                .map(|(it, _)| vec![it.id.clone(), from.clone()]),
        )
        .map_err(io)?;
        write_csv(
            &out.join("truth/security.csv"),
            &["attempt_id", "kind"],
            plan.kind
                .iter()
                .enumerate()
                .map(|(k, kind)| vec![att_id(k), kind.as_str().to_string()]),
        )
        .map_err(io)?;
    }
    Ok(SimSummary {
        items: items.len(),
        forms: forms.len(),
        candidates: candidates.len(),
        attempts: attempts.len(),
        responses: n_responses,
    })
}

/// Counts of what was written.
#[derive(Debug, Clone, Copy)]
pub struct SimSummary {
    pub items: usize,
    pub forms: usize,
    pub candidates: usize,
    pub attempts: usize,
    pub responses: usize,
}

fn write_toml(w: &mut dyn Write, cfg: &SimConfig) -> io::Result<()> {
    writeln!(
        w,
        "# Simulated by qbank (seed {}); truth in truth/.",
        cfg.seed
    )?;
    writeln!(w, "name = \"CLF-C02 practice (simulated)\"")?;
    writeln!(w, "base_form = \"F1\"")?;
    for (id, name, weight) in DOMAINS {
        writeln!(
            w,
            "\n[[domains]]\nid = \"{id}\"\nname = \"{name}\"\nweight = {weight}"
        )?;
    }
    writeln!(
        w,
        "\n[scale]\nmin = 100\nmax = 1000\ncut = 700\ntheta_cut = {THETA_CUT}\nslope = {SLOPE}"
    )?;
    writeln!(w, "\n[readiness]\ntarget = 750\nconsistency_attempts = 5")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_follows_the_blueprint() {
        assert_eq!(
            apportion(50, &[24.0, 30.0, 34.0, 12.0]),
            vec![12, 15, 17, 6]
        );
        assert_eq!(apportion(15, &[24.0, 30.0, 34.0, 12.0]), vec![4, 4, 5, 2]);
        // 2.4, 3.0, 3.4, 1.2: the tied remainders .4 go to the first.
        assert_eq!(apportion(10, &[24.0, 30.0, 34.0, 12.0]), vec![3, 3, 3, 1]);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_458), (2026, 1, 5));
        assert_eq!(timestamp(1.5), "2026-01-06T12:00:00Z");
    }
}
