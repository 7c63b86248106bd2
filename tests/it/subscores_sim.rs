#![allow(dead_code)]
//! Seeded simulation of practice candidates with and without a planted weak domain, and the
//! tally of how often each rule names a domain and whether it is the planted one.
//! Used by subscores_recovery.

use qbank::readiness::subscores::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// 3PL item, logistic metric (D = 1): P = c + (1 - c) / (1 + exp(-a (theta - b))).
#[derive(Debug, Clone, Copy)]
pub struct Item {
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

impl Item {
    pub fn p(&self, theta: f64) -> f64 {
        self.c + (1.0 - self.c) / (1.0 + (-self.a * (theta - self.b)).exp())
    }
}

pub struct Candidate {
    pub theta: f64,
    /// (domain, deficit in logits) of the planted weakness.
    pub weak: Option<(usize, f64)>,
    pub responses: Vec<(usize, bool)>,
}

pub struct Sim {
    pub items: Vec<Item>,
    pub item_domain: Vec<usize>,
    pub n_domains: usize,
    pub candidates: Vec<Candidate>,
}

pub const DOMAIN_SIZES: [usize; 4] = [16, 20, 22, 7];

/// `n` candidates, each answering `n_forms` distinct 65-item 3PL forms (each with domains of
/// 16/20/22/7 items: a candidate's last `n_forms` attempts pooled); theta ~ N(0, 1); the
/// first half has no weak domain; the second half has one, drawn uniformly from the 4 domains,
/// where theta is lower by 0.5 (odd candidates) or 0.8 logits (even candidates).
/// Items: a ~ U(0.8, 2.0), b ~ N(0, 1) clipped to +-2.5, c ~ U(0.10, 0.25).
pub fn simulate(n: usize, n_forms: usize, seed: u64) -> Sim {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let std: Normal<f64> = Normal::new(0.0, 1.0).unwrap();
    let item_domain: Vec<usize> = (0..n_forms)
        .flat_map(|_| {
            DOMAIN_SIZES
                .iter()
                .enumerate()
                .flat_map(|(d, &k)| std::iter::repeat_n(d, k))
        })
        .collect();
    let items: Vec<Item> = item_domain
        .iter()
        .map(|_| Item {
            a: rng.gen_range(0.8..2.0),
            b: std.sample(&mut rng).clamp(-2.5, 2.5),
            c: rng.gen_range(0.10..0.25),
        })
        .collect();
    let candidates = (0..n)
        .map(|k| {
            let theta = std.sample(&mut rng);
            let weak = (k >= n / 2).then(|| {
                let d = rng.gen_range(0..DOMAIN_SIZES.len());
                (d, if k % 2 == 1 { 0.5 } else { 0.8 })
            });
            let responses = items
                .iter()
                .enumerate()
                .map(|(i, it)| {
                    let shift = match weak {
                        Some((d, delta)) if item_domain[i] == d => delta,
                        _ => 0.0,
                    };
                    (i, rng.gen::<f64>() < it.p(theta - shift))
                })
                .collect();
            Candidate {
                theta,
                weak,
                responses,
            }
        })
        .collect();
    Sim {
        items,
        item_domain,
        n_domains: DOMAIN_SIZES.len(),
        candidates,
    }
}

/// EAP of theta from all responses, N(0, 1) prior, 121 points on [-6, 6].
pub fn eap(items: &[Item], responses: &[(usize, bool)]) -> f64 {
    let grid: Vec<f64> = (0..121).map(|k| -6.0 + 0.1 * k as f64).collect();
    let lp: Vec<f64> = grid
        .iter()
        .map(|&t| {
            -0.5 * t * t
                + responses
                    .iter()
                    .map(|&(i, r)| {
                        let p = items[i].p(t);
                        if r {
                            p.ln()
                        } else {
                            (1.0 - p).ln()
                        }
                    })
                    .sum::<f64>()
        })
        .collect();
    let top = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = lp.iter().map(|l| (l - top).exp()).collect();
    w.iter().zip(&grid).map(|(w, t)| w * t).sum::<f64>() / w.iter().sum::<f64>()
}

/// What a rule said about the candidates.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub null_n: usize,
    pub null_named: usize,
    /// Index 0: deficit 0.5, index 1: deficit 0.8.
    pub weak_n: [usize; 2],
    pub weak_named: [usize; 2],
    pub weak_correct: [usize; 2],
}

impl Tally {
    fn add(&mut self, c: &Candidate, named: Option<usize>) {
        match c.weak {
            None => {
                self.null_n += 1;
                self.null_named += named.is_some() as usize;
            }
            Some((d, delta)) => {
                let k = (delta > 0.65) as usize;
                self.weak_n[k] += 1;
                self.weak_named[k] += named.is_some() as usize;
                self.weak_correct[k] += (named == Some(d)) as usize;
            }
        }
    }
    pub fn n(&self) -> usize {
        self.null_n + self.weak_n[0] + self.weak_n[1]
    }
    pub fn named(&self) -> usize {
        self.null_named + self.weak_named[0] + self.weak_named[1]
    }
    /// Share of all candidates for whom a domain is named.
    pub fn share_named(&self) -> f64 {
        self.named() as f64 / self.n() as f64
    }
    /// Share of named domains that are the planted weak domain (over all candidates).
    pub fn precision(&self) -> f64 {
        (self.weak_correct[0] + self.weak_correct[1]) as f64 / self.named().max(1) as f64
    }
    /// Share of candidates without a planted weakness told "no domain stands out".
    pub fn null_none(&self) -> f64 {
        1.0 - self.null_named as f64 / self.null_n as f64
    }
    /// Among candidates with a planted weakness for whom a domain is named: share named right.
    pub fn precision_weak(&self) -> f64 {
        (self.weak_correct[0] + self.weak_correct[1]) as f64
            / (self.weak_named[0] + self.weak_named[1]).max(1) as f64
    }
    /// Share of candidates with a planted weakness of size k whose planted domain is named.
    pub fn hit(&self, k: usize) -> f64 {
        self.weak_correct[k] as f64 / self.weak_n[k] as f64
    }
}

pub struct Evaluation {
    pub added_value: Vec<bool>,
    pub prmse: Vec<SubscoreValue>,
    pub rules: Vec<(&'static str, Tally)>,
}

/// Runs the naive rule and the evidence rules on every candidate.
pub fn evaluate(sim: &Sim) -> Evaluation {
    let matrix: Vec<Vec<u8>> = sim
        .candidates
        .iter()
        .map(|c| c.responses.iter().map(|r| r.1 as u8).collect())
        .collect();
    let prmse = haberman_prmse(&matrix, &sim.item_domain, sim.n_domains).unwrap();
    let added_value: Vec<bool> = prmse.iter().map(|v| v.added_value).collect();
    let items = &sim.items;
    let prob = |i: usize, t: f64| items[i].p(t);
    let holm = EvidenceRule::default();
    let elig = EligibilityRule::default();
    let all_eligible = EligibilityRule {
        min_items: 1,
        min_items_with_added_value: 1,
    };
    let names = [
        "naive: lowest (O - E)/n at the EAP, always named",
        "evidence at the EAP (V = sum PQ), Holm 90 %",
        "predictive (leave-domain-out), Holm 90 %",
        "predictive, all 4 domains eligible, Holm 90 %",
        "predictive, all eligible, no continuity corr.",
        "predictive (leave-domain-out), Holm 95 %",
    ];
    let mut tallies = vec![Tally::default(); names.len()];
    let named = |w: WeakestDomain| match w {
        WeakestDomain::Named { domain, .. } => Some(domain),
        WeakestDomain::NoneStandsOut => None,
    };
    for c in &sim.candidates {
        let theta = eap(items, &c.responses);
        let at_eap =
            evidence_at_theta(&c.responses, &sim.item_domain, sim.n_domains, prob, theta).unwrap();
        // A: naive.
        let naive = (0..sim.n_domains)
            .map(|d| {
                (
                    d,
                    (at_eap[d].observed - at_eap[d].expected) / at_eap[d].n_items as f64,
                )
            })
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .map(|x| x.0);
        tallies[0].add(c, naive);
        // B: evidence at the EAP.
        let mut ev = at_eap.clone();
        apply_eligibility(&mut ev, &added_value, &elig);
        tallies[1].add(c, named(weakest_domain(&ev, &holm).unwrap()));
        // C, D, E: predictive.
        let pred = predictive_evidence(
            &c.responses,
            &sim.item_domain,
            sim.n_domains,
            prob,
            (0.0, 1.0),
        )
        .unwrap();
        let mut ev = pred.clone();
        apply_eligibility(&mut ev, &added_value, &elig);
        tallies[2].add(c, named(weakest_domain(&ev, &holm).unwrap()));
        let mut ev = pred.clone();
        apply_eligibility(&mut ev, &added_value, &all_eligible);
        tallies[3].add(c, named(weakest_domain(&ev, &holm).unwrap()));
        let no_cc = EvidenceRule {
            continuity_correction: false,
            ..holm
        };
        tallies[4].add(c, named(weakest_domain(&ev, &no_cc).unwrap()));
        let mut ev = pred.clone();
        apply_eligibility(&mut ev, &added_value, &elig);
        let strict = EvidenceRule {
            confidence: 0.95,
            ..holm
        };
        tallies[5].add(c, named(weakest_domain(&ev, &strict).unwrap()));
    }
    Evaluation {
        added_value,
        prmse,
        rules: names.into_iter().zip(tallies).collect(),
    }
}
