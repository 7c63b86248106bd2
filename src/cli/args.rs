//! Arguments of every command (clap) and the parsers of their values.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::equate::kernel::{Bandwidth, Kernel};
use crate::equate::linking::{LinkMethod, ThetaPoints};
use crate::equate::CommonSelection;
use crate::irt::ModelKind;
use crate::pipeline::commands::LinkFiles;
use crate::simulate::SimConfig;

#[derive(Parser)]
#[command(
    name = "qbank",
    version,
    about = "Certification-exam question banks: validate, analyse, calibrate, equate, report"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Html,
    Md,
}

#[derive(Subcommand)]
// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Check a data set and report every problem found (exit status 2 if there are errors).
    Validate {
        /// The data-set folder (with qbank.toml).
        dir: PathBuf,
    },
    /// The main job: validate, then run every analysis and write the outputs and the report
    /// (index.html); `qbank report DIR` is the same command.
    #[command(visible_alias = "report")]
    Run {
        /// The data-set folder (with qbank.toml).
        dir: PathBuf,
        /// Output folder (default: reports/<name of DIR>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Report formats: html (always written) and md (index.md beside it).
        #[arg(long, value_delimiter = ',', default_value = "html")]
        format: Vec<ReportFormat>,
        /// Also write a readiness page for this candidate (repeatable).
        #[arg(long = "candidate")]
        candidates: Vec<String>,
        /// No progress bar on stderr.
        #[arg(long, short)]
        quiet: bool,
        /// Print each stage's wall time to stderr and keep them in overview.json.
        #[arg(long)]
        timings: bool,
    },
    /// Readiness of practice candidates: readiness.csv (one row per candidate), per-attempt
    /// scores with intervals, cohort figures, and a page per candidate asked for.
    Readiness {
        /// The data-set folder (with qbank.toml).
        dir: PathBuf,
        /// Write readiness/ID.html and ID.md for this candidate (repeatable).
        #[arg(long = "candidate")]
        candidates: Vec<String>,
        /// Output folder (default: reports/<name of DIR>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Exam security: person fit, response times, items over time and preknowledge
    /// (security_attempts.csv, security_items.csv, response_times.csv, security.html).
    Security {
        /// The data-set folder (with qbank.toml).
        dir: PathBuf,
        /// Item ids (one per line, or a CSV's first column) to test for preknowledge instead of
        /// the items the time-window monitors flag.
        #[arg(long)]
        suspected: Option<PathBuf>,
        /// Output folder (default: reports/<name of DIR>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Classical item analysis: statistics, options, reliability, review flags and DIF.
    Items {
        /// The data-set folder (with qbank.toml).
        dir: PathBuf,
        /// Group column of candidates.csv for Mantel-Haenszel DIF.
        #[arg(long, requires_all = ["reference", "focal"])]
        dif: Option<String>,
        /// Reference group value.
        #[arg(long = "ref")]
        reference: Option<String>,
        /// Focal group value.
        #[arg(long)]
        focal: Option<String>,
        /// Output folder (default: reports/<name of DIR>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write a simulated data set with known truth.
    Simulate(SimulateArgs),
    /// IRT calibration (MML-EM) of a data set, or of a plain wide 0/1 matrix with --matrix.
    Calibrate(CalibrateArgs),
    /// Equate forms: a data set (IRT tables per form), score files (classical) or parameter files (IRT).
    Equate(EquateArgs),
    /// Link a new form's item parameters onto an old form's scale through common items.
    Link(LinkArgs),
    /// Bring a wide export (one row per examinee, one column per item) in as a data set folder.
    Import(ImportArgs),
    /// Convert a CSV attempt log to Parquet (streaming; columns kept as text).
    Convert {
        /// The CSV attempt log to read.
        csv: PathBuf,
        /// The Parquet file to write.
        parquet: PathBuf,
    },
    /// The next item bank after a run: bank/items.csv (status, evidence and reason per item, by
    /// qbank.toml's [bank] rules) and bank/changes.csv.
    Bank {
        /// The data-set folder (with qbank.toml).
        dir: PathBuf,
        /// Output folder (default: reports/<name of DIR>/bank).
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar on stderr.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Assemble the next forms by mixed-integer programming from a data set's next bank (and
    /// pre-equate them) or from a pool file (--pool).
    Assemble(AssembleArgs),
}

#[derive(Args)]
pub struct AssembleArgs {
    /// The data-set folder (omit with --pool).
    #[arg(required_unless_present = "pool")]
    pub dir: Option<PathBuf>,
    /// A pool file: item_id, a, b, c (c may be empty) and any attribute columns.
    #[arg(long, conflicts_with = "dir")]
    pub pool: Option<PathBuf>,
    /// The assembly spec (TOML).
    #[arg(long)]
    pub spec: PathBuf,
    /// Output folder (default: reports/<name of DIR>/next_forms; required with --pool).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write the solver's wall-clock seconds into assembly.json (they differ between runs, so
    /// they are left out by default to keep outputs byte-identical).
    #[arg(long)]
    pub timings: bool,
}

#[derive(Args)]
pub struct CalibrateArgs {
    /// The data-set folder (omit with --matrix).
    #[arg(required_unless_present = "matrix")]
    pub dir: Option<PathBuf>,
    /// A wide 0/1 CSV: header of item ids; empty or NA = not presented.
    #[arg(long, conflicts_with = "dir")]
    pub matrix: Option<PathBuf>,
    /// With --matrix: a frequency-weight column (response-pattern data).
    #[arg(long, requires = "matrix")]
    pub weights: Option<String>,
    /// With --matrix: a person-id column.
    #[arg(long, requires = "matrix")]
    pub id_column: Option<String>,
    /// Model of the estimated items: rasch, 2pl or 3pl (default 3pl for a data set, 2pl for --matrix).
    #[arg(long, value_parser = parse_model)]
    pub model: Option<ModelKind>,
    /// Keep bank parameters of items.csv fixed and estimate only the other (pretest) items.
    #[arg(long)]
    pub fixed_bank: bool,
    /// Latent groups: `form` (one density per form cohort) or `none`.
    #[arg(long, default_value = "form")]
    pub groups: String,
    /// Scaling constant D: 1 (logistic metric) or 1.702 (normal metric).
    #[arg(long, default_value_t = 1.0)]
    pub d: f64,
    /// Quadrature points on [-6, 6].
    #[arg(long, default_value_t = 61)]
    pub quadpts: usize,
    /// Most EM cycles before stopping (the outputs then say not converged).
    #[arg(long, default_value_t = 500)]
    pub max_iter: usize,
    /// EM stops when no parameter moves by more than this between cycles.
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// No Beta(5, 17) prior on the 3PL guessing parameter.
    #[arg(long)]
    pub no_prior: bool,
    /// Estimate 3PL items with fewer responses than this as 2PL.
    #[arg(long)]
    pub small_n_2pl: Option<f64>,
    /// Lognormal prior on a: MEAN,SD of ln a (e.g. 0,0.5).
    #[arg(long, value_parser = parse_pair)]
    pub prior_a: Option<(f64, f64)>,
    /// Normal prior on b: MEAN,SD (e.g. 0,2).
    #[arg(long, value_parser = parse_pair)]
    pub prior_b: Option<(f64, f64)>,
    /// Empirical-histogram latent densities for the groups other than the reference group.
    #[arg(long)]
    pub empirical_histogram: bool,
    /// Estimation method: mml (marginal ML by EM, default) or jmle (joint ML Rasch as Winsteps,
    /// with --model rasch: jmle_items.csv, jmle_persons.csv, jmle.json).
    #[arg(long, default_value = "mml")]
    pub method: String,
    /// With --method jmle: multiply item difficulties by (L - 1) / L (Winsteps' STBIAS).
    #[arg(long)]
    pub bias_correction: bool,
    /// With --method jmle: Winsteps' convergence schedule (LCONV .005 or RCONV .1) instead of
    /// full convergence.
    #[arg(long)]
    pub winsteps_convergence: bool,
    /// Output folder (default: reports/<name of DIR or of the matrix file>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print each stage's wall time to stderr and keep them in calibration.json.
    #[arg(long)]
    pub timings: bool,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The wide export: a header of item ids and an examinee-id column; options as letters (A-O)
    /// or numbers (1 = A), a set like A|D for multiple response; or 0/1 scores without --key.
    #[arg(long)]
    pub wide: PathBuf,
    /// The answer key: item_id,key and optionally domain,type,options,a,b,c (omit for a 0/1 file).
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// The data-set folder to write (must not exist or be empty).
    #[arg(long)]
    pub out: PathBuf,
    /// The examinee-id column (default: the first column).
    #[arg(long)]
    pub id_column: Option<String>,
    /// Codes meaning "not answered" (counted wrong), comma-separated, e.g. 8,9.
    #[arg(long, value_delimiter = ',')]
    pub omit_codes: Vec<String>,
    /// Codes meaning "not presented" (no response at all), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub not_presented_codes: Vec<String>,
    /// The form id of the one form.
    #[arg(long, default_value = "F1")]
    pub form_id: String,
    /// The exam's name in qbank.toml and the report (default: the export's file name).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Args)]
pub struct LinkArgs {
    /// CSV of the new form's parameters: item_id, then a,b[,c] or a,d[,g] (slope, intercept,
    /// logit of c)[, common column].
    #[arg(long, required_unless_present_any = ["chain", "path"], requires = "old_params")]
    pub new_params: Option<PathBuf>,
    /// CSV of the old (base) form's parameters.
    #[arg(long)]
    pub old_params: Option<PathBuf>,
    /// Chain linking: parameter files F1,F2,...,Fk; F1 is linked onto Fk through the path
    /// (chain.csv, chain.json; the identity test when Fk is F1).
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["new_params", "old_params"])]
    pub chain: Vec<PathBuf>,
    /// Covariance files of the chain's forms, in the same order (C1,...,Ck).
    #[arg(long, value_delimiter = ',', requires = "chain")]
    pub covs: Vec<PathBuf>,
    /// With --chain: the scale-drift test of the chain against the direct link of its end forms.
    #[arg(long, requires = "chain")]
    pub compare_direct: bool,
    /// Bisector of several paths between the same two forms: give --path F1,...,Fk once per
    /// path (bisector.csv, bisector.json; the weighted bisector with --path-covs).
    #[arg(long, conflicts_with_all = ["new_params", "old_params", "chain"])]
    pub path: Vec<String>,
    /// Covariance files of each --path's forms, one --path-covs C1,...,Ck per --path, in order.
    #[arg(long, requires = "path")]
    pub path_covs: Vec<String>,
    #[command(flatten)]
    pub uncertainty: LinkUncertainty,
    #[command(flatten)]
    pub items: CommonItems,
    /// mean-mean, mean-geometric-mean, mean-sigma, haebara or stocking-lord (for
    /// new_params_linked.csv and chains; all are printed).
    #[arg(long, default_value = "stocking-lord", value_parser = parse_link)]
    pub method: LinkMethod,
    /// Symmetric Haebara / Stocking-Lord criteria.
    #[arg(long)]
    pub symmetric: bool,
    /// Output folder.
    #[arg(long, default_value = "reports/link")]
    pub out: PathBuf,
}

#[derive(Args)]
pub struct EquateArgs {
    /// A data set: calibrate, then write the conversion tables of every form.
    #[arg(conflicts_with_all = ["new_scores", "new_params"])]
    pub dir: Option<PathBuf>,
    /// irt-true, irt-observed, mean, linear, equipercentile, tucker, levine, levine-external,
    /// levine-true, chained, chained-equipercentile, freq-est.
    #[arg(long, default_value = "irt-true")]
    pub method: String,
    /// Scores of the new form: one row per examinee (or score/frequency rows).
    #[arg(long, requires = "old_scores")]
    pub new_scores: Option<PathBuf>,
    /// Scores of the old (base) form, in the same layout as --new-scores.
    #[arg(long)]
    pub old_scores: Option<PathBuf>,
    /// Total-score column of the score files.
    #[arg(long, default_value = "total")]
    pub score_column: String,
    /// Anchor-score column (NEAT designs).
    #[arg(long)]
    pub anchor_column: Option<String>,
    /// Frequency column (score/frequency rows).
    #[arg(long)]
    pub frequency_column: Option<String>,
    /// Highest possible total score (default: highest observed).
    #[arg(long)]
    pub max_score: Option<usize>,
    /// Synthetic-population weight of the new form's group (NEAT).
    #[arg(long, default_value_t = 0.5)]
    pub w1: f64,
    /// Log-linear presmoothing for equipercentile: a degree, or `aic`.
    #[arg(long)]
    pub smooth: Option<String>,
    /// Bootstrap replications for standard errors of equating.
    #[arg(long)]
    pub bootstrap: Option<usize>,
    /// Seed of the bootstrap resampling.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Item parameters of the new form (IRT equating from parameters).
    #[arg(long, requires = "old_params")]
    pub new_params: Option<PathBuf>,
    /// Item parameters of the old (base) form: item_id, a, b[, c].
    #[arg(long)]
    pub old_params: Option<PathBuf>,
    #[command(flatten)]
    pub items: CommonItems,
    #[command(flatten)]
    pub uncertainty: LinkUncertainty,
    /// Linking method before IRT equating from parameters.
    #[arg(long, default_value = "stocking-lord", value_parser = parse_link)]
    pub link_method: LinkMethod,
    /// Kernel equating: log-linear presmoothing moments of the new form's scores.
    #[arg(long, default_value_t = 2)]
    pub smooth_new: usize,
    /// Kernel equating: log-linear presmoothing moments of the old form's scores.
    #[arg(long, default_value_t = 3)]
    pub smooth_old: usize,
    /// Kernel equating: gaussian, logistic or uniform.
    #[arg(long, default_value = "gaussian", value_parser = parse_kernel)]
    pub kernel: Kernel,
    /// Kernel equating design: eg (equivalent groups), neat-ce (chain equating) or neat-pse
    /// (post-stratification with --w1); the NEAT designs need --anchor-column.
    #[arg(long, default_value = "eg", value_parser = ["eg", "neat-ce", "neat-pse"])]
    pub design: String,
    /// Kernel NEAT: log-linear moments of the anchor score in each bivariate presmoothing.
    #[arg(long, default_value_t = 3)]
    pub smooth_anchor: usize,
    /// Kernel NEAT: cross moments x^i a^i' (i, i' = 1..=N) in each bivariate presmoothing.
    #[arg(long, default_value_t = 1)]
    pub cross_moments: usize,
    /// Kernel equating: `optimal` (penalty function) or a bandwidth for both forms.
    #[arg(long, default_value = "optimal", value_parser = parse_bandwidth)]
    pub bandwidth: Bandwidth,
    /// Output folder (default: reports/equate or reports/<name of DIR>).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Which items two parameter files have in common, and their metric.
#[derive(Args)]
pub struct CommonItems {
    /// Common items, comma-separated (default: the --common-column, else every id in both files).
    #[arg(long, value_delimiter = ',')]
    pub common: Vec<String>,
    /// A 0/1 column marking common items in both files.
    #[arg(long)]
    pub common_column: Option<String>,
    /// Leave an item out of the common items (repeatable).
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Scaling constant D of the parameters.
    #[arg(long, default_value_t = 1.0)]
    pub d: f64,
}

/// Standard errors of links: covariance files and the criterion's points.
#[derive(Args)]
pub struct LinkUncertainty {
    /// Covariance of the new form's parameters: a square CSV, first column `param`, rows and
    /// columns named PARAM:ITEM (PARAM one of a, b, c, d, g).
    #[arg(long, requires = "old_cov")]
    pub new_cov: Option<PathBuf>,
    /// Covariance of the old form's parameters.
    #[arg(long, requires = "new_cov")]
    pub old_cov: Option<PathBuf>,
    /// Points of the Haebara / Stocking-Lord criteria: uniform:LO:HI:N or gauss-hermite:N.
    #[arg(long, default_value = "uniform:-4:4:40", value_parser = parse_theta_points)]
    pub theta_points: ThetaPoints,
}

impl CommonItems {
    /// The link inputs of two parameter files.
    pub fn files<'a>(
        &'a self,
        new: &'a Path,
        old: &'a Path,
        u: &'a LinkUncertainty,
        symmetric: bool,
    ) -> Result<LinkFiles<'a>, crate::pipeline::Error> {
        let curve = u
            .theta_points
            .curve_options(symmetric)
            .map_err(|e| crate::cli::usage(e.to_string()))?;
        Ok(LinkFiles {
            new_params: new,
            old_params: old,
            new_cov: u.new_cov.as_deref(),
            old_cov: u.old_cov.as_deref(),
            scale_d: self.d,
            selection: CommonSelection {
                common: self.common.clone(),
                exclude: self.exclude.clone(),
            },
            common_column: self.common_column.as_deref(),
            curve,
        })
    }
}

#[derive(Args)]
pub struct SimulateArgs {
    /// Folder of the simulated data set (its truth goes in truth/ inside it).
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the random stream: same seed, same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of candidates.
    #[arg(long, default_value_t = SimConfig::default().candidates)]
    pub candidates: usize,
    /// Number of full-length forms.
    #[arg(long, default_value_t = SimConfig::default().forms)]
    pub forms: usize,
    /// Number of items in the bank.
    #[arg(long, default_value_t = SimConfig::default().pool)]
    pub pool: usize,
    /// Scored items per form.
    #[arg(long, default_value_t = SimConfig::default().scored)]
    pub scored: usize,
    /// Pretest (unscored) items per form.
    #[arg(long, default_value_t = SimConfig::default().pretest)]
    pub pretest: usize,
    /// Anchor items shared by consecutive forms.
    #[arg(long, default_value_t = SimConfig::default().anchors)]
    pub anchors: usize,
    /// Share of candidates who take several practice attempts.
    #[arg(long, default_value_t = SimConfig::default().repeat_share)]
    pub repeat_share: f64,
    /// Share of candidates who start with the 10-question diagnostic.
    #[arg(long, default_value_t = SimConfig::default().diagnostic_share)]
    pub diagnostic_share: f64,
    /// Plant a leak of this many scored items (anchors first); truth in truth/leak.csv and
    /// truth/security.csv.
    #[arg(long, default_value_t = 0)]
    pub leak: usize,
    /// Date (YYYY-MM-DD; the log starts 2026-01-05) from which the leaked items are known.
    #[arg(long, default_value = "2026-07-06")]
    pub leak_from: String,
    /// Probability that a candidate after the leak date knows a given leaked item.
    #[arg(long, default_value_t = 0.3)]
    pub leak_share: f64,
    /// Attempts after the leak date whose candidate knows the whole leaked set.
    #[arg(long, default_value_t = 0)]
    pub preknowledge: usize,
    /// Share of attempts that are rapid guessing throughout.
    #[arg(long, default_value_t = 0.0)]
    pub rapid_guessers: f64,
    /// Write the attempt log as attempts.parquet (text columns, as `qbank convert` writes),
    /// streamed in row groups, instead of attempts.csv.
    #[arg(long)]
    pub parquet: bool,
}

/// A flag value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("unknown method '{0}': expected mean-mean, mean-geometric-mean, mean-sigma, haebara or stocking-lord")]
    LinkMethod(String),
    #[error("'{0}' is not MEAN,SD with SD > 0")]
    Pair(String),
    #[error("unknown model '{0}': expected rasch, 2pl or 3pl")]
    Model(String),
    #[error("{0}")]
    ThetaPoints(String),
    #[error("unknown kernel '{0}': expected gaussian, logistic or uniform")]
    Kernel(String),
    #[error("bandwidth '{0}': expected `optimal` or a positive number")]
    Bandwidth(String),
}

/// Points of the characteristic-curve criteria.
pub fn parse_theta_points(s: &str) -> Result<ThetaPoints, ValueError> {
    ThetaPoints::parse(s).map_err(|e| ValueError::ThetaPoints(e.to_string()))
}

/// A kernel by name.
pub fn parse_kernel(s: &str) -> Result<Kernel, ValueError> {
    Kernel::parse(s).ok_or_else(|| ValueError::Kernel(s.to_string()))
}

/// `optimal` or a positive bandwidth.
pub fn parse_bandwidth(s: &str) -> Result<Bandwidth, ValueError> {
    if s.trim().eq_ignore_ascii_case("optimal") {
        return Ok(Bandwidth::Optimal);
    }
    match s.trim().parse::<f64>() {
        Ok(h) if h.is_finite() && h > 0.0 => Ok(Bandwidth::Fixed(h)),
        _ => Err(ValueError::Bandwidth(s.to_string())),
    }
}

/// A linking method by name.
pub fn parse_link(s: &str) -> Result<LinkMethod, ValueError> {
    LinkMethod::parse(s).ok_or_else(|| ValueError::LinkMethod(s.to_string()))
}

/// MEAN,SD of a prior.
pub fn parse_pair(s: &str) -> Result<(f64, f64), ValueError> {
    let mut it = s.split(',').map(|x| x.trim().parse::<f64>());
    match (it.next(), it.next(), it.next()) {
        (Some(Ok(m)), Some(Ok(sd)), None) if sd > 0.0 && m.is_finite() => Ok((m, sd)),
        _ => Err(ValueError::Pair(s.to_string())),
    }
}

/// An item model by name.
pub fn parse_model(s: &str) -> Result<ModelKind, ValueError> {
    ModelKind::parse(s).ok_or_else(|| ValueError::Model(s.to_string()))
}
