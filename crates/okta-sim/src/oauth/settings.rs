//! How the org's authorization server behaves: the lifetime of the access
//! tokens it issues, how often its DPoP nonce changes, and how old a DPoP
//! proof may be.

use std::time::Duration;

/// How the simulated authorization server behaves.
#[derive(Debug, Clone)]
pub struct SimOAuthSettings {
    /// `expires_in` of issued access tokens (Okta: 3600 s).
    pub token_lifetime: Duration,
    /// How often the DPoP nonce changes.
    pub nonce_period: Duration,
    /// How far a DPoP proof's `iat` may be from now.
    pub proof_max_age: Duration,
}

impl Default for SimOAuthSettings {
    fn default() -> SimOAuthSettings {
        SimOAuthSettings {
            token_lifetime: Duration::from_secs(3600),
            nonce_period: Duration::from_secs(300),
            proof_max_age: Duration::from_secs(60),
        }
    }
}
