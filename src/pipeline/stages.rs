//! The stages of `qbank run`, each a function from its inputs to a result value.

use std::path::Path;

use crate::classical::{analyse, default_dif, ItemAnalysis};
use crate::exam::{self, Dataset, Diagnostics, Location};
use crate::irt::fit::{item_fit, q3, Q3Pair, Q3_EXCESS};
use crate::irt::scoring::{score_persons, PersonScore};
use crate::irt::workflow::{calibrate_dataset_with, CalibrateOptions, CalibrationResult};
use crate::irt::{
    attach_fit, CalibratedForms, Calibration, CalibrationSummary, ItemEstimate, ModelKind, Priors,
    Responses,
};
use crate::readiness::{assess, cohort, fit_model, CandidateReadiness, Cohort, Context, Z90};
use crate::report::files::WriteError;
use crate::report::tables;
use crate::scale::equating::{equate_forms, Equating};
use crate::scale::{ConversionTable, Scale};

use super::{Error, Progress};

/// Loads and validates `dir`; on errors returns them all.
pub fn load(dir: &Path) -> Result<(Dataset, Diagnostics), Error> {
    let mut diags = Diagnostics::default();
    match exam::load(dir, &mut diags) {
        Some(ds) if !diags.has_errors() => Ok((ds, diags)),
        _ => Err(Error::Invalid(diags)),
    }
}

/// Every candidate asked for by `--candidate` must have attempts (checked before anything runs).
pub fn check_candidates(ds: &Dataset, ids: &[String]) -> Result<(), Error> {
    if !ids.is_empty() {
        require_practice(ds, "a readiness page (--candidate)")?;
    }
    let mut d = Diagnostics::default();
    for id in ids {
        if !ds.matrix.candidate_ids.iter().any(|c| c == id) {
            d.error(
                Location::file(exam::display(&ds.exam.attempts_path)),
                format!("candidate '{id}' has no attempts in the log"),
            );
        }
    }
    if d.has_errors() {
        Err(Error::Invalid(d))
    } else {
        Ok(())
    }
}

/// Classical item analysis with the default DIF comparison.
pub fn items(ds: &Dataset) -> ItemAnalysis {
    analyse(ds, default_dif(ds).as_ref(), &ds.exam.config.flags)
}

/// The calibration `qbank run` uses: fixed-parameter calibration when the bank has parameters,
/// concurrent otherwise; the model, D and priors of qbank.toml's `[calibration]` (default 3PL,
/// D = 1, Beta(5, 17) on c).
pub fn run_calibration_options(cfg: &crate::exam::config::CalibrationConfig) -> CalibrateOptions {
    use crate::exam::config::CalibrationConfig as C;
    let model = ModelKind::parse(&cfg.model).unwrap_or(ModelKind::ThreePL);
    CalibrateOptions {
        model,
        scale_d: cfg.d,
        priors: Priors {
            c: (model == ModelKind::ThreePL)
                .then(|| C::pair(&cfg.prior_c))
                .flatten(),
            log_a: C::pair(&cfg.prior_a),
            b: C::pair(&cfg.prior_b),
        },
        ..CalibrateOptions::default()
    }
}

/// A calibrated data set with what follows from it: person scores, item fit, local dependence,
/// the summary and the calibrated forms.
#[derive(Debug, Clone)]
pub struct Calibrated {
    pub options: CalibrateOptions,
    pub result: CalibrationResult,
    /// Every person's scores (in `result.responses` order).
    pub scores: Vec<PersonScore>,
    /// Mean Q3 and the locally dependent pairs.
    pub local_dependence: (f64, Vec<Q3Pair>),
    pub summary: CalibrationSummary,
    pub forms: CalibratedForms,
}

/// Calibrates a data set, scores every person and attaches item fit.
pub fn calibrate(ds: &Dataset, opts: &CalibrateOptions) -> Calibrated {
    calibrate_timed(ds, opts, &Progress::hidden())
}

/// [`calibrate`], each step (EM, standard errors, scores, fit) timed as a step of `progress`.
pub fn calibrate_timed(ds: &Dataset, opts: &CalibrateOptions, progress: &Progress) -> Calibrated {
    let mut result = calibrate_dataset_with(ds, opts, &|s| progress.step(s));
    let (scores, local_dependence) = score_and_fit(
        &result.responses,
        &result.calibration,
        &mut result.estimates,
        progress,
    );
    let summary = result.summary(opts.model);
    let forms = CalibratedForms::of(ds, &result);
    Calibrated {
        options: opts.clone(),
        result,
        scores,
        local_dependence,
        summary,
        forms,
    }
}

/// Scores every person, attaches item fit to the estimates and finds locally dependent pairs.
pub fn score_and_fit(
    data: &Responses,
    cal: &Calibration,
    estimates: &mut [ItemEstimate],
    progress: &Progress,
) -> (Vec<PersonScore>, (f64, Vec<Q3Pair>)) {
    progress.step("IRT calibration: person scores");
    let scores = score_persons(data, cal);
    progress.step("IRT calibration: item fit");
    attach_fit(estimates, item_fit(data, cal, &scores));
    progress.step("IRT calibration: local dependence (Q3)");
    let ld = q3(data, cal, &scores, 50.0, Q3_EXCESS);
    (scores, ld)
}

impl Calibrated {
    /// `item_params.csv`, `calibration.json`, `local_dependence.csv`, `scores.csv`,
    /// `test_information.csv` and `summed_scores.csv`.
    pub fn write(&self, out: &Path, ds: &Dataset) -> Result<(), WriteError> {
        let r = &self.result;
        tables::write_local_dependence(out, &r.responses, &self.local_dependence)?;
        tables::write_item_params(&out.join("item_params.csv"), &r.estimates)?;
        tables::write_json(&out.join("calibration.json"), &self.summary)?;
        tables::write_scores(out, &r.responses, &self.scores)?;
        tables::write_test_information(out, ds, &self.forms)
    }
}

/// Conversion tables, observed-score equivalents, pass rates, classification and links.
pub fn equate(ds: &Dataset, c: &Calibrated) -> Result<Equating, Error> {
    equate_forms(
        ds,
        &c.result,
        &c.forms,
        c.options.model,
        c.options.priors,
        &c.options.em,
    )
    .map_err(|e| Error::scale(ds, e))
}

/// Readiness of every candidate and the cohort figures.
#[derive(Debug, Clone)]
pub struct Readiness {
    pub ctx: Context,
    pub candidates: Vec<CandidateReadiness>,
    pub cohort: Cohort,
}

/// Whether the data set holds practice data, for which readiness is reported: qbank.toml's
/// `[readiness] practice`, else whether some candidate made two or more attempts (an operational
/// exam taken once per candidate is not practice).
pub fn is_practice(ds: &Dataset) -> bool {
    ds.exam.config.readiness.practice.unwrap_or_else(|| {
        let m = &ds.matrix;
        let mut seen = vec![false; m.n_candidates()];
        (0..m.n_attempts()).any(|a| std::mem::replace(&mut seen[m.candidate(a)], true))
    })
}

/// An error (exit 2) when the data set is not practice data: readiness (`what` was asked for) is
/// for practice data only.
pub fn require_practice(ds: &Dataset, what: &str) -> Result<(), Error> {
    if is_practice(ds) {
        return Ok(());
    }
    let why = match ds.exam.config.readiness.practice {
        Some(false) => "qbank.toml says [readiness] practice = false",
        _ => "every candidate made one attempt",
    };
    let mut d = Diagnostics::default();
    d.error(
        Location::file(exam::display(&ds.exam.dir.join("qbank.toml"))),
        format!("{what} is for practice data, and this data set is not practice data ({why}); set [readiness] practice = true to assess readiness anyway"),
    );
    Err(Error::Invalid(d))
}

/// Readiness of every practice candidate (see [`crate::readiness`]).
pub fn readiness(
    ds: &Dataset,
    forms: &CalibratedForms,
    scale: &Scale,
    tables: &[ConversionTable],
) -> Readiness {
    readiness_timed(ds, forms, scale, tables, &Progress::hidden())
}

/// [`readiness`], each step timed as a step of `progress`.
pub fn readiness_timed(
    ds: &Dataset,
    forms: &CalibratedForms,
    scale: &Scale,
    tables: &[ConversionTable],
    progress: &Progress,
) -> Readiness {
    progress.step("readiness: context (item tables, subscores)");
    let ctx = Context::of(ds, forms, scale, tables);
    progress.step("readiness: growth model fit (5-fold CV)");
    let model = fit_model(ds, &ctx);
    let ctx = match &model.estimate {
        Some(e) => {
            let half = Z90 * e.growth_se;
            ctx.with_params(e.params, (e.params.growth - half, e.params.growth + half))
        }
        None => ctx,
    };
    progress.step("readiness: every candidate");
    let candidates = assess(ds, &ctx);
    let mut cohort = cohort(&ctx, &candidates);
    cohort.model = Some(model);
    Readiness {
        ctx,
        candidates,
        cohort,
    }
}

impl Readiness {
    /// `readiness.csv`, `readiness_attempts.csv`, `readiness.json` and, for each id in `pages`,
    /// `readiness/ID.html` and `readiness/ID.md`.
    pub fn write(&self, out: &Path, pages: &[String]) -> Result<(), WriteError> {
        crate::report::readiness::write_tables(out, &self.ctx, &self.candidates, &self.cohort)?;
        for id in pages {
            if let Some(c) = self.candidates.iter().find(|c| &c.candidate_id == id) {
                crate::report::readiness::candidate_page(
                    &self.ctx,
                    c,
                    &self.cohort,
                    &out.join("readiness"),
                )?;
            }
        }
        Ok(())
    }
}

/// The exam-security stage on the calibrated bank-scale parameters (see
/// [`crate::security::workflow`]); `suspected` (exam item indices) replaces the monitors' flags
/// as the preknowledge test's item set.
pub fn security(
    ds: &Dataset,
    forms: &CalibratedForms,
    suspected: Option<&[usize]>,
) -> Result<crate::security::workflow::SecurityAnalysis, Error> {
    security_timed(ds, forms, suspected, &Progress::hidden())
}

/// [`security`], each step timed as a step of `progress`.
pub fn security_timed(
    ds: &Dataset,
    forms: &CalibratedForms,
    suspected: Option<&[usize]>,
    progress: &Progress,
) -> Result<crate::security::workflow::SecurityAnalysis, Error> {
    Ok(crate::security::workflow::analyse_with(
        ds,
        forms,
        &ds.exam.config.security,
        suspected,
        &|s| progress.step(s),
    )?)
}
