//! Results do not depend on the number of threads.

use qbank::security::simulate::{simulate, SimConfig};
use qbank::security::*;

fn run(threads: usize) -> (String, String, String, Vec<u8>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let sim = simulate(&SimConfig {
            seed: 77,
            n_attempts: 9_000,
            n_bank: 120,
            items_per_attempt: 40,
            n_weeks: 6,
            leak_week: 3,
            ..SimConfig::default()
        })
        .unwrap();
        let w = U3Weights::from_data(&sim.data);
        let fit =
            person_fit_all(&sim.bank, &sim.data, &PersonFitOptions::default(), Some(&w)).unwrap();
        let pk = preknowledge_lr_all(
            &sim.bank,
            &sim.data,
            &sim.leaked,
            &PreknowledgeOptions::default(),
        )
        .unwrap();
        let res = sim.log_time_residuals().unwrap();
        let drift = item_drift_over_time(
            &sim.bank,
            &sim.data,
            &sim.week,
            6,
            Some(&res),
            &DriftOptions::default(),
        )
        .unwrap();
        let bytes: Vec<u8> = sim.data.responses().iter().map(|r| r.1).collect();
        (
            serde_json::to_string(&fit).unwrap(),
            serde_json::to_string(&pk).unwrap(),
            serde_json::to_string(&drift).unwrap(),
            bytes,
        )
    })
}

// property: simulation, person fit, preknowledge and drift are bit-identical (as JSON, which
// prints every f64 exactly) with 1, 2 and 3 threads.
#[test]
fn identical_for_any_thread_count() {
    let one = run(1);
    for threads in [2, 3] {
        let other = run(threads);
        assert!(
            one.3 == other.3,
            "{threads} threads: simulated responses differ"
        );
        assert!(one.0 == other.0, "{threads} threads: person fit differs");
        assert!(one.1 == other.1, "{threads} threads: preknowledge differs");
        assert!(one.2 == other.2, "{threads} threads: drift differs");
    }
}
