//! qbank's integration tests, one binary (`cargo test --test it`): each module was once a file of
//! its own in tests/. Shared helpers, the fixture and the tolerance check are in `common`; the
//! reference data with published results are in tests/data/ (sources and licences in
//! tests/data/README.md).
//!
//! Kinds: snapshot (validate, demo, report), reference (classical, irt_reference, irt_scoring,
//! equate_irt, equate_classical), recovery (irt_recovery, scale, readiness), robustness
//! (degenerate, determinism, fuzz_ingest), property (properties).

mod common;

mod classical;
mod cli_help;
mod degenerate;
mod demo;
mod determinism;
mod equate_classical;
mod equate_irt;
mod fuzz_ingest;
mod import;
mod irt_recovery;
mod irt_reference;
mod irt_scoring;
mod miskey;
mod odd_input;
mod output_folder;
mod properties;
mod readiness;
mod report;
mod scale;
mod single_form;
mod timestamps;
mod validate;
