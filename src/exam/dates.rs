//! Calendar dates of `submitted_at` (ISO 8601) as whole days since 1970-01-01 and back.

/// Days since 1970-01-01 of the date at the start of an ISO 8601 timestamp (`YYYY-MM-DD...`);
/// None when the text does not start with a valid date (Hinnant's days-from-civil algorithm).
pub fn days_from_iso(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = text.get(0..4)?.parse().ok()?;
    let m: i64 = text.get(5..7)?.parse().ok()?;
    let d: i64 = text.get(8..10)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Days since 1970-01-01 to (year, month, day) (Hinnant's civil-from-days algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    // property: the two conversions are inverse over a range that spans leap years.
    #[test]
    fn days_round_trip() {
        assert_eq!(days_from_iso("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(days_from_iso("2026-01-05"), Some(20_458));
        for z in 18_000..21_000 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(
                days_from_iso(&format!("{y:04}-{m:02}-{d:02}")),
                Some(z),
                "day {z}"
            );
        }
        assert_eq!(days_from_iso(""), None);
        assert_eq!(days_from_iso("2026-13-01"), None);
    }
}
