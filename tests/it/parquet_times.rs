//! Snapshot tests of native Parquet time columns (issue 14, part 3): a Parquet log whose
//! `submitted_at` is a timestamp column (any unit, with or without a time zone; zone-less values
//! are wall-clock times in qbank.toml's `timezone`) or a date column gives the same instants, the
//! same overview and the same attempt order as the same times written as text in a CSV log.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use polars::prelude::*;
use qbank::exam::timestamps::{parse_instant, Zone};
use qbank::exam::{self, Diagnostics, Overview};

use crate::common::{fixture, qbank_ok, ATTEMPTS, TOML};
use crate::timestamps::validate;

const BERLIN: &str = "Europe/Berlin";

/// How the test stores `submitted_at` in the Parquet file.
#[derive(Clone, Copy)]
enum Stored {
    /// Instants: a timestamp column with this zone, in units of 1/per_second s.
    Zoned(i64, &'static str),
    /// Wall-clock times in Berlin: a timestamp column without a zone.
    BerlinWallClock(i64),
    /// The UTC digits of the instants as zone-less wall-clock times (milliseconds).
    UtcDigits,
    /// Calendar days (UTC dates of the instants): a date column.
    Date,
}

/// The CSV log at `csv` as a Parquet file at `parquet`, rows in reverse order (so any order in
/// the outputs comes from the times, not the file), `submitted_at` stored natively.
fn to_parquet(csv: &Path, parquet: &Path, stored: Stored) {
    let mut r = csv::Reader::from_path(csv).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    rows.reverse();
    let mut columns = Vec::new();
    for (k, name) in header.iter().enumerate() {
        let cells: Vec<&str> = rows.iter().map(|row| row.get(k).unwrap()).collect();
        if name != "submitted_at" {
            columns.push(Column::new(name.into(), cells));
            continue;
        }
        let instants: Vec<DateTime<Utc>> = cells
            .iter()
            .map(|t| parse_instant(t, Zone::default()).unwrap())
            .collect();
        let series = match stored {
            Stored::Zoned(per_second, zone) => {
                let values: Vec<i64> = instants
                    .iter()
                    .map(|d| d.timestamp_nanos_opt().unwrap() / (1_000_000_000 / per_second))
                    .collect();
                let tz = TimeZone::opt_try_new(Some(zone)).unwrap();
                Series::new(name.into(), values).into_datetime(unit(per_second), tz)
            }
            Stored::BerlinWallClock(per_second) => {
                let values: Vec<i64> = instants
                    .iter()
                    .map(|d| {
                        let wall = d.with_timezone(&chrono_tz::Europe::Berlin).naive_local();
                        wall.and_utc().timestamp_nanos_opt().unwrap() / (1_000_000_000 / per_second)
                    })
                    .collect();
                Series::new(name.into(), values).into_datetime(unit(per_second), None)
            }
            Stored::UtcDigits => {
                let values: Vec<i64> = instants.iter().map(|d| d.timestamp_millis()).collect();
                Series::new(name.into(), values).into_datetime(TimeUnit::Milliseconds, None)
            }
            Stored::Date => {
                let days: Vec<i32> = instants
                    .iter()
                    .map(|d| d.timestamp().div_euclid(86_400) as i32)
                    .collect();
                Series::new(name.into(), days).into_date()
            }
        };
        columns.push(series.into());
    }
    let mut df = DataFrame::new_infer_height(columns).unwrap();
    let f = fs::File::create(parquet).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
}

fn unit(per_second: i64) -> TimeUnit {
    match per_second {
        1_000 => TimeUnit::Milliseconds,
        1_000_000 => TimeUnit::Microseconds,
        _ => TimeUnit::Nanoseconds,
    }
}

/// A copy of the data set at `from` with the log as Parquet (`stored`), and `toml` prepended to
/// qbank.toml.
fn parquet_copy(from: &Path, to: &Path, stored: Stored, toml: &str) -> PathBuf {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_file() && name != "attempts.csv" {
            fs::copy(&p, to.join(&name)).unwrap();
        }
    }
    let config = fs::read_to_string(from.join("qbank.toml")).unwrap();
    fs::write(to.join("qbank.toml"), format!("{toml}{config}")).unwrap();
    to_parquet(
        &from.join("attempts.csv"),
        &to.join("attempts.parquet"),
        stored,
    );
    to.to_path_buf()
}

fn load(dir: &Path) -> exam::Dataset {
    let mut d = Diagnostics::default();
    exam::load(dir, &mut d).unwrap_or_else(|| panic!("{}", d.render()))
}

/// Every attempt's submission instant (UTC text) by attempt id.
fn submissions(ds: &exam::Dataset) -> std::collections::BTreeMap<String, String> {
    let m = &ds.matrix;
    (0..m.n_attempts())
        .map(|a| (m.attempt_id(a).to_string(), m.submitted_at(a).to_string()))
        .collect()
}

/// Each candidate's attempts in the order readiness_attempts.csv lists them (time order);
/// candidates in id order (the file lists them as the log first shows them).
fn attempt_order(out: &Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(out.join("readiness_attempts.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (c, a) = (col("candidate_id"), col("attempt_id"));
    let mut order: Vec<(String, String)> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[c].to_string(), rec[a].to_string())
        })
        .collect();
    order.sort_by(|x, y| x.0.cmp(&y.0)); // stable: time order within a candidate
    order
}

fn overview_dates(out: &Path) -> (String, String) {
    let v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("overview.json")).unwrap()).unwrap();
    (
        v["first_submitted"].as_str().unwrap().to_string(),
        v["last_submitted"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_parquet_timestamp_log_runs_as_its_csv_text() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("parquet_times");
    let _ = fs::remove_dir_all(&root);
    let text = root.join("text");
    qbank_ok(&[
        "simulate",
        "--out",
        text.to_str().unwrap(),
        "--seed",
        "11",
        "--candidates",
        "150",
        "--forms",
        "2",
        "--pool",
        "60",
        "--scored",
        "24",
        "--pretest",
        "4",
        "--anchors",
        "8",
    ]);
    // Wall-clock times in Berlin without a zone, microseconds: read in qbank.toml's timezone.
    let native = parquet_copy(
        &text,
        &root.join("native"),
        Stored::BerlinWallClock(1_000_000),
        &format!("timezone = \"{BERLIN}\"\n"),
    );
    // Every attempt has the instant of its text.
    let (t, n) = (load(&text), load(&native));
    assert_eq!(submissions(&n), submissions(&t), "submitted_at per attempt");
    for (ds, out) in [
        (&text, root.join("text_out")),
        (&native, root.join("native_out")),
    ] {
        qbank_ok(&[
            "run",
            ds.to_str().unwrap(),
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
    }
    let (first, last) = overview_dates(&root.join("text_out"));
    assert!(first.ends_with('Z') && last > first, "{first} .. {last}");
    assert_eq!(
        overview_dates(&root.join("native_out")),
        (first, last),
        "overview's first and last submission"
    );
    let order = attempt_order(&root.join("text_out"));
    assert!(
        order.windows(2).any(|w| w[0].0 == w[1].0),
        "the simulation should have repeat attempts"
    );
    assert_eq!(
        attempt_order(&root.join("native_out")),
        order,
        "attempt order of every candidate"
    );
}

#[test]
fn every_unit_zone_and_date_column_gives_the_text_instants() {
    // T1 on 2026-01-01 22:30 UTC is written later as text than T2 (23:00 UTC on the 1st);
    // as a date both fall on 2026-01-01.
    let a = ATTEMPTS
        .replace("2026-01-01T10:00:00Z", "2026-01-02T00:30:00+02:00")
        .replace("2026-01-02T10:00:00Z", "2026-01-01T23:00:00Z");
    let text = fixture("pq_text", &[("attempts.csv", &a)]);
    let reference = submissions(&load(&text));
    assert_eq!(reference["T1"], "2026-01-01T22:30:00Z", "text T1");
    for (k, stored) in [
        Stored::Zoned(1_000, "UTC"),
        Stored::Zoned(1_000_000, BERLIN),
        Stored::Zoned(1_000_000_000, "America/New_York"),
        Stored::BerlinWallClock(1_000),
        Stored::BerlinWallClock(1_000_000_000),
    ]
    .into_iter()
    .enumerate()
    {
        let toml = match stored {
            Stored::BerlinWallClock(_) => format!("timezone = \"{BERLIN}\"\n"),
            _ => String::new(),
        };
        let dir = parquet_copy(
            &text,
            &text.with_file_name(format!("pq_{k}")),
            stored,
            &toml,
        );
        let ds = load(&dir);
        assert_eq!(submissions(&ds), reference, "case {k}: submitted_at");
        let o = Overview::of(&ds, 0);
        assert_eq!(
            (o.first_submitted.as_str(), o.last_submitted.as_str()),
            ("2026-01-01T22:30:00Z", "2026-01-01T23:00:00Z"),
            "case {k}: first and last submission"
        );
    }
    // A date column is midnight in qbank.toml's timezone, as the text 2026-01-01 is.
    let dir = parquet_copy(
        &text,
        &text.with_file_name("pq_date"),
        Stored::Date,
        &format!("timezone = \"{BERLIN}\"\n"),
    );
    let dates = submissions(&load(&dir));
    let as_text = ATTEMPTS
        .replace("2026-01-01T10:00:00Z", "2026-01-01")
        .replace("2026-01-02T10:00:00Z", "2026-01-01");
    let date_text = fixture(
        "pq_date_text",
        &[
            ("attempts.csv", &as_text),
            ("qbank.toml", &format!("timezone = \"{BERLIN}\"\n{TOML}")),
        ],
    );
    assert_eq!(dates, submissions(&load(&date_text)), "date column");
    assert_eq!(dates["T1"], "2025-12-31T23:00:00Z", "midnight in Berlin");
}

#[test]
fn a_wall_clock_time_skipped_by_daylight_saving_is_an_error_with_its_row() {
    let a = ATTEMPTS.replace("2026-01-02T10:00:00Z", "2026-03-29T02:30:00Z");
    let text = fixture("pq_gap_text", &[("attempts.csv", &a)]);
    // Stored as the zone-less wall clock 02:30 on 29 March, read in Berlin: that hour is skipped.
    let dir = parquet_copy(
        &text,
        &text.with_file_name("pq_gap"),
        Stored::UtcDigits,
        &format!("timezone = \"{BERLIN}\"\n"),
    );
    let (code, err) = validate(&dir);
    assert_eq!(code, Some(2), "{err}");
    // Rows reversed: T2's rows are Parquet rows 1-3.
    assert!(
        err.contains("attempts.parquet:1 column 'submitted_at'")
            && err.contains("'2026-03-29T02:30:00' does not exist in time zone Europe/Berlin"),
        "{err}"
    );
}

// snapshot (against the CSV route): `qbank simulate --parquet` writes attempts.parquet straight from
// the random stream, in several row groups; it reads as the same attempts, responses (item, chosen
// options, right, seconds) and times as the CSV the same seed writes.
#[test]
fn simulated_parquet_log_reads_as_the_simulated_csv() {
    use qbank::simulate::{simulate, AttemptsFormat, SimConfig, PARQUET_ROWS};
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("simulated_parquet");
    let _ = fs::remove_dir_all(&root);
    let cfg = SimConfig {
        seed: 31,
        candidates: 6000,
        ..SimConfig::default()
    };
    let csv = root.join("csv");
    let pq = root.join("parquet");
    let written = simulate(&cfg, &csv).unwrap();
    simulate(
        &SimConfig {
            attempts_format: AttemptsFormat::Parquet,
            ..cfg.clone()
        },
        &pq,
    )
    .unwrap();
    assert!(
        written.responses > 2 * PARQUET_ROWS,
        "the log must span several row groups ({} rows)",
        written.responses
    );
    assert!(!pq.join("attempts.csv").exists(), "no CSV on the way");
    let (a, _) = qbank::pipeline::stages::load(&csv).unwrap();
    let (b, _) = qbank::pipeline::stages::load(&pq).unwrap();
    let (ma, mb) = (&a.matrix, &b.matrix);
    assert_eq!(ma.n_attempts(), mb.n_attempts(), "attempts");
    for k in 0..ma.n_attempts() {
        assert_eq!(ma.attempt_id(k), mb.attempt_id(k), "attempt {k}: id");
        assert_eq!(ma.submitted_at(k), mb.submitted_at(k), "attempt {k}: time");
        let ra: Vec<_> = ma
            .responses(k)
            .map(|r| (r.item, r.chosen, r.right, r.seconds))
            .collect();
        let rb: Vec<_> = mb
            .responses(k)
            .map(|r| (r.item, r.chosen, r.right, r.seconds))
            .collect();
        assert_eq!(ra, rb, "attempt {}: responses", ma.attempt_id(k));
    }
}
