//! Primary authentication: the user's password checked by Okta's
//! `/api/v1/authn`, and the mapping of Okta's answer to a RADIUS decision.
//!
//! Okta answers every state with HTTP 200 and hides wrong passwords, unknown
//! users and hidden lockouts behind one error (E0000004), so the mapping
//! branches on `status` and `errorCode`, never on summary text.

use super::decision::Decision;
use crate::config::OnOktaFailure;
use crate::okta::authn::{AuthnResponse, AuthnStatus};
use crate::okta::client::OktaReply;
use crate::okta::error::OktaError;

/// Texts shown to the user in Reply-Message.
pub mod messages {
    pub const WRONG_PASSWORD: &str = "Wrong user name or password.";
    pub const LOCKED_OUT: &str = "Your account is locked. Contact your help desk.";
    pub const PASSWORD_EXPIRED: &str =
        "Your password has expired. Change it in Okta, then log in again.";
    pub const MFA_NOT_OFFERED: &str =
        "Your account requires multi-factor authentication, which this server does not offer yet.";
    pub const NOT_ALLOWED: &str = "Okta did not allow this login.";
    pub const UNAVAILABLE: &str = "The login service is unavailable. Try again in a few minutes.";
}

/// Maps a successful call to `/api/v1/authn` to a decision.
pub fn decide(reply: OktaReply<AuthnResponse>) -> Decision {
    let request_id = reply.request_id;
    let decision = match &reply.body.status {
        AuthnStatus::Success => Decision::accept("okta_success"),
        AuthnStatus::LockedOut => Decision::reject("locked_out", messages::LOCKED_OUT),
        AuthnStatus::PasswordExpired => {
            Decision::reject("password_expired", messages::PASSWORD_EXPIRED)
        }
        AuthnStatus::MfaRequired
        | AuthnStatus::MfaChallenge
        | AuthnStatus::MfaEnroll
        | AuthnStatus::MfaEnrollActivate => {
            Decision::reject("mfa_not_offered", messages::MFA_NOT_OFFERED)
        }
        _ => Decision::reject("okta_status_unexpected", messages::NOT_ALLOWED),
    };
    decision.with_okta_request_id(request_id)
}

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

fn failure_reason(error: &OktaError) -> &'static str {
    if error.is_timeout() {
        return "okta_timeout";
    }
    if error.is_rate_limited() {
        return "okta_rate_limited";
    }
    match error.code() {
        Some("E0000011") => "okta_api_token_invalid",
        Some("E0000006") => "okta_permission_denied",
        _ if error.is_unavailable() => "okta_unavailable",
        _ => "okta_error",
    }
}
