//! Snapshot tests of the output folder (issue 14, part 4): a run writes into a staging folder beside
//! `--out` and swaps it in when complete, so an output folder never mixes two runs; a second run on
//! the same folder meanwhile is refused; a bad argument stops the run before anything is written.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use qbank::simulate::{simulate, SimConfig};

/// A small simulated data set made for `name` (seed chooses the data).
fn dataset(name: &str, seed: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("output_folder")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    let cfg = SimConfig {
        seed,
        candidates: 250,
        forms: 2,
        ..SimConfig::default()
    };
    simulate(&cfg, &dir).unwrap();
    dir
}

fn run(dir: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qbank"))
        .arg("run")
        .arg(dir)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every entry of the folder holding `out`, so leftovers (staging, lock) show.
fn siblings(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_second_run_replaces_the_whole_output_and_a_failed_one_changes_nothing() {
    let a = dataset("a", 5);
    let b = dataset("b", 6);
    let out = a.parent().unwrap().join("outs/shared");
    let _ = fs::remove_dir_all(out.parent().unwrap());
    let o = run(&a, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    fs::write(out.join("stale.csv"), "left by an older run\n").unwrap();
    let overview_a = fs::read_to_string(out.join("overview.json")).unwrap();

    // A run that fails (bad input) leaves the previous output exactly as it was.
    fs::write(b.join("forms.csv"), "form_id,position,item_id,scored\n").unwrap();
    let o = run(&b, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(out.join("overview.json")).unwrap(),
        overview_a
    );
    assert!(out.join("stale.csv").exists());
    assert_eq!(siblings(&out), ["shared"], "leftovers beside --out");

    // A run on other data replaces everything: no file of the older run survives.
    let b = dataset("b", 6);
    let o = run(&b, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !out.join("stale.csv").exists(),
        "a file of the older run survived"
    );
    assert_ne!(
        fs::read_to_string(out.join("overview.json")).unwrap(),
        overview_a
    );
    assert_eq!(siblings(&out), ["shared"], "leftovers beside --out");
}

#[test]
fn a_second_run_on_a_locked_folder_is_refused() {
    let a = dataset("locked", 7);
    let out = a.parent().unwrap().join("outs-locked/out");
    let _ = fs::remove_dir_all(out.parent().unwrap());
    fs::create_dir_all(out.parent().unwrap()).unwrap();
    let lock = out.parent().unwrap().join(".out.qbank-lock");
    // A live holder (this test process): refused, exit 2, nothing written.
    fs::write(&lock, std::process::id().to_string()).unwrap();
    let o = run(&a, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("another qbank run is writing"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    // A lock left by a run that died (no such process): taken over.
    fs::write(&lock, "4294967295").unwrap();
    let o = run(&a, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(siblings(&out), ["out"], "lock or staging left beside --out");
}

#[test]
fn bad_arguments_and_foreign_folders_stop_the_run_before_writing() {
    let a = dataset("args", 8);
    let out = a.parent().unwrap().join("outs-args/out");
    let _ = fs::remove_dir_all(out.parent().unwrap());
    let o = run(&a, &out, &["--candidate", "C999999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("C999999"), "{}", stderr(&o));
    assert!(
        !out.exists(),
        "something was written for an unknown candidate"
    );
    // A folder qbank did not write (here the input folder itself) is never replaced.
    let before = fs::read_dir(&a).unwrap().count();
    let o = run(&a, &a, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not a qbank output folder"),
        "{}",
        stderr(&o)
    );
    assert_eq!(fs::read_dir(&a).unwrap().count(), before);
    assert!(a.join("qbank.toml").exists());
}
