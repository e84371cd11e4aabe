//! When one call is sent again, and how the retry says so. A 429 is
//! retried after the window's reset when the call may be repeated (a poll,
//! the keep-alive, a management read: never a password or a code) and the
//! request's deadline allows, at most twice, with `X-Okta-Retry-For` (the
//! request id of the 429) and `X-Okta-Retry-Count`, as Okta's SDKs do. An
//! OAuth call refused with 401 is sent once more with fresh headers.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};

use crate::budget::{Budget, OktaBucket, current_deadline};
use crate::call::CallKind;

/// Retries of one call after a 429.
const MAX_RATE_LIMIT_RETRIES: u32 = 2;
/// Without a request deadline, a 429 is retried only if the reset is this
/// close: one Okta window and the one-second margin (the most the budget
/// ever waits for a reset).
const MAX_UNBOUNDED_RETRY_WAIT: Duration = Duration::from_secs(61);

const RETRY_FOR: &str = "x-okta-retry-for";
const RETRY_COUNT: &str = "x-okta-retry-count";

/// Which attempt of a call this is.
#[derive(Debug, Default)]
pub(crate) struct Attempt {
    /// Retries after a 429 so far.
    retries: u32,
    /// The request id of the last 429.
    retry_for: Option<String>,
    oauth_retried: bool,
}

impl Attempt {
    /// Marks a retry after a 429 as one: `X-Okta-Retry-For` and
    /// `X-Okta-Retry-Count`. The first attempt goes out unmarked.
    pub(crate) fn mark(&self, headers: &mut HeaderMap) {
        if self.retries > 0 {
            if let Some(id) = &self.retry_for
                && let Ok(value) = HeaderValue::from_str(id)
            {
                headers.insert(RETRY_FOR, value);
            }
            headers.insert(RETRY_COUNT, HeaderValue::from(self.retries));
        }
    }

    /// Whether a 401 to an OAuth call may be retried: once per call.
    pub(crate) fn retry_oauth_once(&mut self) -> bool {
        !std::mem::replace(&mut self.oauth_retried, true)
    }

    /// How long to wait before retrying a call Okta refused with 429, or
    /// `None` when it is not retried (each with its log line).
    pub(crate) fn rate_limit_wait(
        &self,
        kind: &CallKind,
        method: &Method,
        budget: &Budget,
        bucket: OktaBucket,
        endpoint: &'static str,
        request_id: Option<&str>,
    ) -> Option<Duration> {
        if kind.retryable(method) && self.retries < MAX_RATE_LIMIT_RETRIES {
            let wait = budget.retry_after(bucket);
            let fits = match current_deadline() {
                Some(deadline) => tokio::time::Instant::now() + wait <= deadline,
                None => wait <= MAX_UNBOUNDED_RETRY_WAIT,
            };
            if fits {
                tracing::info!(
                    endpoint,
                    okta_request_id = request_id.unwrap_or("-"),
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "Okta rate-limited the call (429): retrying after the window resets"
                );
                return Some(wait);
            }
        }
        tracing::warn!(
            endpoint,
            class = kind.class.label(),
            okta_request_id = request_id.unwrap_or("-"),
            "Okta rate-limited the call (429); it is not retried"
        );
        None
    }

    /// The next attempt retries a 429 whose request id was `request_id`.
    pub(crate) fn after_rate_limit(&mut self, request_id: Option<String>) {
        self.retries += 1;
        self.retry_for = request_id;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::CallClass;
    use crate::call::Caller;

    #[test]
    fn a_login_is_never_retried_and_a_poll_at_most_twice() {
        let budget = Budget::new(4, Duration::from_secs(10));
        let login = CallKind::new(Caller::TrustedApp, CallClass::Login).secret_bearing(true);
        let poll = CallKind::in_transaction(CallClass::Poll);
        let mut attempt = Attempt::default();
        let wait = |attempt: &Attempt, kind: &CallKind| {
            attempt.rate_limit_wait(
                kind,
                &Method::POST,
                &budget,
                OktaBucket::Authn,
                "authn",
                None,
            )
        };
        assert_eq!(wait(&attempt, &login), None);
        assert!(wait(&attempt, &poll).is_some());
        attempt.after_rate_limit(Some("req1".into()));
        assert!(wait(&attempt, &poll).is_some());
        attempt.after_rate_limit(Some("req2".into()));
        assert_eq!(wait(&attempt, &poll), None);
    }

    #[test]
    fn oauth_is_retried_once() {
        let mut attempt = Attempt::default();
        assert!(attempt.retry_oauth_once());
        assert!(!attempt.retry_oauth_once());
    }
}
