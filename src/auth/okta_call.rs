//! Calls to Okta made for a RADIUS request: each one bounded by the time the
//! request may take, and, when it ends without an answer, turned into the
//! decision its failure calls for ([`super::failure`]).
//!
//! Each call runs in its own allocation, freed when the call returns. A
//! step's future otherwise carries room for the largest call any of its
//! branches could make.

use super::context::Request;
use super::decision::Decision;
use super::failure::{decide_failure, decide_step_failure, decide_timeout};
use okta_client::OktaClient;
use okta_client::error::OktaError;
use secrecy::SecretString;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// What a call is for, which sets how long it may take and what its
/// failure means.
#[derive(Debug, Clone, Copy)]
pub(super) enum Purpose {
    /// A new login or a user look-up: E0000011 means the API token.
    Login,
    /// A step of an authentication transaction, or of a factor: E0000011
    /// means the transaction expired.
    Transaction,
    /// The user's groups once Okta said yes: given at least 2 s, even when
    /// the login took most of the deadline.
    Groups,
    /// Polling a push in MFA-only mode, until the push hold ends.
    PushPoll { until: Instant },
}

/// Least time the groups call is given.
const GROUPS_AT_LEAST: Duration = Duration::from_secs(2);

impl Purpose {
    fn until(self, request: &Request<'_>) -> Instant {
        match self {
            Purpose::Login | Purpose::Transaction => request.deadline,
            Purpose::Groups => request.deadline.max(Instant::now() + GROUPS_AT_LEAST),
            Purpose::PushPoll { until } => until,
        }
    }
}

/// A call that ended without an answer, and the decision that follows.
pub(super) struct Failed {
    /// What Okta (or the exchange) said; `None` when the time ran out.
    error: Option<OktaError>,
    pub(super) decision: Decision,
}

impl Failed {
    /// Okta's `errorCode`, when Okta refused the call with one.
    pub(super) fn code(&self) -> Option<&str> {
        self.error.as_ref()?.code()
    }

    pub(super) fn error(&self) -> Option<&OktaError> {
        self.error.as_ref()
    }

    /// `X-Okta-Request-Id` of the refusal, for the audit line.
    pub(super) fn okta_request_id(&self) -> Option<String> {
        self.error.as_ref()?.request_id().map(str::to_owned)
    }

    /// Whether the time ran out before Okta answered.
    pub(super) fn is_late(&self) -> bool {
        self.error.is_none()
    }
}

/// Runs `call` for `request`: its answer, or the decision for its failure
/// (the client's `on_okta_failure` applies when Okta could not decide).
///
/// Not an `async fn`: that would keep `call` unboxed inside its own future.
pub(super) fn ask<T, F>(
    request: &Request<'_>,
    purpose: Purpose,
    call: F,
) -> impl Future<Output = Result<T, Failed>> + use<T, F>
where
    F: Future<Output = Result<T, OktaError>>,
{
    let on_failure = request.client.on_okta_failure;
    let call = tokio::time::timeout_at(purpose.until(request), Box::pin(call));
    async move {
        match call.await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(error)) => {
                let decision = match purpose {
                    Purpose::Login | Purpose::Groups => decide_failure(&error, on_failure),
                    Purpose::Transaction | Purpose::PushPoll { .. } => {
                        decide_step_failure(&error, on_failure)
                    }
                };
                Err(Failed {
                    error: Some(error),
                    decision,
                })
            }
            Err(_) => Err(Failed {
                error: None,
                decision: decide_timeout(on_failure),
            }),
        }
    }
}

/// Cancels an Okta transaction that will not be finished, so nothing can
/// complete it later. Failures are only logged: the login ends anyway.
pub(super) async fn cancel(okta: &OktaClient, state_token: &SecretString) {
    if let Err(error) = Box::pin(okta.authn().cancel(state_token)).await {
        tracing::debug!(%error, "cancelling an Okta transaction failed");
    }
}
