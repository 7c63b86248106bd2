//! IRT calibration benchmark, with the peers a user would otherwise pick run on the same files.
//!
//! `cargo bench --bench irt` (add `-- --quick` for the small sizes only). For each size it
//! simulates a seeded matrix, times qbank's 2PL/3PL MML-EM (median of several runs, E-step and
//! standard errors timed apart), measures the E-step throughput against a tight loop over the
//! same arrays, runs the Python peers `mirt` and `girth` (benches/peers.py; skipped with a message
//! when not installed: `pip install mirt girth`) and prints the time ratios and the largest
//! differences in a and b. The 1,000,000-attempt x 65-item sparse design (600-item pool, 8 forms)
//! comes last. The table is also written to reports/bench/irt.csv.

mod common;
use common::{median, peak_rss_mib, run_process, timed};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use qbank::irt::{self, EmOptions, ModelKind, Priors, Responses};
use qbank::simulate::{simulate_design, simulate_matrix};

struct Row {
    stage: String,
    size: String,
    seconds: f64,
    runs: usize,
    peak_mib: f64,
    note: String,
}

fn fit(data: &Responses, kind: ModelKind) -> irt::Calibration {
    let priors = Priors {
        c: (kind == ModelKind::ThreePL).then_some(Priors::DEFAULT_C),
        ..Priors::default()
    };
    let items = irt::starting_items(data, &vec![kind; data.n_items()], 1.0, priors);
    let opts = EmOptions {
        reference_group: Some(0),
        ..EmOptions::default()
    };
    irt::calibrate(data, items, vec![false; data.n_items()], &opts)
}

/// Responses x quadrature points per second of the E-step, and of the bound: the E-step's two
/// unavoidable passes (add each response's table row into the person's log-likelihood, add the
/// posterior back into the item's row) with nothing else, over the same arrays, chunked over both
/// cores and compiled for AVX2 like the E-step.
fn throughput(data: &Responses, cal: &irt::Calibration) -> (f64, f64) {
    let q = cal.grid.len();
    let tables = irt::em::log_tables(&cal.items, &cal.grid);
    let lw = irt::em::log_weights(cal);
    let reps = 3;
    let (e, _) = timed(reps, || {
        std::hint::black_box(irt::em::e_step(data, &tables, &lw, q))
    });
    let (bound, _) = timed(reps, || {
        use rayon::prelude::*;
        let n = data.n_persons();
        let chunks: Vec<usize> = (0..n).step_by(8192).collect();
        let parts: Vec<f64> = chunks
            .par_iter()
            .map(|&s| {
                // SAFETY: AVX2/FMA are present on the machines this benchmark is quoted for; the
                // generic loop runs where they are not.
                if is_x86_feature_detected!("avx2") {
                    unsafe { add_passes_avx2(data, &tables, q, s, (s + 8192).min(n)) }
                } else {
                    add_passes(data, &tables, q, s, (s + 8192).min(n))
                }
            })
            .collect();
        std::hint::black_box(parts)
    });
    let work = data.n_responses() as f64 * q as f64;
    (work / e, work / bound)
}

#[target_feature(enable = "avx2,fma")]
unsafe fn add_passes_avx2(data: &Responses, tables: &[f64], q: usize, s: usize, e: usize) -> f64 {
    add_passes(data, tables, q, s, e)
}

#[inline(always)]
fn add_passes(data: &Responses, tables: &[f64], q: usize, s: usize, e: usize) -> f64 {
    let mut acc = vec![0.0f64; tables.len()];
    let mut ll = vec![0.0f64; q];
    for p in s..e {
        ll.iter_mut().for_each(|x| *x = 0.0);
        for &c in data.codes(p) {
            for (a, x) in ll
                .iter_mut()
                .zip(&tables[c as usize * q..(c as usize + 1) * q])
            {
                *a += x;
            }
        }
        for &c in data.codes(p) {
            for (a, x) in acc[c as usize * q..(c as usize + 1) * q]
                .iter_mut()
                .zip(&ll)
            {
                *a += x;
            }
        }
    }
    acc.iter().sum()
}

fn write_matrix(path: &Path, data: &Responses) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "{}", data.item_ids.join(",")).unwrap();
    let mut row = vec![0u8; data.n_items()];
    for p in 0..data.n_persons() {
        for &c in data.codes(p) {
            row[c as usize / 2] = (c & 1) as u8;
        }
        let line: Vec<&str> = row
            .iter()
            .map(|x| if *x == 1 { "1" } else { "0" })
            .collect();
        writeln!(w, "{}", line.join(",")).unwrap();
    }
}

fn peers(path: &Path, kind: ModelKind) -> Vec<serde_json::Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peers.py");
    let model = if kind == ModelKind::TwoPL {
        "2PL"
    } else {
        "3PL"
    };
    match Command::new("python3")
        .arg(script)
        .arg(path)
        .arg(model)
        .output()
    {
        Ok(o) => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        Err(e) => {
            println!("  peers skipped: python3 not available ({e})");
            Vec::new()
        }
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // `-- --sparse-only` runs just the 1,000,000-attempt sparse design.
    let sparse_only = std::env::args().any(|a| a == "--sparse-only");
    let runs = if quick { 1 } else { 3 };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows: Vec<Row> = Vec::new();
    let sizes: &[(usize, usize)] = if sparse_only {
        &[]
    } else if quick {
        &[(5_000, 40)]
    } else {
        &[(50_000, 100), (100_000, 100)]
    };
    println!("threads: {}", rayon::current_num_threads());
    for &(n, k) in sizes {
        for kind in [ModelKind::TwoPL, ModelKind::ThreePL] {
            let (data, truth) = simulate_matrix(n, k, kind, 2026 + n as u64);
            let size = format!("{n} x {k}");
            let (secs, cal) = timed(runs, || fit(&data, kind));
            let t = Instant::now();
            let cov = irt::covariance(&data, &cal);
            let se_secs = t.elapsed().as_secs_f64();
            let est = irt::item_estimates(&data, &cal, &cov);
            let rmse_b = (est
                .iter()
                .zip(&truth.items)
                .map(|(e, t)| (e.b - t.b()).powi(2))
                .sum::<f64>()
                / k as f64)
                .sqrt();
            let (tp, bound) = throughput(&data, &cal);
            println!(
                "{} {size}: {secs:.2} s ({} EM cycles, {:.1} ms/cycle), SEs {se_secs:.2} s ({:?}); RMSE(b) vs truth {rmse_b:.4}; E-step {:.0} M resp*pts/s = {:.0} % of the two-pass bound ({:.0} M/s)",
                kind.as_str(),
                cal.iterations,
                1e3 * secs / cal.iterations as f64,
                cov.method,
                tp / 1e6,
                100.0 * tp / bound,
                bound / 1e6
            );
            rows.push(Row {
                stage: format!("qbank {}", kind.as_str()),
                size: size.clone(),
                seconds: secs,
                runs,
                peak_mib: peak_rss_mib(),
                note: format!(
                    "{} cycles; SEs {se_secs:.2} s; E-step {:.0} M resp*pts/s ({:.0} % of bound)",
                    cal.iterations,
                    tp / 1e6,
                    100.0 * tp / bound
                ),
            });
            let path = dir.join(format!("matrix_{n}x{k}_{}.csv", kind.as_str()));
            write_matrix(&path, &data);
            // The whole command a user runs: read the CSV, EM, SEs, scores, fit, write.
            let out = dir.join(format!("calibrate_{n}x{k}_{}", kind.as_str()));
            let mut whole = Vec::new();
            let mut whole_peak = 0.0f64;
            for _ in 0..runs {
                let (s, p) = run_process(
                    Command::new(env!("CARGO_BIN_EXE_qbank"))
                        .args(["calibrate", "--matrix"])
                        .arg(&path)
                        .args(["--model", kind.as_str(), "--out"])
                        .arg(&out),
                );
                whole.push(s);
                whole_peak = whole_peak.max(p);
            }
            let whole = median(whole);
            println!(
                "  qbank calibrate --matrix, whole process: {whole:.2} s, peak {whole_peak:.0} MiB"
            );
            rows.push(Row {
                stage: format!("qbank calibrate --matrix {} (whole process)", kind.as_str()),
                size: size.clone(),
                seconds: whole,
                runs,
                peak_mib: whole_peak,
                note: "read CSV, EM, SEs, scores, fit, write".into(),
            });
            for peer in peers(&path, kind) {
                let name = peer["peer"].as_str().unwrap_or("?").to_string();
                if let Some(why) = peer["skipped"].as_str() {
                    println!("  {name}: skipped ({why})");
                    continue;
                }
                let ps = peer["seconds"].as_f64().unwrap_or(f64::NAN);
                let diff = |key: &str, ours: &dyn Fn(&irt::ItemEstimate) -> f64| {
                    peer[key]
                        .as_array()
                        .map(|v| {
                            v.iter()
                                .zip(&est)
                                .map(|(x, e)| (x.as_f64().unwrap_or(f64::NAN) - ours(e)).abs())
                                .fold(0.0, f64::max)
                        })
                        .unwrap_or(f64::NAN)
                };
                let da = diff("a", &|e| e.a);
                let db = diff("b", &|e| e.b);
                println!("  {name}: {ps:.2} s, qbank is {:.1}x faster in EM, {:.1}x as a whole process; max |a - a_{name}| {da:.4}, max |b - b_{name}| {db:.4}", ps / secs, ps / whole);
                rows.push(Row {
                    stage: format!("{name} {}", kind.as_str()),
                    size: size.clone(),
                    seconds: ps,
                    runs: 1,
                    peak_mib: f64::NAN,
                    note: format!(
                        "qbank {:.1}x faster (EM), {:.1}x (whole process); max diff a {da:.4}, b {db:.4}",
                        ps / secs,
                        ps / whole
                    ),
                });
            }
        }
    }
    // The sparse design of a large program: 1,000,000 attempts x 65 items from a 600-item pool.
    let persons = if quick { 20_000 } else { 1_000_000 };
    let t = Instant::now();
    let (data, truth) = simulate_design(persons, 600, 8, 65, 20, ModelKind::TwoPL, 7);
    println!(
        "simulated {persons} x 65 sparse in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let (secs, cal) = timed(runs, || {
        let items =
            irt::starting_items(&data, &vec![ModelKind::TwoPL; 600], 1.0, Priors::default());
        irt::calibrate(&data, items, vec![false; 600], &EmOptions::default())
    });
    let t = Instant::now();
    let cov = irt::covariance(&data, &cal);
    let se_secs = t.elapsed().as_secs_f64();
    let est = irt::item_estimates(&data, &cal, &cov);
    let seen: Vec<usize> = (0..600).filter(|&i| est[i].n > 0.0).collect();
    let rmse_b = (seen
        .iter()
        .map(|&i| (est[i].b - truth.items[i].b()).powi(2))
        .sum::<f64>()
        / seen.len() as f64)
        .sqrt();
    let (tp, bound) = throughput(&data, &cal);
    println!(
        "2pl sparse {persons} x 65 (600 items, 8 forms): {secs:.1} s ({} cycles), SEs {se_secs:.1} s; RMSE(b) {rmse_b:.4}; E-step {:.0} M resp*pts/s ({:.0} % of bound); peak {:.0} MiB",
        cal.iterations,
        tp / 1e6,
        100.0 * tp / bound,
        peak_rss_mib()
    );
    rows.push(Row {
        stage: "qbank 2pl sparse".into(),
        size: format!("{persons} x 65 of 600"),
        seconds: secs,
        runs,
        peak_mib: peak_rss_mib(),
        note: format!(
            "{} cycles; SEs {se_secs:.1} s; E-step {:.0} M resp*pts/s",
            cal.iterations,
            tp / 1e6
        ),
    });
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reports/bench/irt.csv");
    qbank::report::files::write_csv(
        &out,
        &[
            "stage",
            "size",
            "median_seconds",
            "runs",
            "peak_mib",
            "note",
        ],
        rows.iter().map(|r| {
            vec![
                r.stage.clone(),
                r.size.clone(),
                format!("{:.3}", r.seconds),
                r.runs.to_string(),
                qbank::report::files::fmt_f(r.peak_mib, 0),
                r.note.clone(),
            ]
        }),
    )
    .unwrap();
    println!("table written to {}", out.display());
}
