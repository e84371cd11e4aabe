//! Okta's error answers on the wire: the `errorCode` values the bridge and
//! the simulated org use, and the body Okta sends with every 4xx and 5xx.
//! Callers branch on `errorCode`, never on the summary text.

use serde::{Deserialize, Serialize};

/// Okta `errorCode` values the bridge (and the simulated org) use.
pub mod codes {
    /// Validation failed (a field is missing or invalid).
    pub const VALIDATION_FAILED: &str = "E0000001";
    /// The request body was not well-formed.
    pub const MALFORMED_REQUEST: &str = "E0000003";
    /// Authentication failed: wrong password, unknown user, hidden lockout, policy deny.
    pub const AUTHENTICATION_FAILED: &str = "E0000004";
    /// The token's admin lacks the permission.
    pub const FORBIDDEN: &str = "E0000006";
    /// Resource not found.
    pub const NOT_FOUND: &str = "E0000007";
    /// Internal server error.
    pub const INTERNAL_ERROR: &str = "E0000009";
    /// The org is in read-only mode.
    pub const READ_ONLY: &str = "E0000010";
    /// Invalid token: API token expired or revoked, or stateToken expired.
    pub const INVALID_TOKEN: &str = "E0000011";
    /// The endpoint does not support the HTTP method.
    pub const METHOD_NOT_ALLOWED: &str = "E0000022";
    /// Rate limit exceeded.
    pub const RATE_LIMITED: &str = "E0000047";
    /// Invalid passcode or answer.
    pub const INVALID_PASSCODE: &str = "E0000068";
    /// The user is locked out of the factor.
    pub const FACTOR_LOCKED_OUT: &str = "E0000069";
    /// The call is not allowed in the transaction's current state.
    pub const ILLEGAL_STATE: &str = "E0000079";
    /// The passcode was already used.
    pub const PASSCODE_REPLAYED: &str = "E0000082";
    /// The passcode is outside the allowed time window.
    pub const PASSCODE_OUTSIDE_WINDOW: &str = "E0000083";
    /// An SMS was sent less than 30 seconds ago.
    pub const SMS_TOO_SOON: &str = "E0000109";
    /// An email was sent less than 30 seconds ago.
    pub const EMAIL_TOO_SOON: &str = "E0000118";
    /// A voice call was made less than 30 seconds ago.
    pub const CALL_TOO_SOON: &str = "E0000133";
    /// The factor is not active.
    pub const FACTOR_NOT_ACTIVE: &str = "E0000154";
    /// The factor is suspended.
    pub const FACTOR_SUSPENDED: &str = "E0000180";
}

/// The body Okta sends with every 4xx and 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OktaErrorBody {
    pub error_code: String,
    #[serde(default)]
    pub error_summary: String,
    #[serde(default)]
    pub error_link: Option<String>,
    #[serde(default)]
    pub error_id: Option<String>,
    #[serde(default)]
    pub error_causes: Vec<OktaErrorCause>,
}

/// One entry of `errorCauses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OktaErrorCause {
    #[serde(default)]
    pub error_summary: String,
}
