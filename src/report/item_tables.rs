//! The classical item analysis as CSV files: `items.csv`, `options.csv`, `reliability.csv`,
//! `flags.csv` and `dif.csv`.

use std::path::Path;

use super::files::{fmt_f, write_csv, WriteError};
use crate::classical::ItemAnalysis;

/// Writes the item analysis's five CSV files into `out`.
pub fn write_item_analysis(out: &Path, a: &ItemAnalysis) -> Result<(), WriteError> {
    let f4 = |x: f64| fmt_f(x, 4);
    let p = out.join("items.csv");
    write_csv(
        &p,
        &[
            "form_id",
            "item_id",
            "role",
            "n_presented",
            "n_answered",
            "omit_rate",
            "mean_seconds",
            "median_seconds",
            "p_value",
            "point_biserial",
            "biserial",
            "upper_lower",
        ],
        a.items.iter().map(|s| {
            vec![
                s.form_id.clone(),
                s.item_id.clone(),
                s.role.clone(),
                fmt_f(s.n_presented, 0),
                fmt_f(s.n_answered, 0),
                f4(s.omit_rate),
                fmt_f(s.mean_seconds, 1),
                fmt_f(s.median_seconds, 1),
                f4(s.p_value),
                f4(s.point_biserial),
                f4(s.biserial),
                f4(s.upper_lower),
            ]
        }),
    )
    .map_err(WriteError::at(&p))?;
    let p = out.join("options.csv");
    write_csv(
        &p,
        &[
            "form_id",
            "item_id",
            "option",
            "kind",
            "share",
            "q1",
            "q2",
            "q3",
            "q4",
            "q5",
            "point_biserial",
        ],
        a.options.iter().map(|o| {
            let mut row = vec![
                o.form_id.clone(),
                o.item_id.clone(),
                o.option.clone(),
                o.kind.to_string(),
                f4(o.share),
            ];
            row.extend(o.share_by_quintile.iter().map(|x| f4(*x)));
            row.push(f4(o.point_biserial));
            row
        }),
    )
    .map_err(WriteError::at(&p))?;
    let p = out.join("reliability.csv");
    write_csv(
        &p,
        &[
            "form_id",
            "item_id",
            "attempts",
            "scored_items",
            "mean",
            "sd",
            "kr20",
            "sem",
            "alpha_if_deleted",
        ],
        a.reliability.iter().flat_map(|r| {
            let head = vec![
                r.form_id.clone(),
                String::new(),
                fmt_f(r.attempts, 0),
                r.scored_items.to_string(),
                f4(r.mean),
                f4(r.sd),
                f4(r.kr20),
                f4(r.sem),
                String::new(),
            ];
            std::iter::once(head).chain(r.alpha_if_deleted.iter().map(move |(id, v)| {
                vec![
                    r.form_id.clone(),
                    id.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    f4(*v),
                ]
            }))
        }),
    )
    .map_err(WriteError::at(&p))?;
    let p = out.join("flags.csv");
    write_csv(
        &p,
        &["item_id", "flag", "reason"],
        a.flags
            .iter()
            .map(|f| vec![f.item_id.clone(), f.flag.to_string(), f.reason.clone()]),
    )
    .map_err(WriteError::at(&p))?;
    let p = out.join("dif.csv");
    write_csv(
        &p,
        &[
            "item_id",
            "group",
            "reference",
            "focal",
            "n_reference",
            "n_focal",
            "alpha_mh",
            "mh_d_dif",
            "se_d_dif",
            "mh_chi_square",
            "p_value",
            "ets_category",
            "status",
        ],
        a.dif.iter().map(|d| {
            let spec = a.dif_spec.as_ref();
            let mh = d.mh.as_ref();
            vec![
                d.item_id.clone(),
                spec.map(|s| s.column.clone()).unwrap_or_default(),
                spec.map(|s| s.reference.clone()).unwrap_or_default(),
                spec.map(|s| s.focal.clone()).unwrap_or_default(),
                fmt_f(d.n_reference, 0),
                fmt_f(d.n_focal, 0),
                mh.map(|m| f4(m.alpha_mh)).unwrap_or_default(),
                mh.map(|m| f4(m.d_dif)).unwrap_or_default(),
                mh.map(|m| f4(m.se_d_dif)).unwrap_or_default(),
                mh.map(|m| f4(m.chi_square)).unwrap_or_default(),
                mh.map(|m| f4(m.p_value)).unwrap_or_default(),
                mh.map(|m| m.category.to_string()).unwrap_or_default(),
                d.status.clone(),
            ]
        }),
    )
    .map_err(WriteError::at(&p))?;
    Ok(())
}
