//! The time on each log line: RFC 3339 in UTC with microseconds
//! (`2026-12-01T06:36:17.104997Z`), the form log shippers parse. Every
//! login writes an audit line, and turning seconds since 1970 into a
//! calendar date and a time of day on each one cost more than the rest of
//! the timestamp; each thread keeps that part of the second it is in and
//! writes only the microseconds afresh.

use std::cell::RefCell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// The formatter; also a `tracing_subscriber` timer for the human format.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rfc3339Micros;

thread_local! {
    /// The second last formatted on this thread and its text.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

impl Rfc3339Micros {
    /// Writes `time` (a time before 1970 reads as 1970).
    pub fn write(out: &mut impl fmt::Write, time: SystemTime) -> fmt::Result {
        let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        let seconds = since_epoch.as_secs();
        let written = SECOND.try_with(|cached| {
            let mut cached = cached.borrow_mut();
            if cached.0 != seconds {
                cached.1.clear();
                cached.1.push_str(&date_and_time(seconds));
                cached.0 = seconds;
            }
            out.write_str(&cached.1)
        });
        match written {
            Ok(result) => result?,
            // Only while the thread is being torn down.
            Err(_) => out.write_str(&date_and_time(seconds))?,
        }
        write!(out, ".{:06}Z", since_epoch.subsec_micros())
    }
}

impl FormatTime for Rfc3339Micros {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        Rfc3339Micros::write(w, SystemTime::now())
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of a second since 1970 (UTC, proleptic
/// Gregorian calendar, years up to 9999).
fn date_and_time(seconds: u64) -> String {
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    let mut text = *b"0000-00-00T00:00:00";
    let mut put = |at: usize, value: u64, width: usize| {
        let mut value = value;
        for place in (at..at + width).rev() {
            // `value % 10` is a digit.
            text[place] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, year.min(9999), 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, of_day / 3600, 2);
    put(14, of_day / 60 % 60, 2);
    put(17, of_day % 60, 2);
    text.iter().map(|&byte| char::from(byte)).collect()
}

/// The year, month (1 to 12) and day (1 to 31) of a day counted from
/// 1970-01-01: the calendar repeats every 400 years (146,097 days), and
/// counting years from March puts the leap day at the end of each.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Days since 0000-03-01.
    let days = days + 719_468;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March, 0 to 11.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(seconds: u64, micros: u32) -> String {
        let mut text = String::new();
        let time = UNIX_EPOCH + Duration::new(seconds, micros * 1000);
        Rfc3339Micros::write(&mut text, time).expect("a String takes any text");
        text
    }

    #[test]
    fn known_instants() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(951_782_400, 7), "2000-02-29T00:00:00.000007Z");
        assert_eq!(at(1_709_251_199, 999_999), "2024-02-29T23:59:59.999999Z");
        assert_eq!(at(1_796_107_305, 104_997), "2026-12-01T06:41:45.104997Z");
        assert_eq!(at(4_102_444_800, 1), "2100-01-01T00:00:00.000001Z");
        assert_eq!(at(253_402_300_799, 0), "9999-12-31T23:59:59.000000Z");
    }

    #[test]
    fn the_same_second_on_one_thread_and_the_next() {
        // The cached second is used again, then replaced.
        assert_eq!(at(1_796_107_305, 1), "2026-12-01T06:41:45.000001Z");
        assert_eq!(at(1_796_107_305, 2), "2026-12-01T06:41:45.000002Z");
        assert_eq!(at(1_796_107_306, 3), "2026-12-01T06:41:46.000003Z");
        assert_eq!(at(1_796_107_305, 4), "2026-12-01T06:41:45.000004Z");
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_one_before() {
        // Day by day from 1970 through 2370: the date moves by one day,
        // months have their lengths, and February 29 exists exactly in
        // the leap years.
        let mut previous = civil_from_days(0);
        assert_eq!(previous, (1970, 1, 1));
        for days in 1..146_097 {
            let (year, month, day) = civil_from_days(days);
            let (last_year, last_month, last_day) = previous;
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let month_len = match last_month {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            if last_day < month_len {
                assert_eq!((year, month, day), (last_year, last_month, last_day + 1));
            } else if last_month < 12 {
                assert_eq!((year, month, day), (last_year, last_month + 1, 1));
            } else {
                assert_eq!((year, month, day), (last_year + 1, 1, 1));
            }
            previous = (year, month, day);
        }
    }

    #[test]
    fn the_format_is_the_one_the_log_had() {
        // tracing_subscriber's own timer, which lines were written with
        // before: the same layout to the character.
        let mut ours = String::new();
        Rfc3339Micros::write(&mut ours, SystemTime::now()).expect("a String takes any text");
        let mut theirs = String::new();
        tracing_subscriber::fmt::time::SystemTime
            .format_time(&mut Writer::new(&mut theirs))
            .expect("a String takes any text");
        assert_eq!(ours.len(), theirs.len(), "{ours} against {theirs}");
        let shape = |text: &str| text.chars().map(|c| c.is_ascii_digit()).collect::<Vec<_>>();
        assert_eq!(shape(&ours), shape(&theirs), "{ours} against {theirs}");
        assert_eq!(ours[..13], theirs[..13], "{ours} against {theirs}");
    }
}
