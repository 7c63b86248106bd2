//! qbank's integration tests, one binary (`cargo test --test it`): each module was once a file of
//! its own in tests/. Shared helpers, the fixture and the tolerance check are in `common`; the
//! reference data with published results are in tests/data/ (sources and licences in
//! tests/data/README.md).
//!
//! Kinds: snapshot (validate, demo, report), reference (classical, irt_reference, irt_scoring,
//! equate_irt, equate_classical, security_person_fit, jmle_kct), recovery (response_time, security_*),
//! recovery (irt_recovery, scale, readiness), robustness
//! (degenerate, determinism, fuzz_ingest), property (properties).

mod common;

mod classical;
mod degenerate;
mod demo;
mod determinism;
mod equate_classical;
mod equate_irt;
mod fuzz_ingest;
mod irt_recovery;
mod irt_reference;
mod irt_scoring;
mod jmle_kct;
mod properties;
mod readiness;
mod report;
mod response_time;
mod scale;
mod security;
mod security_cusum;
mod security_determinism;
mod security_drift;
mod security_person_fit;
mod security_preknowledge;
mod security_properties;
mod validate;
