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

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::CallClass;
use crate::okta::client::RateLimit;

/// How long a window is assumed to last when Okta did not say (Okta: ~60 s).
const ASSUMED_WINDOW: Duration = Duration::from_secs(60);
/// How often a call re-checks a bucket whose limit is not known yet.
const UNKNOWN_RECHECK: Duration = Duration::from_millis(10);
/// Okta's SDKs wait until the reset and one second more.
const RESET_MARGIN: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct BucketState {
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
        reset: SystemTime,
    },
}

impl BucketState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes one call from the budget, or says how long to wait before asking again.
    pub fn try_take(&self, class: CallClass, now: SystemTime) -> Result<(), Duration> {
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
            } => {
                if now >= *reset + RESET_MARGIN {
                    // A new window: the old limit, counted down from now on.
                    *remaining = *limit;
                    *reset = now + ASSUMED_WINDOW;
                }
                if *remaining <= class.floor(*limit) {
                    return Err(reset.duration_since(now).unwrap_or_default() + RESET_MARGIN);
                }
                *remaining -= 1;
            }
        }
        inner.in_flight += 1;
        Ok(())
    }

    /// A call taken with [`BucketState::try_take`] is over.
    pub fn finished(&self) {
        let mut inner = self.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
    }

    /// Learns from an answer (before its call is marked finished).
    pub fn observe(&self, rate_limit: Option<RateLimit>, http_status: u16, now: SystemTime) {
        let mut inner = self.lock();
        let others = inner.in_flight.saturating_sub(1);
        let previous = inner.known;
        inner.known = match (rate_limit, previous) {
            (Some(seen), _) if seen.limit > 0 => {
                let reset = UNIX_EPOCH + Duration::from_secs(seen.reset);
                let reported = if http_status == 429 {
                    0
                } else {
                    seen.remaining.saturating_sub(others)
                };
                let remaining = match previous {
                    Known::Window {
                        remaining: counted,
                        reset: known_reset,
                        ..
                    } if known_reset == reset => counted.min(reported),
                    _ => reported,
                };
                Known::Window {
                    limit: seen.limit,
                    remaining,
                    reset,
                }
            }
            // The concurrency form of 429 (Limit 0, Remaining 0): hold
            // back until its reset, keeping what is known of the limit.
            (Some(seen), previous) if http_status == 429 => {
                let reset = (UNIX_EPOCH + Duration::from_secs(seen.reset)).max(now);
                let limit = match previous {
                    Known::Window { limit, .. } => limit,
                    _ => 1,
                };
                Known::Window {
                    limit,
                    remaining: 0,
                    reset,
                }
            }
            (None, previous) if http_status == 429 => Known::Window {
                limit: match previous {
                    Known::Window { limit, .. } => limit,
                    _ => 1,
                },
                remaining: 0,
                reset: now + ASSUMED_WINDOW,
            },
            (Some(_), previous) => previous,
            (None, Known::Nothing) => Known::Unlimited,
            (None, previous) => previous,
        };
    }

    /// Calls left as far as the bridge knows.
    pub fn remaining(&self) -> Option<u64> {
        match self.lock().known {
            Known::Window { remaining, .. } => Some(remaining),
            _ => None,
        }
    }

    /// How long until the window resets (plus Okta's one-second margin).
    pub fn wait_for_reset(&self, now: SystemTime) -> Duration {
        match self.lock().known {
            Known::Window { reset, .. } => {
                reset.duration_since(now).unwrap_or_default() + RESET_MARGIN
            }
            _ => RESET_MARGIN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(remaining: u64, reset: SystemTime) -> Option<RateLimit> {
        Some(RateLimit {
            limit: 10,
            remaining,
            reset: reset
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
        })
    }

    #[test]
    fn one_call_at_a_time_until_the_limit_is_known() {
        let bucket = BucketState::default();
        let now = SystemTime::now();
        assert!(bucket.try_take(CallClass::Login, now).is_ok());
        assert!(bucket.try_take(CallClass::Login, now).is_err());
        bucket.observe(window(9, now + ASSUMED_WINDOW), 200, now);
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
        bucket.observe(window(9, now + ASSUMED_WINDOW), 200, now);
        for _ in 0..3 {
            assert!(bucket.try_take(CallClass::KeepAlive, now).is_ok());
        }
        // The first of three answers: Okta has counted one of them.
        bucket.observe(window(8, now + ASSUMED_WINDOW), 200, now);
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
}
