//! Degenerate data sets, each with its documented behaviour (README, "When data are odd"):
//! `qbank run` finishes with warnings in its outputs, or stops with a clear error and writes
//! nothing, but never panics and never writes NaN into a score table.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use qbank::simulate::{simulate, SimConfig};

/// A small simulated data set (300 candidates, 2 forms + diagnostic), made once.
fn template() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("degenerate/template");
        let _ = fs::remove_dir_all(&dir);
        let cfg = SimConfig {
            seed: 99,
            candidates: 300,
            forms: 2,
            ..SimConfig::default()
        };
        simulate(&cfg, &dir).unwrap();
        dir
    })
}

type Rows = (csv::StringRecord, Vec<csv::StringRecord>);

fn read(path: &Path) -> Rows {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    (h, r.records().map(|x| x.unwrap()).collect())
}

fn write(path: &Path, (h, rows): &Rows) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(h).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

fn col(h: &csv::StringRecord, name: &str) -> usize {
    h.iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {h:?}"))
}

/// A copy of the template with `edit` applied to its attempt log (header, rows).
fn case(name: &str, edit: impl FnOnce(&csv::StringRecord, &mut Vec<csv::StringRecord>)) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("degenerate")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    for f in [
        "qbank.toml",
        "items.csv",
        "forms.csv",
        "candidates.csv",
        "attempts.csv",
    ] {
        fs::copy(template().join(f), dir.join(f)).unwrap();
    }
    let (h, mut rows) = read(&dir.join("attempts.csv"));
    edit(&h, &mut rows);
    write(&dir.join("attempts.csv"), &(h, rows));
    dir
}

fn run(dir: &Path) -> (Output, PathBuf) {
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_qbank"))
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(dir)
        .output()
        .unwrap();
    (o, out)
}

/// The run succeeded, every conversion table is complete and NaN-free, the report exists.
fn assert_ran(dir: &Path) -> PathBuf {
    let (o, out) = run(dir);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{dir:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for e in fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("conversion_") {
            let (h, rows) = read(&p);
            let k = col(&h, "scaled");
            assert!(!rows.is_empty());
            for r in &rows {
                let v: f64 = r[k]
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: scaled '{}'", &r[k]));
                assert!((100.0..=1000.0).contains(&v), "{name}: {v}");
            }
        }
        if name.ends_with(".csv") {
            // Missing numbers are empty fields, never NaN or infinities.
            let (_, rows) = read(&p);
            for r in &rows {
                for v in r {
                    assert!(
                        !matches!(
                            v.to_ascii_lowercase().as_str(),
                            "nan" | "inf" | "-inf" | "infinity"
                        ),
                        "{name}: {r:?}"
                    );
                }
            }
        }
    }
    assert!(out.join("index.html").exists());
    out
}

fn first_attempt_of(h: &csv::StringRecord, rows: &[csv::StringRecord], form: &str) -> String {
    let (fc, ac) = (col(h, "form_id"), col(h, "attempt_id"));
    rows.iter().find(|r| &r[fc] == form).unwrap()[ac].to_string()
}

#[test]
fn a_form_taken_by_one_candidate() {
    let dir = case("one_candidate", |h, rows| {
        let keep = first_attempt_of(h, rows, "F2");
        let (fc, ac) = (col(h, "form_id"), col(h, "attempt_id"));
        rows.retain(|r| &r[fc] != "F2" || r[ac] == *keep);
    });
    let out = assert_ran(&dir);
    // The form is still equated (its items are on the bank), but not calibrated on its own.
    assert!(out.join("conversion_F2.csv").exists());
    let eq = fs::read_to_string(out.join("equating.json")).unwrap();
    assert!(eq.contains("\"form_id\": \"F2\""));
}

/// Every response to one pretest item omitted: nobody answered it.
#[test]
fn an_item_nobody_answered() {
    let forms = read(&template().join("forms.csv"));
    let pre = forms
        .1
        .iter()
        .find(|r| &r[0] == "F1" && &r[3] == "false")
        .unwrap()[2]
        .to_string();
    let item = pre.clone();
    let dir = case("nobody_answered", move |h, rows| {
        let (ic, rc) = (col(h, "item_id"), col(h, "response"));
        for r in rows.iter_mut().filter(|r| r[ic] == *item) {
            let mut v: Vec<String> = r.iter().map(String::from).collect();
            v[rc] = String::new();
            *r = csv::StringRecord::from(v);
        }
    });
    let out = assert_ran(&dir);
    let validation = fs::read_to_string(out.join("validation.csv")).unwrap();
    assert!(validation.contains(&pre), "a warning names {pre}");
    let flags = fs::read_to_string(out.join("flags.csv")).unwrap();
    assert!(flags.contains(&pre), "{pre} is flagged for review");
}

/// Every candidate gives the same answer to every item: no variance anywhere.
#[test]
fn every_candidate_identical() {
    let dir = case("identical", |h, rows| {
        let rc = col(h, "response");
        for r in rows.iter_mut() {
            let mut v: Vec<String> = r.iter().map(String::from).collect();
            v[rc] = "A".into();
            *r = csv::StringRecord::from(v);
        }
    });
    let out = assert_ran(&dir);
    let cal = fs::read_to_string(out.join("calibration.json")).unwrap();
    assert!(cal.contains("warnings"), "{cal}");
}

/// A pretest item seen by only 3 candidates is estimated under its priors and flagged.
#[test]
fn a_pretest_item_seen_by_three_candidates() {
    let forms = read(&template().join("forms.csv"));
    let pre = forms
        .1
        .iter()
        .filter(|r| &r[0] == "F1" && &r[3] == "false")
        .nth(1)
        .unwrap()[2]
        .to_string();
    let item = pre.clone();
    let dir = case("seen_by_three", move |h, rows| {
        let ic = col(h, "item_id");
        let mut seen = 0;
        rows.retain(|r| {
            if r[ic] != *item {
                return true;
            }
            seen += 1;
            seen <= 3
        });
    });
    let out = assert_ran(&dir);
    let params = fs::read_to_string(out.join("item_params.csv")).unwrap();
    let line = params
        .lines()
        .find(|l| l.starts_with(&pre))
        .expect("the item is calibrated");
    assert!(
        line.contains("only 3 responses") && line.contains("not identified"),
        "{line}"
    );
}

/// Everybody answers every scored item right: a 100 % pass rate.
#[test]
fn a_perfect_pass_rate() {
    let items = read(&template().join("items.csv"));
    let key: std::collections::HashMap<String, String> = items
        .1
        .iter()
        .map(|r| (r[0].to_string(), r[3].to_string()))
        .collect();
    let dir = case("all_pass", move |h, rows| {
        let (ic, rc) = (col(h, "item_id"), col(h, "response"));
        for r in rows.iter_mut() {
            let mut v: Vec<String> = r.iter().map(String::from).collect();
            v[rc] = key[&v[ic]].clone();
            *r = csv::StringRecord::from(v);
        }
    });
    let out = assert_ran(&dir);
    let eq: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("equating.json")).unwrap()).unwrap();
    for f in eq["forms"].as_array().unwrap() {
        assert_eq!(f["pass_rate"].as_f64(), Some(1.0), "{f}");
    }
}

/// A bank slope of 0 is an error naming the file, line and column; nothing is written.
#[test]
fn a_bank_item_with_a_zero_slope() {
    let dir = case("zero_slope", |_, _| {});
    let (h, mut rows) = read(&dir.join("items.csv"));
    let ac = col(&h, "a");
    let k = rows.iter().position(|r| !r[ac].is_empty()).unwrap();
    let mut v: Vec<String> = rows[k].iter().map(String::from).collect();
    v[ac] = "0".into();
    rows[k] = csv::StringRecord::from(v);
    write(&dir.join("items.csv"), &(h, rows));
    let (o, out) = run(&dir);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("items.csv:{}", k + 2)) && stderr.contains("'a'"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

/// One bad line in the middle of a 200,000-row log: the error names it and nothing is written.
#[test]
fn one_bad_line_in_a_large_log() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("degenerate/large");
    let _ = fs::remove_dir_all(&dir);
    simulate(
        &SimConfig {
            seed: 7,
            candidates: 3000,
            forms: 2,
            ..SimConfig::default()
        },
        &dir,
    )
    .unwrap();
    let path = dir.join("attempts.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 200_000, "{} lines", lines.len());
    let bad = lines.len() / 2;
    let broken = lines[bad].replacen(",", ",,", 1);
    lines[bad] = &broken;
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (o, out) = run(&dir);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("attempts.csv:{}", bad + 1)),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

/// Ids with commas, quotes, spaces, Unicode and markup survive into the CSVs unchanged and into the
/// HTML escaped; an output folder inside the input folder is fine (qbank reads only named files).
#[test]
fn odd_ids_survive_the_round_trip_and_cannot_inject_markup() {
    let forms = read(&template().join("forms.csv"));
    let old = forms.1.iter().find(|r| &r[3] == "false").unwrap()[2].to_string();
    let odd = "Q \"odd\", <script>alert('x')</script> é✓";
    let dir = case("odd_ids", |h, rows| {
        let ic = col(h, "item_id");
        for r in rows.iter_mut().filter(|r| r[ic] == *old) {
            let mut v: Vec<String> = r.iter().map(String::from).collect();
            v[ic] = odd.into();
            *r = csv::StringRecord::from(v);
        }
    });
    for f in ["items.csv", "forms.csv"] {
        let (h, mut rows) = read(&dir.join(f));
        let ic = col(&h, "item_id");
        for r in rows.iter_mut().filter(|r| r[ic] == *old) {
            let mut v: Vec<String> = r.iter().map(String::from).collect();
            v[ic] = odd.into();
            *r = csv::StringRecord::from(v);
        }
        write(&dir.join(f), &(h, rows));
    }
    let out = assert_ran(&dir);
    let (h, rows) = read(&out.join("items.csv"));
    let ic = col(&h, "item_id");
    assert!(
        rows.iter().any(|r| &r[ic] == odd),
        "the id is read back unchanged"
    );
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        !html.contains("<script"),
        "markup from an id reached the HTML"
    );
    assert!(html.contains("Q &quot;odd&quot;, &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; é✓"));
}
