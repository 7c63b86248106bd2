//! qbank: certification-exam question banks from attempt logs to score tables.
//!
//! Data flows one way: files -> [`exam::Exam`] -> [`matrix::ResponseMatrix`] -> analyses ->
//! result structs -> writers ([`output`]).

pub mod classical;
pub mod equate;
pub mod exam;
pub mod irt;
pub mod matrix;
pub mod output;
pub mod run;
pub mod scale;
pub mod simulate;
