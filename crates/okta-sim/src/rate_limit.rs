//! Okta's rate limits as the simulated org applies them: each bucket (the
//! `/api/v1/authn` bucket, `GET /api/v1/users/{id}`, the rest of `/api/v1`,
//! `/oauth2/v1/token`) allows so many calls per one-minute window, reports
//! the budget in `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and
//! `X-Rate-Limit-Reset` on every answer, and refuses calls over the limit
//! with HTTP 429 `E0000047`. The org-wide concurrency limit refuses a request
//! arriving while too many are in flight with the same 429, showing Limit 0
//! and Remaining 0. Every 429 is counted for tests. Resets are written on
//! the org's clock, which a test may skew ([`super::SimFaults`]), and so may
//! be the 429s of the `/api/v1/authn` bucket.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::responses;
use super::{SimOrg, SimRateLimited};
use okta_api::error::codes;
use okta_api::time::epoch_seconds;

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
struct Admission {
    allowed: bool,
    limit: u32,
    remaining: u32,
    /// When the window resets, on this machine's clock.
    resets_at: SystemTime,
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

    fn admit(&self) -> Admission {
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

/// Middleware: charges the route's bucket and adds the rate-limit headers,
/// or answers the 429 a test asked for on the `/api/v1/authn` bucket.
pub(super) async fn enforce(
    State((org, bucket)): State<(Arc<SimOrg>, Bucket)>,
    request: Request,
    next: Next,
) -> Response {
    let injected = match bucket {
        Bucket::Authn => org.faults.take_authn_rate_limited(),
        _ => None,
    };
    let admission = match bucket {
        Bucket::Authn => org.authn_bucket.admit(),
        Bucket::UserById => org.user_bucket.admit(),
        Bucket::Api => org.api_bucket.admit(),
        Bucket::Token => org.token_bucket.admit(),
    };
    let mut response = if admission.allowed && injected.is_none() {
        next.run(request).await
    } else {
        org.concurrency.note_rate_limited();
        responses::okta_error(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMITED,
            "API call exceeded rate limit due to too many requests.",
        )
    };
    let (remaining, resets_at) = match injected {
        Some(SimRateLimited::NoHeaders) => return response,
        Some(SimRateLimited::Bucket { resets_in }) => {
            (0, org.faults.org_time(SystemTime::now()) + resets_in)
        }
        Some(SimRateLimited::PerUser) | None => (
            admission.remaining,
            org.faults.org_time(admission.resets_at),
        ),
    };
    let headers = response.headers_mut();
    headers.insert("x-rate-limit-limit", HeaderValue::from(admission.limit));
    headers.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
    headers.insert(
        "x-rate-limit-reset",
        HeaderValue::from(epoch_seconds(resets_at)),
    );
    response
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
}

/// Decrements the in-flight count when a request ends (or is dropped).
struct InFlight<'a>(&'a AtomicU32);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Middleware: the concurrency limit, over every route.
pub(super) async fn limit_concurrency(
    State(org): State<Arc<SimOrg>>,
    request: Request,
    next: Next,
) -> Response {
    let limiter = &org.concurrency;
    let now_in_flight = limiter.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
    let _guard = InFlight(&limiter.in_flight);
    limiter.peak.fetch_max(now_in_flight, Ordering::Relaxed);
    if limiter.limit > 0 && now_in_flight > limiter.limit {
        limiter.note_rate_limited();
        let mut response = responses::okta_error(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMITED,
            "API call exceeded rate limit due to too many requests.",
        );
        let headers = response.headers_mut();
        headers.insert("x-rate-limit-limit", HeaderValue::from(0u32));
        headers.insert("x-rate-limit-remaining", HeaderValue::from(0u32));
        headers.insert(
            "x-rate-limit-reset",
            HeaderValue::from(epoch_seconds(
                org.faults.org_time(SystemTime::now()) + Duration::from_secs(1),
            )),
        );
        return response;
    }
    next.run(request).await
}
