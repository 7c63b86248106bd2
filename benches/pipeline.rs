//! Pipeline benchmark: every stage of `qbank run`, as whole processes and in-process, on simulated
//! programs of 10,000, 100,000 and 1,000,000 attempts (65 items each from a 600-item pool across
//! 8 forms), with a plain polars-free CSV reader as the ingest baseline.
//!
//! `cargo bench --bench pipeline` (`-- --quick`: 10,000 and 100,000 only; `-- --sizes 10000,50000`
//! for others; `-- --runs-only`: only the whole `qbank run` processes; `-- --with-10m` adds one whole `qbank run` on 10,000,000 attempts, simulated
//! straight to Parquet (1.5 GB, no CSV), recorded with its peak memory even when it fails). Data sets are simulated once (seeded) into target/bench-data/ and reused. Whole
//! processes run 3 times (1 at 1,000,000) and report the median seconds and the child's peak
//! resident memory; in-process stages run once, in the order `qbank run` runs them. The table is
//! printed and written to reports/bench/pipeline.csv. `benches/run` runs this and the IRT
//! benchmark (with the Python peers) in one go.

mod common;
use common::{data, data_parquet_only, median, peak_rss_mib, run_process, try_process};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use qbank::irt::workflow::{calibrate_dataset, CalibrateOptions};
use qbank::irt::{ModelKind, Priors};
use qbank::pipeline::stages;

struct Row {
    kind: &'static str,
    stage: String,
    attempts: usize,
    responses: usize,
    seconds: f64,
    runs: usize,
    peak_mib: f64,
    note: String,
}

/// One whole `qbank run` on 10,000,000 attempts (Parquet), as far as the machine takes it.
fn ten_million(exe: &str, scratch: &Path) -> Row {
    let n = 10_000_000;
    let pq = data_parquet_only(n);
    let out = scratch.join(format!("{n}-run"));
    let _ = std::fs::remove_dir_all(&out);
    let (seconds, peak_mib, outcome) = try_process(
        Command::new(exe)
            .arg("run")
            .arg(&pq)
            .args(["--quiet", "--timings", "--out"])
            .arg(&out),
    );
    let note = match outcome {
        Ok(()) => String::new(),
        Err(e) => format!("did not complete: {e}"),
    };
    eprintln!("{n:>9} whole qbank run {seconds:>8.1} s {peak_mib:>7.0} MiB {note}");
    Row {
        kind: "process",
        stage: "whole qbank run (with report)".into(),
        attempts: n,
        responses: n * 65,
        seconds,
        runs: 1,
        peak_mib,
        note,
    }
}

/// A polars-free reader: the csv crate parsing every field of attempts.csv into the same compact
/// arrays qbank builds (item index, chosen-option mask, seconds, attempt boundaries), without
/// qbank's validation. A lower bound for ingest from CSV.
fn csv_baseline(path: &Path) -> usize {
    let mut r = csv::Reader::from_path(path).unwrap();
    let mut rec = csv::ByteRecord::new();
    let mut item_index: HashMap<Vec<u8>, u16> = HashMap::new();
    let (mut items, mut codes, mut seconds, mut offsets) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut last_attempt: Vec<u8> = Vec::new();
    while r.read_byte_record(&mut rec).unwrap() {
        if rec[0] != last_attempt[..] {
            last_attempt = rec[0].to_vec();
            offsets.push(items.len() as u64);
        }
        let next = item_index.len() as u16;
        let i = *item_index.entry(rec[3].to_vec()).or_insert(next);
        items.push(i);
        let mask = rec[4]
            .iter()
            .filter(|b| b.is_ascii_uppercase())
            .fold(0u16, |m, b| m | 1 << (b - b'A'));
        codes.push(mask);
        seconds.push(
            std::str::from_utf8(&rec[5])
                .ok()
                .and_then(|s| s.parse::<f32>().ok())
                .unwrap_or(f32::NAN),
        );
    }
    items.len() + codes.len() + seconds.len() + offsets.len()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let runs_only = args.iter().any(|a| a == "--runs-only");
    let sizes: Vec<usize> = match args.iter().position(|a| a == "--sizes") {
        Some(k) => args[k + 1]
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("sizes"))
            .collect(),
        None if quick => vec![10_000, 100_000],
        None => vec![10_000, 100_000, 1_000_000],
    };
    let exe = env!("CARGO_BIN_EXE_qbank");
    let scratch = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-out");
    let mut rows: Vec<Row> = Vec::new();
    for &n in &sizes {
        let (csv, pq) = data(n);
        let responses = n * 65;
        let runs = if n >= 1_000_000 { 1 } else { 3 };
        let out = scratch.join(format!("{n}"));
        // `qbank run` replaces only a folder it wrote itself: its own folder
        let out_run = scratch.join(format!("{n}-run"));
        // --- whole processes
        let stages: Vec<(&str, Vec<String>)> = vec![
            (
                "ingest + validation, CSV",
                vec!["validate".into(), csv.display().to_string()],
            ),
            (
                "ingest + validation, Parquet",
                vec!["validate".into(), pq.display().to_string()],
            ),
            (
                "item analysis",
                vec![
                    "items".into(),
                    pq.display().to_string(),
                    "--out".into(),
                    out.display().to_string(),
                ],
            ),
            (
                "2PL calibration (concurrent)",
                vec![
                    "calibrate".into(),
                    pq.display().to_string(),
                    "--model".into(),
                    "2pl".into(),
                    "--out".into(),
                    out.display().to_string(),
                ],
            ),
            (
                "3PL calibration (concurrent)",
                vec![
                    "calibrate".into(),
                    pq.display().to_string(),
                    "--model".into(),
                    "3pl".into(),
                    "--out".into(),
                    out.display().to_string(),
                ],
            ),
            (
                "FPC of pretest items (3PL)",
                vec![
                    "calibrate".into(),
                    pq.display().to_string(),
                    "--fixed-bank".into(),
                    "--out".into(),
                    out.display().to_string(),
                ],
            ),
            (
                "equating (FPC + separate links + tables)",
                vec![
                    "equate".into(),
                    pq.display().to_string(),
                    "--out".into(),
                    out.display().to_string(),
                ],
            ),
            (
                "whole qbank run (with report)",
                vec![
                    "run".into(),
                    pq.display().to_string(),
                    "--quiet".into(),
                    "--out".into(),
                    out_run.display().to_string(),
                ],
            ),
            (
                "whole qbank run from CSV (with report)",
                vec![
                    "run".into(),
                    csv.display().to_string(),
                    "--quiet".into(),
                    "--out".into(),
                    out_run.display().to_string(),
                ],
            ),
        ];
        // --runs-only: the whole runs alone (the rows of issue 18's table)
        let stages = stages
            .into_iter()
            .filter(|(stage, _)| !runs_only || stage.starts_with("whole qbank run"));
        for (stage, a) in stages {
            let mut secs = Vec::new();
            let mut peak = 0.0f64;
            for _ in 0..runs {
                let (s, p) = run_process(Command::new(exe).args(&a));
                secs.push(s);
                peak = peak.max(p);
            }
            let row = Row {
                kind: "process",
                stage: stage.into(),
                attempts: n,
                responses,
                seconds: median(secs),
                runs,
                peak_mib: peak,
                note: String::new(),
            };
            eprintln!(
                "{n:>9} {stage:<42} {:>8.2} s {:>7.0} MiB",
                row.seconds, row.peak_mib
            );
            rows.push(row);
        }
        if runs_only {
            continue;
        }
        // --- in-process, one run each, in the order qbank run runs them
        let mut stage = |name: &str, secs: f64, note: String| {
            eprintln!("{n:>9} in-process {name:<31} {secs:>8.2} s");
            rows.push(Row {
                kind: "in-process",
                stage: name.into(),
                attempts: n,
                responses,
                seconds: secs,
                runs: 1,
                peak_mib: peak_rss_mib(),
                note,
            });
        };
        let t = Instant::now();
        let count = csv_baseline(&csv.join("attempts.csv"));
        stage(
            "ingest baseline: csv crate, no validation",
            t.elapsed().as_secs_f64(),
            format!("{count} values"),
        );
        let t = Instant::now();
        let (ds_csv, _) = stages::load(&csv).expect("valid");
        stage(
            "ingest + validation, CSV",
            t.elapsed().as_secs_f64(),
            String::new(),
        );
        drop(ds_csv);
        let t = Instant::now();
        let (ds, diags) = stages::load(&pq).expect("valid");
        stage(
            "ingest + validation, Parquet",
            t.elapsed().as_secs_f64(),
            format!(
                "matrix {:.0} MiB",
                ds.matrix.heap_bytes() as f64 / 1048576.0
            ),
        );
        let t = Instant::now();
        let items = stages::items(&ds);
        qbank::report::item_tables::write_item_analysis(&out, &items).unwrap();
        stage("item analysis", t.elapsed().as_secs_f64(), String::new());
        for (name, model) in [
            ("2PL calibration (concurrent)", ModelKind::TwoPL),
            ("3PL calibration (concurrent)", ModelKind::ThreePL),
        ] {
            let opts = CalibrateOptions {
                model,
                fixed_bank: Some(false),
                priors: Priors {
                    c: (model == ModelKind::ThreePL).then_some(Priors::DEFAULT_C),
                    ..Priors::default()
                },
                ..CalibrateOptions::default()
            };
            let t = Instant::now();
            let r = calibrate_dataset(&ds, &opts);
            stage(
                name,
                t.elapsed().as_secs_f64(),
                format!("{} EM cycles", r.calibration.iterations),
            );
        }
        let opts = CalibrateOptions::default();
        let t = Instant::now();
        let calibrated = stages::calibrate(&ds, &opts);
        calibrated.write(&out, &ds).unwrap();
        stage(
            "FPC of pretest items + scores + fit",
            t.elapsed().as_secs_f64(),
            format!("{} EM cycles", calibrated.result.calibration.iterations),
        );
        let t = Instant::now();
        let equating = stages::equate(&ds, &calibrated).unwrap();
        qbank::report::tables::write_equating(&out, &equating).unwrap();
        stage(
            "IRT equating (separate links + tables)",
            t.elapsed().as_secs_f64(),
            String::new(),
        );
        let t = Instant::now();
        let neat =
            qbank::equate::workflow::neat_tables(&ds, &qbank::equate::workflow::NEAT_METHODS);
        qbank::report::tables::write_neat_tables(&out, &neat).unwrap();
        stage(
            "classical equating (NEAT)",
            t.elapsed().as_secs_f64(),
            String::new(),
        );
        let t = Instant::now();
        let readiness = stages::readiness(
            &ds,
            &calibrated.forms,
            &equating.summary.scale,
            &equating.tables,
        );
        readiness.write(&out, &[]).unwrap();
        stage("readiness", t.elapsed().as_secs_f64(), String::new());
        let t = Instant::now();
        let security = qbank::pipeline::stages::security(&ds, &calibrated.forms, None).unwrap();
        qbank::report::security::write_tables(&out, &ds, &security).unwrap();
        stage("security", t.elapsed().as_secs_f64(), String::new());
        let t = Instant::now();
        let overview = qbank::exam::Overview::of(&ds, diags.warning_count());
        let input = qbank::report::ReportInput {
            ds: &ds,
            overview: &overview,
            items: &items,
            calibration: &calibrated.result,
            forms: &calibrated.forms,
            scores: &calibrated.scores,
            equating: &equating.summary,
            tables: &equating.tables,
            warnings: &[],
            readiness: Some((&readiness.ctx, &readiness.cohort)),
            cycle: None,
            security: Some(&security),
            markdown: true,
        };
        qbank::report::write_report(&input, &out).unwrap();
        let size = std::fs::metadata(out.join("index.html"))
            .map(|m| m.len())
            .unwrap_or(0);
        stage(
            "report",
            t.elapsed().as_secs_f64(),
            format!("index.html {:.2} MB", size as f64 / 1e6),
        );
    }
    if args.iter().any(|a| a == "--with-10m") {
        rows.push(ten_million(exe, &scratch));
    }
    println!(
        "\n{:<11} {:<42} {:>9} {:>10} {:>9} {:>5} {:>8} {:>12}  note",
        "kind", "stage", "attempts", "responses", "median s", "runs", "peak MiB", "s / M resp"
    );
    for r in &rows {
        println!(
            "{:<11} {:<42} {:>9} {:>10} {:>9.2} {:>5} {:>8.0} {:>12.3}  {}",
            r.kind,
            r.stage,
            r.attempts,
            r.responses,
            r.seconds,
            r.runs,
            r.peak_mib,
            r.seconds / (r.responses as f64 / 1e6),
            r.note
        );
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reports/bench/pipeline.csv");
    // rows of an earlier run that this one did not measure again stay (a --with-10m run alone
    // keeps the table of the other sizes)
    let mut kept: Vec<Vec<String>> = Vec::new();
    if let Ok(mut r) = csv::Reader::from_path(&path) {
        for rec in r.records().flatten() {
            let again = rows.iter().any(|x| {
                rec.get(0) == Some(x.kind)
                    && rec.get(1) == Some(x.stage.as_str())
                    && rec.get(2) == Some(x.attempts.to_string().as_str())
            });
            if !again {
                kept.push(rec.iter().map(str::to_string).collect());
            }
        }
    }
    qbank::report::files::write_csv(
        &path,
        &[
            "kind",
            "stage",
            "attempts",
            "responses",
            "median_seconds",
            "runs",
            "peak_mib",
            "seconds_per_million_responses",
            "note",
        ],
        kept.into_iter().chain(rows.iter().map(|r| {
            vec![
                r.kind.to_string(),
                r.stage.clone(),
                r.attempts.to_string(),
                r.responses.to_string(),
                format!("{:.3}", r.seconds),
                r.runs.to_string(),
                format!("{:.0}", r.peak_mib),
                format!("{:.4}", r.seconds / (r.responses as f64 / 1e6)),
                r.note.clone(),
            ]
        })),
    )
    .unwrap();
    println!("table written to {}", path.display());
}
