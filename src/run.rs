//! `qbank run`: validate a data set, then run every analysis and write the outputs of each stage
//! under one report folder.

use std::collections::BTreeMap;
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

/// Options of the main job.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Also write the report as Markdown (`index.md`).
    pub markdown: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Candidates to write a readiness page for.
    pub readiness_pages: Vec<String>,
}

/// The main job: validate, then run each stage, writing into `out`.
pub fn run(dir: &Path, out: &Path, opts: &RunOptions) -> Result<Overview, RunError> {
    let progress = crate::progress::Progress::new(8, opts.quiet);
    progress.stage("reading and validating");
    let (ds, diags) = load(dir)?;
    let overview = Overview::of(&ds, diags.warning_count());
    let p = out.join("validation.csv");
    write_validation(&p, &diags).map_err(io_err(&p))?;
    let p = out.join("overview.json");
    write_json(&p, &overview).map_err(io_err(&p))?;
    progress.stage("classical item analysis");
    let items = items_stage(&ds, default_dif(&ds).as_ref(), out)?;
    // IRT: fixed-parameter calibration when the bank has parameters, concurrent otherwise.
    progress.stage("IRT calibration");
    let cal_opts = crate::irt::workflow::CalibrateOptions::default();
    let (cal, scores) = calibrate_stage(&ds, &cal_opts, out)?;
    progress.stage("IRT equating and linking");
    let (summary, tables) = equate_stage(&ds, &cal, cal_opts.model, &cal_opts.em, out)?;
    progress.stage("classical equating");
    classical_stage(&ds, &NEAT_METHODS, out)?;
    progress.stage("readiness");
    let (ctx, _, cohort) = readiness_stage(
        &ds,
        &cal,
        &summary.scale,
        &tables,
        &opts.readiness_pages,
        out,
    )?;
    progress.stage("report");
    let warnings: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    let input = crate::report::ReportInput {
        ds: &ds,
        overview: &overview,
        items: &items,
        calibration: &cal,
        scores: &scores,
        equating: &summary,
        tables: &tables,
        warnings: &warnings,
        readiness: Some((&ctx, &cohort)),
        markdown: opts.markdown,
    };
    crate::report::write_report(&input, out).map_err(|msg| RunError::Write {
        path: out.join("index.html"),
        source: std::io::Error::other(msg),
    })?;
    progress.finish();
    Ok(overview)
}

/// `qbank readiness`: calibrates (fixed-parameter on the bank), builds the conversion tables and
/// writes the readiness outputs ([`readiness_stage`]) into `out`.
pub fn readiness(
    dir: &Path,
    out: &Path,
    pages: &[String],
    quiet: bool,
) -> Result<crate::readiness::Cohort, RunError> {
    let progress = crate::progress::Progress::new(3, quiet);
    progress.stage("reading and validating");
    let (ds, _) = load(dir)?;
    progress.stage("IRT calibration");
    let cal = crate::irt::workflow::calibrate_dataset(
        &ds,
        &crate::irt::workflow::CalibrateOptions::default(),
    );
    let (scale, tables, _) =
        crate::equate::workflow::form_tables(&ds, &cal).map_err(|msg| scale_error(&ds, msg))?;
    progress.stage("readiness");
    let (_, _, cohort) = readiness_stage(&ds, &cal, &scale, &tables, pages, out)?;
    progress.finish();
    Ok(cohort)
}

/// A scale that cannot be built, reported against qbank.toml's [scale].
fn scale_error(ds: &Dataset, msg: String) -> RunError {
    let mut d = Diagnostics::default();
    d.error(
        crate::exam::Location::file(exam::display(&ds.exam.dir.join("qbank.toml"))).column("scale"),
        msg,
    );
    RunError::Invalid(d)
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
            "s_x2", "df", "p", "infit", "outfit", "flags",
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
                e.fit.as_ref().map(|f| fmt_f(f.s_x2, 3)).unwrap_or_default(),
                e.fit.as_ref().map(|f| f.df.to_string()).unwrap_or_default(),
                e.fit
                    .as_ref()
                    .map(|f| fmt_f(f.p_value, 4))
                    .unwrap_or_default(),
                e.fit
                    .as_ref()
                    .map(|f| fmt_f(f.infit, 3))
                    .unwrap_or_default(),
                e.fit
                    .as_ref()
                    .map(|f| fmt_f(f.outfit, 3))
                    .unwrap_or_default(),
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

/// Calibrates a data set and writes `item_params.csv`, `calibration.json`, `scores.csv` and
/// `test_information.csv` into `out`; returns the calibration and every person's scores (in
/// `responses` order).
pub fn calibrate_stage(
    ds: &Dataset,
    opts: &crate::irt::workflow::CalibrateOptions,
    out: &Path,
) -> Result<
    (
        crate::irt::workflow::CalibrationResult,
        Vec<crate::irt::scoring::PersonScore>,
    ),
    RunError,
> {
    let mut r = crate::irt::workflow::calibrate_dataset(ds, opts);
    let scores = score_and_fit(out, &r.responses, &r.calibration, &mut r.estimates)?;
    write_calibration_outputs(out, &r.estimates, &r.summary(opts.model))?;
    write_scores(out, &r.responses, &scores)?;
    write_test_information(out, ds, &r)?;
    Ok((r, scores))
}

/// Writes the calibration outputs (`item_params.csv`, `calibration.json`) into `out`.
pub fn write_calibration_outputs(
    out: &Path,
    estimates: &[crate::irt::ItemEstimate],
    summary: &CalibrationSummary,
) -> Result<(), RunError> {
    let p = out.join("item_params.csv");
    write_item_params(&p, estimates).map_err(io_err(&p))?;
    let p = out.join("calibration.json");
    write_json(&p, summary).map_err(io_err(&p))?;
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
    let mut est = est;
    let scores = score_and_fit(out, &data, &cal, &mut est)?;
    let summary = CalibrationSummary::of(&data, &cal, &cov, &est, model, None);
    write_calibration_outputs(out, &est, &summary)?;
    write_scores(out, &data, &scores)?;
    Ok(summary)
}

/// Per-form facts of the equating, for `equating.json`.
#[derive(Debug, Clone, Serialize)]
pub struct FormEquating {
    pub form_id: String,
    pub scored_items: usize,
    /// Mean b of the form's scored items: harder forms have higher raw cuts.
    pub mean_b: f64,
    pub raw_cut: Option<usize>,
    pub true_score_cut: f64,
    pub attempts: usize,
    /// Share of the form's attempts at or above 700 by its conversion table.
    pub pass_rate: f64,
    /// Decision accuracy and consistency at the raw cut for the form's cohort (model-implied).
    pub classification: Option<crate::scale::Classification>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EquatingSummary {
    pub method: &'static str,
    pub scale: crate::scale::Scale,
    pub base_form: String,
    pub forms: Vec<FormEquating>,
    pub links: Vec<crate::equate::workflow::FormLink>,
    pub warnings: Vec<String>,
}

/// IRT true-score conversion tables for every form from a calibration on the bank scale, the
/// separate-calibration links with anchor drift, and their files: `conversion_FORM.csv`,
/// `linking.csv`, `anchor_drift.csv`, `equating.json`.
pub fn equate_stage(
    ds: &Dataset,
    cal: &crate::irt::workflow::CalibrationResult,
    model: crate::irt::ModelKind,
    em: &crate::irt::EmOptions,
    out: &Path,
) -> Result<(EquatingSummary, Vec<crate::scale::ConversionTable>), RunError> {
    use crate::equate::workflow::{form_tables, separate_links};
    use crate::output::fmt_f;
    let (scale, tables, mut warnings) = form_tables(ds, cal).map_err(|msg| scale_error(ds, msg))?;
    let base = ds.exam.base_form();
    let grid = &cal.calibration.grid;
    let cohort = |f: usize| {
        let g = if cal.calibration.latent.len() > f {
            f
        } else {
            0
        };
        cal.calibration.weights(g)
    };
    let base_items = cal.scored_params(ds, base);
    for t in &tables {
        let f = ds.exam.form_index(&t.form_id).unwrap_or(0);
        // IRT observed-score equating to the base form in the synthetic population that weights
        // the two cohorts' densities equally (K&B 2014, 6.6).
        let (wf, wb) = (cohort(f), cohort(base));
        let synthetic: Vec<f64> = wf.iter().zip(&wb).map(|(a, b)| 0.5 * (a + b)).collect();
        let observed = crate::equate::irt_observed::observed_score_equating(
            &cal.scored_params(ds, f),
            &base_items,
            &grid.theta,
            &synthetic,
        );
        let p = out.join(format!("conversion_{}.csv", t.form_id));
        write_csv(
            &p,
            &[
                "raw",
                "theta",
                "base_equivalent",
                "base_equivalent_observed",
                "scaled_unrounded",
                "scaled",
                "pass",
                "csem",
            ],
            t.rows.iter().map(|r| {
                vec![
                    r.raw.to_string(),
                    r.theta.map(|x| fmt_f(x, 4)).unwrap_or_default(),
                    fmt_f(r.base_equivalent, 4),
                    observed
                        .get(r.raw)
                        .map(|x| fmt_f(*x, 4))
                        .unwrap_or_default(),
                    fmt_f(r.unrounded, 2),
                    fmt_f(r.reported, 0),
                    r.pass.to_string(),
                    r.csem.map(|x| fmt_f(x, 2)).unwrap_or_default(),
                ]
            }),
        )
        .map_err(io_err(&p))?;
    }
    let links = separate_links(
        cal,
        base as u16,
        model,
        crate::equate::linking::LinkMethod::StockingLord,
        em,
    );
    let p = out.join("linking.csv");
    write_csv(
        &p,
        &["form_id", "method", "A", "B", "n_common", "anchors_flagged"],
        links.iter().map(|l| l.summary_row(6)),
    )
    .map_err(io_err(&p))?;
    let p = out.join("anchor_drift.csv");
    write_csv(
        &p,
        &[
            "form_id",
            "item_id",
            "b_base",
            "b_linked",
            "displacement",
            "flagged",
        ],
        links.iter().flat_map(|l| {
            l.drift_rows(4).map(|(a, mut row)| {
                row.push(a.flagged.to_string());
                row
            })
        }),
    )
    .map_err(io_err(&p))?;
    for l in &links {
        for a in l.anchors.iter().filter(|a| a.flagged) {
            warnings.push(format!(
                "anchor {} on form {} moved by {:+.2} in b after linking (drift > {})",
                a.item_id,
                l.form_id,
                a.displacement,
                crate::equate::workflow::DRIFT_THRESHOLD
            ));
        }
    }
    let m = &ds.matrix;
    let mut forms = Vec::new();
    for t in &tables {
        let f = ds.exam.form_index(&t.form_id).unwrap_or(0);
        let (mut n, mut pass) = (0usize, 0usize);
        for a in (0..m.n_attempts()).filter(|&a| m.form(a) == f) {
            n += 1;
            let raw = m.raw_score(a) as usize;
            pass += t.rows.get(raw).map(|r| r.pass as usize).unwrap_or(0);
        }
        let form = &ds.exam.forms[f];
        let bs: Vec<f64> = cal.scored_params(ds, f).iter().map(|m| m.b()).collect();
        forms.push(FormEquating {
            form_id: t.form_id.clone(),
            scored_items: form.n_scored(),
            mean_b: bs.iter().sum::<f64>() / bs.len().max(1) as f64,
            raw_cut: t.raw_cut,
            true_score_cut: t.true_score_cut,
            attempts: n,
            pass_rate: if n > 0 {
                pass as f64 / n as f64
            } else {
                f64::NAN
            },
            classification: t.raw_cut.map(|c| {
                let items = cal.scored_params(ds, f);
                crate::scale::classification(&items, c, t.theta_cut, &grid.theta, &cohort(f))
            }),
        });
    }
    let summary = EquatingSummary {
        method: "irt-true-score",
        scale,
        base_form: ds.exam.config.base_form.clone(),
        forms,
        links,
        warnings,
    };
    let p = out.join("equating.json");
    write_json(&p, &summary).map_err(io_err(&p))?;
    Ok((summary, tables))
}

/// What `qbank link` needs.
#[derive(Debug, Clone)]
pub struct LinkFiles<'a> {
    pub new_params: &'a Path,
    pub old_params: &'a Path,
    pub scale_d: f64,
    /// Common items by id; empty = the column `common_column`, or else every id in both files.
    pub common: Vec<String>,
    pub common_column: Option<&'a str>,
    pub exclude: Vec<String>,
    pub symmetric: bool,
}

/// Two parameter files read and linked by every method.
pub struct LinkedParams {
    pub new: Vec<crate::exam::params::ParamRow>,
    pub old: Vec<crate::exam::params::ParamRow>,
    /// (index in new, index in old) of the common items.
    pub pairs: Vec<(usize, usize)>,
    pub links: Vec<crate::equate::linking::Link>,
}

impl LinkedParams {
    pub fn link(&self, method: crate::equate::linking::LinkMethod) -> crate::equate::linking::Link {
        self.links
            .iter()
            .find(|l| l.method == method)
            .copied()
            .unwrap_or(self.links[0])
    }
}

/// Reads both parameter files, finds the common items and links new onto old by every method.
pub fn read_and_link(args: &LinkFiles<'_>) -> Result<LinkedParams, RunError> {
    use crate::equate::linking::{link, CurveOptions, LinkMethod};
    let mut diags = Diagnostics::default();
    let new = crate::exam::params::read_params(
        args.new_params,
        args.scale_d,
        args.common_column,
        &mut diags,
    );
    let old = crate::exam::params::read_params(
        args.old_params,
        args.scale_d,
        args.common_column,
        &mut diags,
    );
    let is_common = |id: &str, flag: Option<bool>| -> bool {
        if args.exclude.iter().any(|e| e == id) {
            return false;
        }
        if !args.common.is_empty() {
            return args.common.iter().any(|c| c == id);
        }
        flag.unwrap_or(true)
    };
    let pairs: Vec<(usize, usize)> = new
        .iter()
        .enumerate()
        .filter(|(_, r)| is_common(&r.item_id, r.common))
        .filter_map(|(i, r)| {
            old.iter()
                .position(|o| o.item_id == r.item_id)
                .map(|j| (i, j))
        })
        .collect();
    for id in &args.common {
        if !new.iter().any(|r| &r.item_id == id) || !old.iter().any(|r| &r.item_id == id) {
            diags.error(
                crate::exam::Location::file("--common").item(id.as_str()),
                format!("common item '{id}' is not in both parameter files"),
            );
        }
    }
    if pairs.len() < 2 && !diags.has_errors() {
        diags.error(
            crate::exam::Location::file(exam::display(args.new_params)),
            format!(
                "{} common item(s) found; linking needs at least 2",
                pairs.len()
            ),
        );
    }
    if diags.has_errors() {
        return Err(RunError::Invalid(diags));
    }
    let n: Vec<_> = pairs.iter().map(|&(i, _)| new[i].params).collect();
    let o: Vec<_> = pairs.iter().map(|&(_, j)| old[j].params).collect();
    let opts = CurveOptions {
        symmetric: args.symmetric,
        ..CurveOptions::default()
    };
    let links: Vec<_> = LinkMethod::ALL
        .iter()
        .map(|&m| link(&n, &o, m, &opts))
        .collect::<Result<_, _>>()
        .map_err(|msg| {
            let mut d = Diagnostics::default();
            d.error(
                crate::exam::Location::file(exam::display(args.new_params)),
                msg,
            );
            RunError::Invalid(d)
        })?;
    Ok(LinkedParams {
        new,
        old,
        pairs,
        links,
    })
}

/// Links the new form's parameters onto the old form's scale by every method; writes
/// `linking.csv` (all methods) and `new_params_linked.csv` (by `method`) into `out`.
pub fn link_files(
    args: &LinkFiles<'_>,
    method: crate::equate::linking::LinkMethod,
    out: &Path,
) -> Result<Vec<crate::equate::linking::Link>, RunError> {
    use crate::output::fmt_f;
    let LinkedParams {
        new, pairs, links, ..
    } = read_and_link(args)?;
    let p = out.join("linking.csv");
    write_csv(
        &p,
        &["method", "A", "B", "n_common", "symmetric"],
        links.iter().map(|l| {
            vec![
                l.method.as_str().to_string(),
                fmt_f(l.slope, 6),
                fmt_f(l.intercept, 6),
                pairs.len().to_string(),
                args.symmetric.to_string(),
            ]
        }),
    )
    .map_err(io_err(&p))?;
    let chosen = links
        .iter()
        .find(|l| l.method == method)
        .copied()
        .unwrap_or(links[0]);
    let p = out.join("new_params_linked.csv");
    write_csv(
        &p,
        &["item_id", "a", "b", "c", "common"],
        new.iter().enumerate().map(|(i, r)| {
            let t = chosen.transform(&r.params);
            vec![
                r.item_id.clone(),
                fmt_f(t.a, 6),
                fmt_f(t.b(), 6),
                fmt_f(t.c, 6),
                pairs.iter().any(|&(k, _)| k == i).to_string(),
            ]
        }),
    )
    .map_err(io_err(&p))?;
    Ok(links)
}

/// Scores every person, attaches item fit to the estimates and writes the locally dependent
/// pairs (`local_dependence.csv`); returns the scores.
pub fn score_and_fit(
    out: &Path,
    data: &crate::irt::Responses,
    cal: &crate::irt::Calibration,
    estimates: &mut [crate::irt::ItemEstimate],
) -> Result<Vec<crate::irt::scoring::PersonScore>, RunError> {
    use crate::output::fmt_f;
    let scores = crate::irt::scoring::score_persons(data, cal);
    crate::irt::attach_fit(estimates, crate::irt::fit::item_fit(data, cal, &scores));
    let (mean, pairs) = crate::irt::fit::q3(data, cal, &scores, 50.0, crate::irt::fit::Q3_EXCESS);
    let p = out.join("local_dependence.csv");
    write_csv(
        &p,
        &["item_a", "item_b", "q3", "mean_q3"],
        pairs.iter().map(|q| {
            vec![
                data.item_ids[q.item_a].clone(),
                data.item_ids[q.item_b].clone(),
                fmt_f(q.q3, 4),
                fmt_f(mean, 4),
            ]
        }),
    )
    .map_err(io_err(&p))?;
    Ok(scores)
}

/// Writes `scores.csv`: EAP (posterior SD), MAP (SE) and ML (SE, flag) of every person.
pub fn write_scores(
    out: &Path,
    data: &crate::irt::Responses,
    scores: &[crate::irt::scoring::PersonScore],
) -> Result<(), RunError> {
    use crate::output::fmt_f;
    let p = out.join("scores.csv");
    write_csv(
        &p,
        &[
            "attempt_id",
            "eap",
            "psd",
            "map",
            "map_se",
            "ml",
            "ml_se",
            "ml_flag",
        ],
        scores.iter().zip(&data.person_ids).map(|(s, id)| {
            vec![
                id.clone(),
                fmt_f(s.eap, 4),
                fmt_f(s.psd, 4),
                fmt_f(s.map, 4),
                fmt_f(s.map_se, 4),
                fmt_f(s.ml, 4),
                fmt_f(s.ml_se, 4),
                s.ml_flag.unwrap_or("").to_string(),
            ]
        }),
    )
    .map_err(io_err(&p))
}

/// Writes `test_information.csv` (per form, the information of its scored items and the
/// conditional SE 1 / sqrt(I) at theta = -4, -3.9, ..., 4) and `summed_scores.csv` (per form, the
/// Lord-Wingersky summed-score table of its scored items under its cohort's latent density:
/// probability, EAP and posterior SD of each raw score).
pub fn write_test_information(
    out: &Path,
    ds: &Dataset,
    cal: &crate::irt::workflow::CalibrationResult,
) -> Result<(), RunError> {
    use crate::output::fmt_f;
    let theta: Vec<f64> = (0..=80).map(|k| -4.0 + 0.1 * k as f64).collect();
    let (mut info_rows, mut sum_rows) = (Vec::new(), Vec::new());
    for (f, form) in ds.exam.forms.iter().enumerate() {
        let items = cal.scored_params(ds, f);
        let info = crate::irt::scoring::test_information(&items, &theta);
        for (t, i) in theta.iter().zip(info) {
            info_rows.push(vec![
                form.id.clone(),
                fmt_f(*t, 1),
                fmt_f(i, 4),
                fmt_f(1.0 / i.sqrt(), 4),
            ]);
        }
        let g = if cal.calibration.latent.len() > f {
            f
        } else {
            0
        };
        let table = crate::irt::scoring::summed_score_table(
            &items,
            &cal.calibration.grid.theta,
            &cal.calibration.weights(g),
        );
        for r in table {
            sum_rows.push(vec![
                form.id.clone(),
                r.score.to_string(),
                fmt_f(r.probability, 6),
                fmt_f(r.eap, 4),
                fmt_f(r.psd, 4),
            ]);
        }
    }
    let p = out.join("test_information.csv");
    write_csv(&p, &["form_id", "theta", "information", "csem"], info_rows).map_err(io_err(&p))?;
    let p = out.join("summed_scores.csv");
    write_csv(
        &p,
        &["form_id", "raw", "probability", "eap", "psd"],
        sum_rows,
    )
    .map_err(io_err(&p))
}

/// Writes a conversion as `conversion.csv` (raw, equivalent, se) and `equating.json`.
pub fn write_conversion(
    out: &Path,
    conv: &crate::equate::classical::Conversion,
) -> Result<(), RunError> {
    use crate::output::fmt_f;
    let p = out.join("conversion.csv");
    write_csv(
        &p,
        &["raw", "equivalent", "se"],
        conv.equivalents.iter().enumerate().map(|(x, e)| {
            vec![
                x.to_string(),
                fmt_f(*e, 4),
                conv.se.as_ref().map(|s| fmt_f(s[x], 4)).unwrap_or_default(),
            ]
        }),
    )
    .map_err(io_err(&p))?;
    let p = out.join("equating.json");
    write_json(&p, conv).map_err(io_err(&p))
}

/// What `qbank equate --new-scores/--old-scores` needs.
#[derive(Debug, Clone)]
pub struct ScoreFiles<'a> {
    pub new_scores: &'a Path,
    pub old_scores: &'a Path,
    pub score_column: &'a str,
    pub anchor_column: Option<&'a str>,
    pub frequency_column: Option<&'a str>,
    /// Highest possible total score (default: the highest observed in either file).
    pub max_score: Option<usize>,
    pub w1: f64,
    /// Bootstrap replications and seed for standard errors.
    pub bootstrap: Option<(usize, u64)>,
}

/// Classical equating from score files; writes the conversion into `out`.
pub fn equate_scores(
    args: &ScoreFiles<'_>,
    method: crate::equate::classical::Method,
    out: &Path,
) -> Result<crate::equate::classical::Conversion, RunError> {
    use crate::equate::classical::{bootstrap_se, equate, Sample};
    let mut diags = Diagnostics::default();
    let read = |p: &Path, d: &mut Diagnostics| {
        crate::exam::scores::read_scores(
            p,
            args.score_column,
            args.anchor_column,
            args.frequency_column,
            d,
        )
    };
    let (x, y) = (
        read(args.new_scores, &mut diags),
        read(args.old_scores, &mut diags),
    );
    for (p, s) in [(args.new_scores, &x), (args.old_scores, &y)] {
        if s.total.is_empty() && !diags.has_errors() {
            diags.error(
                crate::exam::Location::file(exam::display(p)),
                "no examinees",
            );
        }
    }
    let observed_max = x.total.iter().chain(&y.total).copied().max().unwrap_or(0) as usize;
    let max_total = args.max_score.unwrap_or(observed_max);
    if observed_max > max_total {
        diags.error(
            crate::exam::Location::file("--max-score"),
            format!("a score of {observed_max} exceeds --max-score {max_total}"),
        );
    }
    if diags.has_errors() {
        return Err(RunError::Invalid(diags));
    }
    let max_anchor = x
        .anchor
        .iter()
        .chain(y.anchor.iter())
        .flatten()
        .copied()
        .max()
        .unwrap_or(0) as usize;
    let sample = |s: crate::exam::scores::ScoreColumns| Sample {
        total: s.total,
        anchor: s.anchor,
        max_total,
        max_anchor,
    };
    let (x, y) = (sample(x), sample(y));
    let invalid = |msg: String| {
        let mut d = Diagnostics::default();
        d.error(
            crate::exam::Location::file(exam::display(args.new_scores)),
            msg,
        );
        RunError::Invalid(d)
    };
    let mut conv = equate(&x, &y, method, args.w1).map_err(invalid)?;
    if let Some((reps, seed)) = args.bootstrap {
        conv.se = Some(bootstrap_se(&x, &y, method, args.w1, reps, seed).map_err(invalid)?);
    }
    write_conversion(out, &conv)?;
    Ok(conv)
}

/// IRT equating from parameter files: link new onto old (`link_method`), then true-score or
/// observed-score equating (the latter in a N(0, 1) population on the old scale).
pub fn equate_params(
    args: &LinkFiles<'_>,
    link_method: crate::equate::linking::LinkMethod,
    observed: bool,
    out: &Path,
) -> Result<crate::equate::classical::Conversion, RunError> {
    let lp = read_and_link(args)?;
    let l = lp.link(link_method);
    let new: Vec<crate::irt::Logistic> = lp.new.iter().map(|r| l.transform(&r.params)).collect();
    let old: Vec<crate::irt::Logistic> = lp.old.iter().map(|r| r.params).collect();
    let equivalents = if observed {
        let grid = crate::irt::quadrature::Grid::new(61, 6.0);
        crate::equate::irt_observed::observed_score_equating(
            &new,
            &old,
            &grid.theta,
            &grid.normal_weights(0.0, 1.0),
        )
    } else {
        crate::equate::irt_true::true_score_equating(&new, &old)
            .iter()
            .map(|r| r.equivalent)
            .collect()
    };
    let conv = crate::equate::classical::Conversion {
        method: format!(
            "{} after {} linking (A = {:.6}, B = {:.6})",
            if observed {
                "irt observed-score"
            } else {
                "irt true-score"
            },
            l.method.as_str(),
            l.slope,
            l.intercept
        ),
        equivalents,
        slope: None,
        intercept: None,
        se: None,
        smoothing_degrees: None,
    };
    write_conversion(out, &conv)?;
    Ok(conv)
}

/// Classical NEAT equating of every form to the base form through their common scored items
/// (an internal anchor), for comparison with the IRT tables: `classical_FORM.csv` with the
/// equivalents of each method. Forms with fewer than 5 common items, or nothing but common
/// items, are skipped.
pub fn classical_stage(
    ds: &Dataset,
    methods: &[crate::equate::classical::Method],
    out: &Path,
) -> Result<Vec<String>, RunError> {
    use crate::equate::classical::{equate, Sample};
    use crate::output::fmt_f;
    let m = &ds.matrix;
    let base = ds.exam.base_form();
    let mut written = Vec::new();
    for (f, form) in ds.exam.forms.iter().enumerate().filter(|(f, _)| *f != base) {
        let common: Vec<usize> = form
            .scored()
            .map(|fi| fi.item)
            .filter(|&i| m.is_scored(base, i))
            .collect();
        if common.len() < 5 || common.len() == form.n_scored() {
            continue;
        }
        let sample = |g: usize, max_total: usize| {
            let (mut total, mut anchor) = (Vec::new(), Vec::new());
            for a in (0..m.n_attempts()).filter(|&a| m.form(a) == g) {
                total.push(m.raw_score(a));
                anchor.push(
                    m.responses(a)
                        .filter(|r| r.right && common.contains(&r.item))
                        .count() as u32,
                );
            }
            Sample {
                total,
                anchor: Some(anchor),
                max_total,
                max_anchor: common.len(),
            }
        };
        let (x, y) = (
            sample(f, form.n_scored()),
            sample(base, ds.exam.forms[base].n_scored()),
        );
        if x.total.is_empty() || y.total.is_empty() {
            continue;
        }
        let convs: Vec<_> = methods
            .iter()
            .filter_map(|&me| equate(&x, &y, me, 0.5).ok())
            .collect();
        let mut header = vec!["raw".to_string()];
        header.extend(convs.iter().map(|c| c.method.clone()));
        let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
        let p = out.join(format!("classical_{}.csv", form.id));
        write_csv(
            &p,
            &header_refs,
            (0..=form.n_scored()).map(|raw| {
                std::iter::once(raw.to_string())
                    .chain(convs.iter().map(|c| {
                        c.equivalents
                            .get(raw)
                            .map(|e| fmt_f(*e, 4))
                            .unwrap_or_default()
                    }))
                    .collect::<Vec<_>>()
            }),
        )
        .map_err(io_err(&p))?;
        written.push(form.id.clone());
    }
    Ok(written)
}

/// The NEAT methods shown beside the IRT tables in `qbank run`.
pub const NEAT_METHODS: [crate::equate::classical::Method; 5] = [
    crate::equate::classical::Method::Tucker,
    crate::equate::classical::Method::LevineObserved { internal: true },
    crate::equate::classical::Method::ChainedLinear,
    crate::equate::classical::Method::FrequencyEstimation,
    crate::equate::classical::Method::ChainedEquipercentile,
];

/// `qbank equate DIR`: calibrates (as `qbank run`), writes the IRT conversion tables of every form
/// and, with a classical `method`, its NEAT tables against the base form; returns a printout of
/// the base form's table.
pub fn equate_dataset(
    dir: &Path,
    method: Option<crate::equate::classical::Method>,
    out: &Path,
) -> Result<String, RunError> {
    let (ds, _) = load(dir)?;
    let opts = crate::irt::workflow::CalibrateOptions::default();
    let (cal, _) = calibrate_stage(&ds, &opts, out)?;
    let (summary, tables) = equate_stage(&ds, &cal, opts.model, &opts.em, out)?;
    if let Some(m) = method {
        classical_stage(&ds, &[m], out)?;
    }
    let mut text = format!(
        "base form {} (IRT true-score; cut {} at theta {:.3})\n",
        summary.base_form, summary.scale.cut, summary.scale.theta_cut
    );
    text.push_str(&format!(
        "{:>4} {:>8} {:>7} {:>5} {:>6}\n",
        "raw", "theta", "scaled", "pass", "csem"
    ));
    if let Some(t) = tables.iter().find(|t| t.form_id == summary.base_form) {
        for r in &t.rows {
            text.push_str(&format!(
                "{:>4} {:>8} {:>7} {:>5} {:>6}\n",
                r.raw,
                r.theta
                    .map(|x| format!("{x:.3}"))
                    .unwrap_or_else(|| "-".into()),
                r.reported,
                if r.pass { "pass" } else { "" },
                r.csem
                    .map(|x| format!("{x:.1}"))
                    .unwrap_or_else(|| "-".into())
            ));
        }
    }
    for f in &summary.forms {
        text.push_str(&format!(
            "form {}: raw cut {:?}, mean b {:.3}\n",
            f.form_id, f.raw_cut, f.mean_b
        ));
    }
    Ok(text)
}

/// Runs the item analysis and writes `items.csv`, `options.csv`, `reliability.csv`, `flags.csv`
/// and `dif.csv` into `out`.
pub fn items_stage(
    ds: &Dataset,
    dif: Option<&crate::classical::DifSpec>,
    out: &Path,
) -> Result<crate::classical::ItemAnalysis, RunError> {
    use crate::output::fmt_f;
    let a = crate::classical::analyse(ds, dif, &ds.exam.config.flags);
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
    .map_err(io_err(&p))?;
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
    .map_err(io_err(&p))?;
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
    .map_err(io_err(&p))?;
    let p = out.join("flags.csv");
    write_csv(
        &p,
        &["item_id", "flag", "reason"],
        a.flags
            .iter()
            .map(|f| vec![f.item_id.clone(), f.flag.to_string(), f.reason.clone()]),
    )
    .map_err(io_err(&p))?;
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
    .map_err(io_err(&p))?;
    Ok(a)
}

/// The DIF comparison `qbank run` makes when candidates.csv has group columns: the first group
/// column, its most frequent value as the reference group and the second most frequent as focal.
pub fn default_dif(ds: &Dataset) -> Option<crate::classical::DifSpec> {
    let c = ds.exam.candidates.as_ref()?;
    let (name, values) = c.groups.first()?;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.iter().filter(|v| !v.is_empty()) {
        *counts.entry(v.as_str()).or_default() += 1;
    }
    let mut by_size: Vec<(&str, usize)> = counts.into_iter().collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    match by_size.as_slice() {
        [(r, _), (f, _), ..] => Some(crate::classical::DifSpec {
            column: name.clone(),
            reference: r.to_string(),
            focal: f.to_string(),
        }),
        _ => None,
    }
}

/// Readiness of every candidate (see [`crate::readiness`]): writes `readiness.csv` (one row per
/// candidate), `readiness_attempts.csv` (one row per attempt), `readiness.json` (cohort figures)
/// and, for each id in `pages`, `readiness/ID.html` and `readiness/ID.md`.
pub fn readiness_stage(
    ds: &Dataset,
    cal: &crate::irt::workflow::CalibrationResult,
    scale: &crate::scale::Scale,
    tables: &[crate::scale::ConversionTable],
    pages: &[String],
    out: &Path,
) -> Result<
    (
        crate::readiness::Context,
        Vec<crate::readiness::CandidateReadiness>,
        crate::readiness::Cohort,
    ),
    RunError,
> {
    use crate::output::fmt_f;
    use crate::readiness::{assess, cohort, Context};
    for id in pages {
        if !ds.matrix.candidate_ids.iter().any(|c| c == id) {
            let mut d = Diagnostics::default();
            d.error(
                crate::exam::Location::file(exam::display(&ds.exam.attempts_path)),
                format!("candidate '{id}' has no attempts in the log"),
            );
            return Err(RunError::Invalid(d));
        }
    }
    let ctx = Context::of(ds, cal, scale, tables);
    let cands = assess(ds, &ctx);
    let coh = cohort(&ctx, &cands);
    let opt_f = |x: Option<f64>, d: usize| x.map(|v| fmt_f(v, d)).unwrap_or_default();
    let mut header: Vec<String> = [
        "candidate_id",
        "attempts",
        "full_length_attempts",
        "last_attempt_id",
        "last_form_id",
        "last_scaled",
        "last_low90",
        "last_high90",
        "last_p_pass",
        "theta",
        "psd",
        "scaled",
        "p_pass",
        "p_pass_exam",
        "window",
        "full_in_window",
        "target_hits",
        "status",
        "weakest_domain",
        "study_plan",
    ]
    .map(String::from)
    .to_vec();
    for (d, _) in &ctx.domains {
        for suffix in ["items", "shortfall", "cost", "cost_se"] {
            header.push(format!("{d}_{suffix}"));
        }
    }
    header.extend(["official_passed".to_string(), "official_scaled".to_string()]);
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    let p = out.join("readiness.csv");
    write_csv(
        &p,
        &h,
        cands.iter().map(|c| {
            let last = c
                .attempts
                .last()
                .expect("assessed candidates have attempts");
            let mut row = vec![
                c.candidate_id.clone(),
                c.attempts.len().to_string(),
                c.attempts
                    .iter()
                    .filter(|a| a.full_length)
                    .count()
                    .to_string(),
                last.attempt_id.clone(),
                last.form_id.clone(),
                fmt_f(last.scaled, 0),
                fmt_f(last.low90, 0),
                fmt_f(last.high90, 0),
                fmt_f(last.p_pass, 4),
                fmt_f(c.theta, 4),
                fmt_f(c.psd, 4),
                fmt_f(c.scaled, 0),
                fmt_f(c.p_pass, 4),
                fmt_f(c.p_pass_exam, 4),
                c.window.to_string(),
                c.full_in_window.to_string(),
                c.target_hits.to_string(),
                c.status.as_str().to_string(),
                c.weakest
                    .map(|d| ctx.domain_id(d).to_string())
                    .unwrap_or_default(),
                crate::readiness::plan_text(&ctx, &c.plan),
            ];
            for d in &c.domains {
                row.push(d.items.to_string());
                if d.enough_evidence {
                    row.extend([fmt_f(d.shortfall, 4), fmt_f(d.cost, 1), fmt_f(d.cost_se, 1)]);
                } else {
                    row.extend([
                        "not enough evidence".to_string(),
                        String::new(),
                        String::new(),
                    ]);
                }
            }
            row.push(c.official_passed.map(|b| b.to_string()).unwrap_or_default());
            row.push(opt_f(c.official_scaled, 0));
            row
        }),
    )
    .map_err(io_err(&p))?;
    let p = out.join("readiness_attempts.csv");
    write_csv(
        &p,
        &[
            "candidate_id",
            "number",
            "attempt_id",
            "submitted_at",
            "form_id",
            "full_length",
            "scored_items",
            "raw",
            "scaled",
            "csem",
            "low90",
            "high90",
            "eap",
            "psd",
            "p_pass",
            "reached_target",
            "note",
        ],
        cands.iter().flat_map(|c| {
            c.attempts.iter().map(move |a| {
                vec![
                    c.candidate_id.clone(),
                    a.number.to_string(),
                    a.attempt_id.clone(),
                    a.submitted_at.clone(),
                    a.form_id.clone(),
                    a.full_length.to_string(),
                    a.scored_items.to_string(),
                    a.raw.to_string(),
                    fmt_f(a.scaled, 0),
                    fmt_f(a.csem, 1),
                    fmt_f(a.low90, 0),
                    fmt_f(a.high90, 0),
                    fmt_f(a.eap, 4),
                    fmt_f(a.psd, 4),
                    fmt_f(a.p_pass, 4),
                    a.reached_target.to_string(),
                    a.note.clone(),
                ]
            })
        }),
    )
    .map_err(io_err(&p))?;
    let p = out.join("readiness.json");
    write_json(&p, &coh).map_err(io_err(&p))?;
    for id in pages {
        let c = cands
            .iter()
            .find(|c| &c.candidate_id == id)
            .expect("checked above");
        crate::report::readiness::candidate_page(&ctx, c, &out.join("readiness")).map_err(
            |msg| RunError::Write {
                path: out.join("readiness"),
                source: std::io::Error::other(msg),
            },
        )?;
    }
    Ok((ctx, cands, coh))
}
