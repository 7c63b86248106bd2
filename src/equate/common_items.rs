//! Linking two item-parameter files through their common items by every method (the core of
//! `qbank link` and `qbank equate --new-params/--old-params`).

use crate::exam::params::ParamRow;
use crate::exam::{Diagnostics, Location};
use crate::irt::Logistic;

use super::linking::{link, CurveOptions, Link, LinkMethod};

/// Which items count as common.
#[derive(Debug, Clone, Default)]
pub struct CommonSelection {
    /// Common items by id; empty = the files' common-item column, or else every id in both.
    pub common: Vec<String>,
    /// Items never used as common items.
    pub exclude: Vec<String>,
}

impl CommonSelection {
    fn is_common(&self, id: &str, flag: Option<bool>) -> bool {
        if self.exclude.iter().any(|e| e == id) {
            return false;
        }
        if !self.common.is_empty() {
            return self.common.iter().any(|c| c == id);
        }
        flag.unwrap_or(true)
    }
}

/// Two parameter files linked by every method.
#[derive(Debug, Clone)]
pub struct LinkedParams {
    pub new: Vec<ParamRow>,
    pub old: Vec<ParamRow>,
    /// (index in new, index in old) of the common items.
    pub pairs: Vec<(usize, usize)>,
    pub links: Vec<Link>,
    /// Scaling constant D of the parameters.
    pub scale_d: f64,
}

impl LinkedParams {
    /// The link by `method`.
    pub fn link(&self, method: LinkMethod) -> Link {
        self.links
            .iter()
            .find(|l| l.method == method)
            .copied()
            .unwrap_or(self.links[0])
    }

    /// A parameter row as an item model (3PL when c > 0, else 2PL).
    pub fn model(&self, r: &ParamRow) -> Logistic {
        Logistic::from_abc(r.params.a, r.params.b, r.params.c, self.scale_d)
    }
}

/// Finds the common items of `new` and `old` and links new onto old by every method; `source`
/// names the new file in messages.
pub fn link_params(
    new: Vec<ParamRow>,
    old: Vec<ParamRow>,
    selection: &CommonSelection,
    scale_d: f64,
    symmetric: bool,
    source: &str,
) -> Result<LinkedParams, Diagnostics> {
    let mut diags = Diagnostics::default();
    let pairs: Vec<(usize, usize)> = new
        .iter()
        .enumerate()
        .filter(|(_, r)| selection.is_common(&r.item_id, r.common))
        .filter_map(|(i, r)| {
            old.iter()
                .position(|o| o.item_id == r.item_id)
                .map(|j| (i, j))
        })
        .collect();
    for id in &selection.common {
        if !new.iter().any(|r| &r.item_id == id) || !old.iter().any(|r| &r.item_id == id) {
            diags.error(
                Location::file("--common").item(id.as_str()),
                format!("common item '{id}' is not in both parameter files"),
            );
        }
    }
    if pairs.len() < 2 && !diags.has_errors() {
        diags.error(
            Location::file(source),
            format!(
                "{} common item(s) found; linking needs at least 2",
                pairs.len()
            ),
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let model = |r: &ParamRow| Logistic::from_abc(r.params.a, r.params.b, r.params.c, scale_d);
    let n: Vec<Logistic> = pairs.iter().map(|&(i, _)| model(&new[i])).collect();
    let o: Vec<Logistic> = pairs.iter().map(|&(_, j)| model(&old[j])).collect();
    let opts = CurveOptions {
        symmetric,
        ..CurveOptions::default()
    };
    let links = LinkMethod::ALL
        .iter()
        .map(|&m| link(&n, &o, m, &opts))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            let mut d = Diagnostics::default();
            d.error(Location::file(source), e.to_string());
            d
        })?;
    Ok(LinkedParams {
        new,
        old,
        pairs,
        links,
        scale_d,
    })
}
