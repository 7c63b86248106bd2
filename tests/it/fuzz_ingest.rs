//! Fuzzing of the ingest path with generated files: whatever bytes qbank.toml, items.csv,
//! forms.csv, attempts.csv or candidates.csv hold, loading gives a data set or errors that name a
//! file, never a panic. Inputs are the tiny valid fixture with random edits (byte flips, inserted
//! delimiters, quotes and line breaks, duplicated or truncated lines) or wholly random bytes.
//! Cases per property: 64 by default (fast in CI); `PROPTEST_CASES=N` for longer runs. Failing
//! inputs shrink and their seeds are kept in tests/proptest-regressions/fuzz_ingest.txt (proptest's
//! default place for this module: beside tests/it/, the folder holding main.rs), re-run before any
//! new case; tests/fuzz_corpus/ holds the interesting inputs found so far, re-checked on every run.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use qbank::exam::{self, Diagnostics, Severity};

use crate::common::{fixture, ATTEMPTS, FORMS, ITEMS, TOML};

const FILES: [&str; 5] = [
    "qbank.toml",
    "items.csv",
    "forms.csv",
    "attempts.csv",
    "candidates.csv",
];
const CANDIDATES: &str =
    "candidate_id,language,official_passed,official_scaled\nC1,en,true,720\nC2,fr,,\n";

fn original(file: &str) -> &'static str {
    match file {
        "qbank.toml" => TOML,
        "items.csv" => ITEMS,
        "forms.csv" => FORMS,
        "attempts.csv" => ATTEMPTS,
        _ => CANDIDATES,
    }
}

/// Loads `dir`; panics are caught and reported as the property's failure.
fn check(dir: &Path) -> Result<(), TestCaseError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut d = Diagnostics::default();
        let ds = exam::load(dir, &mut d);
        (ds.is_some(), d)
    }));
    let (ok, d) = outcome.map_err(|e| {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        TestCaseError::fail(format!("panic: {msg}"))
    })?;
    let errors: Vec<_> = d.iter().filter(|x| x.severity == Severity::Error).collect();
    prop_assert_eq!(
        ok,
        errors.is_empty(),
        "a data set comes back exactly when there are no errors"
    );
    for e in errors {
        let text = e.to_string();
        prop_assert!(
            FILES.iter().any(|f| text.contains(f)),
            "the error names no file: {}",
            text
        );
    }
    Ok(())
}

fn case_dir(tag: &str) -> PathBuf {
    // One folder per thread: proptest runs cases one after another, tests run in parallel.
    let name = format!("{tag}-{:?}", std::thread::current().id()).replace(['(', ')'], "");
    let dir = fixture(&format!("fuzz/{name}"), &[]);
    fs::write(dir.join("candidates.csv"), CANDIDATES).unwrap();
    dir
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    DuplicateLine(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let nasty = prop_oneof![
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"|".to_vec()),
        Just(b"\0".to_vec()),
        Just("\u{feff}".as_bytes().to_vec()),
        Just("é€😀".as_bytes().to_vec()),
        Just(b"-1e308".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"99999999999999999999".to_vec()),
        Just(b"[[".to_vec()),
        Just(b"=".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), nasty).prop_map(|(i, v)| Edit::Insert(i, v)),
        (any::<usize>(), 1usize..20).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<usize>().prop_map(Edit::DuplicateLine),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, e: &Edit) {
    let n = bytes.len().max(1);
    match e {
        Edit::Flip(i, b) if !bytes.is_empty() => bytes[i % n] = *b,
        Edit::Insert(i, v) => {
            let at = i % (bytes.len() + 1);
            bytes.splice(at..at, v.iter().copied());
        }
        Edit::Delete(i, k) if !bytes.is_empty() => {
            let at = i % n;
            let end = (at + k).min(bytes.len());
            bytes.drain(at..end);
        }
        Edit::DuplicateLine(i) => {
            let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
            let k = i % lines.len();
            let mut out = Vec::new();
            for (j, l) in lines.iter().enumerate() {
                out.extend_from_slice(l);
                out.push(b'\n');
                if j == k {
                    out.extend_from_slice(l);
                    out.push(b'\n');
                }
            }
            *bytes = out;
        }
        Edit::Truncate(i) => bytes.truncate(i % (bytes.len() + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn edited_files_give_a_data_set_or_errors_never_a_panic(
        file in 0usize..5,
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let dir = case_dir("edit");
        let mut bytes = original(FILES[file]).as_bytes().to_vec();
        for e in &edits {
            apply(&mut bytes, e);
        }
        fs::write(dir.join(FILES[file]), &bytes).unwrap();
        check(&dir)?;
    }

    #[test]
    fn random_bytes_give_errors_never_a_panic(
        file in 0usize..5,
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let dir = case_dir("bytes");
        fs::write(dir.join(FILES[file]), &bytes).unwrap();
        check(&dir)?;
    }
}

/// Inputs found interesting while fuzzing (each once made a test fail or is a classic trap),
/// kept as files: `tests/fuzz_corpus/FILE--NAME` replaces FILE in the fixture.
#[test]
fn the_fuzz_corpus_loads_or_fails_cleanly() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus");
    let mut n = 0;
    for entry in fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let file = name.split("--").next().unwrap();
        assert!(
            FILES.contains(&file),
            "corpus file {name} must start with one of {FILES:?}"
        );
        let dir = case_dir("corpus");
        fs::copy(&path, dir.join(file)).unwrap();
        check(&dir).unwrap_or_else(|e| panic!("{name}: {e}"));
        n += 1;
    }
    assert!(n >= 5, "the corpus has {n} inputs");
}
