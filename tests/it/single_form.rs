//! Snapshot tests of the report of a single-form exam taken once per candidate (issue 14, part
//! 6): sections that do not apply are left out or say why in one line, every flagged item (scored
//! too) is reviewed with its card, the subtitle names the data set, not the path.

use std::fs;

use crate::import::{export, folder, import_and_run, qbank, s, text};

#[test]
fn a_single_form_exam_reads_well() {
    let dir = folder("single_form");
    let (wide, key) = export(&dir, 300, true, "8");
    let ds = import_and_run(
        &dir,
        &["--wide", s(&wide), "--key", s(&key), "--omit-codes", "8"],
    );
    let out = dir.join("report");
    let md = fs::read_to_string(out.join("index.md")).unwrap();
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    // The subtitle names the data set's folder, never the absolute path.
    assert!(md.contains("qbank report of the data set ds\n"), "subtitle");
    assert!(
        !html.contains(s(&dir)),
        "the absolute input path is in index.html"
    );
    // No blank dates.
    assert!(!md.contains("submitted from  to"), "blank dates");
    assert!(
        md.contains("(the log has no submission times)"),
        "dates line"
    );
    // One form: no empty linking table, one line instead.
    assert!(
        md.contains("One form on its own scale: nothing to link"),
        "linking"
    );
    assert!(!md.contains("No anchor's b moved"), "empty drift line");
    // No group column: DIF says why.
    assert!(
        md.contains("No DIF analysis: it needs a group column"),
        "DIF"
    );
    // One attempt per candidate: not practice data, no readiness section.
    assert!(
        !md.contains("## Readiness"),
        "readiness on operational data"
    );
    // ... and no readiness files; asking for readiness is an error that says how to force it.
    for file in ["readiness.csv", "readiness_attempts.csv", "readiness.json"] {
        assert!(!out.join(file).exists(), "{file} on operational data");
    }
    let other = dir.join("report2");
    for args in [
        vec!["run", s(&ds), "--candidate", "S0001", "--out", s(&other)],
        vec!["readiness", s(&ds), "--out", s(&other)],
    ] {
        let o = qbank(&args);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {t}");
        assert!(
            t.contains("is for practice data, and this data set is not practice data (every candidate made one attempt)")
                && t.contains("[readiness] practice = true"),
            "{args:?}: {t}"
        );
        assert!(!other.exists(), "{args:?} wrote {}", other.display());
    }
    // Scored items are reviewed: every flagged item has a card.
    let flags = fs::read_to_string(out.join("flags.csv")).unwrap();
    let flagged: std::collections::BTreeSet<&str> = flags
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert!(!flagged.is_empty(), "the fixture should flag something");
    for id in flagged {
        assert!(
            md.contains(&format!("### Item {id}\n")),
            "no card for flagged scored item {id}"
        );
    }
}
