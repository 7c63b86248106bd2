//! The bundled demo data set: reproducible from the command in data/demo/README.md, valid, and
//! runnable end to end.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `qbank simulate ...` arguments written in data/demo/README.md.
fn demo_command() -> Vec<String> {
    let readme = fs::read_to_string(root().join("data/demo/README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.trim_start().starts_with("qbank simulate"))
        .expect("data/demo/README.md states the command");
    line.split_whitespace().skip(1).map(String::from).collect()
}

#[test]
fn the_demo_is_reproduced_byte_for_byte() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo_again");
    let _ = fs::remove_dir_all(&out);
    let mut args = demo_command();
    let pos = args.iter().position(|a| a == "--out").unwrap();
    args[pos + 1] = out.to_str().unwrap().to_string();
    let o = Command::new(env!("CARGO_BIN_EXE_qbank"))
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let demo = root().join("data/demo");
    let made = common::files_under(&out);
    assert!(made.len() >= 7, "{made:?}");
    for f in made {
        let rel = f.strip_prefix(&out).unwrap();
        let committed =
            fs::read(demo.join(rel)).unwrap_or_else(|_| panic!("data/demo lacks {rel:?}"));
        assert!(
            fs::read(&f).unwrap() == committed,
            "{rel:?} differs from the committed demo"
        );
    }
}

#[test]
fn the_simulator_depends_on_the_seed() {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("seeds");
    let bin = env!("CARGO_BIN_EXE_qbank");
    let mut texts = Vec::new();
    for (name, seed) in [("a", "5"), ("b", "5"), ("c", "6")] {
        let out = base.join(name);
        let _ = fs::remove_dir_all(&out);
        let o = Command::new(bin)
            .args(["simulate", "--candidates", "100", "--seed", seed, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        texts.push(fs::read(out.join("attempts.csv")).unwrap());
    }
    assert_eq!(texts[0], texts[1], "same seed, same bytes");
    assert_ne!(texts[0], texts[2], "another seed, other data");
}

#[test]
fn the_demo_runs_end_to_end() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo_run");
    let _ = fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_qbank"))
        .args(["run", "data/demo", "--out"])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let overview: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("overview.json")).unwrap()).unwrap();
    // Counts of the demo as the simulator wrote them (truth/candidates.csv has one row per attempt).
    let truth = fs::read_to_string(root().join("data/demo/truth/candidates.csv")).unwrap();
    assert_eq!(
        overview["attempts"].as_u64().unwrap() as usize,
        truth.lines().count() - 1
    );
    assert_eq!(overview["candidates"], 2000);
    assert_eq!(overview["forms"].as_array().unwrap().len(), 5);
    assert!(out.join("validation.csv").exists());
}
