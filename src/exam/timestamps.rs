//! `submitted_at` as instants: RFC 3339 / ISO 8601 date-times with `Z` or a UTC offset, and
//! date-times without a zone read in qbank.toml's `timezone` (an IANA name such as
//! `Europe/Berlin`, or `UTC`, the default). Everything is normalised to UTC text
//! (`2026-01-05T01:25:33Z`), so attempts are ordered by instant, never by how a file wrote them.
//!
//! Dates and zones use chrono and chrono-tz, which polars already builds (no build cost).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Accepted forms, shown in every error.
pub const EXAMPLES: &str =
    "2026-01-05T01:25:33Z, 2026-01-05T03:25:33+02:00, or 2026-01-05 01:25:33 (read in qbank.toml's timezone)";

/// The zone of date-times written without one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::UTC)
    }
}

impl Zone {
    /// An IANA zone name (`UTC`, `Europe/Berlin`, `America/New_York`).
    pub fn parse(name: &str) -> Result<Zone, String> {
        name.trim().parse::<Tz>().map(Zone).map_err(|_| {
            format!("unknown time zone '{name}': give an IANA name such as UTC, Europe/Berlin or America/New_York")
        })
    }
}

/// Parses one `submitted_at` cell into an instant.
pub fn parse_instant(text: &str, zone: Zone) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    // ISO 8601 with a space instead of 'T', or a basic offset (+0200).
    for f in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Ok(d.with_timezone(&Utc));
        }
    }
    if let Some(rest) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        if let Some(n) = naive(rest) {
            return Ok(Utc.from_utc_datetime(&n));
        }
    }
    let n = naive(t)
        .ok_or_else(|| format!("'{t}' is not an ISO 8601 date-time; accepted forms: {EXAMPLES}"))?;
    match zone.0.from_local_datetime(&n) {
        LocalResult::Single(d) => Ok(d.with_timezone(&Utc)),
        LocalResult::Ambiguous(d, _) => Ok(d.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "'{t}' does not exist in time zone {} (skipped by a daylight-saving change); give an offset, e.g. {EXAMPLES}",
            zone.0
        )),
    }
}

/// A zone-less ISO 8601 date-time (`T` or space, seconds and fraction optional) or a date.
fn naive(t: &str) -> Option<NaiveDateTime> {
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Some(n);
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// UTC text of an instant: `2026-01-05T01:25:33Z`, with milliseconds only when there are some.
pub fn format_utc(d: DateTime<Utc>) -> String {
    if d.timestamp_subsec_millis() == 0 {
        d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

/// Milliseconds since 1970 of a `submitted_at` (normalised by the reader; any accepted form is
/// read, zone-less in UTC), None when empty or unreadable: the order of attempts.
pub fn sort_key(text: &str) -> Option<i64> {
    parse_instant(text, Zone::default())
        .ok()
        .map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_zones_give_the_same_instant() {
        let utc = Zone::default();
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let z = parse_instant("2026-01-05T01:25:33Z", utc).unwrap();
        assert_eq!(parse_instant("2026-01-05T02:25:33+01:00", utc).unwrap(), z);
        assert_eq!(parse_instant("2026-01-05 02:25:33+0100", utc).unwrap(), z);
        assert_eq!(parse_instant("2026-01-05 01:25:33", utc).unwrap(), z);
        assert_eq!(parse_instant("2026-01-05T02:25:33", berlin).unwrap(), z);
        assert_eq!(format_utc(z), "2026-01-05T01:25:33Z");
        assert!(parse_instant("01/05/2026 01:46", utc).is_err());
        assert!(parse_instant("2026-03-29T02:30:00", berlin).is_err());
        assert!(Zone::parse("Mars/Olympus").is_err());
    }
}
