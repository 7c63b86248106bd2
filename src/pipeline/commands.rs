//! The file-based commands: thin compositions of the same library calls as `qbank run`, each
//! returning its result value after handing it to the writer layer.

use std::path::Path;

use crate::equate::classical::{bootstrap_se, equate, Conversion, Method, Sample};
use crate::equate::irt_observed::observed_score_equating;
use crate::equate::irt_true::true_score_equating;
use crate::equate::link_se::{
    form_from_tables, observed_score_se, true_score_se, FormEstimates, LinkOptions, ScoreDirection,
};
use crate::equate::linking::{CurveOptions, LinkMethod};
use crate::equate::workflow::neat_tables;
use crate::equate::{link_params, CommonSelection, LinkedParams};
use crate::exam::param_file_error::ParamFileError;
use crate::exam::param_files::read_param_tables;
use crate::exam::scores::{read_scores, ScoreColumns};
use crate::exam::{self, Diagnostics, Location};
use crate::irt::quadrature::Grid;
use crate::irt::workflow::{calibrate_responses_with, CalibrateOptions};
use crate::irt::{CalibrationSummary, EmOptions, ModelKind, Priors, Responses};
use crate::readiness::Cohort;
use crate::report::tables;
use crate::scale::equating::{form_tables, Equating};

use super::stages::{self, score_and_fit};
use super::{Error, Progress};

/// `qbank calibrate DIR`: calibrates a data set and writes the calibration outputs.
pub fn calibrate_dataset(
    dir: &Path,
    opts: &CalibrateOptions,
    out: &Path,
    timings: bool,
) -> Result<CalibrationSummary, Error> {
    let progress = Progress::hidden();
    progress.stage("reading and validating");
    let (ds, _) = stages::load(dir)?;
    progress.stage("IRT calibration");
    let c = stages::calibrate_timed(&ds, opts, &progress);
    progress.stage("writing");
    c.write(out, &ds)?;
    write_timings(out, &c.summary, &progress, timings)?;
    Ok(c.summary)
}

/// With `--timings`: calibration.json again with the stage times, which are printed to stderr.
fn write_timings(
    out: &Path,
    summary: &CalibrationSummary,
    progress: &Progress,
    timings: bool,
) -> Result<(), Error> {
    if timings {
        let t = progress.timings();
        let value = super::progress::WithTimings {
            value: summary,
            timings: &t,
        };
        tables::write_json(&out.join("calibration.json"), &value)?;
        progress.print_timings();
    }
    Ok(())
}

/// What `qbank calibrate --matrix` needs.
#[derive(Debug, Clone)]
pub struct MatrixFile<'a> {
    pub path: &'a Path,
    pub id_column: Option<&'a str>,
    pub weight_column: Option<&'a str>,
    pub model: ModelKind,
    pub scale_d: f64,
    pub priors: Priors,
    pub em: EmOptions,
}

/// Calibrates a wide 0/1 matrix file (one group, all items estimated) and writes the outputs.
pub fn calibrate_matrix(
    m: &MatrixFile<'_>,
    out: &Path,
    timings: bool,
) -> Result<CalibrationSummary, Error> {
    let progress = Progress::hidden();
    progress.stage("reading the matrix");
    let mut diags = Diagnostics::default();
    let wide = exam::wide::read_wide_matrix(m.path, m.id_column, m.weight_column, &mut diags)
        .ok_or_else(|| Error::Invalid(diags.clone()))?;
    let data = Responses::from_wide(wide);
    progress.stage("IRT calibration");
    let (cal, cov, mut est) =
        calibrate_responses_with(&data, m.model, m.scale_d, m.priors, &m.em, &|s| {
            progress.step(s)
        });
    let (scores, ld) = score_and_fit(&data, &cal, &mut est, &progress);
    let summary = CalibrationSummary::of(&data, &cal, &cov, &est, m.model, None);
    progress.stage("writing");
    tables::write_local_dependence(out, &data, &ld)?;
    tables::write_item_params(&out.join("item_params.csv"), &est)?;
    tables::write_json(&out.join("calibration.json"), &summary)?;
    tables::write_scores(out, &data, &scores)?;
    write_timings(out, &summary, &progress, timings)?;
    Ok(summary)
}

/// `qbank readiness`: calibrates (as `qbank run`), builds the conversion tables and writes the
/// readiness outputs into `out`.
pub fn readiness(dir: &Path, out: &Path, pages: &[String], quiet: bool) -> Result<Cohort, Error> {
    let progress = Progress::new(3, quiet);
    progress.stage("reading and validating");
    let (ds, _) = stages::load(dir)?;
    stages::require_practice(&ds, "qbank readiness")?;
    stages::check_candidates(&ds, pages)?;
    progress.stage("IRT calibration");
    let c = stages::calibrate(
        &ds,
        &stages::run_calibration_options(&ds.exam.config.calibration),
    );
    let ft = form_tables(&ds, &c.forms).map_err(|e| Error::scale(&ds, e))?;
    progress.stage("readiness");
    let r = stages::readiness(&ds, &c.forms, &ft.scale, &ft.tables);
    r.write(out, pages)?;
    progress.finish();
    Ok(r.cohort)
}

/// `qbank equate DIR`: calibrates (as `qbank run`), writes the IRT conversion tables of every
/// form and, with a classical `method`, its NEAT tables against the base form.
pub fn equate_dataset(dir: &Path, method: Option<Method>, out: &Path) -> Result<Equating, Error> {
    let (ds, _) = stages::load(dir)?;
    let c = stages::calibrate(
        &ds,
        &stages::run_calibration_options(&ds.exam.config.calibration),
    );
    c.write(out, &ds)?;
    let eq = stages::equate(&ds, &c)?;
    tables::write_equating(out, &eq)?;
    if let Some(m) = method {
        tables::write_neat_tables(out, &neat_tables(&ds, &[m]))?;
    }
    Ok(eq)
}

/// What `qbank link` and `qbank equate --new-params/--old-params` need.
#[derive(Debug, Clone)]
pub struct LinkFiles<'a> {
    pub new_params: &'a Path,
    pub old_params: &'a Path,
    /// Covariance files of the parameters (both or neither: standard errors need both).
    pub new_cov: Option<&'a Path>,
    pub old_cov: Option<&'a Path>,
    pub scale_d: f64,
    pub selection: CommonSelection,
    /// Column of the parameter files marking common items.
    pub common_column: Option<&'a str>,
    /// Points, weights and symmetry of the characteristic-curve criteria.
    pub curve: CurveOptions,
}

/// Reads a parameter file (a,b,c or a,d,g) and its covariance file into a form, and the
/// common-item flags of its rows.
pub fn read_form(
    name: &str,
    params: &Path,
    cov: Option<&Path>,
    common_column: Option<&str>,
    scale_d: f64,
) -> Result<(FormEstimates, Vec<Option<bool>>), Error> {
    // the messages name their file (the parameter or the covariance file) themselves
    let bad = |e: ParamFileError| {
        let msg = e.to_string();
        let (file, rest) = msg.split_once(": ").unwrap_or(("", msg.as_str()));
        Error::invalid(Location::file(file), rest.to_string())
    };
    let (table, cov) = read_param_tables(params, cov, common_column).map_err(bad)?;
    let flags = table.rows.iter().map(|r| r.common).collect();
    let form = form_from_tables(name, &table, cov.as_ref(), scale_d).map_err(bad)?;
    Ok((form, flags))
}

/// Reads both parameter files (and covariance files), finds the common items and links new onto
/// old by every method.
pub fn read_and_link(args: &LinkFiles<'_>) -> Result<LinkedParams, Error> {
    let (new, flags) = read_form(
        "new",
        args.new_params,
        args.new_cov,
        args.common_column,
        args.scale_d,
    )?;
    let (old, _) = read_form(
        "old",
        args.old_params,
        args.old_cov,
        args.common_column,
        args.scale_d,
    )?;
    let opts = LinkOptions {
        curve: args.curve.clone(),
        d: args.scale_d,
        anchors: None,
    };
    link_params(
        new,
        old,
        &flags,
        &args.selection,
        &opts,
        &exam::display(args.new_params),
    )
    .map_err(Error::Invalid)
}

/// `qbank link`: links the new form's parameters onto the old form's scale by every method and
/// writes `linking.csv` (with standard errors when both covariance files are given) and
/// `new_params_linked.csv` (by `method`).
pub fn link_files(
    args: &LinkFiles<'_>,
    method: LinkMethod,
    out: &Path,
) -> Result<LinkedParams, Error> {
    let lp = read_and_link(args)?;
    tables::write_links(out, &lp, method)?;
    Ok(lp)
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

/// Reads both score files into samples on a common score range.
pub fn read_samples(args: &ScoreFiles<'_>) -> Result<(Sample, Sample), Error> {
    let mut diags = Diagnostics::default();
    let read = |p: &Path, d: &mut Diagnostics| {
        read_scores(
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
            diags.error(Location::file(exam::display(p)), "no examinees");
        }
    }
    let observed_max = x.total.iter().chain(&y.total).copied().max().unwrap_or(0) as usize;
    let max_total = args.max_score.unwrap_or(observed_max);
    if observed_max > max_total {
        diags.error(
            Location::file("--max-score"),
            format!("a score of {observed_max} exceeds --max-score {max_total}"),
        );
    }
    if diags.has_errors() {
        return Err(Error::Invalid(diags));
    }
    let max_anchor = x
        .anchor
        .iter()
        .chain(y.anchor.iter())
        .flatten()
        .copied()
        .max()
        .unwrap_or(0) as usize;
    let sample = |s: ScoreColumns| Sample {
        total: s.total,
        anchor: s.anchor,
        max_total,
        max_anchor,
    };
    Ok((sample(x), sample(y)))
}

/// Classical equating from score files; writes the conversion into `out`.
pub fn equate_scores(
    args: &ScoreFiles<'_>,
    method: Method,
    out: &Path,
) -> Result<Conversion, Error> {
    let (x, y) = read_samples(args)?;
    let invalid = |e: crate::equate::classical::EquateError| {
        Error::invalid(
            Location::file(exam::display(args.new_scores)),
            e.to_string(),
        )
    };
    let mut conv = equate(&x, &y, method, args.w1).map_err(invalid)?;
    if let Some((reps, seed)) = args.bootstrap {
        conv.se = Some(bootstrap_se(&x, &y, method, args.w1, reps, seed).map_err(invalid)?);
    }
    tables::write_conversion(out, &conv)?;
    Ok(conv)
}

/// IRT equating from parameter files: link new onto old (`link_method`), then true-score or
/// observed-score equating (the latter in a N(0, 1) population on the old scale). True-score
/// equivalents get delta-method standard errors through both forms' parameters and the link
/// (Ogasawara 2001) when both covariance files are given; observed-score ones do not (yet).
pub fn equate_params(
    args: &LinkFiles<'_>,
    link_method: LinkMethod,
    observed: bool,
    out: &Path,
) -> Result<Conversion, Error> {
    let lp = read_and_link(args)?;
    let l = lp.link(link_method);
    let new = lp.new_on_old(link_method);
    let old = lp.old_models();
    let mut se = None;
    let bad = |e: crate::equate::link_se::LinkError| {
        Error::invalid(
            Location::file(exam::display(args.new_params)),
            e.to_string(),
        )
    };
    let with_cov = args.new_cov.is_some() && args.old_cov.is_some();
    let equivalents = if observed {
        let grid = Grid::new(61, 6.0);
        let weights = grid.normal_weights(0.0, 1.0);
        if with_cov {
            let rows = observed_score_se(&lp.new, &lp.old, l, &grid.theta, &weights, lp.scale_d)
                .map_err(bad)?;
            se = Some(rows.iter().map(|r| r.se.unwrap_or(f64::NAN)).collect());
        }
        observed_score_equating(&new, &old, &grid.theta, &weights)
    } else {
        if with_cov {
            let rows = true_score_se(
                &lp.new,
                &lp.old,
                l,
                ScoreDirection::NewToOld,
                None,
                lp.scale_d,
            )
            .map_err(bad)?;
            se = Some(rows.iter().map(|r| r.se.unwrap_or(f64::NAN)).collect());
        }
        true_score_equating(&new, &old)
            .iter()
            .map(|r| r.equivalent)
            .collect()
    };
    let conv = Conversion {
        method: format!(
            "{} after {} linking (A = {:.6}, B = {:.6})",
            if observed {
                "irt observed-score"
            } else {
                "irt true-score"
            },
            l.method.as_str(),
            l.A,
            l.B
        ),
        equivalents,
        slope: None,
        intercept: None,
        se,
        smoothing_degrees: None,
    };
    tables::write_conversion(out, &conv)?;
    Ok(conv)
}

/// `qbank security DIR`: calibrates (as `qbank run`), runs the exam-security stage and writes its
/// tables, `security.json` and `security.html` (the report section on its own) into `out`.
/// `suspected`: a file of item ids for the preknowledge test (default: the items the monitors
/// flag).
pub fn security(
    dir: &Path,
    out: &Path,
    suspected: Option<&Path>,
    quiet: bool,
) -> Result<crate::security::summary::SecuritySummary, Error> {
    let progress = Progress::new(3, quiet);
    progress.stage("reading and validating");
    let (ds, _) = stages::load(dir)?;
    let list = match suspected {
        Some(path) => {
            let mut diags = Diagnostics::default();
            Some(
                exam::item_list::read_item_list(path, &ds.exam, &mut diags)
                    .ok_or(Error::Invalid(diags))?,
            )
        }
        None => None,
    };
    progress.stage("IRT calibration");
    let c = stages::calibrate(
        &ds,
        &stages::run_calibration_options(&ds.exam.config.calibration),
    );
    progress.stage("exam security");
    let a = stages::security(&ds, &c.forms, list.as_deref())?;
    crate::report::security::write_tables(out, &ds, &a)?;
    crate::report::security::write_page(out, &ds, &a)?;
    progress.finish();
    Ok(a.summary(&crate::report::security::item_ids(&ds, &a)))
}

/// Where `qbank calibrate --method jmle` reads its responses.
#[derive(Debug, Clone)]
pub enum JmleSource<'a> {
    /// A data set: one row per attempt, one column per item presented to anyone (omitted =
    /// wrong, not presented = missing).
    Dataset(&'a Path),
    /// A wide 0/1 matrix file (integer frequency weights expand rows).
    Matrix(MatrixFile<'a>),
}

/// `qbank calibrate --model rasch --method jmle`: joint maximum likelihood Rasch measures with
/// Winsteps' fit statistics, written as `jmle_items.csv`, `jmle_persons.csv` and `jmle.json`.
pub fn calibrate_jmle(
    source: &JmleSource<'_>,
    opts: &crate::irt::jmle::JmleOptions,
    out: &Path,
) -> Result<crate::irt::jmle::JmleFit, Error> {
    let (item_ids, person_ids, rows) = match source {
        JmleSource::Dataset(dir) => {
            let (ds, _) = stages::load(dir)?;
            let m = &ds.matrix;
            let mut column = vec![usize::MAX; m.n_items()];
            let mut item_ids = Vec::new();
            for k in 0..m.n_attempts() {
                for r in m.responses(k) {
                    if column[r.item] == usize::MAX {
                        column[r.item] = item_ids.len();
                        item_ids.push(r.item);
                    }
                }
            }
            item_ids.sort_unstable();
            for (c, &i) in item_ids.iter().enumerate() {
                column[i] = c;
            }
            let rows = (0..m.n_attempts())
                .map(|k| {
                    let mut row = vec![None; item_ids.len()];
                    for r in m.responses(k) {
                        row[column[r.item]] = Some(u8::from(r.right));
                    }
                    row
                })
                .collect();
            let persons = (0..m.n_attempts())
                .map(|k| m.attempt_id(k).to_string())
                .collect();
            let items = item_ids
                .iter()
                .map(|&i| ds.exam.items[i].id.clone())
                .collect();
            (items, persons, rows)
        }
        JmleSource::Matrix(f) => {
            let mut diags = Diagnostics::default();
            let wide =
                exam::wide::read_wide_matrix(f.path, f.id_column, f.weight_column, &mut diags)
                    .ok_or_else(|| Error::Invalid(diags.clone()))?;
            let mut rows = Vec::new();
            let mut persons = Vec::new();
            for ((row, id), &w) in wide.rows.iter().zip(&wide.person_ids).zip(&wide.weights) {
                if w < 0.0 || w.fract() != 0.0 {
                    return Err(Error::Usage(format!(
                        "person {id}: weight {w}; JMLE needs whole-number frequency weights"
                    )));
                }
                for copy in 0..w as usize {
                    rows.push(row.clone());
                    persons.push(if w > 1.0 {
                        format!("{id}#{}", copy + 1)
                    } else {
                        id.clone()
                    });
                }
            }
            (wide.item_ids, persons, rows)
        }
    };
    let fit = crate::irt::jmle::rasch_jmle(&rows, opts).map_err(|e| Error::Usage(e.to_string()))?;
    crate::report::jmle::write_jmle(out, &item_ids, &person_ids, &fit)?;
    Ok(fit)
}
