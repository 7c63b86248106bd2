//! Shared by the integration tests: the tiny valid data set the validation and fuzz tests break,
//! one way per test; the demo run; the reference data in tests/data/; the tolerance check.

use std::fs;
use std::path::{Path, PathBuf};

pub const TOML: &str = r#"
name = "fixture"
base_form = "F1"

[[domains]]
id = "D1"
name = "One"
weight = 60

[[domains]]
id = "D2"
name = "Two"
weight = 40

[scale]
theta_cut = 0.0
slope = 100
"#;

pub const ITEMS: &str = "item_id,domain,type,key,options,a,b,c
I1,D1,single,B,4,1.0,0.0,0.2
I2,D2,multiple,A|C,5,1.2,0.5,0.05
I3,D1,single,A,4,,,
I4,D2,single,D,4,0.8,-0.5,
";

pub const FORMS: &str = "form_id,position,item_id,scored
F1,1,I1,true
F1,2,I2,true
F1,3,I3,false
F2,1,I1,true
F2,2,I4,true
F2,3,I3,true
";

pub const ATTEMPTS: &str = "attempt_id,candidate_id,form_id,item_id,response,seconds,submitted_at
T1,C1,F1,I1,B,10,2026-01-01T10:00:00Z
T1,C1,F1,I2,C|A,12.5,2026-01-01T10:00:00Z
T1,C1,F1,I3,,5,2026-01-01T10:00:00Z
T2,C2,F2,I1,A,8,2026-01-02T10:00:00Z
T2,C2,F2,I4,D,9,2026-01-02T10:00:00Z
T2,C2,F2,I3,A,7,2026-01-02T10:00:00Z
";

/// The tests' one tolerance check: `|actual - expected| < tol`, strictly (as every check was
/// written before this helper), and never for NaN; on failure it names `what` and both values.
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
    let diff = (actual - expected).abs();
    assert!(
        diff < tol,
        "{what}: {actual} vs expected {expected} (off by {diff:e}; tolerance {tol:e})"
    );
}

/// A reference data file in `tests/data/` (sources, published values and licences in
/// tests/data/README.md).
pub fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A fresh copy of the fixture with `edits` (file name, new content) applied.
pub fn fixture(name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("validate")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    for (file, text) in [
        ("qbank.toml", TOML),
        ("items.csv", ITEMS),
        ("forms.csv", FORMS),
        ("attempts.csv", ATTEMPTS),
    ] {
        fs::write(dir.join(file), text).unwrap();
    }
    for (file, text) in edits {
        fs::write(dir.join(file), text).unwrap();
    }
    dir
}

/// Runs `qbank run data/demo` into `out` (removed first) with the report in both formats and a
/// readiness page for `candidate`; `threads` sets RAYON_NUM_THREADS.
pub fn run_demo(out: &Path, candidate: &str, threads: Option<&str>) {
    let _ = fs::remove_dir_all(out);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_qbank"));
    cmd.args([
        "run",
        "data/demo",
        "--quiet",
        "--format",
        "html,md",
        "--candidate",
        candidate,
        "--out",
    ])
    .arg(out)
    .current_dir(env!("CARGO_MANIFEST_DIR"));
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Runs the qbank binary with `args` and asserts that it succeeded (the failure shows stderr).
pub fn qbank_ok(args: &[&str]) -> std::process::Output {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_qbank"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "qbank {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Every file below `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn assert_close_is_strict_and_fails_on_nan() {
    use std::panic::catch_unwind;
    assert_close(1.0, 1.0 + 1e-7, 1e-6, "inside the tolerance");
    assert!(catch_unwind(|| assert_close(1.0, 1.5, 0.5, "at the tolerance")).is_err());
    assert!(catch_unwind(|| assert_close(f64::NAN, 1.0, 1.0, "NaN")).is_err());
    assert!(catch_unwind(|| assert_close(1.0, 1.0, f64::NAN, "NaN tolerance")).is_err());
}

/// eatATA's 30-item pool `items_mini` (tests/data/eatata_pool.csv): columns item, format, time,
/// difficulty; calculateIIF's defaults a = 1, c = 0.
pub fn eatata_pool() -> qbank::assemble::Pool {
    let path = data_path("eatata_pool.csv");
    let f = fs::File::open(&path).expect("tests/data/eatata_pool.csv");
    let columns = qbank::assemble::PoolColumns {
        id: "item".into(),
        a: None,
        b: "difficulty".into(),
        c: None,
    };
    qbank::assemble::Pool::from_csv(f, &columns).expect("eatATA pool")
}
