//! Okta's rate-limit headers (`X-Rate-Limit-Limit`, `-Remaining`, `-Reset`)
//! and the answer's `Date`, which together say how many calls are left in a
//! bucket's window and when it resets, on Okta's clock.

use http::HeaderMap;
use http::header::{DATE, HeaderName};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `X-Rate-Limit-Limit`: calls allowed in the window.
pub const RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("x-rate-limit-limit");
/// `X-Rate-Limit-Remaining`: calls left in the window.
pub const RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-rate-limit-remaining");
/// `X-Rate-Limit-Reset`: when the window resets (UTC epoch seconds).
pub const RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-rate-limit-reset");

/// A header's text, looked up by a name already parsed (every answer is
/// read for these, and a name given as text is parsed at each lookup).
fn header_text<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name)?.to_str().ok()
}

/// The longest `Date` remembered: an IMF-fixdate (`Sun, 06 Nov 1994
/// 08:49:37 GMT`) is 29 bytes.
const DATE_LEN: usize = 29;

thread_local! {
    /// The `Date` last read on this thread and its seconds since 1970:
    /// answers within one second carry the same text.
    static LAST_DATE: std::cell::Cell<([u8; DATE_LEN], usize, Option<u64>)> =
        const { std::cell::Cell::new(([0; DATE_LEN], usize::MAX, None)) };
}

/// Seconds since 1970 of an HTTP date (`None` for one that does not parse
/// or is before 1970).
fn http_date_seconds(date: &str) -> Option<u64> {
    let parse = |date: &str| {
        httpdate::parse_http_date(date)
            .ok()
            .and_then(|date| date.duration_since(UNIX_EPOCH).ok())
            .map(|since_epoch| since_epoch.as_secs())
    };
    let bytes = date.as_bytes();
    if bytes.len() > DATE_LEN {
        return parse(date);
    }
    LAST_DATE
        .try_with(|last| {
            let (text, len, seconds) = last.get();
            if len == bytes.len() && &text[..len] == bytes {
                return seconds;
            }
            let seconds = parse(date);
            let mut text = [0; DATE_LEN];
            text[..bytes.len()].copy_from_slice(bytes);
            last.set((text, bytes.len(), seconds));
            seconds
        })
        .unwrap_or_else(|_| parse(date))
}

/// The rate-limit headers of an answer (`X-Rate-Limit-*`), and the answer's
/// `Date`: the reset is a time on Okta's clock, so it means something only
/// next to Okta's own idea of now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed in the current window of this bucket.
    pub limit: u64,
    /// Calls left in the window.
    pub remaining: u64,
    /// When the window resets, in UTC epoch seconds (Okta's clock).
    pub reset: u64,
    /// When Okta answered (`Date`), in UTC epoch seconds (Okta's clock);
    /// `None` when the header is missing or unreadable.
    pub date: Option<u64>,
}

impl RateLimit {
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        let number = |name: &HeaderName| header_text(headers, name)?.trim().parse::<u64>().ok();
        Some(RateLimit {
            limit: number(&RATE_LIMIT_LIMIT)?,
            remaining: number(&RATE_LIMIT_REMAINING)?,
            reset: number(&RATE_LIMIT_RESET)?,
            date: header_text(headers, &DATE).and_then(|date| http_date_seconds(date.trim())),
        })
    }

    /// How long after the answer the window resets, measured on Okta's
    /// clock (`X-Rate-Limit-Reset` minus `Date`) so that a skewed local
    /// clock does not matter; on `now`, the local clock, when there is no
    /// `Date`. Not bounded: the budget caps it at Okta's window.
    pub fn resets_in(&self, now: SystemTime) -> Duration {
        match self.date {
            Some(date) => Duration::from_secs(self.reset.saturating_sub(date)),
            None => UNIX_EPOCH
                .checked_add(Duration::from_secs(self.reset))
                .map_or(Duration::MAX, |reset| {
                    reset.duration_since(now).unwrap_or_default()
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn rate_limit_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from_static("600"));
        headers.insert(RATE_LIMIT_REMAINING, HeaderValue::from_static("598"));
        headers.insert(RATE_LIMIT_RESET, HeaderValue::from_static("1700000000"));
        assert_eq!(
            RateLimit::from_headers(&headers),
            Some(RateLimit {
                limit: 600,
                remaining: 598,
                reset: 1_700_000_000,
                date: None,
            })
        );
        headers.insert(
            DATE,
            HeaderValue::from_static("Tue, 14 Nov 2023 22:12:50 GMT"),
        );
        let seen = RateLimit::from_headers(&headers).expect("headers");
        assert_eq!(seen.date, Some(1_699_999_970));
        assert_eq!(seen.resets_in(UNIX_EPOCH), Duration::from_secs(30));
        headers.insert(DATE, HeaderValue::from_static("not a date"));
        assert_eq!(
            RateLimit::from_headers(&headers).map(|seen| seen.date),
            Some(None)
        );
        headers.remove(RATE_LIMIT_RESET);
        assert_eq!(RateLimit::from_headers(&headers), None);
    }

    #[test]
    fn a_date_read_again_or_changed_reads_as_itself() {
        // Alternating dates, one that does not parse, and one longer than
        // any IMF-fixdate: the remembered date never answers for another.
        let dates = [
            ("Tue, 14 Nov 2023 22:12:50 GMT", Some(1_699_999_970)),
            ("Tue, 14 Nov 2023 22:12:50 GMT", Some(1_699_999_970)),
            ("Tue, 14 Nov 2023 22:12:51 GMT", Some(1_699_999_971)),
            ("Tue, 14 Nov 2023 22:12:50 GMT", Some(1_699_999_970)),
            ("Tue, 14 Nov 2023 22:12:5x GMT", None),
            ("Tue, 14 Nov 2023 22:12:50 GMT", Some(1_699_999_970)),
            ("Tuesday, 14-Nov-23 22:12:52 GMT", Some(1_699_999_972)),
            ("Tue, 14 Nov 2023 22:12:52 GMT", Some(1_699_999_972)),
            ("", None),
        ];
        for (date, seconds) in dates {
            assert_eq!(http_date_seconds(date), seconds, "{date}");
        }
    }

    #[test]
    fn resets_are_read_on_okta_clock() {
        let seen = |reset: u64, date: Option<u64>| RateLimit {
            limit: 600,
            remaining: 0,
            reset,
            date,
        };
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        // Okta's clock an hour ahead of this one: its reset is 20 s away.
        assert_eq!(
            seen(1_700_003_620, Some(1_700_003_600)).resets_in(now),
            Duration::from_secs(20)
        );
        // A reset before Okta's now has passed.
        assert_eq!(seen(10, Some(20)).resets_in(now), Duration::ZERO);
        // Without a Date, the local clock.
        assert_eq!(
            seen(1_700_000_020, None).resets_in(now),
            Duration::from_secs(20)
        );
        // A reset no clock can represent is far away, not a panic.
        assert_eq!(seen(u64::MAX, None).resets_in(now), Duration::MAX);
        assert_eq!(seen(1, None).resets_in(now), Duration::ZERO);
    }
}
