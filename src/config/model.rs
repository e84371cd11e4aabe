//! The validated configuration the server runs with, section by section:
//! what the rest of the program reads. Built only by validation
//! ([`super::validate`]), so every value here has been checked.

use super::abuse;
use super::accounting::AccountingConfig;
use super::disconnect::{DisconnectConfig, DisconnectOn};
use super::mfa::{MfaSettings, PushLimits, PushMode};
use super::policy::Policy;
use super::stream::StreamConfig;
use super::transport::ClientTransport;
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The validated configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub okta: OktaConfig,
    pub users: UserNameRules,
    pub log: LogConfig,
    /// Where `/metrics` is served; `None` when switched off.
    pub metrics_listen: Option<SocketAddr>,
    pub clients: Vec<Arc<ClientConfig>>,
    pub push_limits: PushLimits,
    /// The key sealing Access-Challenge States (64 hex digits), or `None` to
    /// generate one at start.
    pub state_key: Option<SecretString>,
    pub policies: Vec<Arc<Policy>>,
    /// `[abuse]`: password-spraying throttles and the challenge reserve.
    pub abuse: abuse::AbuseLimits,
    /// RADIUS/TLS and RADIUS/TCP: listeners, `[tls]`, `[connections]`.
    pub streams: StreamConfig,
    /// `[accounting]`: where records go, the session table's bounds.
    pub accounting: AccountingConfig,
    /// `[disconnect]`: following the System Log, Disconnect-Requests.
    pub disconnect: DisconnectConfig,
    /// `[eap]`: 802.1X through EAP-TTLS; `None` when absent.
    pub eap: Option<super::eap::EapConfig>,
    /// `[cluster]`: the Redis the fleet shares its state through, if any.
    pub cluster: Option<super::cluster::ClusterConfig>,
    /// Things that work but deserve the operator's attention.
    pub warnings: Vec<String>,
}

impl Config {
    /// Whether Accounting-Requests are recorded: a file is named and
    /// something carries them, the accounting port or a RADIUS/TLS or
    /// RADIUS/TCP listener.
    pub fn records_accounting(&self) -> bool {
        self.accounting.output.is_some()
            && (!self.server.accounting_listen.is_empty() || self.streams.is_enabled())
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: Vec<SocketAddr>,
    pub max_in_flight: usize,
    pub duplicate_cache_ttl: Duration,
    pub duplicate_cache_entries: usize,
    pub reject_delay: Duration,
    pub status_server_per_second: u32,
    pub dictionaries: Vec<PathBuf>,
    /// Where Accounting-Requests are received; empty: no accounting port.
    pub accounting_listen: Vec<SocketAddr>,
}

#[derive(Debug, Clone)]
pub struct OktaConfig {
    pub org_url: String,
    /// The API token (SSWS); empty when only an OAuth service app is configured.
    pub api_token: SecretString,
    pub connect_timeout: Duration,
    /// Limit on one whole call to Okta.
    pub request_timeout: Duration,
    /// Outbound HTTP proxy for calls to Okta.
    pub proxy: Option<String>,
    /// Extra CA certificates (PEM) for a TLS-inspecting proxy.
    pub ca_bundle: Option<PathBuf>,
    /// Okta requests in flight at once, at most.
    pub max_concurrent: usize,
    /// Longest time without a successful API-token call before the keep-alive calls.
    pub keepalive_interval: Duration,
    /// Time between probes while the API token is refused or Okta is unreachable.
    pub credential_probe_interval: Duration,
    /// The OAuth service app for management calls.
    pub oauth: Option<OAuthConfig>,
    /// The request attribute whose value becomes `X-Forwarded-For`, or `None`.
    pub forwarded_for_attribute: Option<String>,
    /// How long a user's groups are reused before asking Okta again.
    pub groups_cache: Duration,
    /// Which Okta API checks passwords and second factors.
    pub api: OktaApi,
    /// `[okta.direct]`: the OIDC app, when `api` is `Direct`.
    pub direct: Option<DirectConfig>,
}

/// `okta.api`: which Okta API logins go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OktaApi {
    /// The Classic Authentication API (`/api/v1/authn`) with the API token.
    Authn,
    /// Identity Engine's Direct Authentication with an OIDC app.
    Direct,
}

/// `[okta.direct]`: the OIDC app of Direct Authentication.
#[derive(Debug, Clone)]
pub struct DirectConfig {
    pub client_id: String,
    pub auth: DirectClientAuth,
    /// A custom authorization server's id; `None` for the org's.
    pub authorization_server: Option<String>,
    pub scopes: Vec<String>,
    /// The ID token claim carrying the user's groups.
    pub groups_claim: Option<String>,
}

/// How the OIDC app authenticates (its files are read by `crate::service`).
#[derive(Clone)]
pub enum DirectClientAuth {
    PrivateKeyJwt {
        keys: Vec<OAuthKeyFile>,
        active_kid: String,
    },
    ClientSecret(SecretString),
}

impl fmt::Debug for DirectClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectClientAuth::PrivateKeyJwt { keys, active_kid } => f
                .debug_struct("PrivateKeyJwt")
                .field("keys", keys)
                .field("active_kid", active_kid)
                .finish(),
            DirectClientAuth::ClientSecret(_) => f.write_str("ClientSecret([redacted])"),
        }
    }
}

/// `[okta.oauth]`: an API Services app (client credentials,
/// `private_key_jwt`, DPoP) used for management calls.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The app's private keys by `kid`; several during a key rollover.
    pub keys: Vec<OAuthKeyFile>,
    /// The `kid` that signs client assertions.
    pub active_kid: String,
}

/// One private key file of the service app (read by `crate::service`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthKeyFile {
    pub kid: String,
    pub file: PathBuf,
}

impl OktaConfig {
    /// Whether an API token (SSWS) is configured.
    pub fn has_api_token(&self) -> bool {
        !self.api_token.expose_secret().trim().is_empty()
    }
}

/// How a typed user name becomes an Okta login.
#[derive(Debug, Clone, Default)]
pub struct UserNameRules {
    /// `EXAMPLE\alice` becomes `alice`.
    pub strip_domain_prefix: bool,
    /// Appended as `@domain` when the name has no `@`.
    pub default_domain: Option<String>,
    /// Lower-case the name before sending it to Okta.
    pub lowercase: bool,
}

impl UserNameRules {
    /// The login Okta knows for a typed name: strip a `DOMAIN\` prefix,
    /// lower-case, then append the default domain when there is no `@`.
    pub fn okta_login(&self, typed: &str) -> String {
        let mut name = typed.trim();
        if self.strip_domain_prefix
            && let Some((_, rest)) = name.split_once('\\')
            && !rest.is_empty()
        {
            name = rest;
        }
        let mut login = if self.lowercase {
            name.to_lowercase()
        } else {
            name.to_owned()
        };
        if let Some(domain) = &self.default_domain
            && !login.contains('@')
        {
            login.push('@');
            login.push_str(domain);
        }
        login
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

/// What to answer when Okta cannot give a verdict within the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOktaFailure {
    /// Access-Reject, with a Reply-Message saying the service is unavailable.
    Reject,
    /// No answer at all, so the NAS fails over to its next RADIUS server.
    Drop,
}

/// A RADIUS client (NAS) and its options, known by source address (and,
/// over TLS, by its certificate).
#[derive(Clone)]
pub struct ClientConfig {
    pub name: String,
    /// Where it sends from: for a TLS client, the networks it may connect from.
    pub network: IpNet,
    pub transport: ClientTransport,
    pub secret: SecretString,
    pub require_message_authenticator: bool,
    pub limit_proxy_state: bool,
    pub deadline: Duration,
    pub on_okta_failure: OnOktaFailure,
    pub max_in_flight: usize,
    /// Okta checks the password (Okta's "Okta performs primary
    /// authentication"); when false the password field carries the factor.
    pub okta_primary_auth: bool,
    pub mfa: MfaSettings,
    pub policy: Option<Arc<Policy>>,
    /// Where the NAS takes Disconnect-Requests (RFC 5176).
    pub coa_port: u16,
    /// Their secret, when it is not the shared secret.
    pub coa_secret: Option<SecretString>,
    /// The Okta events that end this client's sessions.
    pub disconnect_on: Vec<DisconnectOn>,
    /// Whether EAP requests from this client are answered.
    pub eap: bool,
}

impl ClientConfig {
    /// The secret of Disconnect-Requests to this client.
    pub fn coa_secret_bytes(&self) -> &[u8] {
        match &self.coa_secret {
            Some(secret) => secret.expose_secret().as_bytes(),
            None => self.secret_bytes(),
        }
    }

    /// The longest a request from this client may take to answer: its
    /// deadline, or the push hold in `wait` mode.
    pub fn longest_answer(&self) -> Duration {
        match self.mfa.push_mode {
            PushMode::Wait => self.deadline.max(self.mfa.push_timeout),
            PushMode::Challenge => self.deadline,
        }
    }

    /// The shared secret as bytes, for the protocol functions.
    pub fn secret_bytes(&self) -> &[u8] {
        self.secret.expose_secret().as_bytes()
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("name", &self.name)
            .field("network", &self.network)
            .field("transport", &self.transport)
            .field("secret", &"[redacted]")
            .field(
                "require_message_authenticator",
                &self.require_message_authenticator,
            )
            .field("limit_proxy_state", &self.limit_proxy_state)
            .field("deadline", &self.deadline)
            .field("on_okta_failure", &self.on_okta_failure)
            .field("max_in_flight", &self.max_in_flight)
            .field("okta_primary_auth", &self.okta_primary_auth)
            .field("policy", &self.policy.as_ref().map(|p| p.name.clone()))
            .field("coa_port", &self.coa_port)
            .field(
                "coa_secret",
                &self.coa_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("disconnect_on", &self.disconnect_on)
            .field("eap", &self.eap)
            .finish()
    }
}
