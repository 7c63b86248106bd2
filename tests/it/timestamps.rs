//! Snapshot tests of `submitted_at` (issue 14, part 3): parsed as instants (RFC 3339 / ISO 8601
//! with `Z` or an offset; zone-less times in qbank.toml's `timezone`, default UTC), attempts put in
//! order by instant, anything else an error naming file and line with an accepted example.

use std::process::Command;

use qbank::exam::{self, Diagnostics, Overview};

use crate::common::{fixture, ATTEMPTS, TOML};

pub(crate) fn validate(dir: &std::path::Path) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_qbank"))
        .arg("validate")
        .arg(dir)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_us_date_is_an_error_with_line_and_an_accepted_example() {
    let a = ATTEMPTS.replace("2026-01-02T10:00:00Z", "01/02/2026 10:00");
    let dir = fixture("ts_us_date", &[("attempts.csv", &a)]);
    let (code, err) = validate(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("attempts.csv:5 column 'submitted_at'")
            && err.contains("'01/02/2026 10:00' is not an ISO 8601 date-time")
            && err.contains("2026-01-05T01:25:33Z"),
        "{err}"
    );
}

#[test]
fn mixed_offsets_are_ordered_by_instant() {
    // T1 is written later as text (2026-01-02T00:30+02:00) but happened first (22:30 UTC on the
    // 1st); T2 at 23:00 UTC. Text order would put T2 first.
    let a = ATTEMPTS
        .replace("2026-01-01T10:00:00Z", "2026-01-02T00:30:00+02:00")
        .replace("2026-01-02T10:00:00Z", "2026-01-01T23:00:00Z");
    let dir = fixture("ts_offsets", &[("attempts.csv", &a)]);
    let mut d = Diagnostics::default();
    let ds = exam::load(&dir, &mut d).unwrap_or_else(|| panic!("{}", d.render()));
    assert_eq!(
        ds.matrix.submitted_at(0),
        "2026-01-01T22:30:00Z",
        "T1 in UTC"
    );
    let o = Overview::of(&ds, 0);
    assert_eq!(
        o.first_submitted, "2026-01-01T22:30:00Z",
        "first submission"
    );
    assert_eq!(o.last_submitted, "2026-01-01T23:00:00Z", "last submission");
}

#[test]
fn zone_less_times_are_read_in_the_configured_zone() {
    let a = ATTEMPTS.replace("2026-01-01T10:00:00Z", "2026-01-01 10:00");
    let toml = format!("timezone = \"Europe/Berlin\"\n{TOML}");
    let dir = fixture("ts_zone", &[("attempts.csv", &a), ("qbank.toml", &toml)]);
    let mut d = Diagnostics::default();
    let ds = exam::load(&dir, &mut d).unwrap_or_else(|| panic!("{}", d.render()));
    assert_eq!(
        ds.matrix.submitted_at(0),
        "2026-01-01T09:00:00Z",
        "10:00 in Berlin"
    );
    // Default UTC.
    let dir = fixture("ts_utc", &[("attempts.csv", &a)]);
    let mut d = Diagnostics::default();
    let ds = exam::load(&dir, &mut d).unwrap_or_else(|| panic!("{}", d.render()));
    assert_eq!(
        ds.matrix.submitted_at(0),
        "2026-01-01T10:00:00Z",
        "10:00 in UTC"
    );
    // An unknown zone is an error on qbank.toml.
    let toml = format!("timezone = \"Mars/Olympus\"\n{TOML}");
    let dir = fixture("ts_bad_zone", &[("qbank.toml", &toml)]);
    let (code, err) = validate(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("qbank.toml column 'timezone'") && err.contains("unknown time zone"),
        "{err}"
    );
}
