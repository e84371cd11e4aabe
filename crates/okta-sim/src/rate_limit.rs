//! Okta's rate limits as the simulated org applies them: each bucket (the
//! `/api/v1/authn` bucket, `GET /api/v1/users/{id}`, the rest of `/api/v1`,
//! `/oauth2/v1/token`) allows so many calls per one-minute window, reports
//! the budget in `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and
//! `X-Rate-Limit-Reset` on every answer, and refuses calls over the limit
//! with HTTP 429 `E0000047`. The org-wide concurrency limit refuses a request
//! arriving while too many are in flight with the same 429, showing Limit 0
//! and Remaining 0. Every 429 is counted for tests. Resets are written on
//! the org's clock, which a test may skew ([`super::faults::SimFaults`]), and
//! so may be the 429s of the `/api/v1/authn` bucket.
//!
//! These are the budgets and counters; the middleware
//! ([`super::middleware`]) charges them and writes the answers.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

const WINDOW: Duration = Duration::from_secs(60);

/// Which budget a route draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bucket {
    /// `/api/v1/authn` and its factor calls.
    Authn,
    /// `GET /api/v1/users/{id or login}`.
    UserById,
    /// Every other `/api/v1` call.
    Api,
    /// `/oauth2/v1/token`.
    Token,
}

/// One bucket's budget in its current window.
pub(crate) struct RateLimitBucket {
    limit: u32,
    window: Mutex<Window>,
}

struct Window {
    started: Instant,
    resets_at: SystemTime,
    used: u32,
}

/// The outcome of asking a bucket for one call.
pub(crate) struct Admission {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// When the window resets, on this machine's clock.
    pub resets_at: SystemTime,
}

impl RateLimitBucket {
    pub fn new(limit_per_minute: u32) -> RateLimitBucket {
        RateLimitBucket {
            limit: limit_per_minute,
            window: Mutex::new(Window {
                started: Instant::now(),
                resets_at: SystemTime::now() + WINDOW,
                used: 0,
            }),
        }
    }

    /// Charges one call to the current window, if the budget allows it.
    pub fn admit(&self) -> Admission {
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        if window.started.elapsed() >= WINDOW {
            *window = Window {
                started: Instant::now(),
                resets_at: SystemTime::now() + WINDOW,
                used: 0,
            };
        }
        let allowed = window.used < self.limit;
        if allowed {
            window.used += 1;
        }
        Admission {
            allowed,
            limit: self.limit,
            remaining: self.limit - window.used,
            resets_at: window.resets_at,
        }
    }
}

/// The org-wide concurrency limit and the count of 429 answers.
#[derive(Debug, Default)]
pub(crate) struct Concurrency {
    /// Requests allowed in flight at once; 0: no limit.
    limit: u32,
    in_flight: AtomicU32,
    rate_limited: AtomicU64,
    peak: AtomicU32,
}

impl Concurrency {
    pub fn new(limit: u32) -> Concurrency {
        Concurrency {
            limit,
            ..Concurrency::default()
        }
    }

    pub fn note_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// 429 answers so far (rate and concurrency limits).
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// The most requests that were in flight at once.
    pub fn peak(&self) -> u32 {
        self.peak.load(Ordering::Relaxed)
    }

    /// Counts a request in flight until the returned guard drops (when the
    /// request ends, or is dropped).
    pub fn enter(&self) -> InFlight<'_> {
        let now_in_flight = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        let guard = InFlight {
            in_flight: &self.in_flight,
            over_limit: self.limit > 0 && now_in_flight > self.limit,
        };
        self.peak.fetch_max(now_in_flight, Ordering::Relaxed);
        guard
    }
}

/// A request in flight; decrements the in-flight count when dropped.
pub(crate) struct InFlight<'a> {
    in_flight: &'a AtomicU32,
    over_limit: bool,
}

impl InFlight<'_> {
    /// More requests are in flight than the concurrency limit allows.
    pub fn over_limit(&self) -> bool {
        self.over_limit
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}
