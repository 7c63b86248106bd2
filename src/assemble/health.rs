//! Pool health: per blueprint domain and difficulty band, how many items the pool has (by
//! status) against what the spec's forms need, and the shortfall in words.
//!
//! Rule for 'need' (a planning rule, not a feasibility proof):
//! - a domain needs ceil(min per form x forms / min(max_forms_per_item, forms)) distinct allowed
//!   items, the min being the spec's `[[count]]` minimum for that domain (0 without one);
//! - that number is spread over the b bands in proportion to the reference form's b distribution
//!   within the domain (the whole reference form when it has no item of the domain, and the
//!   N(0, 1) distribution when the spec has no reference form), with largest-remainder rounding
//!   so the band needs add up to the domain need;
//! - a band's shortfall is its need minus its allowed items (never below 0).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use super::error::AtaError;
use super::model::attr_text;
use super::pool::{format_number, Pool};
use super::spec::Spec;

/// What to tabulate.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthConfig {
    /// The blueprint column (its values are the domains).
    pub domain_column: String,
    /// Inner edges of the b bands, increasing; bands are (-inf, e1], (e1, e2], ..., (ek, inf).
    pub band_edges: Vec<f64>,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            domain_column: "domain".into(),
            band_edges: vec![-1.0, -0.5, 0.0, 0.5, 1.0],
        }
    }
}

/// A difficulty band (lower, upper]; the ends may be infinite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    pub lower: f64,
    pub upper: f64,
}

impl Band {
    pub fn contains(&self, b: f64) -> bool {
        b > self.lower && b <= self.upper
    }
    /// "(-0.5, 0]", "(-inf, -1]", "(1, inf)".
    pub fn label(&self) -> String {
        let lo = if self.lower.is_finite() {
            format_number(self.lower)
        } else {
            "-inf".into()
        };
        if self.upper.is_finite() {
            format!("({lo}, {}]", format_number(self.upper))
        } else {
            format!("({lo}, inf)")
        }
    }
}

/// One domain x band cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthRow {
    pub domain: String,
    pub band: Band,
    /// Items of the cell per status (all statuses, "(none)" when the status is empty).
    pub by_status: BTreeMap<String, usize>,
    /// Items whose status is allowed.
    pub allowed: usize,
    pub need: usize,
    pub shortfall: usize,
}

/// Domain totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainHealth {
    pub domain: String,
    /// The spec's minimum per form (0 without a count constraint).
    pub min_per_form: usize,
    pub allowed: usize,
    pub need: usize,
    pub shortfall: usize,
    /// Where the band proportions came from.
    pub band_source: String,
}

/// The pool-health table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolHealth {
    pub forms: usize,
    pub max_forms_per_item: usize,
    /// The rule used for 'need', in words.
    pub rule: String,
    pub domains: Vec<DomainHealth>,
    pub rows: Vec<HealthRow>,
    /// One sentence per shortfall, e.g. "D3 needs 14 more items with b in (-0.5, 0] to build 4
    /// forms".
    pub shortfalls: Vec<String>,
}

/// Tabulates the pool against what `spec.forms` forms of the spec's blueprint need (see the
/// module doc for the rule).
pub fn pool_health(
    pool: &Pool,
    spec: &Spec,
    config: &HealthConfig,
) -> Result<PoolHealth, AtaError> {
    let col = &config.domain_column;
    if !pool.has_column(col) {
        return Err(AtaError::SpecInvalid(format!(
            "pool health: domain column '{col}' is not in the pool (attribute columns: {})",
            pool.attribute_columns.join(", ")
        )));
    }
    if config.band_edges.iter().any(|x| !x.is_finite())
        || config.band_edges.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(AtaError::SpecInvalid(
            "pool health: band_edges must be finite and strictly increasing".into(),
        ));
    }
    let mut bands = Vec::new();
    let mut lower = f64::NEG_INFINITY;
    for &e in &config.band_edges {
        bands.push(Band { lower, upper: e });
        lower = e;
    }
    bands.push(Band {
        lower,
        upper: f64::INFINITY,
    });
    let band_of = |b: f64| bands.iter().position(|band| band.contains(b)).unwrap_or(0);

    let allowed_status = |i: usize| -> bool {
        match &spec.allowed_status {
            None => true,
            Some(list) => attr_text(pool, i, &spec.status_column)
                .is_some_and(|s| list.iter().any(|a| a == &s)),
        }
    };
    let forms = spec.forms.max(1);
    let per_item = spec.max_forms_per_item.clamp(1, forms);

    let mut domains: BTreeSet<String> = (0..pool.items.len())
        .filter_map(|i| attr_text(pool, i, col))
        .collect();
    let mut min_per_form: BTreeMap<String, usize> = BTreeMap::new();
    for c in spec.count.iter().filter(|c| &c.column == col) {
        let v = c.value.as_text();
        domains.insert(v.clone());
        let m = min_per_form.entry(v).or_default();
        *m = (*m).max(c.min.unwrap_or(0));
    }
    let reference: Vec<usize> = spec
        .reference_form
        .as_ref()
        .map(|ids| ids.iter().filter_map(|id| pool.index_of(id)).collect())
        .unwrap_or_default();

    let normal = Normal::new(0.0, 1.0).map_err(|e| AtaError::SpecInvalid(e.to_string()))?;
    let normal_props: Vec<f64> = bands
        .iter()
        .map(|b| normal.cdf(b.upper) - normal.cdf(b.lower))
        .collect();
    let props_of = |items: &[usize]| -> Vec<f64> {
        let mut p = vec![0.0; bands.len()];
        for &i in items {
            p[band_of(pool.items[i].b)] += 1.0 / items.len() as f64;
        }
        p
    };

    let mut out_domains = Vec::new();
    let mut rows = Vec::new();
    let mut shortfalls = Vec::new();
    for d in &domains {
        let in_domain: Vec<usize> = (0..pool.items.len())
            .filter(|&i| attr_text(pool, i, col).as_deref() == Some(d.as_str()))
            .collect();
        let min = min_per_form.get(d).copied().unwrap_or(0);
        let need = (min * forms).div_ceil(per_item);
        let ref_in: Vec<usize> = reference
            .iter()
            .copied()
            .filter(|i| in_domain.contains(i))
            .collect();
        let (props, band_source) = if !ref_in.is_empty() {
            (
                props_of(&ref_in),
                format!("reference form, {} items of {d}", ref_in.len()),
            )
        } else if !reference.is_empty() {
            (
                props_of(&reference),
                format!("reference form, all {} items", reference.len()),
            )
        } else {
            (normal_props.clone(), "N(0, 1)".to_string())
        };
        let band_need = largest_remainder(need, &props);
        let mut allowed_total = 0;
        for (k, band) in bands.iter().enumerate() {
            let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
            let mut allowed = 0;
            for &i in in_domain
                .iter()
                .filter(|&&i| band.contains(pool.items[i].b))
            {
                let s = attr_text(pool, i, &spec.status_column).unwrap_or_else(|| "(none)".into());
                *by_status.entry(s).or_default() += 1;
                if allowed_status(i) {
                    allowed += 1;
                }
            }
            allowed_total += allowed;
            let shortfall = band_need[k].saturating_sub(allowed);
            if shortfall > 0 {
                shortfalls.push(format!(
                    "{d} needs {shortfall} more item{} with b in {} to build {forms} forms",
                    if shortfall == 1 { "" } else { "s" },
                    band.label()
                ));
            }
            rows.push(HealthRow {
                domain: d.clone(),
                band: *band,
                by_status,
                allowed,
                need: band_need[k],
                shortfall,
            });
        }
        let shortfall = need.saturating_sub(allowed_total);
        if shortfall > 0 {
            shortfalls.push(format!(
                "{d} needs {shortfall} more item{} (any b) to build {forms} forms: {need} needed, {allowed_total} allowed",
                if shortfall == 1 { "" } else { "s" }
            ));
        }
        out_domains.push(DomainHealth {
            domain: d.clone(),
            min_per_form: min,
            allowed: allowed_total,
            need,
            shortfall,
            band_source,
        });
    }
    Ok(PoolHealth {
        forms,
        max_forms_per_item: spec.max_forms_per_item,
        rule: "need = ceil(count min per form x forms / min(max_forms_per_item, forms)) items per domain, spread over b bands like the reference form's b distribution in that domain (whole reference form, else N(0,1)), largest-remainder rounding; shortfall = need - allowed items".into(),
        domains: out_domains,
        rows,
        shortfalls,
    })
}

/// Splits `total` into whole numbers proportional to `props` (Hamilton's largest remainder).
pub(crate) fn largest_remainder(total: usize, props: &[f64]) -> Vec<usize> {
    let sum: f64 = props.iter().sum();
    if total == 0 || sum <= 0.0 {
        return vec![0; props.len()];
    }
    let quotas: Vec<f64> = props.iter().map(|p| p / sum * total as f64).collect();
    let mut out: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut left = total - out.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..props.len()).collect();
    order.sort_by(|&a, &b| {
        (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor()))
    });
    for &k in order.iter().cycle() {
        if left == 0 {
            break;
        }
        out[k] += 1;
        left -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // property: the apportionment adds up and follows the proportions.
    #[test]
    fn largest_remainder_adds_up() {
        let v = largest_remainder(14, &[0.1, 0.25, 0.3, 0.35]);
        assert_eq!(
            v.iter().sum::<usize>(),
            14,
            "band needs must add to 14: {v:?}"
        );
        // quotas 1.4, 3.5, 4.2, 4.9 -> floors 1,3,4,4 (12), remainders .9 and .5 get the 2 left.
        assert_eq!(v, vec![1, 4, 4, 5]);
        assert_eq!(largest_remainder(0, &[0.5, 0.5]), vec![0, 0]);
    }
}
