//! Snapshot tests of odd input (issue 14, part 5): each case is accepted, or rejected with one
//! message that says what to do, through `qbank validate` as a user runs it.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{fixture, ATTEMPTS, FORMS, ITEMS, TOML};

fn qbank(args: &[&str], dir: &Path) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_qbank"))
        .args(args)
        .arg(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code(), text)
}

fn valid(dir: &Path) {
    let (code, text) = qbank(&["validate"], dir);
    assert_eq!(code, Some(0), "{}: {text}", dir.display());
}

fn error(dir: &Path, fragments: &[&str]) {
    let (code, text) = qbank(&["validate"], dir);
    assert_eq!(code, Some(2), "{}: {text}", dir.display());
    for f in fragments {
        assert!(text.contains(f), "no '{f}' in:\n{text}");
    }
}

#[test]
fn both_attempt_logs_present_is_an_error_unless_files_chooses() {
    let dir = fixture("odd_both_logs", &[]);
    let o = Command::new(env!("CARGO_BIN_EXE_qbank"))
        .arg("convert")
        .arg(dir.join("attempts.csv"))
        .arg(dir.join("attempts.parquet"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    error(
        &dir,
        &["both", "attempts.csv", "attempts.parquet", "[files]"],
    );
    let toml = TOML.replace("[scale]", "[files]\nattempts = \"attempts.csv\"\n\n[scale]");
    fs::write(dir.join("qbank.toml"), toml).unwrap();
    valid(&dir);
}

#[test]
fn a_header_only_log_is_a_validation_error() {
    let header = ATTEMPTS.lines().next().unwrap();
    let dir = fixture(
        "odd_header_only",
        &[("attempts.csv", &format!("{header}\n"))],
    );
    error(&dir, &["attempts.csv:2", "no attempts"]);
}

#[test]
fn semicolon_separated_files_are_read() {
    let semi = |s: &str| s.replace(',', ";");
    let (i, f, a) = (semi(ITEMS), semi(FORMS), semi(ATTEMPTS));
    let dir = fixture(
        "odd_semicolons",
        &[("items.csv", &i), ("forms.csv", &f), ("attempts.csv", &a)],
    );
    valid(&dir);
    // European exports write decimal commas too: a hint, not a puzzle.
    let a = a.replace("12.5", "12,5");
    let dir = fixture("odd_decimal_comma", &[("attempts.csv", &a)]);
    error(
        &dir,
        &["attempts.csv:3 column 'seconds'", "decimal comma", "(12.5)"],
    );
}

#[test]
fn trailing_blank_lines_are_accepted_and_non_utf8_gets_a_hint() {
    let a = format!("{ATTEMPTS}\n\n\n");
    let i = format!("{ITEMS}\n\n");
    let dir = fixture(
        "odd_blank_lines",
        &[("attempts.csv", &a), ("items.csv", &i)],
    );
    valid(&dir);
    let dir = fixture("odd_latin1", &[]);
    let mut bytes = ATTEMPTS.as_bytes().to_vec();
    let at = bytes.iter().position(|&b| b == b'C').unwrap();
    bytes.insert(at + 1, 0xe9); // 'é' in Latin-1
    fs::write(dir.join("attempts.csv"), bytes).unwrap();
    error(
        &dir,
        &["attempts.csv:2", "not valid UTF-8", "save it as UTF-8"],
    );
}

#[test]
fn column_maps_per_file_and_typos_rejected() {
    let a = ATTEMPTS.replacen("item_id", "ItemId", 1);
    // A per-file map renames only the log's column.
    let toml = format!("{TOML}\n[columns.attempts]\nitem_id = \"ItemId\"\n");
    let dir = fixture(
        "odd_columns_file",
        &[("attempts.csv", &a), ("qbank.toml", &toml)],
    );
    valid(&dir);
    // A shared map falls back to qbank's name in files that use it (items.csv, forms.csv).
    let toml = format!("{TOML}\n[columns]\nitem_id = \"ItemId\"\n");
    let dir = fixture(
        "odd_columns_shared",
        &[("attempts.csv", &a), ("qbank.toml", &toml)],
    );
    valid(&dir);
    // A typo is an error that names it.
    let toml = format!("{TOML}\n[columns]\nitme_id = \"ItemId\"\n");
    let dir = fixture("odd_columns_typo", &[("qbank.toml", &toml)]);
    error(&dir, &["qbank.toml", "unknown key 'itme_id' in [columns]"]);
    let toml = format!("{TOML}\n[columns.attempts]\ndomain = \"Area\"\n");
    let dir = fixture("odd_columns_wrong_file", &[("qbank.toml", &toml)]);
    error(&dir, &["unknown key 'domain' in [columns.attempts]"]);
}

#[test]
fn a_missing_scale_says_what_is_required() {
    let start = TOML.find("[scale]").unwrap();
    let dir = fixture("odd_no_scale", &[("qbank.toml", &TOML[..start])]);
    error(
        &dir,
        &["missing field `scale`", "theta_cut = 0.0", "slope = 100"],
    );
    let toml = TOML.replace("theta_cut = 0.0\n", "");
    let dir = fixture("odd_unanchored", &[("qbank.toml", &toml)]);
    error(&dir, &["the cut must be anchored", "raw_cut = 35"]);
}
