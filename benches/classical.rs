//! Item-analysis benchmark: 1,000,000 attempts x 65 items (8 forms from a 600-item pool).
//!
//! `cargo bench --bench classical` (`-- --quick` for 20,000 attempts). Simulates the data set once
//! (seeded; kept under target/bench-data), converts the log to Parquet, then times loading and the
//! classical analysis (median of 3 runs) and prints the peak resident memory.

mod common;
use common::peak_rss_mib;

use std::path::PathBuf;
use std::time::Instant;

use qbank::simulate::{simulate, SimConfig};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 20_000 } else { 1_000_000 };
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/classical_{n}"));
    if !dir.join("attempts.parquet").exists() {
        let cfg = SimConfig::program(n, 11);
        let t = Instant::now();
        simulate(&cfg, &dir).expect("simulate");
        qbank::report::convert::csv_to_parquet(
            &dir.join("attempts.csv"),
            &dir.join("attempts.parquet"),
        )
        .expect("convert");
        std::fs::remove_file(dir.join("attempts.csv")).ok();
        println!(
            "simulated {n} attempts and converted to Parquet in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    let (ds, _) =
        qbank::pipeline::stages::load(&dir).unwrap_or_else(|_| panic!("load {}", dir.display()));
    println!(
        "load + validate: {:.1} s, {} responses; peak {:.0} MiB",
        t.elapsed().as_secs_f64(),
        ds.matrix.n_responses(),
        peak_rss_mib()
    );
    let spec = qbank::classical::default_dif(&ds);
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let a = qbank::classical::analyse(&ds, spec.as_ref(), &ds.exam.config.flags);
        std::hint::black_box(&a);
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "item analysis of {n} attempts (with DIF): median {:.2} s of {:?}; peak {:.0} MiB",
        times[1],
        times,
        peak_rss_mib()
    );
}
