//! OAuth 2.0 on the wire, as Okta's org authorization server speaks it to
//! an API Services app: the token endpoint's path, the client-assertion
//! type, how a token is presented, and the DPoP proof (RFC 9449) a request
//! carries. Shared by the client that sends them and the simulated org that
//! checks them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

/// The path of the org authorization server's token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";

/// The `client_assertion_type` of `private_key_jwt` (RFC 7523).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The `typ` of a DPoP proof's header.
pub const DPOP_PROOF_TYPE: &str = "dpop+jwt";
/// The response header that carries a new server nonce.
pub const DPOP_NONCE_HEADER: &str = "dpop-nonce";
/// The OAuth error code asking for a proof with the server's nonce.
pub const USE_DPOP_NONCE: &str = "use_dpop_nonce";

/// The claims of a DPoP proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DpopProofClaims {
    pub htm: String,
    pub htu: String,
    pub iat: u64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ath: Option<String>,
}

/// How an access token must be presented (`token_type` of the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    /// Bound to the DPoP key: `Authorization: DPoP <token>` plus a proof.
    DPoP,
    /// A plain bearer token: `Authorization: Bearer <token>`.
    Bearer,
}

impl TokenType {
    /// Reads `token_type` (case-insensitive, RFC 6749 §5.1).
    pub fn parse(token_type: &str) -> Option<TokenType> {
        if token_type.eq_ignore_ascii_case("dpop") {
            Some(TokenType::DPoP)
        } else if token_type.eq_ignore_ascii_case("bearer") {
            Some(TokenType::Bearer)
        } else {
            None
        }
    }

    /// The `Authorization` scheme.
    pub fn scheme(self) -> &'static str {
        match self {
            TokenType::DPoP => "DPoP",
            TokenType::Bearer => "Bearer",
        }
    }
}

/// The `htu` of a request: its URL without query and fragment.
pub fn htu(url: &Url) -> String {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare.into()
}

/// `ath`: base64url(SHA-256(access token)).
pub fn access_token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}
