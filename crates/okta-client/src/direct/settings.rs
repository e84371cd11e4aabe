//! The OIDC app of Direct Authentication, as the product configures it:
//! its client id, how it authenticates, which authorization server it
//! belongs to, the scopes it asks for, and the claim that carries groups.

use secrecy::SecretString;

use crate::oauth::SigningKey;

/// How the app proves who it is at the token endpoint.
#[derive(Clone)]
pub enum ClientAuth {
    /// `private_key_jwt`: a client assertion signed with the active key.
    PrivateKeyJwt {
        keys: Vec<SigningKey>,
        active_kid: String,
    },
    /// A client secret, sent as HTTP Basic (`client_secret_basic`).
    ClientSecret(SecretString),
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientAuth::PrivateKeyJwt { keys, active_kid } => f
                .debug_struct("PrivateKeyJwt")
                .field("keys", keys)
                .field("active_kid", active_kid)
                .finish(),
            ClientAuth::ClientSecret(_) => f.write_str("ClientSecret([REDACTED])"),
        }
    }
}

/// The OIDC app.
#[derive(Debug, Clone)]
pub struct DirectSettings {
    pub client_id: String,
    pub client_auth: ClientAuth,
    /// A custom authorization server's id (`default`, `aus...`); `None`
    /// for the org authorization server.
    pub authorization_server: Option<String>,
    /// Scopes asked for; `openid` is always among them.
    pub scopes: Vec<String>,
    /// The ID token claim that carries the user's groups, if the app
    /// sends one.
    pub groups_claim: Option<String>,
}
