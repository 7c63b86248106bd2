//! The evidence rule for naming a weakest domain: one-sided tests per domain with a
//! multiplicity correction, and the evidence they need.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use super::SubscoreError;

/// One candidate's evidence on one domain, in raw-score units (number right).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DomainEvidence {
    /// Observed domain score.
    pub observed: f64,
    /// Its expected value under the model given the candidate's overall level.
    pub expected: f64,
    /// Its variance under the model (measurement error of the domain score, plus the uncertainty
    /// of the overall level where the builder accounts for it).
    pub variance: f64,
    /// Items of the domain the candidate answered.
    pub n_items: usize,
    /// May this domain be named at all? (see [`apply_eligibility`])
    pub eligible: bool,
}

/// How the family of domain tests is corrected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Multiplicity {
    /// Holm (1979) step-down: adjusted p_(k) = max_{j <= k} min(1, (m - j + 1) p_(j)).
    Holm,
    /// Bonferroni: min(1, m p).
    Bonferroni,
}

/// The decision rule for naming a weakest domain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EvidenceRule {
    /// One-sided confidence that the named domain is below the candidate's overall level,
    /// family-wise over the domains tested (0.90: at most a 10 % chance, for a candidate with no
    /// weak domain, that any domain is named).
    pub confidence: f64,
    pub multiplicity: Multiplicity,
    /// Add 1/2 to the observed score before standardising (the continuity correction of the
    /// normal approximation to P(score <= observed) for an integer score).
    pub continuity_correction: bool,
}

impl Default for EvidenceRule {
    fn default() -> Self {
        EvidenceRule {
            confidence: 0.90,
            multiplicity: Multiplicity::Holm,
            continuity_correction: true,
        }
    }
}

/// Which domains may be named.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EligibilityRule {
    /// A domain with at least this many items answered by the candidate is eligible.
    pub min_items: usize,
    /// A domain whose subscore has added value (Haberman: PRMSE_s > PRMSE_x in the calibration
    /// sample) is eligible from this many items on.
    pub min_items_with_added_value: usize,
}

impl Default for EligibilityRule {
    fn default() -> Self {
        EligibilityRule {
            min_items: 10,
            min_items_with_added_value: 5,
        }
    }
}

/// Sets `eligible` on each domain's evidence: a domain may be named when the candidate answered
/// at least `min_items` of its items, or at least `min_items_with_added_value` when its subscore
/// has added value in the calibration sample (`added_value[d]`, e.g.
/// [`SubscoreValue::added_value`]; a missing entry counts as false).
///
/// Why both: the per-candidate test controls false alarms by itself under the IRT model, so the
/// PRMSE is not needed for validity; the item floor keeps the normal approximation tolerable and
/// avoids tests with almost no power; a domain the population shows to be distinct from the
/// total earns a lower floor.
pub fn apply_eligibility(
    evidence: &mut [DomainEvidence],
    added_value: &[bool],
    rule: &EligibilityRule,
) {
    for (d, e) in evidence.iter_mut().enumerate() {
        let valued = added_value.get(d).copied().unwrap_or(false);
        e.eligible = e.n_items >= rule.min_items
            || (valued && e.n_items >= rule.min_items_with_added_value.max(1));
    }
}

/// One domain's test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DomainTest {
    pub domain: usize,
    /// (observed [+ 1/2] - expected) / sqrt(variance); None when not tested.
    pub z: Option<f64>,
    /// One-sided p = Phi(z) of "the domain is not below the overall level".
    pub p_value: Option<f64>,
    /// p adjusted for the number of domains tested.
    pub p_adjusted: Option<f64>,
    /// Eligible with a positive variance.
    pub tested: bool,
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum WeakestDomain {
    /// The domain with the smallest p, whose adjusted p is at most 1 - confidence.
    Named {
        domain: usize,
        z: f64,
        p_adjusted: f64,
    },
    NoneStandsOut,
}

fn check_evidence(evidence: &[DomainEvidence]) -> Result<(), SubscoreError> {
    for (domain, e) in evidence.iter().enumerate() {
        let bad = |field, value, expected| SubscoreError::InvalidEvidence {
            domain,
            field,
            value,
            expected,
        };
        if !e.observed.is_finite() {
            return Err(bad("observed", e.observed, "a finite score"));
        }
        if !e.expected.is_finite() {
            return Err(bad("expected", e.expected, "a finite score"));
        }
        if !(e.variance.is_finite() && e.variance >= 0.0) {
            return Err(bad("variance", e.variance, "a finite number >= 0"));
        }
    }
    Ok(())
}

/// The one-sided test of every domain: z = (observed + cc - expected) / sqrt(variance) with
/// cc = 1/2 under the continuity correction, p = Phi(z), adjusted over the domains tested
/// (eligible, positive variance) by Holm (1979) or Bonferroni.
pub fn domain_tests(
    evidence: &[DomainEvidence],
    rule: &EvidenceRule,
) -> Result<Vec<DomainTest>, SubscoreError> {
    check_evidence(evidence)?;
    let normal = Normal::standard();
    let cc = if rule.continuity_correction { 0.5 } else { 0.0 };
    let mut tests: Vec<DomainTest> = evidence
        .iter()
        .enumerate()
        .map(|(domain, e)| {
            let tested = e.eligible && e.variance > 0.0 && e.n_items > 0;
            let z = tested.then(|| (e.observed + cc - e.expected) / e.variance.sqrt());
            DomainTest {
                domain,
                z,
                p_value: z.map(|z| normal.cdf(z)),
                p_adjusted: None,
                tested,
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..tests.len()).filter(|&d| tests[d].tested).collect();
    order.sort_by(|&x, &y| {
        let (px, py) = (tests[x].p_value, tests[y].p_value);
        px.unwrap_or(1.0)
            .total_cmp(&py.unwrap_or(1.0))
            .then(x.cmp(&y))
    });
    let m = order.len() as f64;
    let mut running: f64 = 0.0;
    for (j, &d) in order.iter().enumerate() {
        let p = tests[d].p_value.unwrap_or(1.0);
        let adj = match rule.multiplicity {
            Multiplicity::Bonferroni => (m * p).min(1.0),
            Multiplicity::Holm => {
                running = running.max(((m - j as f64) * p).min(1.0));
                running
            }
        };
        tests[d].p_adjusted = Some(adj);
    }
    Ok(tests)
}

/// Names the weakest domain only when the evidence says the candidate's level there is below
/// their overall level: the domain with the smallest one-sided p ([`domain_tests`]) is named when
/// its multiplicity-adjusted p is at most 1 - confidence; otherwise no domain stands out. (For the
/// smallest p Holm and Bonferroni give the same adjusted p, m p; they differ for the others.)
pub fn weakest_domain(
    evidence: &[DomainEvidence],
    rule: &EvidenceRule,
) -> Result<WeakestDomain, SubscoreError> {
    if !(rule.confidence > 0.0 && rule.confidence < 1.0) {
        return Err(SubscoreError::Confidence(rule.confidence));
    }
    let tests = domain_tests(evidence, rule)?;
    let alpha = 1.0 - rule.confidence;
    let best = tests.iter().filter(|t| t.tested).min_by(|x, y| {
        x.p_value
            .unwrap_or(1.0)
            .total_cmp(&y.p_value.unwrap_or(1.0))
            .then(x.domain.cmp(&y.domain))
    });
    Ok(match best {
        Some(&DomainTest {
            domain,
            z: Some(z),
            p_adjusted: Some(p_adjusted),
            ..
        }) if p_adjusted <= alpha => WeakestDomain::Named {
            domain,
            z,
            p_adjusted,
        },
        _ => WeakestDomain::NoneStandsOut,
    })
}

/// Checks one candidate's responses (item index, right) against the item -> domain map.
fn check_responses(
    responses: &[(usize, bool)],
    item_domain: &[usize],
    n_domains: usize,
) -> Result<(), SubscoreError> {
    if n_domains == 0 {
        return Err(SubscoreError::NoDomains);
    }
    for (index, &(item, _)) in responses.iter().enumerate() {
        match item_domain.get(item) {
            None => {
                return Err(SubscoreError::UnknownItem {
                    index,
                    item,
                    n_items: item_domain.len(),
                })
            }
            Some(&domain) if domain >= n_domains => {
                return Err(SubscoreError::DomainOutOfRange {
                    item,
                    domain,
                    n_domains,
                })
            }
            _ => {}
        }
    }
    Ok(())
}

fn prob_checked(
    prob: &impl Fn(usize, f64) -> f64,
    item: usize,
    theta: f64,
) -> Result<f64, SubscoreError> {
    let p = prob(item, theta);
    if p.is_finite() && p > 0.0 && p < 1.0 {
        Ok(p)
    } else {
        Err(SubscoreError::Probability { item, theta, p })
    }
}

/// Domain evidence at a given theta (e.g. the candidate's EAP from all items): for the items i
/// of domain d that the candidate answered, expected = sum P_i(theta) and variance =
/// sum P_i(theta) (1 - P_i(theta)) (the compound-binomial moments of the domain score; Lord
/// 1980, ch. 4). `prob(i, theta)` is P(right) of item i. `eligible` is set to true; apply
/// [`apply_eligibility`] next.
///
/// Caution: when theta was estimated from the same responses the test is conservative (the
/// domain pulled theta towards itself and the variance ignores that); [`predictive_evidence`]
/// avoids this.
pub fn evidence_at_theta(
    responses: &[(usize, bool)],
    item_domain: &[usize],
    n_domains: usize,
    prob: impl Fn(usize, f64) -> f64,
    theta: f64,
) -> Result<Vec<DomainEvidence>, SubscoreError> {
    check_responses(responses, item_domain, n_domains)?;
    if !theta.is_finite() {
        return Err(SubscoreError::Theta(theta));
    }
    let mut ev = vec![
        DomainEvidence {
            observed: 0.0,
            expected: 0.0,
            variance: 0.0,
            n_items: 0,
            eligible: true,
        };
        n_domains
    ];
    for &(item, right) in responses {
        let p = prob_checked(&prob, item, theta)?;
        let e = &mut ev[item_domain[item]];
        e.observed += right as u8 as f64;
        e.expected += p;
        e.variance += p * (1.0 - p);
        e.n_items += 1;
    }
    Ok(ev)
}

/// Grid of the leave-one-domain-out posteriors: points from mean - 6 SD to mean + 6 SD.
const PREDICTIVE_GRID: usize = 121;

/// Domain evidence from the posterior predictive distribution of each domain score given the
/// candidate's responses to the *other* domains (a leave-one-domain-out check in the sense of
/// Sinharay, Johnson & Stern 2006, "Posterior predictive assessment of IRT models"):
/// with pi_{-d}(theta) the posterior from a N(mean, sd^2) prior and the responses outside d,
/// T_d(theta) = sum_{i in d} P_i(theta) and V_d(theta) = sum_{i in d} P_i (1 - P_i),
///
/// expected = E[T_d], variance = E[V_d] + Var[T_d] (both over pi_{-d}; the law of total
/// variance),
///
/// so the variance counts both the domain's measurement error and the uncertainty of the overall
/// level, and the domain under test does not pull the overall level towards itself. Under the
/// unidimensional model (no weak domain) the observed domain score is a draw from exactly this
/// distribution. Posteriors on a 121-point grid over mean +- 6 SD. `eligible` is set to true;
/// apply [`apply_eligibility`] next.
pub fn predictive_evidence(
    responses: &[(usize, bool)],
    item_domain: &[usize],
    n_domains: usize,
    prob: impl Fn(usize, f64) -> f64,
    prior: (f64, f64),
) -> Result<Vec<DomainEvidence>, SubscoreError> {
    check_responses(responses, item_domain, n_domains)?;
    let (mu, sd) = prior;
    if !(mu.is_finite() && sd.is_finite() && sd > 0.0) {
        return Err(SubscoreError::Prior { mean: mu, sd });
    }
    let q = PREDICTIVE_GRID;
    let theta: Vec<f64> = (0..q)
        .map(|k| mu + sd * (-6.0 + 12.0 * k as f64 / (q - 1) as f64))
        .collect();
    // Per domain: log-likelihood, T_d and V_d at each grid point.
    let mut ll = vec![vec![0.0; q]; n_domains];
    let mut t = vec![vec![0.0; q]; n_domains];
    let mut v = vec![vec![0.0; q]; n_domains];
    let mut observed = vec![0.0; n_domains];
    let mut n_items = vec![0usize; n_domains];
    for &(item, right) in responses {
        let d = item_domain[item];
        observed[d] += right as u8 as f64;
        n_items[d] += 1;
        for (k, &th) in theta.iter().enumerate() {
            let p = prob_checked(&prob, item, th)?;
            ll[d][k] += if right { p.ln() } else { (1.0 - p).ln() };
            t[d][k] += p;
            v[d][k] += p * (1.0 - p);
        }
    }
    let log_prior: Vec<f64> = theta
        .iter()
        .map(|th| -0.5 * ((th - mu) / sd).powi(2))
        .collect();
    let total: Vec<f64> = (0..q)
        .map(|k| log_prior[k] + ll.iter().map(|l| l[k]).sum::<f64>())
        .collect();
    Ok((0..n_domains)
        .map(|d| {
            let lp: Vec<f64> = (0..q).map(|k| total[k] - ll[d][k]).collect();
            let top = lp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = lp.iter().map(|l| (l - top).exp()).collect();
            let sw: f64 = w.iter().sum();
            let e_t: f64 = (0..q).map(|k| w[k] * t[d][k]).sum::<f64>() / sw;
            let e_t2: f64 = (0..q).map(|k| w[k] * t[d][k] * t[d][k]).sum::<f64>() / sw;
            let e_v: f64 = (0..q).map(|k| w[k] * v[d][k]).sum::<f64>() / sw;
            DomainEvidence {
                observed: observed[d],
                expected: e_t,
                variance: e_v + (e_t2 - e_t * e_t).max(0.0),
                n_items: n_items[d],
                eligible: true,
            }
        })
        .collect())
}
