//! The overview of a validated data set (`overview.json`): counts per form and the range of the
//! submission times.

use serde::Serialize;

use super::Dataset;

/// What the overview of a data set says: counts and the date range of the attempts.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub exam: String,
    pub data_dir: String,
    pub items: usize,
    pub forms: Vec<FormOverview>,
    pub attempts: usize,
    pub candidates: usize,
    pub responses: usize,
    pub first_submitted: String,
    pub last_submitted: String,
    pub matrix_bytes: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FormOverview {
    pub form_id: String,
    pub scored_items: usize,
    pub pretest_items: usize,
    pub attempts: usize,
    pub mean_raw_score: f64,
}

impl Overview {
    pub fn of(ds: &Dataset, warnings: usize) -> Overview {
        let m = &ds.matrix;
        let mut per_form = vec![(0usize, 0u64); ds.exam.forms.len()];
        for a in 0..m.n_attempts() {
            let f = m.form(a);
            per_form[f].0 += 1;
            per_form[f].1 += m.raw_score(a) as u64;
        }
        let dates = (0..m.n_attempts())
            .map(|a| m.submitted_at(a))
            .filter_map(|s| super::timestamps::sort_key(s).map(|k| (k, s)));
        let first = dates.clone().min().map(|d| d.1).unwrap_or("").to_string();
        let last = dates.max().map(|d| d.1).unwrap_or("").to_string();
        Overview {
            exam: ds.exam.config.name.clone(),
            data_dir: super::display(&ds.exam.dir),
            items: ds.exam.items.len(),
            forms: ds
                .exam
                .forms
                .iter()
                .zip(per_form)
                .map(|(f, (n, total))| FormOverview {
                    form_id: f.id.clone(),
                    scored_items: f.n_scored(),
                    pretest_items: f.items.len() - f.n_scored(),
                    attempts: n,
                    mean_raw_score: if n > 0 {
                        total as f64 / n as f64
                    } else {
                        f64::NAN
                    },
                })
                .collect(),
            attempts: m.n_attempts(),
            candidates: m.n_candidates(),
            responses: m.n_responses(),
            first_submitted: first,
            last_submitted: last,
            matrix_bytes: m.heap_bytes(),
            warnings,
        }
    }
}
