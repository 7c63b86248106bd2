//! Writes an imported wide export (`qbank import`) as a data set folder: qbank.toml with one form,
//! items.csv, forms.csv and attempts.csv, ready for `qbank validate` and `qbank run`.

use std::path::Path;

use super::files::{write_atomic, write_csv, WriteError};
use crate::exam::import::WideExport;

/// The blueprint of the import: the key's domains with weights proportional to their item
/// counts (summing to 100), or one domain holding every item.
fn domains(x: &WideExport) -> Vec<(String, f64)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for it in &x.items {
        let d = it.domain.clone().unwrap_or_else(|| "ALL".into());
        match counts.iter_mut().find(|(n, _)| *n == d) {
            Some(c) => c.1 += 1,
            None => counts.push((d, 1)),
        }
    }
    let n = x.items.len().max(1) as f64;
    let mut out: Vec<(String, f64)> = counts
        .iter()
        .map(|(d, c)| (d.clone(), (10000.0 * *c as f64 / n).round() / 100.0))
        .collect();
    let rest = 100.0 - out.iter().map(|d| d.1).sum::<f64>();
    if let Some(last) = out.last_mut() {
        last.1 = ((last.1 + rest) * 100.0).round() / 100.0;
    }
    out
}

fn toml_string(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Writes the data set into `out` (created if needed).
pub fn write_dataset(
    out: &Path,
    x: &WideExport,
    form_id: &str,
    name: &str,
) -> Result<(), WriteError> {
    let doms = domains(x);
    let toml = out.join("qbank.toml");
    write_atomic(&toml, |w| {
        writeln!(w, "# Written by qbank import. Set the scale's cut before reporting pass rates.")?;
        writeln!(w, "name = {}", toml_string(name))?;
        writeln!(w, "base_form = {}", toml_string(form_id))?;
        for (d, weight) in &doms {
            writeln!(w, "\n[[domains]]\nid = {}\nname = {}\nweight = {weight}", toml_string(d), toml_string(if d == "ALL" { "All items" } else { d }))?;
        }
        writeln!(w, "\n[scale]\n# The cut anchored at a theta (or raw_cut = N: a raw score on this form); edit to your pass mark.")?;
        writeln!(w, "theta_cut = 0.0\nslope = 100")?;
        if !x.keyed {
            writeln!(w, "\n# Imported from a scored 0/1 file: option A = right, B = wrong (no option analysis).")?;
        }
        Ok(())
    })
    .map_err(WriteError::at(&toml))?;
    let items = out.join("items.csv");
    write_csv(
        &items,
        &["item_id", "domain", "type", "key", "options", "a", "b", "c"],
        x.items.iter().map(|it| {
            [
                it.item_id.clone(),
                it.domain.clone().unwrap_or_else(|| "ALL".into()),
                if it.multiple { "multiple" } else { "single" }.to_string(),
                it.key.clone(),
                it.options.to_string(),
                it.params[0].clone(),
                it.params[1].clone(),
                it.params[2].clone(),
            ]
        }),
    )
    .map_err(WriteError::at(&items))?;
    let forms = out.join("forms.csv");
    write_csv(
        &forms,
        &["form_id", "position", "item_id", "scored"],
        x.items.iter().enumerate().map(|(k, it)| {
            [
                form_id.to_string(),
                (k + 1).to_string(),
                it.item_id.clone(),
                "true".into(),
            ]
        }),
    )
    .map_err(WriteError::at(&forms))?;
    let attempts = out.join("attempts.csv");
    write_csv(
        &attempts,
        &[
            "attempt_id",
            "candidate_id",
            "form_id",
            "item_id",
            "response",
        ],
        x.examinees.iter().zip(&x.responses).flat_map(|(id, row)| {
            x.items.iter().zip(row).filter_map(move |(it, r)| {
                r.as_ref().map(|r| {
                    [
                        id.clone(),
                        id.clone(),
                        form_id.to_string(),
                        it.item_id.clone(),
                        r.clone(),
                    ]
                })
            })
        }),
    )
    .map_err(WriteError::at(&attempts))?;
    Ok(())
}
