//! Why an ID token was refused. Each reason has its own label, the same
//! in `okta_id_tokens_rejected_total{reason}` and in the audit log, so an
//! operator can tell a forged token from a clock that drifted or a key
//! rotation the bridge could not follow.

/// Why an ID token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenRejection {
    /// Not a compact JWS, or a required claim (`sub`, `exp`, `iat`) missing.
    #[error("the ID token is malformed")]
    Malformed,
    /// An `alg` other than RS256 (`none`, `HS256`, ...).
    #[error("the ID token is signed with an algorithm that is not allowed")]
    Algorithm,
    /// A `kid` the authorization server's key set does not hold.
    #[error("the ID token names a signing key the authorization server does not publish")]
    UnknownKey,
    /// The key set could not be fetched and none is usable.
    #[error("the authorization server's signing keys cannot be fetched")]
    KeysUnavailable,
    #[error("the ID token's signature does not verify")]
    BadSignature,
    /// `iss` is not exactly the authorization server.
    #[error("the ID token's issuer is not the authorization server")]
    Issuer,
    /// `aud` does not name the OIDC app's client id.
    #[error("the ID token is not meant for this app")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    /// `iat` is later than now, beyond the allowed clock skew.
    #[error("the ID token is issued in the future")]
    IssuedInFuture,
    /// The nonce sent is not the one in the token.
    #[error("the ID token's nonce is not the one sent")]
    Nonce,
}

impl IdTokenRejection {
    /// The label in metrics and the audit log.
    pub fn label(self) -> &'static str {
        match self {
            IdTokenRejection::Malformed => "id_token_malformed",
            IdTokenRejection::Algorithm => "id_token_algorithm",
            IdTokenRejection::UnknownKey => "id_token_unknown_key",
            IdTokenRejection::KeysUnavailable => "id_token_keys_unavailable",
            IdTokenRejection::BadSignature => "id_token_bad_signature",
            IdTokenRejection::Issuer => "id_token_wrong_issuer",
            IdTokenRejection::Audience => "id_token_wrong_audience",
            IdTokenRejection::Expired => "id_token_expired",
            IdTokenRejection::IssuedInFuture => "id_token_issued_in_future",
            IdTokenRejection::Nonce => "id_token_nonce",
        }
    }
}
