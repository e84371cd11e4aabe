//! The client's own settings: where the org is, the API token, the
//! timeouts, the outbound proxy and extra CA certificates, the cap on
//! requests in flight, the OAuth service app, and the OIDC app of Direct
//! Authentication. The product maps its
//! config file onto them; the client reads no config file.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::budget::DEFAULT_MAX_CONCURRENT;
use crate::direct::DirectSettings;
use crate::oauth::OAuthCredentials;

/// The `User-Agent` of every call (Okta asks for one; push notifications show it).
pub const USER_AGENT: &str = concat!("okta-radius/", env!("CARGO_PKG_VERSION"));

/// Where the org is and how to reach it.
#[derive(Debug, Clone)]
pub struct OktaSettings {
    /// `https://example.okta.com`, or `http://127.0.0.1:port` for the simulated org.
    pub org_url: String,
    /// The `SSWS` API token of the service account. Empty: no API token (only
    /// allowed with `oauth`, and then `/api/v1/authn` cannot be called).
    pub api_token: SecretString,
    /// Limit on opening a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Limit on a whole call, from sending to the last byte of the answer.
    pub request_timeout: Duration,
    /// Outbound HTTP proxy (`http://proxy:3128`); loopback is never proxied.
    /// `None`: the `HTTPS_PROXY`/`NO_PROXY` environment decides.
    pub proxy: Option<String>,
    /// Extra CA certificates (PEM bundle) trusted besides the system's, for
    /// TLS-inspecting proxies.
    pub ca_bundle: Option<PathBuf>,
    /// Okta requests in flight at once, at most.
    pub max_concurrent: usize,
    /// The OAuth service app used for management calls instead of the token.
    pub oauth: Option<OAuthCredentials>,
    /// The OIDC app for Direct Authentication (Identity Engine).
    pub direct: Option<DirectSettings>,
}

impl OktaSettings {
    /// Default limit on opening a connection.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default limit on a whole call.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

    /// Settings with the default timeouts.
    pub fn new(org_url: impl Into<String>, api_token: SecretString) -> OktaSettings {
        OktaSettings {
            org_url: org_url.into(),
            api_token,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            proxy: None,
            ca_bundle: None,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            oauth: None,
            direct: None,
        }
    }
}
