//! Shared by the benchmarks.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use qbank::simulate::{simulate, AttemptsFormat, SimConfig};

/// Peak resident memory of this process so far (VmHWM), in MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Runs `f` `runs` times; the median seconds and the last result.
pub fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        out = Some(f());
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (times[times.len() / 2], out.expect("at least one run"))
}

/// Runs a command to completion; its wall-clock seconds and peak resident memory (VmHWM of the
/// child, sampled every 10 ms until it exits), in MiB. Panics if the command fails.
pub fn run_process(cmd: &mut std::process::Command) -> (f64, f64) {
    let (secs, peak, outcome) = try_process(cmd);
    if let Err(err) = outcome {
        panic!("{cmd:?} failed: {err}");
    }
    (secs, peak)
}

/// [`run_process`] that reports a failure (exit status and the end of stderr) instead of
/// panicking: for the runs that may not fit the machine.
pub fn try_process(cmd: &mut std::process::Command) -> (f64, f64, Result<(), String>) {
    let t = Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the command starts");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0.0f64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            let secs = t.elapsed().as_secs_f64();
            let outcome = if status.success() {
                Ok(())
            } else {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                let tail: String = err.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
                Err(format!("{status}: {tail}"))
            };
            return (secs, peak_kb / 1024.0, outcome);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The median of some numbers.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Simulates (once) the data set of `n` attempts; returns its CSV and Parquet folders.
pub fn data(n: usize) -> (PathBuf, PathBuf) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let csv = root.join(format!("attempts-{n}"));
    let pq = root.join(format!("attempts-{n}-parquet"));
    let stamp = pq.join(".complete-v1");
    if stamp.exists() {
        return (csv, pq);
    }
    let _ = std::fs::remove_dir_all(&csv);
    let _ = std::fs::remove_dir_all(&pq);
    let t = Instant::now();
    let cfg = SimConfig::program(n, 8);
    simulate(&cfg, &csv).expect("simulation");
    std::fs::create_dir_all(&pq).unwrap();
    for f in ["items.csv", "forms.csv", "candidates.csv"] {
        std::fs::copy(csv.join(f), pq.join(f)).unwrap();
    }
    let toml = std::fs::read_to_string(csv.join("qbank.toml")).unwrap();
    std::fs::write(
        pq.join("qbank.toml"),
        toml + "\n[files]\nattempts = \"attempts.parquet\"\n",
    )
    .unwrap();
    run_process(
        Command::new(env!("CARGO_BIN_EXE_qbank"))
            .arg("convert")
            .arg(csv.join("attempts.csv"))
            .arg(pq.join("attempts.parquet")),
    );
    std::fs::write(&stamp, "").unwrap();
    eprintln!(
        "simulated {n} attempts in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    (csv, pq)
}

/// Simulates (once) the data set of `n` attempts straight to Parquet (no CSV).
pub fn data_parquet_only(n: usize) -> PathBuf {
    let pq = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-data/attempts-{n}-parquet"));
    let stamp = pq.join(".complete-v1");
    if !stamp.exists() {
        let _ = std::fs::remove_dir_all(&pq);
        let t = Instant::now();
        let cfg = SimConfig {
            attempts_format: AttemptsFormat::Parquet,
            ..SimConfig::program(n, 8)
        };
        simulate(&cfg, &pq).expect("simulation");
        std::fs::write(&stamp, "").unwrap();
        eprintln!(
            "simulated {n} attempts to Parquet in {:.0} s",
            t.elapsed().as_secs_f64()
        );
    }
    pq
}
