//! The outputs of `qbank calibrate --method jmle`: `jmle_items.csv`, `jmle_persons.csv` (Winsteps'
//! IFILE/PFILE columns) and `jmle.json`.

use std::path::Path;

use crate::irt::jmle::{Extreme, JmleFit, RaschMeasure};

use super::files::{fmt_f, write_csv, WriteError};
use super::tables::write_json;

fn rows<'a>(
    ids: &'a [String],
    measures: &'a [RaschMeasure],
) -> impl Iterator<Item = Vec<String>> + 'a {
    let opt = |x: Option<f64>, d: usize| x.map(|v| fmt_f(v, d)).unwrap_or_default();
    ids.iter().zip(measures).map(move |(id, m)| {
        vec![
            id.clone(),
            opt(m.measure, 4),
            opt(m.se, 4),
            m.score.to_string(),
            m.count.to_string(),
            match m.extreme {
                None => "estimated",
                Some(Extreme::Minimum) => "extreme_minimum",
                Some(Extreme::Maximum) => "extreme_maximum",
            }
            .to_string(),
            opt(m.fit.map(|f| f.infit_msq), 4),
            opt(m.fit.map(|f| f.infit_zstd), 3),
            opt(m.fit.map(|f| f.outfit_msq), 4),
            opt(m.fit.map(|f| f.outfit_zstd), 3),
        ]
    })
}

const HEADER: [&str; 10] = [
    "measure",
    "se",
    "score",
    "count",
    "status",
    "infit_msq",
    "infit_zstd",
    "outfit_msq",
    "outfit_zstd",
    "",
];

/// Writes the JMLE Rasch analysis into `out`.
pub fn write_jmle(
    out: &Path,
    item_ids: &[String],
    person_ids: &[String],
    fit: &JmleFit,
) -> Result<(), WriteError> {
    for (name, id, ids, measures) in [
        ("jmle_items.csv", "item_id", item_ids, &fit.items),
        ("jmle_persons.csv", "person_id", person_ids, &fit.persons),
    ] {
        let p = out.join(name);
        let mut header = vec![id];
        header.extend(&HEADER[..9]);
        write_csv(&p, &header, rows(ids, measures)).map_err(WriteError::at(&p))?;
    }
    write_json(
        &out.join("jmle.json"),
        &serde_json::json!({
            "model": "rasch",
            "method": "jmle",
            "persons": fit.persons.len(),
            "items": fit.items.len(),
            "prox_iterations": fit.prox_iterations,
            "iterations": fit.iterations,
            "converged": fit.converged,
            "max_score_residual": fit.max_score_residual,
            "max_logit_change": fit.max_logit_change,
            "bias_correction_factor": fit.bias_correction_factor,
        }),
    )
}
