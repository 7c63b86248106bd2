//! A list of item ids in a file (one per line, or a CSV whose first column holds them, with an
//! optional `item_id` header): the suspected items of `qbank security --suspected`.

use std::path::Path;

use super::diagnostics::{Diagnostics, Location};
use super::{display, Exam};

/// Exam item indices of the ids listed in `path`; every unknown id is an error with its line.
pub fn read_item_list(path: &Path, exam: &Exam, diags: &mut Diagnostics) -> Option<Vec<usize>> {
    let file = display(path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.error(
                Location::file(file),
                format!("cannot read the item list: {e}"),
            );
            return None;
        }
    };
    let mut items = Vec::new();
    let before = diags.error_count();
    for (n, line) in text.lines().enumerate() {
        let id = line
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if id.is_empty() || (n == 0 && id == "item_id") {
            continue;
        }
        match exam.item_index.get(id) {
            Some(&i) if !items.contains(&i) => items.push(i),
            Some(_) => {}
            None => diags.error(
                Location::file(file.clone()).line(n as u64 + 1).item(id),
                "not an item of items.csv",
            ),
        }
    }
    (diags.error_count() == before).then_some(items)
}
