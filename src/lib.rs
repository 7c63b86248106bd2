//! qbank: certification-exam question banks from attempt logs to score tables.
//!
//! Data flows one way, and so do the imports between modules (each imports only those before
//! it): [`matrix`] (the response data structure, importing nothing) <- [`exam`] (ingest,
//! validation; fills the matrix) -> [`classical`] |
//! [`irt`] -> [`equate`] -> [`scale`] -> [`assemble`] (the next item bank, automated test
//! assembly, pre-equating) -> [`security`] (person fit, response times, exposed items) ->
//! [`readiness`] -> [`report`] (every file written) ->
//! [`simulate`] -> [`pipeline`] (the stages of `qbank run`) -> [`cli`]. The analysis modules
//! return plain values; only [`report`] writes files.
//!
//! A taste of the library: IRT true-score equating of a form onto itself is the identity.
//!
//! ```
//! use qbank::irt::{Logistic, ModelKind};
//! use qbank::equate::irt_true::true_score_equating;
//!
//! let form: Vec<Logistic> = [(1.2, -0.5, 0.2), (0.8, 0.3, 0.15), (1.5, 1.0, 0.25)]
//!     .iter()
//!     .map(|&(a, b, c)| Logistic::new(ModelKind::ThreePL, a, b, c, 1.0))
//!     .collect();
//! let table = true_score_equating(&form, &form);
//! assert!((table[1].equivalent - 1.0).abs() < 1e-9);
//! assert_eq!(table[3].equivalent, 3.0);
//! ```

pub mod assemble;
pub mod classical;
pub mod cli;
pub mod equate;
pub mod exam;
pub mod irt;
pub mod matrix;
pub mod pipeline;
pub mod readiness;
pub mod report;
pub mod scale;
pub mod security;
pub mod simulate;
