//! What an answer of Direct Authentication means. Okta says what comes
//! next in OAuth error answers, so those are outcomes here, not failures:
//! `mfa_required` (with the `mfa_token` to continue with),
//! `authorization_pending` and `slow_down` while a push waits, and every
//! other `error` (`invalid_grant`, `access_denied`, an app that may not use
//! the grant) as a [`Refusal`] for the conversation to judge. Tokens are
//! an outcome only with an ID token that passed every check.

use secrecy::SecretString;

use crate::id_token::{IdTokenRejection, VerifiedIdentity};
use okta_api::direct::{ChallengeAnswer, errors};

/// The outcome of a grant at the token endpoint.
#[derive(Debug, Clone)]
pub enum Grant {
    /// Okta issued tokens and the ID token passed every check.
    Authenticated(VerifiedIdentity),
    /// Okta issued tokens, but the ID token failed a check.
    IdTokenRejected(IdTokenRejection),
    /// The password is right; a second factor is needed.
    MfaRequired { mfa_token: SecretString },
    /// The out-of-band factor is not answered yet.
    Pending,
    /// Polled too often: wait 5 seconds more between polls.
    SlowDown,
    /// Any other OAuth error.
    Refused(Refusal),
}

/// An OAuth error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub http_status: u16,
    pub error: String,
    /// `error_description`, shortened; for logs only.
    pub description: Option<String>,
}

impl Refusal {
    /// Whether the error is `error`.
    pub fn is(&self, error: &str) -> bool {
        self.error == error
    }

    /// Whether the error says the app is set up wrong (its client
    /// authentication, a grant not enabled, a scope not allowed), rather
    /// than anything about the user.
    pub fn is_app_problem(&self) -> bool {
        matches!(
            self.error.as_str(),
            errors::INVALID_CLIENT
                | errors::UNAUTHORIZED_CLIENT
                | errors::UNSUPPORTED_GRANT_TYPE
                | errors::INVALID_SCOPE
        )
    }
}

/// The outcome of `/challenge`.
#[derive(Debug)]
pub enum ChallengeOutcome {
    /// Sent: poll with its `oob_code`.
    Sent(ChallengeAnswer),
    Refused(Refusal),
}
