//! The calendar behind the `date` type: seconds since 1970, read from and
//! shown as RFC 3339 text in UTC (`2026-01-02T03:04:05Z`). Only UTC is ever
//! read or shown, so the conversion between days and civil dates is plain
//! era-based arithmetic, with no time zones.

use super::{DataType, ValueError};

/// Epoch seconds, or an RFC 3339 time in UTC such as `2026-01-02T03:04:05Z`.
pub(super) fn parse_date(text: &str) -> Result<u32, ValueError> {
    if text.is_empty() {
        return Err(ValueError::Empty);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u32>().map_err(|_| ValueError::OutOfRange {
            data_type: DataType::Date,
            min: 0,
            max: u32::MAX.into(),
        });
    }
    let invalid = ValueError::Invalid {
        data_type: DataType::Date,
        expected: "seconds since 1970 or a UTC time like 2026-01-02T03:04:05Z",
    };
    let seconds = parse_rfc3339_utc(text).ok_or(invalid)?;
    u32::try_from(seconds).map_err(|_| ValueError::OutOfRange {
        data_type: DataType::Date,
        min: 0,
        max: u32::MAX.into(),
    })
}

/// `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `+00:00`, as seconds since 1970.
fn parse_rfc3339_utc(text: &str) -> Option<i64> {
    let rest = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix('z'))
        .or_else(|| text.strip_suffix("+00:00"))?;
    let b = rest.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = rest.get(range)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the well-known
/// era-based conversion).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// RFC 3339 in UTC, e.g. `2026-01-02T03:04:05Z`.
pub(super) fn format_date(seconds: u32) -> String {
    let seconds = i64::from(seconds);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}
