//! Okta's rate-limit headers (`X-Rate-Limit-Limit`, `-Remaining`, `-Reset`)
//! and the answer's `Date`, which together say how many calls are left in a
//! bucket's window and when it resets, on Okta's clock.

use http::HeaderMap;
use http::header::DATE;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `X-Rate-Limit-Limit`: calls allowed in the window.
pub const RATE_LIMIT_LIMIT: &str = "x-rate-limit-limit";
/// `X-Rate-Limit-Remaining`: calls left in the window.
pub const RATE_LIMIT_REMAINING: &str = "x-rate-limit-remaining";
/// `X-Rate-Limit-Reset`: when the window resets (UTC epoch seconds).
pub const RATE_LIMIT_RESET: &str = "x-rate-limit-reset";

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok()
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
        let number = |name: &str| header_text(headers, name)?.trim().parse::<u64>().ok();
        Some(RateLimit {
            limit: number(RATE_LIMIT_LIMIT)?,
            remaining: number(RATE_LIMIT_REMAINING)?,
            reset: number(RATE_LIMIT_RESET)?,
            date: header_text(headers, DATE.as_str())
                .and_then(|date| httpdate::parse_http_date(date.trim()).ok())
                .and_then(|date| date.duration_since(UNIX_EPOCH).ok())
                .map(|since_epoch| since_epoch.as_secs()),
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
