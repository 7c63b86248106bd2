//! `submitted_at` as instants: RFC 3339 / ISO 8601 date-times with `Z` or a UTC offset, and
//! date-times without a zone read in qbank.toml's `timezone` (an IANA name such as
//! `Europe/Berlin`, or `UTC`, the default). Everything is normalised to UTC text
//! (`2026-01-05T01:25:33Z`), so attempts are ordered by instant, never by how a file wrote them.
//!
//! A Parquet log may also hold `submitted_at` natively: a timestamp column (any unit; with a
//! time zone its values are instants, without one wall-clock times read in `timezone`) or a date
//! column (midnight in `timezone`), giving the same instants as the same values written as text.
//!
//! Dates and zones use chrono and chrono-tz, which polars already builds (no build cost).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use polars::prelude::{DataType, TimeUnit};

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
    in_zone(n, zone, t)
}

/// A wall-clock date-time read in `zone` (the earlier instant when a daylight-saving change
/// makes it ambiguous); `shown` is how the message names it.
fn in_zone(n: NaiveDateTime, zone: Zone, shown: &str) -> Result<DateTime<Utc>, String> {
    match zone.0.from_local_datetime(&n) {
        LocalResult::Single(d) => Ok(d.with_timezone(&Utc)),
        LocalResult::Ambiguous(d, _) => Ok(d.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "'{shown}' does not exist in time zone {} (skipped by a daylight-saving change); give an offset, e.g. {EXAMPLES}",
            zone.0
        )),
    }
}

/// How a native (Parquet) time column of `submitted_at` stores its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeTime {
    /// Whole units since 1970-01-01 00:00, `per_second` units a second. `zoned`: the column has
    /// a time zone, so the values are instants (UTC); without one they are wall-clock times,
    /// read in qbank.toml's `timezone` like zone-less text.
    Timestamp { per_second: i64, zoned: bool },
    /// Days since 1970-01-01, read as midnight in qbank.toml's `timezone` (like the text
    /// `2026-01-05`).
    Date,
}

impl NativeTime {
    /// The instant of one stored value.
    pub fn instant(self, value: i64, zone: Zone) -> Result<DateTime<Utc>, String> {
        let out_of_range = || format!("the time value {value} is out of range");
        let (instant, zoned) = match self {
            NativeTime::Timestamp { per_second, zoned } => {
                let (secs, sub) = (value.div_euclid(per_second), value.rem_euclid(per_second));
                let nanos = sub * (1_000_000_000 / per_second);
                let d = DateTime::from_timestamp(secs, nanos as u32).ok_or_else(out_of_range)?;
                (d, zoned)
            }
            NativeTime::Date => {
                let d = DateTime::from_timestamp(
                    value.checked_mul(86_400).ok_or_else(out_of_range)?,
                    0,
                )
                .ok_or_else(out_of_range)?;
                (d, false)
            }
        };
        if zoned {
            return Ok(instant);
        }
        let n = instant.naive_utc();
        in_zone(n, zone, &n.format("%Y-%m-%dT%H:%M:%S").to_string())
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

/// A row's `submitted_at`: text as written, or a value of a native Parquet time column.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Submitted<'a> {
    Text(&'a str),
    Native(NativeTime, i64),
}

impl Submitted<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Submitted::Text(""))
    }
}

/// How a Parquet column of this type stores times (None: read the column as text).
pub(crate) fn native_time(dtype: &DataType) -> Option<NativeTime> {
    match dtype {
        DataType::Datetime(unit, tz) => Some(NativeTime::Timestamp {
            per_second: match unit {
                TimeUnit::Nanoseconds => 1_000_000_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Milliseconds => 1_000,
            },
            zoned: tz.is_some(),
        }),
        DataType::Date => Some(NativeTime::Date),
        _ => None,
    }
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

    // reference: native Parquet values (instants or wall-clock times) give the instants of the
    // same text, in every time unit.
    #[test]
    fn native_values_read_as_their_text() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let ms = 1_767_576_333_000_i64; // 2026-01-05T01:25:33Z
        for (per_second, value) in [
            (1_000, ms),
            (1_000_000, ms * 1_000),
            (1_000_000_000, ms * 1_000_000),
        ] {
            let zoned = NativeTime::Timestamp {
                per_second,
                zoned: true,
            };
            let wall = NativeTime::Timestamp {
                per_second,
                zoned: false,
            };
            assert_eq!(
                zoned.instant(value, berlin).unwrap(),
                parse_instant("2026-01-05T01:25:33Z", berlin).unwrap(),
                "zoned, {per_second} units a second"
            );
            assert_eq!(
                wall.instant(value, berlin).unwrap(),
                parse_instant("2026-01-05 01:25:33", berlin).unwrap(),
                "wall clock, {per_second} units a second"
            );
        }
        assert_eq!(
            NativeTime::Date.instant(20_458, berlin).unwrap(),
            parse_instant("2026-01-05", berlin).unwrap()
        );
        let gap = 1_774_751_400_000_i64; // 2026-03-29T02:30:00 as a wall clock: not in Berlin
        let wall = NativeTime::Timestamp {
            per_second: 1_000,
            zoned: false,
        };
        assert!(wall.instant(gap, berlin).is_err());
        assert!(wall.instant(i64::MAX, berlin).is_err());
    }
}
