//! A seeded simulated item bank for assembly benchmarks: blueprint domains, 3PL parameters,
//! item type, expected response time, enemy sets, and a retired reference form.

use std::collections::BTreeMap;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal, Uniform};

use super::error::AtaError;
use super::pool::{AttrValue, Item, Pool};

/// What to simulate. Defaults: 600 active items, domains D1-D4 at 24/30/34/12 %,
/// a ~ lognormal(0, 0.25), b ~ N(0, 1), c ~ U(0.1, 0.25), 30 % multiple-response items,
/// expected seconds ~ lognormal(ln 60, 0.3), 10 % of items in enemy sets of 2-3, and a retired
/// 50-item reference form (12/15/17/6) drawn from the same distributions.
#[derive(Debug, Clone, PartialEq)]
pub struct BankSimConfig {
    pub seed: u64,
    pub items: usize,
    /// (domain, share); the shares are turned into whole counts by largest remainder.
    pub domains: Vec<(String, f64)>,
    pub multiple_share: f64,
    pub enemy_share: f64,
    /// Reference form items per domain (same order as `domains`); status "retired".
    pub reference_blueprint: Vec<usize>,
}

impl Default for BankSimConfig {
    fn default() -> Self {
        BankSimConfig {
            seed: 20240601,
            items: 600,
            domains: vec![
                ("D1".into(), 0.24),
                ("D2".into(), 0.30),
                ("D3".into(), 0.34),
                ("D4".into(), 0.12),
            ],
            multiple_share: 0.3,
            enemy_share: 0.10,
            reference_blueprint: vec![12, 15, 17, 6],
        }
    }
}

/// The simulated bank: the pool (active items, then the retired reference form) and the
/// reference form's ids.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedBank {
    pub pool: Pool,
    pub reference_form: Vec<String>,
}

/// Simulates the bank. Columns: domain, type (single|multiple), seconds, enemy (empty or a set
/// id), status (active|retired).
pub fn simulate_bank(config: &BankSimConfig) -> Result<SimulatedBank, AtaError> {
    let bad = |m: &str| AtaError::SpecInvalid(format!("bank simulation: {m}"));
    if config.domains.is_empty()
        || config
            .domains
            .iter()
            .any(|(_, w)| !w.is_finite() || *w < 0.0)
        || config.domains.iter().map(|(_, w)| w).sum::<f64>() <= 0.0
    {
        return Err(bad(
            "domains need finite non-negative shares with a positive sum",
        ));
    }
    if config.reference_blueprint.len() != config.domains.len() {
        return Err(bad("reference_blueprint needs one count per domain"));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let a_dist = LogNormal::new(0.0, 0.25).map_err(|e| bad(&e.to_string()))?;
    let b_dist = Normal::new(0.0, 1.0).map_err(|e| bad(&e.to_string()))?;
    let c_dist = Uniform::new(0.1, 0.25);
    let t_dist = LogNormal::new(60f64.ln(), 0.3).map_err(|e| bad(&e.to_string()))?;

    let total: f64 = config.domains.iter().map(|(_, w)| w).sum();
    let mut counts: Vec<usize> = config
        .domains
        .iter()
        .map(|(_, w)| (w / total * config.items as f64).floor() as usize)
        .collect();
    let mut k = 0;
    let nd = counts.len();
    while counts.iter().sum::<usize>() < config.items {
        counts[k % nd] += 1;
        k += 1;
    }
    let mut domain_of: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(d, &n)| std::iter::repeat_n(d, n))
        .collect();
    domain_of.shuffle(&mut rng);

    let make = |id: String, domain: usize, status: &str, rng: &mut ChaCha8Rng| -> Item {
        let a = a_dist.sample(rng);
        let b = b_dist.sample(rng);
        let c = c_dist.sample(rng);
        let multiple = rng.gen::<f64>() < config.multiple_share;
        let seconds = t_dist.sample(rng);
        let mut attributes = BTreeMap::new();
        attributes.insert(
            "domain".to_string(),
            AttrValue::Text(config.domains[domain].0.clone()),
        );
        attributes.insert(
            "type".to_string(),
            AttrValue::Text(if multiple { "multiple" } else { "single" }.into()),
        );
        attributes.insert("seconds".to_string(), AttrValue::Number(seconds));
        attributes.insert("status".to_string(), AttrValue::Text(status.into()));
        attributes.insert("enemy".to_string(), AttrValue::Missing);
        Item {
            id,
            a,
            b,
            c,
            attributes,
        }
    };
    let mut items: Vec<Item> = domain_of
        .iter()
        .enumerate()
        .map(|(i, &d)| make(format!("I{:04}", i + 1), d, "active", &mut rng))
        .collect();
    // Enemy sets of 2-3 items among a random enemy_share of the items.
    let n_enemy = (config.enemy_share * config.items as f64).round() as usize;
    let mut idx: Vec<usize> = (0..config.items).collect();
    idx.shuffle(&mut rng);
    let chosen = &idx[..n_enemy.min(config.items)];
    let mut pos = 0;
    let mut set = 0;
    while chosen.len() - pos >= 2 {
        let left = chosen.len() - pos;
        let size = if left == 2 || left == 4 {
            2
        } else if left == 3 {
            3
        } else {
            rng.gen_range(2..=3)
        };
        set += 1;
        for &i in &chosen[pos..pos + size] {
            items[i]
                .attributes
                .insert("enemy".into(), AttrValue::Text(format!("E{set:03}")));
        }
        pos += size;
    }
    let mut reference_form = Vec::new();
    let mut r = 0;
    for (d, &n) in config.reference_blueprint.iter().enumerate() {
        for _ in 0..n {
            r += 1;
            let id = format!("R{r:03}");
            reference_form.push(id.clone());
            items.push(make(id, d, "retired", &mut rng));
        }
    }
    let mut pool = Pool::new(items)?;
    pool.attribute_columns = vec![
        "domain".into(),
        "type".into(),
        "seconds".into(),
        "enemy".into(),
        "status".into(),
    ];
    Ok(SimulatedBank {
        pool,
        reference_form,
    })
}
