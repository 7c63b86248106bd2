//! Snapshot tests of `qbank import --wide` (issue 14, part 2): a wide export with an answer key
//! becomes a data set folder that `qbank validate` accepts and `qbank run` analyses; every problem
//! is a file:line:column message with exit 2; an already scored 0/1 file needs no key.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn qbank(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qbank"))
        .args(args)
        .output()
        .unwrap()
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub(crate) fn folder(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("import")
        .join(name);
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A wide export of `n` examinees and 10 items: ability-driven right answers from a fixed
/// pseudo-random stream; `code` fills every 17th cell (a "not answered" code); responses as
/// numbers (1 = A) or letters; item 10 is multiple response with key A|D.
pub(crate) fn export(dir: &Path, n: usize, numbers: bool, code: &str) -> (PathBuf, PathBuf) {
    let keys = ["2", "1", "4", "3", "2", "5", "1", "3", "4", "1|4"];
    let opt = |k: &str| -> String {
        if numbers {
            k.to_string()
        } else {
            k.split('|')
                .map(|d| ((b'A' + d.parse::<u8>().unwrap() - 1) as char).to_string())
                .collect::<Vec<_>>()
                .join("|")
        }
    };
    let mut key = String::from("item_id,key,options\n");
    for (i, k) in keys.iter().enumerate() {
        writeln!(key, "Q{},{},5", i + 1, opt(k)).unwrap();
    }
    let mut s: u64 = 12345;
    let mut rand = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as f64 / (1u64 << 31) as f64
    };
    let mut wide = String::from("Student");
    for i in 1..=keys.len() {
        write!(wide, ",Q{i}").unwrap();
    }
    wide.push('\n');
    for p in 0..n {
        let ability = (p as f64 + 0.5) / n as f64;
        write!(wide, "S{p:04}").unwrap();
        for (i, k) in keys.iter().enumerate() {
            let difficulty = (i as f64 + 1.0) / (keys.len() as f64 + 1.0);
            let cell = if (p * keys.len() + i).is_multiple_of(17) {
                code.to_string()
            } else if rand()
                < 0.2
                    + 0.8 * ((ability - difficulty) * 6.0).exp()
                        / (1.0 + ((ability - difficulty) * 6.0).exp())
            {
                opt(k)
            } else {
                let wrong = ["1", "2", "3", "4", "5"]
                    .iter()
                    .filter(|o| !k.split('|').any(|x| x == **o));
                let w: Vec<_> = wrong.collect();
                opt(w[(rand() * w.len() as f64) as usize % w.len()])
            };
            write!(wide, ",{cell}").unwrap();
        }
        wide.push('\n');
    }
    fs::write(dir.join("export.csv"), wide).unwrap();
    fs::write(dir.join("key.csv"), key).unwrap();
    (dir.join("export.csv"), dir.join("key.csv"))
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Imports, validates and runs (the report in `dir/report`, HTML and Markdown); returns the data
/// set folder.
pub(crate) fn import_and_run(dir: &Path, args: &[&str]) -> PathBuf {
    let ds = dir.join("ds");
    let mut all = vec!["import", "--out", s(&ds)];
    all.extend_from_slice(args);
    let o = qbank(&all);
    assert!(o.status.success(), "import: {}", text(&o));
    let o = qbank(&["validate", s(&ds)]);
    assert!(o.status.success(), "validate: {}", text(&o));
    let out = dir.join("report");
    let o = qbank(&[
        "run",
        s(&ds),
        "--out",
        s(&out),
        "--quiet",
        "--format",
        "html,md",
    ]);
    assert!(o.status.success(), "run: {}", text(&o));
    assert!(out.join("index.html").exists());
    ds
}

#[test]
fn a_numbered_export_with_an_omit_code_becomes_a_data_set_that_runs() {
    let dir = folder("numbers");
    let (wide, key) = export(&dir, 300, true, "8");
    let ds = import_and_run(
        &dir,
        &[
            "--wide",
            s(&wide),
            "--key",
            s(&key),
            "--omit-codes",
            "8,9",
            "--name",
            "Stats final",
        ],
    );
    let toml = fs::read_to_string(ds.join("qbank.toml")).unwrap();
    assert!(
        toml.contains("name = \"Stats final\"") && toml.contains("weight = 100"),
        "{toml}"
    );
    let items = fs::read_to_string(ds.join("items.csv")).unwrap();
    assert!(
        items.contains("Q1,ALL,single,B,5") && items.contains("Q10,ALL,multiple,A|D,5"),
        "{items}"
    );
    // Omitted cells stay as responses (empty), so 300 x 10 rows.
    let rows = fs::read_to_string(ds.join("attempts.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 1 + 300 * 10, "attempt rows");
}

#[test]
fn a_lettered_export_with_not_presented_codes_leaves_those_cells_out() {
    let dir = folder("letters");
    let (wide, key) = export(&dir, 200, false, "NP");
    let ds = import_and_run(
        &dir,
        &[
            "--wide",
            s(&wide),
            "--key",
            s(&key),
            "--not-presented-codes",
            "NP",
            "--form-id",
            "2026A",
        ],
    );
    let attempts = fs::read_to_string(ds.join("attempts.csv")).unwrap();
    let np = (0..200 * 10).filter(|c| c % 17 == 0).count();
    assert_eq!(attempts.lines().count(), 1 + 200 * 10 - np, "attempt rows");
    assert!(attempts.lines().nth(1).unwrap().contains(",2026A,"));
}

/// Imports `wide` against `key` into `dir/out` with `extra` flags, expecting exit 2, nothing
/// written, and a message with every fragment.
fn import_fails(
    dir: &Path,
    wide: &Path,
    key: &Path,
    out: &str,
    extra: &[&str],
    fragments: &[&str],
) {
    let out = dir.join(out);
    let mut args = vec![
        "import",
        "--wide",
        s(wide),
        "--key",
        s(key),
        "--out",
        s(&out),
    ];
    args.extend_from_slice(extra);
    let o = qbank(&args);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for f in fragments {
        assert!(text(&o).contains(f), "no '{f}' in:\n{}", text(&o));
    }
    assert!(!out.exists(), "written despite errors");
}

#[test]
fn every_problem_names_file_line_and_column() {
    let dir = folder("errors");
    let (wide, key) = export(&dir, 50, true, "8");
    // An unknown code.
    import_fails(
        &dir,
        &wide,
        &key,
        "a",
        &[],
        &[
            "export.csv:2 column 'Q1' item 'Q1': response '8' is not an option of item 'Q1' (1-5)",
            "--omit-codes 8",
        ],
    );
    // A response outside the options (the key says 5).
    let original = fs::read_to_string(&wide).unwrap();
    let mut lines: Vec<String> = original.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[1] = "7".into();
    lines[3] = cells.join(",");
    fs::write(&wide, lines.join("\n") + "\n").unwrap();
    import_fails(
        &dir,
        &wide,
        &key,
        "b",
        &["--omit-codes", "8"],
        &["export.csv:4 column 'Q1' item 'Q1': response '7' is not an option of item 'Q1' (1-5)"],
    );
    // An item in the file but not in the key.
    fs::write(&wide, original.replacen("Student,Q1,", "Student,Q99,", 1)).unwrap();
    import_fails(
        &dir,
        &wide,
        &key,
        "c",
        &["--omit-codes", "8"],
        &[
            "export.csv:1 column 'Q99': column 'Q99' is not an item of the key file",
            "item 'Q1' of the key file has no column in the export",
        ],
    );
}

#[test]
fn an_already_scored_file_needs_no_key() {
    let dir = folder("scored");
    let mut wide = String::from("id,I1,I2,I3,I4,I5,I6\n");
    let mut state: u64 = 7;
    for p in 0..300 {
        let ability = (p as f64 + 0.5) / 300.0;
        write!(wide, "P{p}").unwrap();
        for i in 0..6 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 33) as f64 / (1u64 << 31) as f64;
            let right = u < ability + 0.3 - 0.1 * i as f64;
            write!(
                wide,
                ",{}",
                if p % 23 == i {
                    ""
                } else if right {
                    "1"
                } else {
                    "0"
                }
            )
            .unwrap();
        }
        wide.push('\n');
    }
    fs::write(dir.join("scored.csv"), &wide).unwrap();
    let wide_path = dir.join("scored.csv");
    let ds = import_and_run(&dir, &["--wide", s(&wide_path), "--id-column", "id"]);
    let toml = fs::read_to_string(ds.join("qbank.toml")).unwrap();
    assert!(
        toml.contains("name = \"scored\"") && toml.contains("scored 0/1"),
        "{toml}"
    );
    // A cell that is not 0/1 is an error.
    let bad = wide.replacen("\nP1,", "\nP1,x", 1);
    fs::write(&wide_path, bad).unwrap();
    let o = qbank(&[
        "import",
        "--wide",
        s(&wide_path),
        "--out",
        s(&dir.join("bad")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("scored.csv:3 column 'I1' item 'I1': 'x"),
        "{}",
        text(&o)
    );
}
