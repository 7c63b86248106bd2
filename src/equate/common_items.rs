//! Linking two forms' item parameters through their common items by every method, with the
//! delta-method standard errors of the constants when both forms have covariance matrices (the
//! core of `qbank link` and `qbank equate --new-params/--old-params`).

use crate::exam::{Diagnostics, Location};
use crate::irt::Logistic;

use super::link_se::{link_with_options, FormEstimates, LinkEstimate, LinkOptions};
use super::linking::LinkMethod;

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

/// Two forms linked by every method.
#[derive(Debug, Clone)]
pub struct LinkedParams {
    pub new: FormEstimates,
    pub old: FormEstimates,
    /// The common items used (ids, in the new form's order).
    pub common: Vec<String>,
    /// One link per method of [`LinkMethod::ALL`].
    pub links: Vec<LinkEstimate>,
    /// Scaling constant D of the parameters.
    pub scale_d: f64,
    /// Whether the characteristic-curve criteria were symmetric.
    pub symmetric: bool,
}

impl LinkedParams {
    /// The link by `method`.
    pub fn link(&self, method: LinkMethod) -> &LinkEstimate {
        self.links
            .iter()
            .find(|l| l.method == method)
            .unwrap_or(&self.links[0])
    }

    /// The new form's items on the old scale by `method`, as item models.
    pub fn new_on_old(&self, method: LinkMethod) -> Vec<Logistic> {
        let l = self.link(method);
        self.new
            .items
            .iter()
            .map(|it| l.transform_item(it).model(self.scale_d))
            .collect()
    }

    /// The old form's items as item models.
    pub fn old_models(&self) -> Vec<Logistic> {
        self.old
            .items
            .iter()
            .map(|it| it.model(self.scale_d))
            .collect()
    }
}

/// Finds the common items of `new` and `old` (`new_flags`: the new file's common-item column,
/// item by item, when it has one) and links new onto old by every method with the criterion
/// options `opts` (its `anchors` are replaced by the selection); `source` names the new file in
/// messages.
pub fn link_params(
    new: FormEstimates,
    old: FormEstimates,
    new_flags: &[Option<bool>],
    selection: &CommonSelection,
    opts: &LinkOptions,
    source: &str,
) -> Result<LinkedParams, Diagnostics> {
    let mut diags = Diagnostics::default();
    let common: Vec<String> = new
        .items
        .iter()
        .enumerate()
        .filter(|(i, it)| selection.is_common(&it.item_id, new_flags.get(*i).copied().flatten()))
        .filter(|(_, it)| old.index_of(&it.item_id).is_some())
        .map(|(_, it)| it.item_id.clone())
        .collect();
    for id in &selection.common {
        if new.index_of(id).is_none() || old.index_of(id).is_none() {
            diags.error(
                Location::file("--common").item(id.as_str()),
                format!("common item '{id}' is not in both parameter files"),
            );
        }
    }
    if common.len() < 2 && !diags.has_errors() {
        diags.error(
            Location::file(source),
            format!(
                "{} common item(s) found; linking needs at least 2",
                common.len()
            ),
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let opts = LinkOptions {
        anchors: Some(common.clone()),
        ..opts.clone()
    };
    let links = LinkMethod::ALL
        .iter()
        .map(|&m| link_with_options(&new, &old, m, &opts))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            let mut d = Diagnostics::default();
            d.error(Location::file(source), e.to_string());
            d
        })?;
    Ok(LinkedParams {
        scale_d: opts.d,
        symmetric: opts.curve.symmetric,
        new,
        old,
        common,
        links,
    })
}
