//! Domain (subscore) feedback with a reliability check.
//!
//! This module owns two questions about blueprint domains:
//!
//! 1. **Does a domain subscore carry information beyond the total score?** (population level,
//!    from a calibration sample of complete 0/1 responses). Haberman's (2008) PRMSE criterion:
//!    the subscore s "has added value" when it predicts its own true score tau_s better than the
//!    total x does, PRMSE_s > PRMSE_x ([`haberman_prmse`], [`haberman_from_moments`]); with
//!    Haberman's augmented subscore (the best linear predictor of tau_s from s and x) and Wainer
//!    et al.'s (2001) empirical-Bayes augmentation from all subscores ([`wainer_augmentation`]).
//!    Several forms: computed per form and pooled, weighting by persons ([`haberman_prmse_forms`]).
//! 2. **Does one candidate's domain level differ from their overall level?** (individual level).
//!    A domain is *named* as the weakest only when a one-sided test says the candidate's domain
//!    score is below what their ability predicts, at a stated confidence, with a Holm (or
//!    Bonferroni) correction over the domains tested; otherwise "no domain stands out"
//!    ([`weakest_domain`]). The evidence per domain (observed score, its expectation and variance
//!    under the model) comes from [`predictive_evidence`] (the posterior predictive distribution of
//!    the domain score given the candidate's responses to the *other* domains; recommended) or
//!    [`evidence_at_theta`] (binomial-compound moments at a given theta). Which domains may be
//!    tested at all is decided by [`apply_eligibility`] (enough items seen, or a subscore with
//!    added value).
//!
//! Everything here computes; nothing prints or writes.

//!
//! Files: [`prmse`] (part 1) and [`evidence`] (part 2); the errors are shared.

pub mod evidence;
pub mod prmse;

pub use evidence::*;
pub use prmse::*;

use thiserror::Error;

/// Errors of the subscore analyses. Each names the person, item, form or domain at fault.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SubscoreError {
    #[error("n_domains is 0: at least one domain is needed")]
    NoDomains,
    #[error("the response matrix has {n} persons: at least 2 are needed for variances")]
    TooFewPersons { n: usize },
    #[error("item_domain is empty: at least one item is needed")]
    NoItems,
    #[error(
        "person {person}: {found} responses, expected {expected} (one per entry of item_domain)"
    )]
    RowLength {
        person: usize,
        found: usize,
        expected: usize,
    },
    #[error("person {person}, item {item}: response {value}, expected 0 or 1")]
    NotDichotomous {
        person: usize,
        item: usize,
        value: u8,
    },
    #[error("item {item}: domain {domain}, expected a domain index below n_domains = {n_domains}")]
    DomainOutOfRange {
        item: usize,
        domain: usize,
        n_domains: usize,
    },
    #[error("the total score has zero variance (every person has the same total): no PRMSE can be computed")]
    ZeroTotalVariance,
    #[error("domain {domain}: {reason}; Wainer augmentation needs every domain's reliability and an invertible subscore covariance matrix")]
    WainerNotEstimable { domain: usize, reason: String },
    #[error("form {form}: {source}")]
    Form {
        form: usize,
        source: Box<SubscoreError>,
    },
    #[error("no forms given")]
    NoForms,
    #[error("domain {domain}: {field} = {value}, expected {expected}")]
    InvalidEvidence {
        domain: usize,
        field: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("confidence {0}: expected a number strictly between 0 and 1 (e.g. 0.90)")]
    Confidence(f64),
    #[error("response {index}: item {item} has no domain (item_domain has {n_items} entries)")]
    UnknownItem {
        index: usize,
        item: usize,
        n_items: usize,
    },
    #[error("prior ({mean}, {sd}): expected a finite mean and a positive finite SD")]
    Prior { mean: f64, sd: f64 },
    #[error("item {item}: P(right | theta = {theta}) = {p}, expected a probability strictly between 0 and 1")]
    Probability { item: usize, theta: f64, p: f64 },
    #[error("theta = {0}: expected a finite number")]
    Theta(f64),
}
