//! Exam security: the numerical core of qbank's person-fit, preknowledge and compromised-item
//! checks for dichotomous 3PL items with known (calibrated) parameters, in incomplete designs
//! (each attempt sees a subset of the bank).
//!
//! - [`mod@person_fit`]: lz, lz* (for ML, WLE or MAP theta) and U3 per attempt, with flags;
//! - [`preknowledge`]: Sinharay's (2017) signed likelihood-ratio test for a suspected item set;
//! - [`drift`] and [`cusum`]: per item and window, observed vs expected (given the respondent's
//!   other responses) right or right-and-fast responses, and an upper CUSUM that says from which
//!   window an item looks exposed;
//! - theta by ML, WLE or MAP comes from [`crate::irt::theta`] (re-exported here);
//! - [`simulate`]: a seeded simulator of leaks, preknowledge and aberrant responders for tests.
//!
//! The module computes only (no files, no printing). Batch functions run in parallel over
//! attempts and give bit-identical results whatever the number of threads.

pub mod cusum;
pub mod data;
pub mod drift;
pub mod error;
pub mod model;
pub mod person_fit;
pub mod preknowledge;
pub mod simulate;
pub mod summary;
pub mod workflow;

pub use crate::irt::theta::{estimate_theta, ThetaError, ThetaEstimate, ThetaMethod, ThetaOptions};
pub use crate::irt::Curve;
pub use cusum::{cusum_arl, cusum_signal_prob, cusum_threshold};
pub use data::AttemptData;
pub use drift::{
    expected_without_item, item_drift_over_time, DriftMonitor, DriftOptions, DriftReport,
    DriftStatistic, ItemExposure, WindowStat,
};
pub use error::{NoValue, SecurityError};
pub use model::ItemBank;
pub use person_fit::{
    apply_cutoffs, lz_at, lz_star_at, person_fit, person_fit_all, person_fit_cutoffs, u3,
    FitCutoffs, PersonFit, PersonFitOptions, PersonFitReport, U3Weights,
};
pub use preknowledge::{
    preknowledge_lr, preknowledge_lr_all, preknowledge_lr_all_given, PValueMethod,
    PreknowledgeOptions, PreknowledgeReport, PreknowledgeTest,
};

/// Standard normal CDF.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}
