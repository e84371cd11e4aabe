//! Okta's rate limits as the simulated org applies them: each bucket (the
//! `/api/v1/authn` bucket, the rest of `/api/v1`) allows so many calls per
//! one-minute window, reports the budget in `X-Rate-Limit-Limit`,
//! `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` on every answer, and
//! refuses calls over the limit with HTTP 429 `E0000047`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::SimOrg;
use super::responses;
use super::time::epoch_seconds;
use crate::okta::error::codes;

const WINDOW: Duration = Duration::from_secs(60);

/// Which budget a route draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bucket {
    /// `/api/v1/authn` and its factor calls.
    Authn,
    /// Every other `/api/v1` call.
    Api,
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
    reset: u64,
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
            reset: epoch_seconds(window.resets_at),
        }
    }
}

/// Middleware: charges the route's bucket and adds the rate-limit headers.
pub(super) async fn enforce(
    State((org, bucket)): State<(Arc<SimOrg>, Bucket)>,
    request: Request,
    next: Next,
) -> Response {
    let admission = match bucket {
        Bucket::Authn => org.authn_bucket.admit(),
        Bucket::Api => org.api_bucket.admit(),
    };
    let mut response = if admission.allowed {
        next.run(request).await
    } else {
        responses::okta_error(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMITED,
            "API call exceeded rate limit due to too many requests.",
        )
    };
    let headers = response.headers_mut();
    headers.insert("x-rate-limit-limit", HeaderValue::from(admission.limit));
    headers.insert(
        "x-rate-limit-remaining",
        HeaderValue::from(admission.remaining),
    );
    headers.insert("x-rate-limit-reset", HeaderValue::from(admission.reset));
    response
}
