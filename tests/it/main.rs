//! qbank's integration tests, one binary (`cargo test --test it`): each module was once a file of
//! its own in tests/. Shared helpers, the fixture and the tolerance check are in `common`; the
//! reference data with published results are in tests/data/ (sources and licences in
//! tests/data/README.md).
//!
//! Kinds: snapshot (validate, demo, report, assemble_infeasible), reference (assemble_reference, classical, irt_reference, irt_scoring,
//! equate_irt, equate_classical, subscores_prmse, subscores_evidence), recovery (assemble_assembly, assemble_cycle, irt_recovery,
//! scale, readiness, readiness_fit, subscores_recovery), robustness
//! Kinds: snapshot (validate, demo, report), reference (classical, irt_reference, irt_scoring,
//! equate_irt, equate_classical, security_person_fit, jmle_kct), recovery (response_time, security_*),
//! recovery (irt_recovery, scale, readiness), robustness
//! (degenerate, determinism, fuzz_ingest), property (properties).

mod common;

mod assemble_assembly;
mod assemble_cycle;
mod assemble_health;
mod assemble_infeasible;
mod assemble_reference;
mod classical;
mod cli_help;
mod cohort_se;
mod cohort_se_schur;
mod degenerate;
mod demo;
mod determinism;
mod equate_classical;
mod equate_irt;
mod equate_paths_cli;
mod fuzz_ingest;
mod import;
mod irt_recovery;
mod irt_reference;
mod irt_scoring;
mod jmle_kct;
mod kernel_common;
mod kernel_properties;
mod kernel_reference;
mod kernel_simulation;
mod link_se_common;
mod link_se_derivatives;
mod link_se_kb;
mod link_se_observed;
mod link_se_properties;
mod link_se_recovery;
mod link_se_reference;
mod link_se_simulation;
mod many_forms;
mod miskey;
mod odd_input;
mod output_folder;
mod parquet_times;
mod properties;
mod readiness;
mod readiness_fit;
mod report;
mod response_time;
mod ring_data2pl;
mod scale;
mod security;
mod security_cusum;
mod security_determinism;
mod security_drift;
mod security_person_fit;
mod security_preknowledge;
mod security_properties;
mod single_form;
mod subscores_evidence;
mod subscores_prmse;
mod subscores_recovery;
mod subscores_sim;
mod timestamps;
mod uncertainty_cli;
mod validate;
