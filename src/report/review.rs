//! "Item review for authors": the flagged items' table and a card per flagged item with its
//! flags in words, the model ICC over observed proportions and option trace lines.

use super::doc::Doc;
use super::figures::{Chart, Series};
use super::files::WriteError;
use super::{f, ReportInput, MAX_CARDS};
use crate::irt::ItemModel;

fn item_flags(input: &ReportInput<'_>, item_id: &str) -> Vec<String> {
    let mut v: Vec<String> = input
        .items
        .flags
        .iter()
        .filter(|fl| fl.item_id == item_id)
        .map(|fl| fl.reason.clone())
        .collect();
    if let Some(e) = input
        .calibration
        .estimates
        .iter()
        .find(|e| e.item_id == item_id)
    {
        v.extend(e.flags.iter().cloned());
    }
    v
}

pub(super) fn item_review(
    doc: &mut Doc,
    input: &ReportInput<'_>,
    scores: &[crate::irt::scoring::PersonScore],
) -> Result<(), WriteError> {
    doc.section("items", "Item review for authors");
    doc.p("Pretest items and every flagged scored item (pooled over forms) with their statistics and flags; the criterion is the scored total (for a scored item, the total of the other scored items).");
    let pooled: Vec<_> = input
        .items
        .items
        .iter()
        .filter(|s| {
            s.form_id == crate::classical::POOLED
                && (s.role != "scored" || !item_flags(input, &s.item_id).is_empty())
        })
        .collect();
    doc.table(
        "pretest_items",
        &[
            "item",
            "role",
            "presented",
            "p-value",
            "point-biserial",
            "omit rate",
            "median s",
            "flags",
        ],
        pooled
            .iter()
            .map(|s| {
                vec![
                    s.item_id.clone(),
                    s.role.to_string(),
                    f(s.n_presented, 0),
                    f(s.p_value, 3),
                    f(s.point_biserial, 3),
                    f(s.omit_rate, 3),
                    f(s.median_seconds, 1),
                    item_flags(input, &s.item_id).join("; "),
                ]
            })
            .collect(),
    )?;
    // Cards in order of urgency: a possible miskey or negative discrimination first, then pretest
    // items (still to be judged), then scored items; within each, as in the table.
    let urgent = |id: &str| {
        input.items.flags.iter().any(|fl| {
            fl.item_id == id && matches!(fl.flag, "possible_miskey" | "negative_discrimination")
        })
    };
    let mut flagged: Vec<(u8, &str)> = pooled
        .iter()
        .filter(|s| !item_flags(input, &s.item_id).is_empty())
        .map(|s| {
            let rank = if urgent(&s.item_id) {
                0
            } else if s.role != "scored" {
                1
            } else {
                2
            };
            (rank, s.item_id.as_str())
        })
        .collect();
    flagged.sort_by_key(|&(rank, _)| rank);
    let flagged: Vec<&str> = flagged.into_iter().map(|(_, id)| id).collect();
    if flagged.is_empty() {
        return Ok(());
    }
    doc.p(&format!(
        "{} flagged item(s){}, possible miskeys and negative discrimination first, then pretest items: each card shows the model's ICC over the proportions correct of candidates grouped by ability (a fit plot) and the share choosing each option by score fifth (trace lines).",
        flagged.len(),
        if flagged.len() > MAX_CARDS { format!(", the first {MAX_CARDS} as cards") } else { String::new() }
    ));
    // One pass over the responses collects (EAP, right) for every carded item.
    let cards: Vec<&str> = flagged.into_iter().take(MAX_CARDS).collect();
    // The calibration's persons are the matrix's attempts, in order.
    let cal = input.calibration;
    let m = &input.ds.matrix;
    let mut slot = vec![usize::MAX; m.n_items()];
    for (j, id) in cards.iter().enumerate() {
        if let Some(k) = cal.responses.item_ids.iter().position(|i| i == id) {
            slot[cal.exam_items[k]] = j;
        }
    }
    let mut seen: Vec<Vec<(f64, bool)>> = vec![Vec::new(); cards.len()];
    for (a, score) in scores.iter().enumerate() {
        for r in m.responses(a) {
            let j = slot[r.item];
            if j != usize::MAX {
                seen[j].push((score.eap, r.right));
            }
        }
    }
    for (id, seen) in cards.into_iter().zip(seen) {
        item_card(doc, input, id, seen)?;
    }
    Ok(())
}

/// Ability groups for the fit plot.
const FIT_GROUPS: usize = 10;

fn item_card(
    doc: &mut Doc,
    input: &ReportInput<'_>,
    item_id: &str,
    mut seen: Vec<(f64, bool)>,
) -> Result<(), WriteError> {
    let cal = input.calibration;
    let scale = &input.equating.scale;
    doc.subsection(&format!("Item {item_id}"), true);
    doc.list(&item_flags(input, item_id), true);
    let safe = crate::report::files::safe_file_name(item_id);
    doc.pair();
    // ICC against empirical proportions by EAP group (equal-count groups).
    if let Some(k) = cal.responses.item_ids.iter().position(|i| i == item_id) {
        seen.sort_by(|x, y| x.0.total_cmp(&y.0));
        let g = FIT_GROUPS.min(seen.len().max(1));
        let mut empirical = Vec::new();
        let mut whiskers = Vec::new();
        for chunk in 0..g {
            let part = &seen[chunk * seen.len() / g..(chunk + 1) * seen.len() / g];
            if part.is_empty() {
                continue;
            }
            let n = part.len() as f64;
            let x = part.iter().map(|s| s.0).sum::<f64>() / n;
            let y = part.iter().filter(|s| s.1).count() as f64 / n;
            let se = (y * (1.0 - y) / n).sqrt();
            empirical.push((x, y));
            whiskers.push((x, (y - 1.96 * se).max(0.0), (y + 1.96 * se).min(1.0)));
        }
        let model = cal.calibration.items[k];
        let curve: Vec<(f64, f64)> = (0..=60)
            .map(|t| -3.0 + 0.1 * t as f64)
            .map(|t| (t, model.expected_score(t)))
            .collect();
        let chart = Chart {
            whiskers,
            vline: Some((scale.theta_cut, "cut".into())),
            ..Chart::lines(
                &format!("icc_{safe}"),
                &format!("{item_id}: model ICC and observed proportions"),
                "theta (EAP of ability group)",
                "proportion correct",
                vec![
                    Series {
                        label: "observed (95 % interval)".into(),
                        points: empirical,
                    },
                    Series {
                        label: "model ICC".into(),
                        points: curve,
                    },
                ],
            )
        };
        doc.figure(
            &chart,
            &format!(
                "{item_id}: {} responses in {g} equal-size ability groups; a = {}, b = {}, c = {}.",
                seen.len(),
                f(model.a, 2),
                f(model.b(), 2),
                f(model.c, 2)
            ),
        )?;
    }
    // Option trace lines by score fifth (pooled over forms).
    let options: Vec<_> = input
        .items
        .options
        .iter()
        .filter(|o| {
            o.item_id == item_id && o.form_id == crate::classical::POOLED && o.kind != "set"
        })
        .collect();
    if !options.is_empty() {
        let chart = Chart {
            x_names: ["", "1 lowest", "2", "3", "4", "5 highest"]
                .map(String::from)
                .to_vec(),
            ..Chart::lines(
                &format!("trace_{safe}"),
                &format!("{item_id}: option trace lines"),
                "score group (fifths of the scored total)",
                "share choosing the option",
                options
                    .iter()
                    .map(|o| Series {
                        label: format!("{} ({})", o.option, o.kind),
                        points: o
                            .share_by_quintile
                            .iter()
                            .enumerate()
                            .map(|(q, s)| ((q + 1) as f64, *s))
                            .collect(),
                    })
                    .collect(),
            )
        };
        doc.figure(
            &chart,
            "The key should rise with the score and each distractor fall; a rising distractor suggests a miskey or a second right answer.",
        )?;
    }
    doc.end_group();
    Ok(())
}
