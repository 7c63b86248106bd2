//! Form definitions (`forms.csv`): which items each form presents, in which position, and whether
//! each is scored (operational) or an unscored pretest item on that form.

use std::collections::{BTreeMap, HashMap};

use super::config::Config;
use super::diagnostics::{Diagnostics, Location};
use super::items::Item;
use super::table::{parse_bool, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormItem {
    /// Index into the exam's items.
    pub item: usize,
    pub position: u32,
    pub scored: bool,
}

/// A form: its items ordered by position.
#[derive(Debug, Clone)]
pub struct Form {
    pub id: String,
    pub items: Vec<FormItem>,
}

impl Form {
    pub fn scored(&self) -> impl Iterator<Item = &FormItem> {
        self.items.iter().filter(|fi| fi.scored)
    }
    pub fn pretest(&self) -> impl Iterator<Item = &FormItem> {
        self.items.iter().filter(|fi| !fi.scored)
    }
    pub fn n_scored(&self) -> usize {
        self.scored().count()
    }
}

pub(crate) const FORM_COLUMNS: [&str; 4] = ["form_id", "position", "item_id", "scored"];

/// Reads and checks the forms; forms are returned in order of first appearance.
pub fn read_forms(
    table: &Table,
    config: &Config,
    items: &[Item],
    item_index: &HashMap<String, usize>,
    diags: &mut Diagnostics,
) -> Vec<Form> {
    table.reject_extra(diags);
    let mut order: Vec<String> = Vec::new();
    let mut by_form: HashMap<String, Vec<(u64, FormItem)>> = HashMap::new();
    for row in table.rows() {
        let form_id = row.get("form_id").unwrap_or("");
        if form_id.is_empty() {
            diags.error(row.location("form_id"), "empty form_id");
            continue;
        }
        let item_id = row.get("item_id").unwrap_or("");
        let Some(&item) = item_index.get(item_id) else {
            diags.error(
                row.location("item_id").item(item_id),
                format!("form '{form_id}' lists item '{item_id}', which is not in the item bank"),
            );
            continue;
        };
        let pos_text = row.get("position").unwrap_or("");
        let Ok(position) = pos_text.parse::<u32>() else {
            diags.error(
                row.location("position").item(item_id),
                format!("position '{pos_text}' is not a whole number >= 0"),
            );
            continue;
        };
        let scored_text = row.get("scored").unwrap_or("");
        let Some(scored) = parse_bool(scored_text) else {
            diags.error(
                row.location("scored").item(item_id),
                format!("scored '{scored_text}' is not true or false"),
            );
            continue;
        };
        if !by_form.contains_key(form_id) {
            order.push(form_id.to_string());
        }
        by_form.entry(form_id.to_string()).or_default().push((
            row.line,
            FormItem {
                item,
                position,
                scored,
            },
        ));
    }
    let mut forms = Vec::new();
    for id in order {
        let mut rows = by_form.remove(&id).unwrap_or_default();
        rows.sort_by_key(|(line, fi)| (fi.position, *line));
        let mut positions: BTreeMap<u32, u64> = BTreeMap::new();
        let mut seen_items: HashMap<usize, u64> = HashMap::new();
        for (line, fi) in &rows {
            let item_id = &items[fi.item].id;
            if let Some(first) = positions.insert(fi.position, *line) {
                diags.error(
                    Location::file(&table.file)
                        .line(*line)
                        .column("position")
                        .item(item_id),
                    format!(
                        "form '{id}' has two items at position {} (also line {first})",
                        fi.position
                    ),
                );
            }
            if let Some(first) = seen_items.insert(fi.item, *line) {
                diags.error(
                    Location::file(&table.file)
                        .line(*line)
                        .column("item_id")
                        .item(item_id),
                    format!("form '{id}' lists item '{item_id}' twice (also line {first})"),
                );
            }
        }
        let form = Form {
            id: id.clone(),
            items: rows.into_iter().map(|(_, fi)| fi).collect(),
        };
        if form.n_scored() == 0 {
            diags.error(
                Location::file(&table.file).column("scored"),
                format!("form '{id}' has no scored items; every form needs at least one"),
            );
        } else {
            let mut covered = vec![false; config.domains.len()];
            for fi in form.scored() {
                covered[items[fi.item].domain] = true;
            }
            for (d, cov) in covered.iter().enumerate() {
                if !cov && config.domains[d].weight > 0.0 {
                    diags.warning(
                        Location::file(&table.file),
                        format!(
                            "form '{id}' has no scored item in domain '{}' ({} % of the blueprint)",
                            config.domains[d].id, config.domains[d].weight
                        ),
                    );
                }
            }
        }
        forms.push(form);
    }
    if !forms.iter().any(|f| f.id == config.base_form) {
        diags.error(
            Location::file(&table.file).column("form_id"),
            format!(
                "the base form '{}' named in qbank.toml is not defined in this file",
                config.base_form
            ),
        );
    }
    forms
}
