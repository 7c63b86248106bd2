//! Snapshot tests of validation: each broken fixture gives a precise message naming the file,
//! line, column or item. The fixture is a tiny valid data set that each test breaks in one way.

use std::fs;
use std::path::Path;
use std::process::Command;

use qbank::exam::{self, Diagnostics, Severity};

use crate::common::{assert_close, fixture, ATTEMPTS, FORMS, ITEMS, TOML};

fn load(dir: &Path) -> (Option<exam::Dataset>, Diagnostics) {
    let mut d = Diagnostics::default();
    let ds = exam::load(dir, &mut d);
    (ds, d)
}

/// Asserts that one error mentions every fragment; returns the rendered diagnostics.
fn expect_error(name: &str, edits: &[(&str, &str)], fragments: &[&str]) -> String {
    let dir = fixture(name, edits);
    let (ds, d) = load(&dir);
    let text = d.render();
    assert!(
        ds.is_none(),
        "{name}: expected the data set to be rejected\n{text}"
    );
    let hit = d.iter().filter(|x| x.severity == Severity::Error).any(|x| {
        let line = x.to_string();
        fragments.iter().all(|f| line.contains(f))
    });
    assert!(
        hit,
        "{name}: no error contains all of {fragments:?}; got:\n{text}"
    );
    text
}

fn replace(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "fixture has no '{from}'");
    base.replacen(from, to, 1)
}

#[test]
fn the_fixture_is_valid() {
    let (ds, d) = load(&fixture("valid", &[]));
    let ds = ds.unwrap_or_else(|| panic!("{}", d.render()));
    assert_eq!(d.error_count(), 0);
    let m = &ds.matrix;
    assert_eq!(m.n_attempts(), 2);
    assert_eq!(m.n_responses(), 6);
    // T1: I1 right (B), I2 right (C|A = A|C, order-insensitive), I3 omitted (pretest, not scored).
    let t1: Vec<_> = m.responses(0).collect();
    assert!(t1[0].right && t1[1].right && t1[2].omitted() && !t1[2].right);
    assert_eq!(m.raw_score(0), 2);
    // T2: I1 wrong, I4 right, I3 right and scored on F2.
    assert_eq!(m.raw_score(1), 2);
    assert_eq!(m.attempt_id(1), "T2");
    assert_eq!(m.candidate_id(m.candidate(1)), "C2");
}

#[test]
fn missing_column() {
    // Drop the `response` field (the fifth) from the header and every row.
    let dropped: String = ATTEMPTS
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(4);
            f.join(",") + "\n"
        })
        .collect();
    expect_error(
        "missing_column",
        &[("attempts.csv", &dropped)],
        &["attempts.csv:1", "missing column 'response'"],
    );
}

#[test]
fn extra_column_in_items() {
    // One more column with a field on every row, so only the header check fires.
    let items: String = ITEMS
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{}\n", if i == 0 { "stem" } else { "x" }))
        .collect();
    expect_error(
        "extra_column",
        &[("items.csv", &items)],
        &["items.csv:1", "column 'stem'", "unexpected column"],
    );
}

#[test]
fn columns_can_be_mapped_and_ignored() {
    let toml = format!("{TOML}\n[columns]\nitem_id = \"QuestionID\"\nignore = [\"ip\"]\n");
    let attempts = ATTEMPTS
        .replacen("item_id", "QuestionID", 1)
        .replacen("submitted_at\n", "submitted_at,ip\n", 1)
        .replace("Z\n", "Z,10.0.0.1\n");
    let items = ITEMS.replacen("item_id", "QuestionID", 1);
    let forms = FORMS.replacen("item_id", "QuestionID", 1);
    let dir = fixture(
        "mapped",
        &[
            ("qbank.toml", &toml),
            ("attempts.csv", &attempts),
            ("items.csv", &items),
            ("forms.csv", &forms),
        ],
    );
    let (ds, d) = load(&dir);
    assert!(ds.is_some(), "{}", d.render());
}

#[test]
fn unknown_item() {
    let a = replace(ATTEMPTS, "T1,C1,F1,I2,", "T1,C1,F1,X9,");
    expect_error(
        "unknown_item",
        &[("attempts.csv", &a)],
        &["attempts.csv:3", "column 'item_id'", "unknown item 'X9'"],
    );
}

#[test]
fn unknown_form() {
    let a = ATTEMPTS.replace("T2,C2,F2", "T2,C2,F9");
    expect_error(
        "unknown_form",
        &[("attempts.csv", &a)],
        &[
            "attempts.csv:5",
            "column 'form_id'",
            "candidate 'C2'",
            "unknown form 'F9'",
        ],
    );
}

#[test]
fn item_not_on_the_form() {
    let a = replace(ATTEMPTS, "T1,C1,F1,I2,C|A", "T1,C1,F1,I4,D");
    expect_error(
        "not_on_form",
        &[("attempts.csv", &a)],
        &["attempts.csv:3", "item 'I4' is not on form 'F1'"],
    );
}

#[test]
fn duplicate_attempt_item_rows() {
    let a = replace(ATTEMPTS, "T1,C1,F1,I3,,5", "T1,C1,F1,I1,B,5");
    expect_error(
        "duplicate",
        &[("attempts.csv", &a)],
        &[
            "attempts.csv:4",
            "attempt 'T1' has item 'I1' more than once",
        ],
    );
}

#[test]
fn duplicate_rows_in_an_ungrouped_log() {
    // T1's rows are split by T2's; the duplicate is found after grouping.
    let a = "attempt_id,candidate_id,form_id,item_id,response,seconds,submitted_at
T1,C1,F1,I1,B,10,
T2,C2,F2,I1,A,8,
T1,C1,F1,I2,A|C,12.5,
T2,C2,F2,I4,D,9,
T1,C1,F1,I1,C,5,
";
    expect_error(
        "duplicate_ungrouped",
        &[("attempts.csv", a)],
        &["attempt 'T1' has item 'I1' more than once"],
    );
}

#[test]
fn an_ungrouped_log_gives_the_same_matrix() {
    let a = "attempt_id,candidate_id,form_id,item_id,response,seconds,submitted_at
T1,C1,F1,I1,B,10,
T2,C2,F2,I1,A,8,
T1,C1,F1,I2,A|C,12.5,
T2,C2,F2,I4,D,9,
T1,C1,F1,I3,,5,
T2,C2,F2,I3,A,7,
";
    let (ds, d) = load(&fixture("ungrouped", &[("attempts.csv", a)]));
    let ds = ds.unwrap_or_else(|| panic!("{}", d.render()));
    let items: Vec<usize> = ds.matrix.responses(0).map(|r| r.item).collect();
    assert_eq!(items, vec![0, 1, 2]);
    assert_eq!(ds.matrix.raw_score(0), 2);
    assert_eq!(ds.matrix.raw_score(1), 2);
}

#[test]
fn response_not_an_option() {
    let a = replace(ATTEMPTS, "T2,C2,F2,I4,D", "T2,C2,F2,I4,E");
    expect_error(
        "bad_response",
        &[("attempts.csv", &a)],
        &[
            "attempts.csv:6",
            "column 'response'",
            "item 'I4'",
            "option 'E'",
            "4 options",
        ],
    );
}

#[test]
fn too_many_options_chosen() {
    let a = replace(ATTEMPTS, "T2,C2,F2,I4,D", "T2,C2,F2,I4,A|D");
    expect_error(
        "too_many",
        &[("attempts.csv", &a)],
        &["attempts.csv:6", "single-response"],
    );
}

#[test]
fn malformed_keys() {
    for (name, from, to, msg) in [
        (
            "key_letter",
            "I1,D1,single,B,4",
            "I1,D1,single,Z,4",
            "option 'Z'",
        ),
        (
            "key_twice",
            "I2,D2,multiple,A|C,5",
            "I2,D2,multiple,A|A,5",
            "appears twice",
        ),
        (
            "key_single_set",
            "I1,D1,single,B,4",
            "I1,D1,single,A|B,4",
            "expected one option letter",
        ),
        (
            "key_empty",
            "I1,D1,single,B,4",
            "I1,D1,single,,4",
            "key is empty",
        ),
        (
            "key_word",
            "I1,D1,single,B,4",
            "I1,D1,single,BC,4",
            "not a set of option letters",
        ),
    ] {
        let items = replace(ITEMS, from, to);
        expect_error(
            name,
            &[("items.csv", &items)],
            &["items.csv:", "column 'key'", msg],
        );
    }
}

#[test]
fn bad_seconds() {
    let a = replace(ATTEMPTS, "I2,C|A,12.5", "I2,C|A,-3");
    expect_error(
        "neg_seconds",
        &[("attempts.csv", &a)],
        &["attempts.csv:3", "column 'seconds'", "negative"],
    );
    let a = replace(ATTEMPTS, "I2,C|A,12.5", "I2,C|A,twelve");
    expect_error(
        "text_seconds",
        &[("attempts.csv", &a)],
        &["attempts.csv:3", "seconds 'twelve' is not a number"],
    );
}

#[test]
fn form_without_scored_items() {
    let forms = FORMS
        .replace("F2,1,I1,true", "F2,1,I1,false")
        .replace("F2,2,I4,true", "F2,2,I4,false")
        .replace("F2,3,I3,true", "F2,3,I3,false");
    expect_error(
        "no_scored",
        &[("forms.csv", &forms)],
        &["forms.csv", "form 'F2' has no scored items"],
    );
}

#[test]
fn weights_must_sum_to_100() {
    let toml = TOML.replace("weight = 40", "weight = 30");
    expect_error(
        "weights",
        &[("qbank.toml", &toml)],
        &["qbank.toml", "sum to 90; expected 100"],
    );
}

#[test]
fn toml_syntax_error_names_the_line() {
    let toml = TOML.replace("weight = 40", "weight = = 40");
    expect_error("toml_syntax", &[("qbank.toml", &toml)], &["qbank.toml:13"]);
}

#[test]
fn bank_parameters_out_of_range() {
    let items = replace(
        ITEMS,
        "I1,D1,single,B,4,1.0,0.0,0.2",
        "I1,D1,single,B,4,0,0.0,0.2",
    );
    expect_error(
        "a_zero",
        &[("items.csv", &items)],
        &["items.csv:2", "column 'a'", "item 'I1'", "expected a > 0"],
    );
    let items = replace(
        ITEMS,
        "I1,D1,single,B,4,1.0,0.0,0.2",
        "I1,D1,single,B,4,1.0,0.0,1",
    );
    expect_error(
        "c_one",
        &[("items.csv", &items)],
        &["items.csv:2", "column 'c'", "0 <= c < 1"],
    );
    let items = replace(
        ITEMS,
        "I1,D1,single,B,4,1.0,0.0,0.2",
        "I1,D1,single,B,4,1.0,,0.2",
    );
    expect_error(
        "b_missing",
        &[("items.csv", &items)],
        &["items.csv:2", "column 'b'", "expected a number"],
    );
}

#[test]
fn items_unknown_domain_duplicate_id_and_bad_options() {
    let items = replace(ITEMS, "I3,D1,", "I3,D7,");
    expect_error(
        "domain",
        &[("items.csv", &items)],
        &["items.csv:4", "unknown domain 'D7'"],
    );
    let items = replace(ITEMS, "I4,D2,", "I1,D2,");
    expect_error(
        "dup_item",
        &[("items.csv", &items)],
        &[
            "items.csv:5",
            "item 'I1' is defined twice (first on line 2)",
        ],
    );
    let items = replace(ITEMS, "I3,D1,single,A,4", "I3,D1,single,A,99");
    expect_error(
        "options",
        &[("items.csv", &items)],
        &["items.csv:4", "column 'options'"],
    );
    let items = replace(ITEMS, "I3,D1,single", "I3,D1,essay");
    expect_error(
        "type",
        &[("items.csv", &items)],
        &["items.csv:4", "type 'essay'"],
    );
}

#[test]
fn forms_with_unknown_items_and_missing_base_form() {
    let forms = replace(FORMS, "F2,2,I4,true", "F2,2,I8,true");
    expect_error(
        "form_item",
        &[("forms.csv", &forms)],
        &["forms.csv:6", "item 'I8'", "not in the item bank"],
    );
    let toml = TOML.replace("base_form = \"F1\"", "base_form = \"F7\"");
    expect_error("base_form", &[("qbank.toml", &toml)], &["base form 'F7'"]);
}

#[test]
fn an_attempt_switching_candidate_or_form() {
    let a = replace(ATTEMPTS, "T1,C1,F1,I2", "T1,C5,F1,I2");
    expect_error(
        "switch_candidate",
        &[("attempts.csv", &a)],
        &["attempts.csv:3", "belongs to candidate 'C1'"],
    );
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let a = ATTEMPTS
        .replace("I2,C|A,12.5", "I2,Q,12.5")
        .replace("T2,C2,F2,I4,D,9", "T2,C2,F2,I4,D,-9")
        .replace("T2,C2,F2,I3,A", "T2,C2,F2,X1,A");
    let dir = fixture("many", &[("attempts.csv", &a)]);
    let (_, d) = load(&dir);
    assert_eq!(d.error_count(), 3, "{}", d.render());
}

#[test]
fn warnings_for_suspicious_but_valid_data() {
    let a = ATTEMPTS
        .replace("T2,C2,F2,I1,A", "T2,C2,F2,I1,")
        .replace("T2,C2,F2,I4,D", "T2,C2,F2,I4,")
        .replace("T2,C2,F2,I3,A", "T2,C2,F2,I3,");
    let forms = FORMS
        .replace("F2,2,I4,true", "F2,2,I3,true")
        .replace("F2,3,I3,true", "F2,3,I4,true");
    let (ds, d) = load(&fixture(
        "warn",
        &[("attempts.csv", &a), ("forms.csv", &forms)],
    ));
    assert!(ds.is_some(), "{}", d.render());
    let text = d.render();
    assert!(text.contains("attempt 'T2' omitted every item"), "{text}");
    assert!(text.contains("nobody answered item 'I4' right"), "{text}");
    // F2 covers both domains; a form missing one is warned about.
    let forms = FORMS.replace("F2,2,I4,true", "F2,2,I4,false");
    let (_, d) = load(&fixture("warn_domain", &[("forms.csv", &forms)]));
    assert!(
        d.render()
            .contains("form 'F2' has no scored item in domain 'D2'"),
        "{}",
        d.render()
    );
}

#[test]
fn garbage_input_gives_errors_not_panics() {
    let junk = "\u{0}\u{1}ÿþ,,,\n\"unterminated,\n,,,,,,,,,,,,\n";
    for file in ["items.csv", "forms.csv", "attempts.csv", "qbank.toml"] {
        let dir = fixture(&format!("junk_{file}"), &[(file, junk)]);
        let (ds, d) = load(&dir);
        assert!(ds.is_none() && d.has_errors(), "{file}: {}", d.render());
        assert!(d.render().contains(file), "{file}: {}", d.render());
    }
    let dir = fixture("no_files", &[]);
    fs::remove_file(dir.join("attempts.csv")).unwrap();
    let (_, d) = load(&dir);
    assert!(d.render().contains("attempts.csv"), "{}", d.render());
}

#[test]
fn parquet_attempt_log_reads_like_csv() {
    use polars::prelude::*;
    let dir = fixture("parquet", &[]);
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(dir.join("attempts.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let f = fs::File::create(dir.join("attempts.parquet")).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
    fs::remove_file(dir.join("attempts.csv")).unwrap();
    let (ds, d) = load(&dir);
    let ds = ds.unwrap_or_else(|| panic!("{}", d.render()));
    assert_eq!(ds.matrix.n_responses(), 6);
    assert_eq!(ds.matrix.raw_score(0), 2);
    // Seconds are f32; near 10 the f32 difference is exact, so the check in f64 admits the same
    // values as the f32 one did.
    assert_close(
        f64::from(ds.matrix.responses(0).next().unwrap().seconds),
        10.0,
        1e-6,
        "seconds of T1's first response",
    );
}

#[test]
fn cli_exits_2_and_writes_nothing_on_bad_input() {
    let a = replace(ATTEMPTS, "T1,C1,F1,I2,", "T1,C1,F1,X9,");
    let dir = fixture("cli_bad", &[("attempts.csv", &a)]);
    let out = dir.join("out");
    let bin = env!("CARGO_BIN_EXE_qbank");
    for args in [
        vec!["validate"],
        vec!["run", "--out", out.to_str().unwrap()],
    ] {
        let o = Command::new(bin).args(&args).arg(&dir).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("attempts.csv:3 column 'item_id' item 'X9': unknown item 'X9'"),
            "{err}"
        );
    }
    assert!(!out.exists(), "a failed run must not write outputs");
    let o = Command::new(bin)
        .args(["validate"])
        .arg(fixture("cli_ok", &[]))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

// snapshot: qbank.toml's [calibration] is checked (model, D, priors) and named in the message
#[test]
fn calibration_section_is_checked() {
    let toml = format!("{TOML}\n[calibration]\nmodel = \"4pl\"\nd = 0\nprior_c = [5]\n");
    let text = expect_error(
        "calibration",
        &[("qbank.toml", &toml)],
        &[
            "calibration.model",
            "model '4pl': expected rasch, 2pl or 3pl",
        ],
    );
    for fragment in ["calibration.d", "calibration.prior_c"] {
        assert!(text.contains(fragment), "{fragment} not reported: {text}");
    }
}
