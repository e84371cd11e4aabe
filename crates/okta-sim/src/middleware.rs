//! The layers every request of the simulated org passes through around its
//! handler, outermost first:
//!
//! - [`stamp`]: `Date` on the org's clock, a fresh `X-Okta-Request-Id` and a
//!   JSON content type on every answer;
//! - [`record`]: what the org received, before anything can refuse it;
//! - [`limit_concurrency`]: the org-wide limit of requests in flight;
//! - [`inject_faults`]: added latency and the fault mode;
//! - [`require_token`]: a live API token or a valid OAuth access token
//!   (every route but the token endpoint);
//! - [`charge_bucket`]: the route's rate-limit bucket and its
//!   `X-Rate-Limit-*` headers.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::faults::{SimFaultMode, SimRateLimited};
use super::ids;
use super::org::SimOrg;
use super::rate_limit::Bucket;
use super::records::SimRequest;
use super::responses;
use okta_api::error::codes;
use okta_api::time::epoch_seconds;

/// Largest request body the org accepts.
const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Every answer gets a fresh `X-Okta-Request-Id`, a JSON content type and a
/// `Date` on the org's clock.
pub(crate) async fn stamp(
    State(org): State<Arc<SimOrg>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let date = httpdate::fmt_http_date(org.faults.org_time(SystemTime::now()));
    if let Ok(date) = HeaderValue::from_str(&date) {
        headers.insert(header::DATE, date);
    }
    if let Ok(id) = HeaderValue::from_str(&ids::random_token(27)) {
        headers.insert("x-okta-request-id", id);
    }
    headers
        .entry(header::CONTENT_TYPE)
        .or_insert(HeaderValue::from_static("application/json"));
    response
}

/// Records the request, then passes it on with its body intact.
pub(crate) async fn record(
    State(org): State<Arc<SimOrg>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return responses::okta_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::MALFORMED_REQUEST,
            "The request body was not well-formed.",
        );
    };
    org.records.record(SimRequest::received(&parts, &bytes));
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The concurrency limit, over every route: a request arriving while too
/// many are in flight is a 429 showing Limit 0 and Remaining 0.
pub(crate) async fn limit_concurrency(
    State(org): State<Arc<SimOrg>>,
    request: Request,
    next: Next,
) -> Response {
    let limiter = &org.concurrency;
    let in_flight = limiter.enter();
    if in_flight.over_limit() {
        limiter.note_rate_limited();
        let mut response = rate_limited();
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

/// Applies the added latency, then the fault mode.
pub(crate) async fn inject_faults(
    State(org): State<Arc<SimOrg>>,
    request: Request,
    next: Next,
) -> Response {
    let latency = org.faults.latency();
    if !latency.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(latency) => {}
            () = org.stopped() => return shutting_down(),
        }
    }
    match org.faults.mode() {
        SimFaultMode::Normal => next.run(request).await,
        SimFaultMode::InternalError => responses::okta_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL_ERROR,
            "Internal Server Error",
        ),
        SimFaultMode::ReadOnly => responses::okta_error(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::READ_ONLY,
            "Service is in read only mode",
        ),
        SimFaultMode::Hang => {
            org.stopped().await;
            shutting_down()
        }
    }
}

/// Refuses calls without a live API token (`SSWS`) or a valid OAuth access
/// token (`DPoP` or `Bearer`).
pub(crate) async fn require_token(
    State(org): State<Arc<SimOrg>>,
    mut request: Request,
    next: Next,
) -> Response {
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let scheme = authorization.split(' ').next().unwrap_or("");
    if scheme.eq_ignore_ascii_case("dpop") || scheme.eq_ignore_ascii_case("bearer") {
        return match org.oauth.check_resource_request(
            request.method(),
            request.uri(),
            request.headers(),
        ) {
            Ok(grant) => {
                // An endpoint that needs a scope of its own reads the grant.
                request.extensions_mut().insert(grant);
                next.run(request).await
            }
            Err(rejection) => rejection.into_response(),
        };
    }
    let presented = authorization.strip_prefix("SSWS ").map(str::trim);
    if presented.is_some_and(|presented| org.api_tokens.accept(presented)) {
        next.run(request).await
    } else {
        responses::invalid_token()
    }
}

/// Charges the route's bucket and adds the rate-limit headers, or answers
/// the 429 a test asked for on the `/api/v1/authn` bucket.
pub(crate) async fn charge_bucket(
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
        rate_limited()
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

/// 429 `E0000047`, from a bucket or the concurrency limit.
fn rate_limited() -> Response {
    responses::okta_error(
        StatusCode::TOO_MANY_REQUESTS,
        codes::RATE_LIMITED,
        "API call exceeded rate limit due to too many requests.",
    )
}

fn shutting_down() -> Response {
    responses::okta_error(
        StatusCode::SERVICE_UNAVAILABLE,
        codes::INTERNAL_ERROR,
        "The simulated org is shutting down",
    )
}
