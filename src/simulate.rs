//! A simulator of realistic exam data with known truth.
//!
//! Items follow the 3PL (D = 1): P(right | theta) = c + (1 - c) / (1 + exp(-a (theta - b))).
//! Forms of `scored + pretest` items follow the blueprint and share a set of anchor items; cohorts
//! per form differ in mean ability; some candidates repeat with growth; every candidate has a
//! planted weak domain; one pretest item is miskeyed and one shows DIF against a focal group.
//! Everything is drawn from one ChaCha8 stream, so the same seed gives the same bytes.

use std::io::{self, Write};
use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod bank;
mod files;
pub mod leak;
pub mod matrix;
mod people;
mod responses;

pub use matrix::{respond, simulate_design, simulate_matrix, MatrixTruth};
pub use responses::{AttemptsFormat, PARQUET_ROWS};

use crate::report::files::write_atomic;

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
    /// How the attempt log is written (CSV by default).
    pub attempts_format: AttemptsFormat,
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
            attempts_format: AttemptsFormat::Csv,
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
    // One stream, drawn in this order: the pool, the forms, the planted problems, the
    // candidates, their official outcomes, the responses.
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut items = bank::draw_pool(cfg, &mut rng)?;
    let (forms, anchors) = bank::draw_forms(cfg, &mut rng, &mut items)?;
    bank::plant_problems(cfg, &mut rng, &mut items, &forms)?;
    let (candidates, attempts) = people::draw_candidates(cfg, &mut rng)?;

    // --- planted security cases (their own random stream)
    let mut plan = match &cfg.leak {
        Some(l) => {
            let other: Vec<usize> = forms[..cfg.forms]
                .iter()
                .flat_map(|f| f.items.iter())
                .filter(|(i, s)| *s && items[*i].role == bank::Role::Scored)
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

    let official = people::official_outcomes(cfg, &mut rng, &candidates)?;
    let io = |source: io::Error| SimulateError::Write {
        path: out.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(out.join("truth")).map_err(io)?;
    write_atomic(&out.join("qbank.toml"), |w| write_toml(w, cfg)).map_err(io)?;
    files::write_tables(out, &items, &forms, &candidates, &official, &attempts).map_err(io)?;
    let responses = responses::write_attempts(
        &out.join(cfg.attempts_format.file_name()),
        cfg.attempts_format,
        cfg,
        &mut rng,
        &items,
        &forms,
        &candidates,
        &attempts,
        plan.as_mut(),
    )?;
    if let Some(plan) = &plan {
        files::write_leak_truth(out, &items, plan).map_err(io)?;
    }
    Ok(SimSummary {
        items: items.len(),
        forms: forms.len(),
        candidates: candidates.len(),
        attempts: attempts.len(),
        responses,
    })
}

fn candidate_id(c: usize) -> String {
    format!("C{:06}", c + 1)
}

fn attempt_id(k: usize) -> String {
    format!("A{:07}", k + 1)
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
    if cfg.attempts_format != AttemptsFormat::Csv {
        let name = cfg.attempts_format.file_name();
        writeln!(w, "\n[files]\nattempts = \"{name}\"")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exam::dates::civil_from_days;

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
        assert_eq!(responses::timestamp(1.5), "2026-01-06T12:00:00Z");
    }
}
