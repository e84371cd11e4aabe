//! What the bridge knows about one Okta rate-limit bucket: the limit and the
//! calls left in the current window as the last answer reported them,
//! counted down locally for every call sent since (answers to calls in
//! flight have not been counted by Okta's header yet), and when the window
//! resets.
//!
//! Before the first answer nothing is known, so only one call at a time is
//! let through until Okta has said what the limit is; an answer without
//! rate-limit headers (a proxy that strips them) switches the bucket to
//! unlimited, so the bridge never stalls on a header it will not get.
//!
//! A reset is trusted only so far, because a wrong one stops every login
//! until it passes: it is read on Okta's clock (`X-Rate-Limit-Reset` minus
//! the answer's `Date`), never further ahead than Okta's documented window,
//! and only a 429 that shows the bucket empty empties it.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::class::CallClass;
use okta_api::RateLimit;

/// Okta's rate-limit window (documented: ~60 s). It is assumed when Okta did
/// not say when a window resets, and no reset is believed further ahead: a
/// reset an hour away (a skewed clock, a proxy, a hostile answer) would
/// otherwise hold every login for the hour.
const OKTA_WINDOW: Duration = Duration::from_secs(60);
/// How often a call re-checks a bucket whose limit is not known yet.
const UNKNOWN_RECHECK: Duration = Duration::from_millis(10);
/// Okta's SDKs wait until the reset and one second more.
const RESET_MARGIN: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub(crate) struct BucketState {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    known: Known,
    in_flight: u64,
}

#[derive(Debug, Default, Clone, Copy)]
enum Known {
    /// No answer yet.
    #[default]
    Nothing,
    /// Answers carry no rate-limit headers.
    Unlimited,
    Window {
        limit: u64,
        remaining: u64,
        /// When the window resets, on the local clock: at most
        /// [`OKTA_WINDOW`] after the answer that said so.
        reset: SystemTime,
        /// The `X-Rate-Limit-Reset` Okta gave for this window (its clock):
        /// answers quoting the same value are about the same window. `None`
        /// for a window started locally or by a concurrency 429.
        okta_reset: Option<u64>,
    },
}

/// When the window `seen` reports resets, on the local clock (see
/// [`RateLimit::resets_in`]), capped at [`OKTA_WINDOW`] from `now`.
fn window_end(seen: &RateLimit, now: SystemTime) -> SystemTime {
    now + seen.resets_in(now).min(OKTA_WINDOW)
}

/// How long to wait for `reset` (plus Okta's one-second margin), never more
/// than one window even if the local clock went back since it was set.
fn wait_until(reset: SystemTime, now: SystemTime) -> Duration {
    reset
        .duration_since(now)
        .unwrap_or_default()
        .min(OKTA_WINDOW)
        + RESET_MARGIN
}

impl BucketState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes one call from the budget, or says how long to wait before asking again.
    pub(crate) fn try_take(&self, class: CallClass, now: SystemTime) -> Result<(), Duration> {
        let mut inner = self.lock();
        match &mut inner.known {
            Known::Nothing => {
                if inner.in_flight > 0 {
                    return Err(UNKNOWN_RECHECK);
                }
            }
            Known::Unlimited => {}
            Known::Window {
                limit,
                remaining,
                reset,
                okta_reset,
            } => {
                // The local clock went back: the window still ends within one.
                *reset = (*reset).min(now + OKTA_WINDOW);
                if now >= *reset + RESET_MARGIN {
                    // A new window: the old limit, counted down from now on.
                    *remaining = *limit;
                    *reset = now + OKTA_WINDOW;
                    *okta_reset = None;
                }
                if *remaining <= class.floor(*limit) {
                    return Err(wait_until(*reset, now));
                }
                *remaining -= 1;
            }
        }
        inner.in_flight += 1;
        Ok(())
    }

    /// Another bridge of the fleet met a 429 that showed this bucket empty:
    /// learned as if this bridge had met it.
    pub(crate) fn import_exhausted(&self, seen: RateLimit, now: SystemTime) {
        self.lock().in_flight += 1;
        self.observe(Some(seen), 429, now);
        self.finished();
    }

    /// A call taken with [`BucketState::try_take`] is over.
    pub(crate) fn finished(&self) {
        let mut inner = self.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
    }

    /// Learns from an answer (before its call is marked finished).
    /// `http_status` 429 means the call was refused for a rate limit (a 429
    /// about one factor's resend comes here as 200).
    pub(crate) fn observe(&self, rate_limit: Option<RateLimit>, http_status: u16, now: SystemTime) {
        let mut inner = self.lock();
        let others = inner.in_flight.saturating_sub(1);
        let previous = inner.known;
        let refused = http_status == 429;
        inner.known = match (rate_limit, previous) {
            (Some(seen), _) if seen.limit > 0 => {
                // Only a 429 that shows the bucket empty empties it. One
                // whose own headers still show calls left was refused by
                // another limit: Okta's per-user limit on `/api/v1/authn`
                // (4 a second for one username, E0000047) answers so, and
                // the org's other users still have those calls. Its headers
                // count like any answer's.
                let reported = if refused && seen.remaining == 0 {
                    0
                } else {
                    seen.remaining.saturating_sub(others)
                };
                let remaining = match previous {
                    Known::Window {
                        remaining: counted,
                        okta_reset: Some(known),
                        ..
                    } if known == seen.reset => counted.min(reported),
                    _ => reported,
                };
                Known::Window {
                    limit: seen.limit,
                    remaining,
                    reset: window_end(&seen, now),
                    okta_reset: Some(seen.reset),
                }
            }
            // The concurrency form of 429 (Limit 0, Remaining 0): hold
            // back until its reset, keeping what is known of the limit.
            (Some(seen), previous) if refused => Known::Window {
                limit: match previous {
                    Known::Window { limit, .. } => limit,
                    _ => 1,
                },
                remaining: 0,
                reset: window_end(&seen, now),
                okta_reset: None,
            },
            (Some(_), previous) => previous,
            // A 429 without rate-limit headers (a proxy, a gateway in front
            // of Okta) says nothing about the bucket: it empties nothing.
            (None, previous) if refused => previous,
            (None, Known::Nothing) => Known::Unlimited,
            (None, previous) => previous,
        };
    }

    /// Calls left as far as the bridge knows.
    pub(crate) fn remaining(&self) -> Option<u64> {
        match self.lock().known {
            Known::Window { remaining, .. } => Some(remaining),
            _ => None,
        }
    }

    /// How long until the window resets (plus Okta's one-second margin),
    /// never more than one window.
    pub(crate) fn wait_for_reset(&self, now: SystemTime) -> Duration {
        match self.lock().known {
            Known::Window { reset, .. } => wait_until(reset, now),
            _ => RESET_MARGIN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn seconds(time: SystemTime) -> u64 {
        time.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    }

    fn window(remaining: u64, reset: SystemTime) -> Option<RateLimit> {
        Some(RateLimit {
            limit: 10,
            remaining,
            reset: seconds(reset),
            date: None,
        })
    }

    /// An answer's headers, with Okta's `Date`.
    fn dated(remaining: u64, reset: SystemTime, date: SystemTime) -> Option<RateLimit> {
        Some(RateLimit {
            date: Some(seconds(date)),
            ..window(remaining, reset)?
        })
    }

    /// A whole second, so that Okta's second-precision headers are exact.
    fn a_second() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    #[test]
    fn one_call_at_a_time_until_the_limit_is_known() {
        let bucket = BucketState::default();
        let now = SystemTime::now();
        assert!(bucket.try_take(CallClass::Login, now).is_ok());
        assert!(bucket.try_take(CallClass::Login, now).is_err());
        bucket.observe(window(9, now + OKTA_WINDOW), 200, now);
        bucket.finished();
        // 9 left, logins keep 1 in reserve: 8 more.
        for _ in 0..8 {
            assert!(bucket.try_take(CallClass::Login, now).is_ok());
        }
        let wait = bucket.try_take(CallClass::Login, now).expect_err("reserve");
        assert!(wait >= Duration::from_secs(59));
        assert!(bucket.try_take(CallClass::FactorStep, now).is_ok());
        assert!(bucket.try_take(CallClass::FactorStep, now).is_err());
    }

    #[test]
    fn answers_count_calls_in_flight() {
        let bucket = BucketState::default();
        let now = SystemTime::now();
        bucket.observe(window(9, now + OKTA_WINDOW), 200, now);
        for _ in 0..3 {
            assert!(bucket.try_take(CallClass::KeepAlive, now).is_ok());
        }
        // The first of three answers: Okta has counted one of them.
        bucket.observe(window(8, now + OKTA_WINDOW), 200, now);
        assert_eq!(bucket.remaining(), Some(6));
    }

    #[test]
    fn no_headers_means_no_limit() {
        let bucket = BucketState::default();
        let now = SystemTime::now();
        assert!(bucket.try_take(CallClass::Poll, now).is_ok());
        bucket.observe(None, 200, now);
        assert!(bucket.try_take(CallClass::Poll, now).is_ok());
        assert!(bucket.try_take(CallClass::Poll, now).is_ok());
    }

    #[test]
    fn a_reset_an_hour_ahead_holds_the_bucket_one_window_at_most() {
        let bucket = BucketState::default();
        let now = a_second();
        let hour = Duration::from_secs(3600);
        bucket.observe(dated(0, now + hour, now), 429, now);
        assert_eq!(bucket.remaining(), Some(0));
        let wait = bucket
            .try_take(CallClass::FactorStep, now)
            .expect_err("the bucket is empty");
        assert_eq!(wait, OKTA_WINDOW + RESET_MARGIN);
        assert_eq!(bucket.wait_for_reset(now), OKTA_WINDOW + RESET_MARGIN);
        let later = now + OKTA_WINDOW + RESET_MARGIN;
        assert!(bucket.try_take(CallClass::Login, later).is_ok());
        // Without a Date, the local clock, with the same cap.
        let bucket = BucketState::default();
        bucket.observe(window(0, now + hour), 429, now);
        assert_eq!(bucket.wait_for_reset(now), OKTA_WINDOW + RESET_MARGIN);
    }

    #[test]
    fn a_reset_is_read_on_okta_clock() {
        let bucket = BucketState::default();
        let now = a_second();
        // Okta's clock runs an hour ahead: its reset is ten seconds away.
        let okta_now = now + Duration::from_secs(3600);
        bucket.observe(
            dated(0, okta_now + Duration::from_secs(10), okta_now),
            429,
            now,
        );
        let wait = bucket
            .try_take(CallClass::Login, now)
            .expect_err("the bucket is empty");
        assert_eq!(wait, Duration::from_secs(10) + RESET_MARGIN);
        assert!(bucket.try_take(CallClass::Login, now + wait).is_ok());
        // And an hour behind: the reset it gives has not passed.
        let bucket = BucketState::default();
        let okta_now = now - Duration::from_secs(3600);
        bucket.observe(
            dated(0, okta_now + Duration::from_secs(10), okta_now),
            429,
            now,
        );
        assert_eq!(
            bucket.wait_for_reset(now),
            Duration::from_secs(10) + RESET_MARGIN
        );
    }

    #[test]
    fn the_concurrency_429_is_capped_too() {
        let bucket = BucketState::default();
        let now = a_second();
        bucket.observe(dated(9, now + OKTA_WINDOW, now), 200, now);
        let concurrency = Some(RateLimit {
            limit: 0,
            remaining: 0,
            reset: seconds(now + Duration::from_secs(3600)),
            date: Some(seconds(now)),
        });
        bucket.observe(concurrency, 429, now);
        assert_eq!(bucket.wait_for_reset(now), OKTA_WINDOW + RESET_MARGIN);
        // The limit is still the bucket's: a new window gives it back.
        let later = now + OKTA_WINDOW + RESET_MARGIN;
        for _ in 0..9 {
            assert!(bucket.try_take(CallClass::KeepAlive, later).is_ok());
        }
        assert_eq!(bucket.remaining(), Some(1));
    }

    #[test]
    fn a_local_clock_gone_back_waits_one_window_at_most() {
        let bucket = BucketState::default();
        let now = a_second();
        bucket.observe(dated(0, now + OKTA_WINDOW, now), 429, now);
        let earlier = now - Duration::from_secs(3600);
        let wait = bucket
            .try_take(CallClass::Login, earlier)
            .expect_err("still empty");
        assert_eq!(wait, OKTA_WINDOW + RESET_MARGIN);
        assert!(bucket.try_take(CallClass::Login, earlier + wait).is_ok());
    }

    #[test]
    fn a_429_with_calls_left_does_not_empty_the_bucket() {
        let bucket = BucketState::default();
        let now = a_second();
        bucket.observe(dated(9, now + OKTA_WINDOW, now), 200, now);
        assert!(bucket.try_take(CallClass::Login, now).is_ok());
        // Okta's per-user limit refused this call; the bucket has 7 left.
        bucket.observe(dated(7, now + OKTA_WINDOW, now), 429, now);
        bucket.finished();
        assert_eq!(bucket.remaining(), Some(7));
        assert!(bucket.try_take(CallClass::Login, now).is_ok());
        // The bucket's own 429 (none left) does empty it.
        bucket.observe(dated(0, now + OKTA_WINDOW, now), 429, now);
        bucket.finished();
        assert_eq!(bucket.remaining(), Some(0));
        assert!(bucket.try_take(CallClass::FactorStep, now).is_err());
    }

    #[test]
    fn a_429_without_headers_empties_nothing() {
        let bucket = BucketState::default();
        let now = a_second();
        bucket.observe(dated(9, now + OKTA_WINDOW, now), 200, now);
        assert!(bucket.try_take(CallClass::Login, now).is_ok());
        bucket.observe(None, 429, now);
        bucket.finished();
        assert_eq!(bucket.remaining(), Some(8));
        assert!(bucket.try_take(CallClass::Login, now).is_ok());
        // Before any answer with headers: still one call at a time.
        let bucket = BucketState::default();
        assert!(bucket.try_take(CallClass::Login, now).is_ok());
        bucket.observe(None, 429, now);
        bucket.finished();
        assert_eq!(bucket.remaining(), None);
        assert!(bucket.try_take(CallClass::Login, now).is_ok());
        assert!(bucket.try_take(CallClass::Login, now).is_err());
    }
}
