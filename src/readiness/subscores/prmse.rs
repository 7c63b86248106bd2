//! Haberman's (2008) PRMSE, the augmented subscores and Wainer et al.'s (2001) augmentation.

use nalgebra::DMatrix;
use serde::Serialize;

use super::SubscoreError;

/// Haberman's (2008) quantities for one subscore from its classical moments.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HabermanPrmse {
    /// PRMSE_s: the subscore (Kelley's regressed score) predicting the true subscore = its
    /// reliability.
    pub prmse_subscore: f64,
    /// PRMSE_x: the total score predicting the true subscore.
    pub prmse_total: f64,
    /// PRMSE_{s,x}: the best linear predictor of tau_s from s and x. None when s and x are
    /// perfectly correlated (the 2 x 2 system is singular).
    pub prmse_augmented: Option<f64>,
    /// Weights (beta on s, gamma on x) of the augmented subscore
    /// s_sx = mean_s + beta (s - mean_s) + gamma (x - mean_x).
    pub weights: Option<(f64, f64)>,
}

/// PRMSE_s, PRMSE_x and the augmented subscore of Haberman (2008, "When can subscores have
/// value?", JEBS 33, 204-229) from the sample moments of the subscore s and the total x
/// (variances and covariance with the same denominator) and the reliability of s:
///
/// - var(tau_s) = rel_s var(s), var(e_s) = (1 - rel_s) var(s);
/// - cov(tau_s, x) = cov(s, x) - var(e_s) (the error of s is part of x, uncorrelated with tau_s);
/// - PRMSE_s = rel_s; PRMSE_x = cov(tau_s, x)^2 / (var(tau_s) var(x));
/// - augmented: (beta, gamma) solve [var s, cov sx; cov sx, var x] (beta, gamma)' =
///   (var tau_s, cov(tau_s, x))', and PRMSE_{s,x} = (beta var tau_s + gamma cov(tau_s, x)) /
///   var tau_s (the squared multiple correlation of tau_s with s and x).
///
/// The reliability of the total is not needed: it cancels (Haberman's PRMSE_x =
/// rho^2(tau_s, tau_x) rel_x is the same number). Returns None when the moments cannot give a
/// PRMSE: a non-positive or non-finite variance, or a reliability outside (0, 1].
pub fn haberman_from_moments(
    var_subscore: f64,
    var_total: f64,
    cov_subscore_total: f64,
    reliability: f64,
) -> Option<HabermanPrmse> {
    let finite = [var_subscore, var_total, cov_subscore_total, reliability]
        .iter()
        .all(|v| v.is_finite());
    if !finite || var_subscore <= 0.0 || var_total <= 0.0 || reliability <= 0.0 || reliability > 1.0
    {
        return None;
    }
    let var_true = reliability * var_subscore;
    let var_error = var_subscore - var_true;
    let cov_true_total = cov_subscore_total - var_error;
    let prmse_total = cov_true_total * cov_true_total / (var_true * var_total);
    let det = var_subscore * var_total - cov_subscore_total * cov_subscore_total;
    // Relative test: s and x (almost) collinear, e.g. a single domain that is the whole test.
    let (prmse_augmented, weights) = if det > 1e-12 * var_subscore * var_total {
        let beta = (var_true * var_total - cov_subscore_total * cov_true_total) / det;
        let gamma = (var_subscore * cov_true_total - cov_subscore_total * var_true) / det;
        let prmse = (beta * var_true + gamma * cov_true_total) / var_true;
        (Some(prmse), Some((beta, gamma)))
    } else {
        (None, None)
    };
    Some(HabermanPrmse {
        prmse_subscore: reliability,
        prmse_total,
        prmse_augmented,
        weights,
    })
}

/// The PRMSE analysis of one domain on one form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubscoreValue {
    pub domain: usize,
    pub n_items: usize,
    pub n_persons: usize,
    pub mean_subscore: f64,
    pub var_subscore: f64,
    pub mean_total: f64,
    pub var_total: f64,
    pub cov_subscore_total: f64,
    /// Coefficient alpha (KR-20) of the domain's items; None with fewer than 2 items or a zero
    /// subscore variance.
    pub reliability: Option<f64>,
    /// Coefficient alpha of all items (for information; PRMSE_x does not need it).
    pub reliability_total: f64,
    pub prmse_subscore: Option<f64>,
    pub prmse_total: Option<f64>,
    pub prmse_augmented: Option<f64>,
    /// (beta on s, gamma on x) of the augmented subscore, see [`HabermanPrmse::weights`].
    pub weights: Option<(f64, f64)>,
    /// Haberman (2008): PRMSE_s > PRMSE_x.
    pub added_value: bool,
    /// The augmented subscore improves on the better of s and x by more than 10 % of what is left:
    /// PRMSE_sx - max(PRMSE_s, PRMSE_x) > 0.1 (1 - max(PRMSE_s, PRMSE_x)) (the rule of the R
    /// package subscore, `CTTsub`, Dai, Wang & Svetina).
    pub augmented_added_value: bool,
    /// Why some of the above is None (e.g. "1 item: alpha needs at least 2").
    pub note: Option<String>,
}

impl SubscoreValue {
    /// Haberman's augmented subscore of a person with subscore `s` and total `x`:
    /// mean_s + beta (s - mean_s) + gamma (x - mean_x). None when the weights are not estimable.
    pub fn augmented_subscore(&self, s: f64, x: f64) -> Option<f64> {
        self.weights.map(|(beta, gamma)| {
            self.mean_subscore + beta * (s - self.mean_subscore) + gamma * (x - self.mean_total)
        })
    }
}

/// Checks a complete 0/1 matrix against the item -> domain map.
fn validate(
    responses: &[Vec<u8>],
    item_domain: &[usize],
    n_domains: usize,
) -> Result<(), SubscoreError> {
    if n_domains == 0 {
        return Err(SubscoreError::NoDomains);
    }
    if item_domain.is_empty() {
        return Err(SubscoreError::NoItems);
    }
    if let Some((item, &domain)) = item_domain
        .iter()
        .enumerate()
        .find(|(_, &d)| d >= n_domains)
    {
        return Err(SubscoreError::DomainOutOfRange {
            item,
            domain,
            n_domains,
        });
    }
    if responses.len() < 2 {
        return Err(SubscoreError::TooFewPersons { n: responses.len() });
    }
    for (person, row) in responses.iter().enumerate() {
        if row.len() != item_domain.len() {
            return Err(SubscoreError::RowLength {
                person,
                found: row.len(),
                expected: item_domain.len(),
            });
        }
        if let Some((item, &value)) = row.iter().enumerate().find(|(_, &v)| v > 1) {
            return Err(SubscoreError::NotDichotomous {
                person,
                item,
                value,
            });
        }
    }
    Ok(())
}

/// Sample variance (n - 1) of columns `cols` of a 0/1 matrix, and the variance of their sum.
fn item_and_sum_variances(responses: &[Vec<u8>], cols: &[usize]) -> (f64, f64) {
    let n = responses.len() as f64;
    let mut item_var = 0.0;
    for &j in cols {
        let k = responses.iter().filter(|r| r[j] == 1).count() as f64;
        // sum (u - p)^2 = k (1 - p), p = k / n.
        item_var += k * (1.0 - k / n) / (n - 1.0);
    }
    let sums: Vec<f64> = responses
        .iter()
        .map(|r| cols.iter().map(|&j| r[j] as f64).sum())
        .collect();
    (item_var, variance(&sums))
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn variance(x: &[f64]) -> f64 {
    covariance(x, x)
}

fn covariance(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    x.iter()
        .zip(y)
        .map(|(a, b)| (a - mx) * (b - my))
        .sum::<f64>()
        / (x.len() as f64 - 1.0)
}

/// Coefficient alpha (KR-20 for 0/1 items; Cronbach 1951):
/// k / (k - 1) (1 - sum_i var(u_i) / var(sum)). None with k < 2 or a zero sum variance.
fn alpha(k: usize, item_var: f64, sum_var: f64) -> Option<f64> {
    (k >= 2 && sum_var > 0.0).then(|| k as f64 / (k as f64 - 1.0) * (1.0 - item_var / sum_var))
}

/// Haberman's (2008) PRMSE analysis of every domain from a complete persons x items 0/1 matrix
/// (one form): per domain the subscore's alpha (= PRMSE_s), PRMSE_x, the augmented subscore's
/// PRMSE and weights ([`haberman_from_moments`]) and the added-value decisions.
///
/// Domains with fewer than 2 items or a non-positive alpha get None PRMSEs, `added_value =
/// false` and a note; a total with zero variance is an error.
pub fn haberman_prmse(
    responses: &[Vec<u8>],
    item_domain: &[usize],
    n_domains: usize,
) -> Result<Vec<SubscoreValue>, SubscoreError> {
    validate(responses, item_domain, n_domains)?;
    let all: Vec<usize> = (0..item_domain.len()).collect();
    let totals: Vec<f64> = responses
        .iter()
        .map(|r| r.iter().map(|&u| u as f64).sum())
        .collect();
    let var_total = variance(&totals);
    if var_total <= 0.0 {
        return Err(SubscoreError::ZeroTotalVariance);
    }
    let mean_total = mean(&totals);
    let (item_var_all, _) = item_and_sum_variances(responses, &all);
    let reliability_total = alpha(all.len(), item_var_all, var_total).unwrap_or(f64::NAN);
    Ok((0..n_domains)
        .map(|d| {
            let cols: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&i| item_domain[i] == d)
                .collect();
            let subs: Vec<f64> = responses
                .iter()
                .map(|r| cols.iter().map(|&j| r[j] as f64).sum())
                .collect();
            let (item_var, var_s) = item_and_sum_variances(responses, &cols);
            let cov_sx = covariance(&subs, &totals);
            let reliability = alpha(cols.len(), item_var, var_s);
            let h =
                reliability.and_then(|rel| haberman_from_moments(var_s, var_total, cov_sx, rel));
            let note = match (cols.len(), reliability) {
                (0, _) => Some("no items on this form".to_string()),
                (1, _) => Some("1 item: alpha needs at least 2".to_string()),
                (_, None) => Some("every person has the same subscore".to_string()),
                (_, Some(r)) if r <= 0.0 => Some(format!(
                    "alpha = {r:.3} <= 0: the items do not measure a common true score"
                )),
                _ if h.is_some_and(|h| h.prmse_augmented.is_none()) => Some(
                    "subscore and total perfectly correlated: no augmented subscore".to_string(),
                ),
                _ => None,
            };
            let (added_value, augmented_added_value) = match h {
                Some(h) => decisions(h.prmse_subscore, h.prmse_total, h.prmse_augmented),
                None => (false, false),
            };
            SubscoreValue {
                domain: d,
                n_items: cols.len(),
                n_persons: responses.len(),
                mean_subscore: mean(&subs),
                var_subscore: var_s,
                mean_total,
                var_total,
                cov_subscore_total: cov_sx,
                reliability,
                reliability_total,
                prmse_subscore: h.map(|h| h.prmse_subscore),
                prmse_total: h.map(|h| h.prmse_total),
                prmse_augmented: h.and_then(|h| h.prmse_augmented),
                weights: h.and_then(|h| h.weights),
                added_value,
                augmented_added_value,
                note,
            }
        })
        .collect())
}

/// (added value of s: PRMSE_s > PRMSE_x; of the augmented subscore: the 10 % rule).
fn decisions(prmse_s: f64, prmse_x: f64, prmse_sx: Option<f64>) -> (bool, bool) {
    let best = prmse_s.max(prmse_x);
    (
        prmse_s > prmse_x,
        prmse_sx.is_some_and(|p| p - best > 0.1 * (1.0 - best)),
    )
}

/// One form's complete 0/1 responses (persons x the form's items) and its items' domains.
#[derive(Debug, Clone, Copy)]
pub struct FormResponses<'a> {
    pub responses: &'a [Vec<u8>],
    pub item_domain: &'a [usize],
}

/// A domain's PRMSEs pooled over forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PooledSubscoreValue {
    pub domain: usize,
    /// Forms on which the domain's PRMSEs were estimable (2+ items, alpha > 0).
    pub n_forms: usize,
    /// Persons on those forms (the pooling weights' sum).
    pub n_persons: usize,
    pub n_items_min: usize,
    pub n_items_max: usize,
    /// Person-weighted means over those forms; None when no form gives the domain a PRMSE.
    pub reliability: Option<f64>,
    pub prmse_subscore: Option<f64>,
    pub prmse_total: Option<f64>,
    pub prmse_augmented: Option<f64>,
    /// Haberman's rule on the pooled values.
    pub added_value: bool,
    pub augmented_added_value: bool,
}

/// Pooled and per-form PRMSE analyses of several forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PooledSubscores {
    pub domains: Vec<PooledSubscoreValue>,
    /// [`haberman_prmse`] of each form, in input order (the augmented weights are per form).
    pub per_form: Vec<Vec<SubscoreValue>>,
}

/// Haberman's PRMSE analysis for an incomplete design of several forms: each form is analysed
/// on its own (complete data within a form) and a domain's PRMSE_s, PRMSE_x and PRMSE_{s,x} are
/// averaged over the forms on which they are estimable, weighting each form by its number of
/// persons; the added-value decisions are taken on the pooled values. (Subscores of different
/// forms have different lengths and scales, so their moments are not pooled; the PRMSEs are
/// proportions and comparable.) The augmented weights stay per form.
pub fn haberman_prmse_forms(
    forms: &[FormResponses],
    n_domains: usize,
) -> Result<PooledSubscores, SubscoreError> {
    if forms.is_empty() {
        return Err(SubscoreError::NoForms);
    }
    let per_form: Vec<Vec<SubscoreValue>> = forms
        .iter()
        .enumerate()
        .map(|(form, f)| {
            haberman_prmse(f.responses, f.item_domain, n_domains).map_err(|e| SubscoreError::Form {
                form,
                source: Box::new(e),
            })
        })
        .collect::<Result<_, _>>()?;
    let domains = (0..n_domains)
        .map(|d| {
            let used: Vec<&SubscoreValue> = per_form
                .iter()
                .map(|f| &f[d])
                .filter(|v| v.prmse_total.is_some())
                .collect();
            let w: f64 = used.iter().map(|v| v.n_persons as f64).sum();
            let avg = |get: &dyn Fn(&SubscoreValue) -> Option<f64>| -> Option<f64> {
                let vals: Vec<(f64, f64)> = used
                    .iter()
                    .filter_map(|v| get(v).map(|x| (v.n_persons as f64, x)))
                    .collect();
                let ws: f64 = vals.iter().map(|p| p.0).sum();
                (ws > 0.0).then(|| vals.iter().map(|(n, x)| n * x).sum::<f64>() / ws)
            };
            let reliability = avg(&|v| v.reliability);
            let prmse_subscore = avg(&|v| v.prmse_subscore);
            let prmse_total = avg(&|v| v.prmse_total);
            let prmse_augmented = avg(&|v| v.prmse_augmented);
            let (added_value, augmented_added_value) = match (prmse_subscore, prmse_total) {
                (Some(s), Some(x)) => decisions(s, x, prmse_augmented),
                _ => (false, false),
            };
            PooledSubscoreValue {
                domain: d,
                n_forms: used.len(),
                n_persons: w as usize,
                n_items_min: used.iter().map(|v| v.n_items).min().unwrap_or(0),
                n_items_max: used.iter().map(|v| v.n_items).max().unwrap_or(0),
                reliability,
                prmse_subscore,
                prmse_total,
                prmse_augmented,
                added_value,
                augmented_added_value,
            }
        })
        .collect();
    Ok(PooledSubscores { domains, per_form })
}

/// Wainer et al.'s (2001) empirical-Bayes augmentation of all subscores at once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WainerAugmentation {
    /// Subscore means.
    pub means: Vec<f64>,
    /// B = S_true S_obs^-1 (row d: the weights of every domain's deviation in domain d's
    /// augmented score): augmented = means + B (s - means).
    pub weights: Vec<Vec<f64>>,
    /// Squared correlation of the augmented subscore with its own true subscore (a PRMSE,
    /// comparable with Haberman's): [S_true S_obs^-1 S_true]_dd / [S_true]_dd.
    pub prmse: Vec<f64>,
    /// The reliability Wainer et al. (2001) report (and `subscore::CTTsub`, `method = "Wainer"`):
    /// A_dd / C_dd with C = S_true S_obs^-1 S_true and A = C S_obs^-1 S_true, the share of the
    /// augmented score's variance that is true-score variance.
    pub reliability: Vec<f64>,
}

/// Wainer et al. (2001, "Augmented scores", in Thissen & Wainer, Test Scoring, ch. 9):
/// the multivariate Kelley regression of the true subscores on all observed subscores,
/// tau_hat = mean + S_true S_obs^-1 (s - mean), where S_obs is the subscores' covariance matrix
/// and S_true the same with the diagonal replaced by alpha_d var(s_d). Needs every domain's
/// alpha > 0 and an invertible S_obs.
pub fn wainer_augmentation(
    responses: &[Vec<u8>],
    item_domain: &[usize],
    n_domains: usize,
) -> Result<WainerAugmentation, SubscoreError> {
    validate(responses, item_domain, n_domains)?;
    let subs: Vec<Vec<f64>> = (0..n_domains)
        .map(|d| {
            responses
                .iter()
                .map(|r| {
                    r.iter()
                        .zip(item_domain)
                        .filter(|(_, &dd)| dd == d)
                        .map(|(&u, _)| u as f64)
                        .sum()
                })
                .collect()
        })
        .collect();
    let n = n_domains;
    let mut s_obs = DMatrix::<f64>::zeros(n, n);
    for j in 0..n {
        for k in 0..n {
            s_obs[(j, k)] = covariance(&subs[j], &subs[k]);
        }
    }
    let mut s_true = s_obs.clone();
    for d in 0..n {
        let cols: Vec<usize> = (0..item_domain.len())
            .filter(|&i| item_domain[i] == d)
            .collect();
        let (item_var, var_s) = item_and_sum_variances(responses, &cols);
        match alpha(cols.len(), item_var, var_s) {
            Some(a) if a > 0.0 => s_true[(d, d)] = a * var_s,
            other => {
                return Err(SubscoreError::WainerNotEstimable {
                    domain: d,
                    reason: match other {
                        Some(a) => format!("alpha = {a:.3} <= 0"),
                        None => format!("{} items / zero subscore variance", cols.len()),
                    },
                })
            }
        }
    }
    let inv = s_obs
        .clone()
        .try_inverse()
        .ok_or_else(|| SubscoreError::WainerNotEstimable {
            domain: 0,
            reason: "the subscore covariance matrix is singular".to_string(),
        })?;
    let b = &s_true * &inv;
    let c = &b * &s_true;
    let a = &c * &inv * &s_true;
    Ok(WainerAugmentation {
        means: subs.iter().map(|s| mean(s)).collect(),
        weights: (0..n)
            .map(|j| (0..n).map(|k| b[(j, k)]).collect())
            .collect(),
        prmse: (0..n).map(|d| c[(d, d)] / s_true[(d, d)]).collect(),
        reliability: (0..n).map(|d| a[(d, d)] / c[(d, d)]).collect(),
    })
}
