//! The few date/time text forms accepted for Avro's date and timestamp logical types:
//! `YYYY-MM-DD` (date) and RFC 3339 date-times with an offset (timestamps). No time zone
//! database, no leap seconds; errors are reasons for the caller to put a path on.

/// Days since 1970-01-01 of a proleptic Gregorian `YYYY-MM-DD`.
pub(super) fn parse_date(s: &str) -> Result<i32, String> {
    let (days, rest) = date_prefix(s)?;
    if !rest.is_empty() {
        return Err(format!("{s:?} is not a date of the form YYYY-MM-DD"));
    }
    i32::try_from(days).map_err(|_| format!("date {s:?} is out of range"))
}

/// An RFC 3339 date-time (`2023-11-14T22:13:20.123Z`, `…+01:00`) as seconds since the
/// epoch and nanoseconds (0..1e9).
pub(super) fn parse_rfc3339(s: &str) -> Result<(i64, u32), String> {
    let bad = || format!("{s:?} is not an RFC 3339 date-time like 2023-11-14T22:13:20.123Z");
    let (days, rest) = date_prefix(s).map_err(|_| bad())?;
    let rest = rest
        .strip_prefix(['T', 't', ' '])
        .ok_or_else(bad)?
        .as_bytes();
    if rest.len() < 8 || rest[2] != b':' || rest[5] != b':' {
        return Err(bad());
    }
    let hour = digits(&rest[0..2]).ok_or_else(bad)?;
    let minute = digits(&rest[3..5]).ok_or_else(bad)?;
    let second = digits(&rest[6..8]).ok_or_else(bad)?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err(bad());
    }
    let mut rest = &rest[8..];
    let mut nanos: u32 = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return Err(format!("{s:?}: the fraction of a second has 1 to 9 digits"));
        }
        let value = digits(&frac[..n]).ok_or_else(bad)?;
        nanos = u32::try_from(value * 10i64.pow(9 - n as u32)).map_err(|_| bad())?;
        rest = &frac[n..];
    }
    let offset_secs: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2]).ok_or_else(bad)?;
            let m = digits(&[*m1, *m2]).ok_or_else(bad)?;
            if h > 23 || m > 59 {
                return Err(bad());
            }
            let off = h * 3600 + m * 60;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return Err(bad()),
    };
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Ok((secs, nanos))
}

/// Parse `YYYY-MM-DD` at the start of `s`: days since the epoch and the rest of `s`.
fn date_prefix(s: &str) -> Result<(i64, &str), String> {
    let bad = || format!("{s:?} is not a date of the form YYYY-MM-DD");
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let year = digits(&b[0..4]).ok_or_else(bad)?;
    let month = digits(&b[5..7]).ok_or_else(bad)?;
    let day = digits(&b[8..10]).ok_or_else(bad)?;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if day < 1 || day > month_days {
        return Err(bad());
    }
    // `s` is ASCII up to here, so byte 10 is a char boundary.
    let rest = s.get(10..).ok_or_else(bad)?;
    Ok((days_from_civil(year, month, day), rest))
}

/// All ASCII digits → their value (at most 9 digits: no overflow).
fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

/// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(parse_date("2000-03-01"), Ok(11_017));
        assert_eq!(parse_date("1969-12-31"), Ok(-1));
        assert!(parse_date("2023-02-29").is_err());
        assert!(parse_date("2024-02-29").is_ok());
        assert!(parse_date("2024-1-01").is_err());
        assert!(parse_date("2024-01-01x").is_err());
    }

    #[test]
    fn date_times() {
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20.123Z"),
            Ok((1_700_000_000, 123_000_000))
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T23:13:20+01:00"),
            Ok((1_700_000_000, 0))
        );
        assert!(parse_rfc3339("2023-11-14T22:13:20").is_err());
        assert!(parse_rfc3339("2023-11-14T22:13:20.1234567890Z").is_err());
        assert!(parse_rfc3339("2023-11-14T24:00:00Z").is_err());
        assert!(parse_rfc3339("2023-11-14é22:13:20Z").is_err());
    }
}
