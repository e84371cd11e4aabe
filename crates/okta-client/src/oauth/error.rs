//! What can go wrong when getting an OAuth access token, as one error type
//! whose variants follow the token endpoint's `error` codes (RFC 6749 §5.2,
//! RFC 9449 §7.1), so an operator reading a log line knows what to fix.
//!
//! No variant holds a key, an assertion, a proof or a token; the server's
//! `error_description` is kept (shortened), since Okta writes it for humans
//! and never echoes credentials in it.

use reqwest::StatusCode;

use super::keys::KeyError;

/// The longest `error_description` an error keeps.
const MAX_DESCRIPTION: usize = 300;

/// Why no access token could be had.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The app or its assertion was refused: unknown client, unknown or
    /// removed `kid`, bad signature, wrong audience, reused `jti`.
    #[error("the token endpoint refused the client (invalid_client): {description}")]
    InvalidClient { description: String },
    /// A requested scope is not granted to the app.
    #[error("the token endpoint refused the scopes (invalid_scope): {description}")]
    InvalidScope { description: String },
    /// The DPoP proof was refused.
    #[error("the token endpoint refused the DPoP proof (invalid_dpop_proof): {description}")]
    InvalidDpopProof { description: String },
    /// The server still asked for a new nonce after one retry with a fresh one.
    #[error("the token endpoint kept asking for a new DPoP nonce (use_dpop_nonce)")]
    DpopNonceChurn,
    /// Any other OAuth error answer (`invalid_request`, `unauthorized_client`, ...).
    #[error("the token endpoint answered HTTP {status} {error}: {description}")]
    Refused {
        status: StatusCode,
        error: String,
        description: String,
    },
    /// The request did not get an answer.
    #[error("cannot reach the token endpoint: {0}")]
    Network(#[source] reqwest::Error),
    /// The answer could not be understood.
    #[error("cannot understand the token endpoint's answer (HTTP {status}): {reason}")]
    Decode { status: StatusCode, reason: String },
    /// The configured keys cannot be used.
    #[error("OAuth signing keys: {0}")]
    Keys(String),
    /// A signing key could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The org URL cannot be turned into a token URL.
    #[error("the org URL {0:?} is not a valid base URL")]
    OrgUrl(String),
}

impl OAuthError {
    /// The error for an OAuth error answer `{"error", "error_description"}`.
    pub(crate) fn from_answer(status: StatusCode, error: &str, description: &str) -> OAuthError {
        let description = shorten(description);
        match error {
            "invalid_client" => OAuthError::InvalidClient { description },
            "invalid_scope" => OAuthError::InvalidScope { description },
            "invalid_dpop_proof" => OAuthError::InvalidDpopProof { description },
            "use_dpop_nonce" => OAuthError::DpopNonceChurn,
            _ => OAuthError::Refused {
                status,
                error: shorten(error),
                description,
            },
        }
    }
}

fn shorten(text: &str) -> String {
    let printable: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match printable.char_indices().nth(MAX_DESCRIPTION) {
        Some((cut, _)) => format!("{}...", &printable[..cut]),
        None => printable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_oauth_codes() {
        let error = OAuthError::from_answer(StatusCode::UNAUTHORIZED, "invalid_client", "nope");
        assert!(matches!(error, OAuthError::InvalidClient { .. }));
        assert!(error.to_string().contains("invalid_client"));
        let error = OAuthError::from_answer(StatusCode::BAD_REQUEST, "odd", &"x\n".repeat(400));
        assert!(matches!(&error, OAuthError::Refused { error, .. } if error == "odd"));
        assert!(error.to_string().len() < 400);
        assert!(!error.to_string().contains('\n'));
    }
}
