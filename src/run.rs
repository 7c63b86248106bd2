//! `qbank run`: validate a data set, then run every analysis and write the outputs of each stage
//! under one report folder.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::exam::{self, Dataset, Diagnostics};
use crate::output::{write_atomic, write_csv};

/// Why a run stopped without results.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The input has errors; the diagnostics say where.
    #[error("{} error(s) in the input", .0.error_count())]
    Invalid(Diagnostics),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

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
            .filter(|s| !s.is_empty());
        let first = dates.clone().min().unwrap_or("").to_string();
        let last = dates.max().unwrap_or("").to_string();
        Overview {
            exam: ds.exam.config.name.clone(),
            data_dir: exam::display(&ds.exam.dir),
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

/// Loads and validates `dir`; on errors returns them all.
pub fn load(dir: &Path) -> Result<(Dataset, Diagnostics), RunError> {
    let mut diags = Diagnostics::default();
    match exam::load(dir, &mut diags) {
        Some(ds) if !diags.has_errors() => Ok((ds, diags)),
        _ => Err(RunError::Invalid(diags)),
    }
}

/// Writes the diagnostics as `validation.csv` (severity, file, line, column, item, message).
pub fn write_validation(path: &Path, diags: &Diagnostics) -> std::io::Result<()> {
    write_csv(
        path,
        &["severity", "file", "line", "column", "item", "message"],
        diags.iter().map(|d| {
            vec![
                d.severity.as_str().to_string(),
                d.location.file.clone(),
                d.location.line.map(|l| l.to_string()).unwrap_or_default(),
                d.location.column.clone().unwrap_or_default(),
                d.location.item.clone().unwrap_or_default(),
                d.message.clone(),
            ]
        }),
    )
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        writeln!(w)
    })
}

/// The main job: validate, then run each stage, writing into `out`.
pub fn run(dir: &Path, out: &Path) -> Result<Overview, RunError> {
    let (ds, diags) = load(dir)?;
    let overview = Overview::of(&ds, diags.warning_count());
    let p = out.join("validation.csv");
    write_validation(&p, &diags).map_err(io_err(&p))?;
    let p = out.join("overview.json");
    write_json(&p, &overview).map_err(io_err(&p))?;
    // IRT: fixed-parameter calibration when the bank has parameters, concurrent otherwise.
    calibrate_stage(&ds, &crate::irt::workflow::CalibrateOptions::default(), out)?;
    Ok(overview)
}

/// Summary of a calibration for `calibration.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationSummary {
    pub mode: Option<crate::irt::workflow::Mode>,
    pub model: crate::irt::ModelKind,
    pub scale_d: f64,
    pub persons: usize,
    pub items: usize,
    pub responses: usize,
    pub iterations: usize,
    pub termination: crate::irt::Termination,
    pub converged: bool,
    pub log_likelihood: f64,
    pub free_parameters: usize,
    pub aic: f64,
    pub bic: f64,
    pub se_method: crate::irt::SeMethod,
    pub groups: Vec<GroupSummary>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub group: String,
    pub persons: f64,
    pub mean: f64,
    pub sd: f64,
    pub se_mean: Option<f64>,
    pub se_sd: Option<f64>,
    pub fixed: bool,
}

impl CalibrationSummary {
    pub fn of(
        data: &crate::irt::Responses,
        cal: &crate::irt::Calibration,
        cov: &crate::irt::Covariance,
        estimates: &[crate::irt::ItemEstimate],
        model: crate::irt::ModelKind,
        mode: Option<crate::irt::workflow::Mode>,
    ) -> CalibrationSummary {
        let k = cal.n_free() as f64;
        let n: f64 = data.weight.iter().sum();
        let mut per_group = vec![0.0; cal.latent.len()];
        for p in 0..data.n_persons() {
            per_group[data.group[p] as usize] += data.weight[p];
        }
        let mut warnings = Vec::new();
        if cal.termination != crate::irt::Termination::Converged {
            warnings.push(format!(
                "EM did not converge in {} cycles: estimates are provisional",
                cal.iterations
            ));
        }
        for e in estimates {
            for f in &e.flags {
                warnings.push(format!("item {}: {f}", e.item_id));
            }
        }
        CalibrationSummary {
            mode,
            model,
            scale_d: cal.items.first().map(|m| m.scale_d).unwrap_or(1.0),
            persons: data.n_persons(),
            items: data.n_items(),
            responses: data.n_responses(),
            iterations: cal.iterations,
            termination: cal.termination,
            converged: cal.termination == crate::irt::Termination::Converged,
            log_likelihood: cal.loglik,
            free_parameters: cal.n_free(),
            aic: -2.0 * cal.loglik + 2.0 * k,
            bic: -2.0 * cal.loglik + k * n.ln(),
            se_method: cov.method,
            groups: cal
                .latent
                .iter()
                .enumerate()
                .map(|(g, l)| GroupSummary {
                    group: data.group_names.get(g).cloned().unwrap_or_default(),
                    persons: per_group[g],
                    mean: l.mean,
                    sd: l.sd,
                    se_mean: cov.latent[g].0,
                    se_sd: cov.latent[g].1,
                    fixed: !l.free.0 && !l.free.1,
                })
                .collect(),
            warnings,
        }
    }
}

/// Writes `item_params.csv`: IRT (a, b, c) and slope-intercept (a, d, c) parameters with SEs.
pub fn write_item_params(
    path: &Path,
    estimates: &[crate::irt::ItemEstimate],
) -> std::io::Result<()> {
    use crate::output::fmt_f;
    let opt = |x: Option<f64>| x.map(|v| fmt_f(v, 4)).unwrap_or_default();
    write_csv(
        path,
        &[
            "item_id", "model", "status", "a", "b", "c", "d", "se_a", "se_b", "se_c", "se_d", "n",
            "flags",
        ],
        estimates.iter().map(|e| {
            vec![
                e.item_id.clone(),
                e.model.as_str().to_string(),
                if e.fixed { "fixed" } else { "estimated" }.to_string(),
                fmt_f(e.a, 4),
                fmt_f(e.b, 4),
                fmt_f(e.c, 4),
                fmt_f(e.d, 4),
                opt(e.se_a),
                opt(e.se_b),
                opt(e.se_c),
                opt(e.se_d),
                fmt_f(e.n, 0),
                e.flags.join("; "),
            ]
        }),
    )
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Calibrates a data set and writes `item_params.csv` and `calibration.json` into `out`.
pub fn calibrate_stage(
    ds: &Dataset,
    opts: &crate::irt::workflow::CalibrateOptions,
    out: &Path,
) -> Result<crate::irt::workflow::CalibrationResult, RunError> {
    let r = crate::irt::workflow::calibrate_dataset(ds, opts);
    write_calibration_outputs(
        out,
        &r.responses,
        &r.calibration,
        &r.covariance,
        &r.estimates,
        opts.model,
        Some(r.mode),
    )?;
    Ok(r)
}

/// Writes the calibration outputs (`item_params.csv`, `calibration.json`) into `out`.
pub fn write_calibration_outputs(
    out: &Path,
    data: &crate::irt::Responses,
    cal: &crate::irt::Calibration,
    cov: &crate::irt::Covariance,
    estimates: &[crate::irt::ItemEstimate],
    model: crate::irt::ModelKind,
    mode: Option<crate::irt::workflow::Mode>,
) -> Result<(), RunError> {
    let p = out.join("item_params.csv");
    write_item_params(&p, estimates).map_err(io_err(&p))?;
    let summary = CalibrationSummary::of(data, cal, cov, estimates, model, mode);
    let p = out.join("calibration.json");
    write_json(&p, &summary).map_err(io_err(&p))?;
    Ok(())
}

/// Calibrates a wide 0/1 matrix file (one group, all items estimated) and writes the outputs.
#[allow(clippy::too_many_arguments)]
pub fn calibrate_matrix(
    path: &Path,
    id_column: Option<&str>,
    weight_column: Option<&str>,
    model: crate::irt::ModelKind,
    scale_d: f64,
    priors: crate::irt::Priors,
    em: &crate::irt::EmOptions,
    out: &Path,
) -> Result<CalibrationSummary, RunError> {
    let mut diags = Diagnostics::default();
    let data = crate::exam::wide::read_wide_matrix(path, id_column, weight_column, &mut diags)
        .ok_or_else(|| RunError::Invalid(diags.clone()))?;
    let kinds = vec![model; data.n_items()];
    let items = crate::irt::starting_items(&data, &kinds, scale_d, priors);
    let em = crate::irt::EmOptions {
        reference_group: Some(0),
        free_reference_sd: model == crate::irt::ModelKind::Rasch,
        ..em.clone()
    };
    let cal = crate::irt::calibrate(&data, items, vec![false; data.n_items()], &em);
    let cov = crate::irt::covariance(&data, &cal);
    let est = crate::irt::item_estimates(&data, &cal, &cov);
    write_calibration_outputs(out, &data, &cal, &cov, &est, model, None)?;
    Ok(CalibrationSummary::of(&data, &cal, &cov, &est, model, None))
}
