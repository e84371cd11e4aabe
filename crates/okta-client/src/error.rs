//! What can go wrong when talking to Okta, in one error type the login
//! conversation can branch on: Okta's own refusals (by `errorCode`, never by
//! summary text), and the ways the network or the answer can fail.
//!
//! Messages are written for an operator reading a log line. They never carry a
//! request body, a password, an API token, a stateToken or a sessionToken.

use okta_api::RateLimit;
pub use okta_api::error::codes;

/// A failed call to Okta.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OktaError {
    /// Okta answered 4xx/5xx with its error body.
    #[error("Okta refused the request: {error_code} {summary} (HTTP {http_status}{})", request_id_suffix(.request_id))]
    Api {
        http_status: u16,
        error_code: String,
        summary: String,
        request_id: Option<String>,
        /// The rate-limit headers of the refusal (to back off after a 429).
        rate_limit: Option<RateLimit>,
    },
    /// A 4xx/5xx answer without an Okta error body (a proxy or load balancer answered).
    #[error("Okta answered HTTP {http_status} without an Okta error body{}", request_id_suffix(.request_id))]
    Status {
        http_status: u16,
        request_id: Option<String>,
    },
    /// No answer within the connect or request timeout.
    #[error("Okta did not answer in time")]
    Timeout,
    /// Could not open a connection (refused, DNS, TLS handshake).
    #[error("cannot connect to Okta: {0}")]
    Connect(String),
    /// Any other transport failure.
    #[error("HTTP exchange with Okta failed: {0}")]
    Http(String),
    /// A 2xx answer that is not what the API documents.
    #[error("cannot read Okta's answer: {0}")]
    Decode(String),
    /// The settings cannot work (bad org URL, unusable token).
    #[error("invalid Okta settings: {0}")]
    Config(String),
    /// The API token was refused (401 `E0000011` on a call without a
    /// stateToken): it expired after 30 days unused, was revoked, or its
    /// admin was deactivated or lost roles. Calls that need it are refused
    /// here, without asking Okta, until a probe succeeds or a new token is
    /// loaded.
    #[error(
        "the Okta API token is invalid (expired, revoked, or its admin deactivated); the call was not sent"
    )]
    CredentialInvalid,
    /// The OAuth service app could not get an access token.
    #[error("the OAuth service app has no access token: {0}")]
    OAuth(String),
    /// The rate-limit budget cannot fit the call before the request's
    /// deadline, so it was not sent (or a 429 was not retried).
    #[error(
        "Okta's rate limit for {bucket} calls is used up for {wait_ms} ms more, past this request's deadline; the call was not sent"
    )]
    RateLimited {
        /// The Okta bucket (`authn`, `users`, `api`, `token`).
        bucket: &'static str,
        /// How long the budget would have made the call wait.
        wait_ms: u64,
    },
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(", request id {id}"),
        None => String::new(),
    }
}

impl OktaError {
    /// Okta's `errorCode`, when Okta refused the call with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            OktaError::Api { error_code, .. } => Some(error_code),
            _ => None,
        }
    }

    /// The HTTP status of a refusal.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            OktaError::Api { http_status, .. } | OktaError::Status { http_status, .. } => {
                Some(*http_status)
            }
            _ => None,
        }
    }

    /// `X-Okta-Request-Id` of the refusal, to quote in logs and support cases.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            OktaError::Api { request_id, .. } | OktaError::Status { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// The call ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, OktaError::Timeout)
    }

    /// Okta cannot be used right now: no connection, no answer in time, a 5xx,
    /// an internal error (E0000009) or read-only mode (E0000010).
    pub fn is_unavailable(&self) -> bool {
        match self {
            OktaError::Timeout | OktaError::Connect(_) => true,
            OktaError::Api { .. } | OktaError::Status { .. } => {
                self.http_status().is_some_and(|status| status >= 500)
                    || matches!(self.code(), Some(codes::INTERNAL_ERROR | codes::READ_ONLY))
            }
            _ => false,
        }
    }

    /// Okta refused the call for exceeding a rate limit (HTTP 429), or the
    /// bridge's own budget held it back ([`OktaError::RateLimited`]).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, OktaError::RateLimited { .. }) || self.http_status() == Some(429)
    }

    /// The call was not sent because the API token is known to be invalid
    /// ([`OktaError::CredentialInvalid`]).
    pub fn is_credential_invalid(&self) -> bool {
        matches!(self, OktaError::CredentialInvalid)
    }

    /// The bridge's budget held the call back without sending it (a subset of
    /// [`OktaError::is_rate_limited`]).
    pub fn is_budget_exhausted(&self) -> bool {
        matches!(self, OktaError::RateLimited { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use okta_api::error::OktaErrorBody;

    #[test]
    fn error_body_parses_okta_shape() {
        let body: OktaErrorBody = serde_json::from_str(
            r#"{"errorCode":"E0000004","errorSummary":"Authentication failed","errorLink":"E0000004",
                "errorId":"oaeXYZ","errorCauses":[]}"#,
        )
        .expect("parses");
        assert_eq!(body.error_code, codes::AUTHENTICATION_FAILED);
        assert_eq!(body.error_summary, "Authentication failed");
        assert_eq!(body.error_id.as_deref(), Some("oaeXYZ"));
    }

    #[test]
    fn classification() {
        let api = |status: u16, code: &str| OktaError::Api {
            http_status: status,
            error_code: code.into(),
            summary: "s".into(),
            request_id: Some("req1".into()),
            rate_limit: None,
        };
        assert!(api(500, codes::INTERNAL_ERROR).is_unavailable());
        assert!(api(503, codes::READ_ONLY).is_unavailable());
        assert!(!api(401, codes::AUTHENTICATION_FAILED).is_unavailable());
        assert!(api(429, codes::RATE_LIMITED).is_rate_limited());
        assert_eq!(api(401, codes::INVALID_TOKEN).code(), Some("E0000011"));
        assert!(OktaError::Timeout.is_unavailable() && OktaError::Timeout.is_timeout());
        assert!(OktaError::Connect("refused".into()).is_unavailable());
        assert!(
            OktaError::Status {
                http_status: 502,
                request_id: None
            }
            .is_unavailable()
        );
        let budget = OktaError::RateLimited {
            bucket: "authn",
            wait_ms: 30_000,
        };
        assert!(budget.is_rate_limited() && budget.is_budget_exhausted());
        assert!(!budget.is_unavailable());
        assert!(OktaError::CredentialInvalid.is_credential_invalid());
        assert!(!api(401, codes::INVALID_TOKEN).is_credential_invalid());
        let text = api(401, codes::AUTHENTICATION_FAILED).to_string();
        assert_eq!(
            text,
            "Okta refused the request: E0000004 s (HTTP 401, request id req1)"
        );
    }
}
