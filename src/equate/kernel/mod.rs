//! Kernel equating (von Davier, Holland & Thayer 2004, *The Kernel Method of Test Equating*,
//! "KE" below), as in R's kequate and SNSequate. The module owns the five KE steps:
//!
//! 1. presmoothing by polynomial log-linear models fitted by maximum likelihood, with the
//!    C matrix of the fitted probabilities ([`loglinear_fit`], [`bivariate_loglinear_fit`]; KE ch. 3);
//! 2. the design function: identity for equivalent groups, post-stratification or chains for the
//!    NEAT design ([`kernel_equate_neat`]; KE chs. 2, 10);
//! 3. continuization with a Gaussian, logistic or uniform kernel and bandwidths chosen by the
//!    penalty function ([`Continuized`], [`optimal_bandwidth`]; KE ch. 4);
//! 4. the equating functions e_Y(x) = G_hY^-1(F_hX(x)) and e_X(y) ([`kernel_equate_eg`]);
//! 5. standard errors of equating by the delta method, SEE = ||J_e J_DF C|| (KE ch. 5), the
//!    SEED between two equatings ([`seed`]) and the percent relative error PRE (KE ch. 4).
//!
//! "ABW" is Andersson, Bränberg & Wiberg (2013), Performing the kernel method of test equating
//! with the package kequate, J. Stat. Softw. 55(6), whose equation numbers are cited where
//! KE's could not be checked.
//!
//! Conventions (as SNSequate): kernels are used in their standard form — N(0, 1), the standard
//! logistic (variance pi^2 / 3) and U(-1/2, 1/2) (variance 1/12) — and a_X = sqrt(s^2 / (s^2 +
//! var_K h^2)), so that the continuized score keeps the mean and variance of the discrete one
//! whatever the kernel. The C matrices include the 1/sqrt(N) factor: Cov(r) = C C^T (ABW eq. 14,
//! as SNSequate's `loglin.smooth`). Bandwidths are treated as constants in the SEE (as KE).

mod continuization;
mod eg;
mod loglinear;
mod neat;

pub use continuization::{optimal_bandwidth, pen1, pen2, Continuized, Kernel};
pub use eg::{kernel_equate_eg, seed, Bandwidth, KernelEquating, KernelOptions, PreRow, Seed};
pub use loglinear::{
    bivariate_loglinear_fit, loglinear_fit, BivariateFit, BivariateModel, LogLinearFit,
};
pub use neat::{
    joint_frequencies, kernel_equate_neat, NeatBandwidths, NeatEquating, NeatMethod, NeatOptions,
};

/// Errors of the kernel-equating module. `what` names the distribution or form concerned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KernelError {
    #[error("{what}: the score distribution is empty (no examinees)")]
    EmptyDistribution { what: String },
    #[error("{what}: the frequency of score {score} is {value}; frequencies must be finite and non-negative")]
    InvalidFrequency {
        what: String,
        score: usize,
        value: f64,
    },
    #[error("{what}: {requested} moments requested but {scores} score points allow at most {max}")]
    TooManyMoments {
        what: String,
        requested: usize,
        scores: usize,
        max: usize,
    },
    #[error("{what}: at least one moment must be fitted by the log-linear model")]
    NoMoments { what: String },
    #[error("{what}: the log-linear Newton-Raphson did not converge in {iterations} iterations (largest moment residual {residual:e})")]
    NotConverged {
        what: String,
        iterations: usize,
        residual: f64,
    },
    #[error("{what}: the log-linear information matrix is singular (a moment is not identified by the data)")]
    SingularInformation { what: String },
    #[error("{what}: the score distribution has zero variance; it cannot be continuized")]
    ZeroVariance { what: String },
    #[error("{what}: the bandwidth must be positive and finite, got {value}")]
    InvalidBandwidth { what: String, value: f64 },
    #[error("{what}: the continuized density is zero at {score} (uniform kernel with a small bandwidth?); the equating or its SEE is undefined there")]
    ZeroDensity { what: String, score: f64 },
    #[error("{what}: the cumulative probability {u} cannot be inverted (it must lie strictly between 0 and 1)")]
    NotInvertible { what: String, u: f64 },
    #[error("{what}: the joint frequency table is not rectangular (row {row} has {found} columns, expected {expected})")]
    RaggedTable {
        what: String,
        row: usize,
        found: usize,
        expected: usize,
    },
    #[error("{what}: anchor score ranges differ ({p} anchor scores in population P, {q} in Q)")]
    AnchorMismatch { what: String, p: usize, q: usize },
    #[error("the post-stratification weight w must lie in [0, 1], got {0}")]
    InvalidWeight(f64),
    #[error("{what}: anchor score {anchor} has zero fitted probability in one population; post-stratification needs every anchor score in both")]
    EmptyAnchorScore { what: String, anchor: usize },
    #[error("{what}: {total} total scores but {anchor} anchor scores; they must pair up examinee by examinee")]
    LengthMismatch {
        what: String,
        total: usize,
        anchor: usize,
    },
    #[error("{what}: examinee {index} has score {score}, above the maximum {max}")]
    ScoreOutOfRange {
        what: String,
        index: usize,
        score: u32,
        max: usize,
    },
    #[error("SEED: {0}")]
    SeedMismatch(String),
}
