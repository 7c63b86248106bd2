//! The next item bank: after a run, every item of items.csv gets a status for the next cycle,
//! decided by the rules of qbank.toml `[bank]`, with the evidence that decided and one line of
//! reason.
//!
//! - An item with bank parameters stays `operational` and keeps them; when its separate-calibration
//!   link shows drift (|b displacement| above the threshold, [`crate::equate::workflow`]) it is
//!   flagged with the evidence, never re-estimated. A review flag of a `retire_flags` kind
//!   retires it.
//! - A pretest item calibrated in the run becomes `ready` when it has at least `min_n` responses,
//!   SE(b) at most `max_se_b`, S-X2 p at least `misfit_p`, no ETS C DIF and no review flag of a
//!   `review_flags` kind; otherwise `needs_revision`, with every rule it failed.
//! - An item nobody saw stays `new`.

use serde::Serialize;

use crate::classical::ItemAnalysis;
use crate::equate::workflow::FormLink;
use crate::exam::config::BankConfig;
use crate::exam::Exam;
use crate::irt::ItemEstimate;

/// Status of an item in the next bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BankStatus {
    Operational,
    Ready,
    NeedsRevision,
    Retired,
    /// Never presented: no evidence either way.
    New,
}

impl BankStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BankStatus::Operational => "operational",
            BankStatus::Ready => "ready",
            BankStatus::NeedsRevision => "needs_revision",
            BankStatus::Retired => "retired",
            BankStatus::New => "new",
        }
    }
}

/// One item of the next bank: items.csv's columns plus provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BankItem {
    /// Index into the exam's items.
    pub item: usize,
    pub item_id: String,
    pub domain: String,
    pub item_type: String,
    pub key: String,
    pub options: u8,
    /// items.csv's enemy group, carried into the next bank.
    pub enemy_group: Option<String>,
    /// Bank parameters (operational, retired: as in items.csv) or the run's estimates (ready);
    /// None for items needing revision and new items.
    pub abc: Option<(f64, f64, f64)>,
    /// Status before the run: operational (had parameters), pretest (presented unscored) or new.
    pub previous: &'static str,
    pub status: BankStatus,
    /// Responses in the calibration.
    pub n: Option<f64>,
    pub se_b: Option<f64>,
    /// S-X2 item-fit p-value.
    pub fit_p: Option<f64>,
    /// ETS DIF category (A, B, C) when assessed.
    pub dif_category: Option<char>,
    /// The flags that decided (rule names and review flags), e.g. `se_b`, `dif_c`, `drift`.
    pub flags: Vec<String>,
    /// One line in plain words.
    pub reason: String,
}

/// Flags that say only "not enough data yet": an item held back for these alone goes back on a
/// form as pretest unchanged (no revision needed), after the never-presented items.
pub const DATA_FLAGS: [&str; 3] = ["min_n", "se_b", "not_calibrated"];

impl BankItem {
    /// Held back only for lack of data (every flag one of [`DATA_FLAGS`]).
    pub fn needs_more_data(&self) -> bool {
        self.status == BankStatus::NeedsRevision
            && !self.flags.is_empty()
            && self.flags.iter().all(|f| DATA_FLAGS.contains(&f.as_str()))
    }
}

/// The next bank and the date of the run's data.
#[derive(Debug, Clone, Serialize)]
pub struct BankUpdate {
    /// Date (YYYY-MM-DD) of the latest attempt in the log: the run's date, so that the bank is
    /// reproducible.
    pub run_date: String,
    pub rules: BankConfig,
    pub items: Vec<BankItem>,
}

impl BankUpdate {
    /// Items whose status or flags changed in this run (everything but unflagged operational
    /// and new items).
    pub fn changes(&self) -> impl Iterator<Item = &BankItem> {
        self.items.iter().filter(|i| {
            !(i.status == BankStatus::New
                || (i.status == BankStatus::Operational && i.flags.is_empty()))
        })
    }

    pub fn count(&self, status: BankStatus) -> usize {
        self.items.iter().filter(|i| i.status == status).count()
    }
}

/// Applies the `[bank]` rules to every item of the exam (see the module doc).
/// `estimates` are the calibration's, `exam_items[k]` the exam item of `estimates[k]`.
pub fn update_bank(
    exam: &Exam,
    items: &ItemAnalysis,
    estimates: &[ItemEstimate],
    exam_items: &[usize],
    links: &[FormLink],
    run_date: &str,
) -> BankUpdate {
    let rules = &exam.config.bank;
    let mut estimate_of: Vec<Option<&ItemEstimate>> = vec![None; exam.items.len()];
    for (k, &i) in exam_items.iter().enumerate() {
        estimate_of[i] = estimates.get(k);
    }
    let mut pretest = vec![false; exam.items.len()];
    let mut presented = vec![false; exam.items.len()];
    for form in &exam.forms {
        for fi in &form.items {
            presented[fi.item] = true;
            pretest[fi.item] |= !fi.scored;
        }
    }
    let out = exam
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            let est = estimate_of[i];
            let fit_p = est.and_then(|e| e.fit.as_ref()).map(|f| f.p_value);
            let dif_category = items
                .dif
                .iter()
                .find(|d| d.item_id == it.id)
                .and_then(|d| d.mh.as_ref())
                .map(|m| m.category);
            // An item flagged on several forms counts each kind of flag once.
            let mut review: Vec<&str> = Vec::new();
            for f in items.flags.iter().filter(|f| f.item_id == it.id) {
                if !review.contains(&f.flag) {
                    review.push(f.flag);
                }
            }
            let mut flags = Vec::new();
            let mut reasons = Vec::new();
            let previous = if it.bank.is_some() {
                "operational"
            } else if pretest[i] {
                "pretest"
            } else {
                "new"
            };
            let (status, abc) = if let Some(bp) = &it.bank {
                for l in links {
                    for a in l.anchors.iter().filter(|a| a.item_id == it.id && a.flagged) {
                        if flags.is_empty() {
                            flags.push("drift".to_string());
                        }
                        reasons.push(format!(
                            "b moved by {:+.2} on {} after linking (b {:.2} -> {:.2}, Holm p {:.4}); parameters kept, review the item",
                            a.displacement, l.form_id, a.b_old, a.b_new_on_old, a.p_holm
                        ));
                    }
                }
                let retire: Vec<&str> = review
                    .iter()
                    .copied()
                    .filter(|f| rules.retire_flags.iter().any(|r| r == f))
                    .collect();
                let status = if retire.is_empty() {
                    BankStatus::Operational
                } else {
                    reasons.insert(0, format!("retired: review flag {}", retire.join(", ")));
                    flags.extend(retire.iter().map(|f| f.to_string()));
                    BankStatus::Retired
                };
                if reasons.is_empty() {
                    reasons.push("bank item, parameters kept".into());
                }
                (status, Some((bp.a, bp.b, bp.c)))
            } else if let Some(e) = est {
                if e.n < rules.min_n {
                    flags.push("min_n".into());
                    reasons.push(format!("{:.0} responses < {:.0}", e.n, rules.min_n));
                }
                match e.se_b {
                    Some(se) if se <= rules.max_se_b => {}
                    Some(se) => {
                        flags.push("se_b".into());
                        reasons.push(format!("SE(b) {se:.3} > {}", rules.max_se_b));
                    }
                    None => {
                        flags.push("se_b".into());
                        reasons.push("no SE of b".into());
                    }
                }
                if let Some(p) = fit_p.filter(|&p| p < rules.misfit_p) {
                    flags.push("misfit".into());
                    reasons.push(format!("S-X2 p {p:.4} < {}", rules.misfit_p));
                }
                if rules.no_dif_c && dif_category == Some('C') {
                    flags.push("dif_c".into());
                    reasons.push("ETS C DIF".into());
                }
                for f in review
                    .iter()
                    .filter(|f| rules.review_flags.iter().any(|r| r == *f))
                {
                    flags.push(f.to_string());
                    reasons.push(format!("review flag {f}"));
                }
                let status = if flags.is_empty() {
                    reasons.push(format!(
                        "ready: n {:.0}, SE(b) {}{}",
                        e.n,
                        e.se_b.map_or(String::new(), |s| format!("{s:.3}")),
                        fit_p.map_or(String::new(), |p| format!(", fit p {p:.3}"))
                    ));
                    BankStatus::Ready
                } else {
                    BankStatus::NeedsRevision
                };
                // Only a ready item carries its estimates into the bank; a held-back item goes
                // back to pretest after revision (its estimates stay in item_params.csv).
                (status, (status == BankStatus::Ready).then_some((e.a, e.b, e.c)))
            } else if presented[i] {
                flags.push("not_calibrated".into());
                reasons.push("presented but not calibrated (no responses)".into());
                (BankStatus::NeedsRevision, None)
            } else {
                reasons.push("never presented".into());
                (BankStatus::New, None)
            };
            BankItem {
                item: i,
                item_id: it.id.clone(),
                domain: exam.config.domains[it.domain].id.clone(),
                item_type: it.item_type.as_str().to_string(),
                key: it.key.to_string(),
                options: it.options,
                enemy_group: it.enemy_group.clone(),
                abc,
                previous,
                status,
                n: est.map(|e| e.n),
                se_b: est.and_then(|e| e.se_b),
                fit_p,
                dif_category,
                flags,
                reason: reasons.join("; "),
            }
        })
        .collect();
    BankUpdate {
        run_date: run_date.get(..10).unwrap_or(run_date).to_string(),
        rules: rules.clone(),
        items: out,
    }
}
