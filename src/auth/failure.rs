//! Turning an Okta call that ended without a verdict into a decision: a
//! wrong password, an expired transaction, a locked factor, or Okta being
//! unreachable, slow, rate-limited or refusing the API token.
//!
//! The mapping branches on `errorCode`, never on summary text; anything that
//! means "Okta could not decide" follows the client's `on_okta_failure`.

use super::decision::Decision;
use super::messages;
use super::reason::Reason;
use crate::config::OnOktaFailure;
use okta_api::error::codes;
use okta_client::error::OktaError;

/// Maps a failed call to a decision: E0000004 is a plain wrong password; every
/// other failure means Okta could not give a verdict, and the client's
/// `on_okta_failure` decides between a reject and silence.
pub(super) fn decide_failure(error: &OktaError, on_failure: OnOktaFailure) -> Decision {
    if error.code() == Some(codes::AUTHENTICATION_FAILED) {
        return Decision::reject(Reason::OktaAuthenticationFailed, messages::WRONG_PASSWORD)
            .with_okta_request_id(error.request_id().map(str::to_owned));
    }
    let reason = failure_reason(error);
    let decision = match on_failure {
        OnOktaFailure::Reject => Decision::reject(reason, messages::UNAVAILABLE),
        OnOktaFailure::Drop => Decision::silence(reason),
    };
    decision.with_okta_request_id(error.request_id().map(str::to_owned))
}

/// The deadline passed before Okta answered.
pub(super) fn decide_timeout(on_failure: OnOktaFailure) -> Decision {
    match on_failure {
        OnOktaFailure::Reject => Decision::reject(Reason::OktaTimeout, messages::UNAVAILABLE),
        OnOktaFailure::Drop => Decision::silence(Reason::OktaTimeout),
    }
}

/// The server was told to stop now (a second SIGTERM or Ctrl-C during the
/// drain) before Okta gave a verdict: answered as an Okta outage, so the
/// NAS shows "unavailable" or, with `drop`, fails over.
pub(crate) fn decide_stopping(on_failure: OnOktaFailure) -> Decision {
    match on_failure {
        OnOktaFailure::Reject => Decision::reject(Reason::ServerStopping, messages::UNAVAILABLE),
        OnOktaFailure::Drop => Decision::silence(Reason::ServerStopping),
    }
}

fn failure_reason(error: &OktaError) -> Reason {
    if error.is_timeout() {
        return Reason::OktaTimeout;
    }
    if error.is_credential_invalid() {
        return Reason::OktaApiTokenInvalid;
    }
    if error.is_budget_exhausted() {
        return Reason::OktaRateLimitBudget;
    }
    if error.is_rate_limited() {
        return Reason::OktaRateLimited;
    }
    if matches!(error, OktaError::OAuth(_)) {
        return Reason::OktaOauthFailed;
    }
    match error.code() {
        Some(codes::INVALID_TOKEN) => Reason::OktaApiTokenInvalid,
        Some(codes::FORBIDDEN) => Reason::OktaPermissionDenied,
        _ if error.is_unavailable() => Reason::OktaUnavailable,
        _ => Reason::OktaError,
    }
}

/// Maps a failed call inside an open transaction (a factor step). Okta
/// answers an expired stateToken with E0000011, the same code as a dead API
/// token; inside a transaction it means the session expired (a dead API
/// token shows itself on the next primary call).
pub(super) fn decide_step_failure(error: &OktaError, on_failure: OnOktaFailure) -> Decision {
    let request_id = error.request_id().map(str::to_owned);
    let decision = match error.code() {
        Some(codes::INVALID_TOKEN | codes::ILLEGAL_STATE) => {
            Decision::reject(Reason::SessionExpired, messages::SESSION_EXPIRED)
        }
        Some(codes::FACTOR_LOCKED_OUT) => {
            Decision::reject(Reason::FactorLocked, messages::FACTOR_LOCKED)
        }
        Some(codes::FACTOR_NOT_ACTIVE | codes::FACTOR_SUSPENDED) => {
            Decision::reject(Reason::FactorUnavailable, messages::NO_USABLE_FACTOR)
        }
        _ => return decide_failure(error, on_failure),
    };
    decision.with_okta_request_id(request_id)
}
