//! Turning an Okta call that ended without a verdict into a decision: a
//! wrong password, an expired transaction, a locked factor, or Okta being
//! unreachable, slow, rate-limited or refusing the API token.
//!
//! The mapping branches on `errorCode`, never on summary text; anything that
//! means "Okta could not decide" follows the client's `on_okta_failure`.

use super::decision::Decision;
use crate::config::OnOktaFailure;
use okta_client::error::OktaError;

use super::messages;

/// Maps a failed call to a decision: E0000004 is a plain wrong password; every
/// other failure means Okta could not give a verdict, and the client's
/// `on_okta_failure` decides between a reject and silence.
pub fn decide_failure(error: &OktaError, on_failure: OnOktaFailure) -> Decision {
    if error.code() == Some("E0000004") {
        return Decision::reject("okta_authentication_failed", messages::WRONG_PASSWORD)
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
pub fn decide_timeout(on_failure: OnOktaFailure) -> Decision {
    match on_failure {
        OnOktaFailure::Reject => Decision::reject("okta_timeout", messages::UNAVAILABLE),
        OnOktaFailure::Drop => Decision::silence("okta_timeout"),
    }
}

/// The server was told to stop now (a second SIGTERM or Ctrl-C during the
/// drain) before Okta gave a verdict: answered as an Okta outage, so the
/// NAS shows "unavailable" or, with `drop`, fails over.
pub fn decide_stopping(on_failure: OnOktaFailure) -> Decision {
    match on_failure {
        OnOktaFailure::Reject => Decision::reject("server_stopping", messages::UNAVAILABLE),
        OnOktaFailure::Drop => Decision::silence("server_stopping"),
    }
}

fn failure_reason(error: &OktaError) -> &'static str {
    if error.is_timeout() {
        return "okta_timeout";
    }
    if error.is_credential_invalid() {
        return "okta_api_token_invalid";
    }
    if error.is_budget_exhausted() {
        return "okta_rate_limit_budget";
    }
    if error.is_rate_limited() {
        return "okta_rate_limited";
    }
    if matches!(error, OktaError::OAuth(_)) {
        return "okta_oauth_failed";
    }
    match error.code() {
        Some("E0000011") => "okta_api_token_invalid",
        Some("E0000006") => "okta_permission_denied",
        _ if error.is_unavailable() => "okta_unavailable",
        _ => "okta_error",
    }
}

/// Maps a failed call inside an open transaction (a factor step). Okta
/// answers an expired stateToken with E0000011, the same code as a dead API
/// token; inside a transaction it means the session expired (a dead API
/// token shows itself on the next primary call).
pub fn decide_step_failure(error: &OktaError, on_failure: OnOktaFailure) -> Decision {
    let request_id = error.request_id().map(str::to_owned);
    let decision = match error.code() {
        Some("E0000011") | Some("E0000079") => {
            Decision::reject("session_expired", messages::SESSION_EXPIRED)
        }
        Some("E0000069") => Decision::reject("factor_locked", messages::FACTOR_LOCKED),
        Some("E0000154") | Some("E0000180") => {
            Decision::reject("factor_unavailable", messages::NO_USABLE_FACTOR)
        }
        _ => return decide_failure(error, on_failure),
    };
    decision.with_okta_request_id(request_id)
}
