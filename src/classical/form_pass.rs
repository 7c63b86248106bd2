//! One form's pass of the classical item analysis: the item and option accumulators over the
//! form's attempts, and the form's reliability.

use super::stats::{test_stats, Moments};
use super::{criterion, score_groups, Acc, FormReliability, ItemType, OMIT};
use crate::exam::Dataset;

/// One form's item accumulators (indexed by exam item; None when not on the form) and its
/// reliability.
pub(super) struct FormPass {
    pub(super) acc: Vec<Option<Acc>>,
    pub(super) reliability: FormReliability,
}

/// The pass over form `f`'s attempts (None when it has none); `raw` holds every attempt's
/// scored total.
pub(super) fn form_pass(ds: &Dataset, raw: &[u32], f: usize) -> Option<FormPass> {
    let m = &ds.matrix;
    let exam = &ds.exam;
    let n_items = exam.items.len();
    let form = &exam.forms[f];
    let attempts: Vec<usize> = (0..m.n_attempts()).filter(|&a| m.form(a) == f).collect();
    if attempts.is_empty() {
        return None;
    }
    let k = form.n_scored();
    let mut counts = vec![0.0; k + 1];
    for &a in &attempts {
        counts[(raw[a] as usize).min(k)] += 1.0;
    }
    let quint = score_groups(&counts, 5);
    // Upper and lower 27 %: mid-percentile ranks >= 0.73 and < 0.27.
    let mut below = 0.0;
    let n_form: f64 = counts.iter().sum();
    let ul: Vec<i8> = counts
        .iter()
        .map(|&c| {
            let mid = (below + 0.5 * c) / n_form;
            below += c;
            if mid >= 0.73 {
                1
            } else if mid < 0.27 {
                -1
            } else {
                0
            }
        })
        .collect();
    let mut acc: Vec<Option<Acc>> = vec![None; n_items];
    for fi in &form.items {
        let mut a = Acc::new();
        a.scored = fi.scored;
        a.pretest = !fi.scored;
        acc[fi.item] = Some(a);
    }
    for &att in &attempts {
        let total = raw[att] as usize;
        let (q, u) = (quint[total.min(k)], ul[total.min(k)]);
        for r in m.responses(att) {
            let Some(a) = acc[r.item].as_mut() else {
                continue;
            };
            let x = r.right as u8 as f64;
            let crit = criterion(m.role(f, r.item), total, x);
            a.n += 1.0;
            a.answered += !r.omitted() as u8 as f64;
            a.right += x;
            a.seconds.push(r.seconds);
            a.pbis.add(x, crit, 1.0);
            match u {
                1 => a.upper = (a.upper.0 + 1.0, a.upper.1 + x),
                -1 => a.lower = (a.lower.0 + 1.0, a.lower.1 + x),
                _ => {}
            }
            a.n_quintile[q] += 1.0;
            let item = &exam.items[r.item];
            for o in 0..16usize {
                let chosen = if o == OMIT {
                    r.omitted()
                } else {
                    o < item.options as usize && r.chosen.contains(o as u8)
                };
                if o != OMIT && o >= item.options as usize {
                    continue;
                }
                let slot = &mut a.option[o];
                slot.2.add(chosen as u8 as f64, crit, 1.0);
                if chosen {
                    slot.0 += 1.0;
                    slot.1[q] += 1.0;
                }
            }
            if item.item_type == ItemType::Multiple && !r.omitted() {
                // Only the chosen set's counts are kept here; its correlation is computed
                // below from the item-level moments of "chose this set".
                let e = a
                    .sets
                    .entry(r.chosen.0)
                    .or_insert((0.0, [0.0; 5], Moments::default()));
                e.0 += 1.0;
                e.1[q] += 1.0;
            }
        }
    }
    // Correlations of the chosen sets need every response of the item: a second look.
    for &att in &attempts {
        let total = raw[att] as usize;
        for r in m.responses(att) {
            let Some(a) = acc[r.item].as_mut() else {
                continue;
            };
            if a.sets.is_empty() {
                continue;
            }
            let x = r.right as u8 as f64;
            let crit = criterion(m.role(f, r.item), total, x);
            for (mask, e) in a.sets.iter_mut() {
                e.2.add(
                    (*mask == r.chosen.0 && !r.omitted()) as u8 as f64,
                    crit,
                    1.0,
                );
            }
        }
    }
    // Reliability of the scored items (every attempt on the form presents all of them).
    let scored: Vec<usize> = form.scored().map(|fi| fi.item).collect();
    let mut column = vec![usize::MAX; n_items];
    for (j, &i) in scored.iter().enumerate() {
        column[i] = j;
    }
    let k_scored = scored.len().max(1);
    let mut rows = vec![0u8; attempts.len() * k_scored];
    for (row, &att) in rows.chunks_mut(k_scored).zip(&attempts) {
        for r in m.responses(att).filter(|r| r.right) {
            if column[r.item] != usize::MAX {
                row[column[r.item]] = 1;
            }
        }
    }
    let ts = test_stats(
        scored.len(),
        rows.chunks(k_scored).map(|r| (&r[..scored.len()], 1.0)),
    );
    let reliability = FormReliability {
        form_id: form.id.clone(),
        attempts: ts.n,
        scored_items: ts.k,
        mean: ts.mean,
        sd: ts.sd,
        kr20: ts.kr20,
        sem: ts.sem,
        alpha_if_deleted: scored
            .iter()
            .zip(&ts.items)
            .map(|(&i, s)| (exam.items[i].id.clone(), s.alpha_if_deleted))
            .collect(),
    };
    Some(FormPass { acc, reliability })
}
