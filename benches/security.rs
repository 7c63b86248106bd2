//! The exam-security stage on the 1,000,000-attempt benchmark data (issue 17's speed check: the
//! whole stage must add under 15 s to `qbank run`). The data set (the pipeline benchmark's,
//! simulated once into target/bench-data/) is read and calibrated once; then the stage runs
//! `--runs` times (default 3) in this process, as `qbank run` runs it (no suspected-item file),
//! back to back. Printed and written to reports/bench/security.csv: the median, fastest and
//! slowest seconds of the whole stage and of each of its steps.
//!
//! `cargo bench --bench security` (`-- --sizes 100000` for another size, `-- --runs 5`).

mod common;
use common::{data, median, peak_rss_mib};

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Instant;

use qbank::pipeline::stages;

/// The budget for the whole stage at 1,000,000 attempts, in seconds.
const TARGET_SECONDS: f64 = 15.0;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|k| args.get(k + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = arg(&args, "--sizes", 1_000_000);
    let runs: usize = arg(&args, "--runs", 3).max(1);
    let (_, pq) = data(n);
    let t = Instant::now();
    let (ds, _) = stages::load(&pq).expect("the benchmark data set loads");
    let calibrated = stages::calibrate(
        &ds,
        &stages::run_calibration_options(&ds.exam.config.calibration),
    );
    eprintln!(
        "{n} attempts read and calibrated in {:.0} s; the security stage runs {runs} times",
        t.elapsed().as_secs_f64()
    );
    // Per run: the whole stage and each step (a step lasts until the next one starts).
    let mut whole = Vec::new();
    let mut steps: Vec<(String, Vec<f64>)> = Vec::new();
    for run in 0..runs {
        let marks: RefCell<Vec<(String, Instant)>> = RefCell::new(Vec::new());
        let t0 = Instant::now();
        marks
            .borrow_mut()
            .push(("security: preparation".into(), t0));
        let analysis = qbank::security::workflow::analyse_with(
            &ds,
            &calibrated.forms,
            &ds.exam.config.security,
            None,
            &|name| marks.borrow_mut().push((name.to_string(), Instant::now())),
        )
        .expect("the security stage runs");
        let end = Instant::now();
        whole.push((end - t0).as_secs_f64());
        let marks = marks.into_inner();
        for (k, (name, start)) in marks.iter().enumerate() {
            let stop = marks.get(k + 1).map_or(end, |m| m.1);
            let secs = (stop - *start).as_secs_f64();
            match steps.iter_mut().find(|s| &s.0 == name) {
                Some(s) => s.1.push(secs),
                None => steps.push((name.clone(), vec![secs])),
            }
        }
        eprintln!(
            "run {}: {:.2} s ({} attempts flagged by lz*)",
            run + 1,
            whole[run],
            analysis.person_fit.n_flagged
        );
    }
    let range = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (median(v.to_vec()), lo, hi)
    };
    let mut csv = String::from("step,attempts,runs,median_seconds,min_seconds,max_seconds\n");
    println!("\nexam-security stage, {n} attempts, {runs} runs (seconds: median [min, max])");
    for (name, v) in &steps {
        let (m, lo, hi) = range(v);
        println!("  {name:<45} {m:7.2}  [{lo:.2}, {hi:.2}]");
        csv += &format!("{name},{n},{runs},{m:.3},{lo:.3},{hi:.3}\n");
    }
    let (m, lo, hi) = range(&whole);
    println!("  {:<45} {m:7.2}  [{lo:.2}, {hi:.2}]", "whole stage");
    csv += &format!("whole stage,{n},{runs},{m:.3},{lo:.3},{hi:.3}\n");
    if n == 1_000_000 {
        println!(
            "  target: under {TARGET_SECONDS} s at 1,000,000 attempts: {}",
            if m < TARGET_SECONDS { "met" } else { "not met" }
        );
    }
    println!(
        "  peak resident memory of the process: {:.0} MiB",
        peak_rss_mib()
    );
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reports/bench/security.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, csv).unwrap();
    println!("written to {}", path.display());
}
