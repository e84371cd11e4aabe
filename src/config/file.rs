//! The configuration exactly as an operator writes it in TOML (or overrides it
//! with `OKTA_RADIUS__SECTION__KEY` environment variables), with the defaults
//! documented in `config/okta-radius.toml`. Unknown keys are errors, so a typo
//! never silently falls back to a default.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub server: ServerSection,
    pub okta: Option<OktaSection>,
    #[serde(default)]
    pub users: UsersSection,
    #[serde(default)]
    pub log: LogSection,
    #[serde(default)]
    pub metrics: MetricsSection,
    #[serde(default)]
    pub mfa: MfaSection,
    #[serde(default)]
    pub push_limits: PushLimitsSection,
    #[serde(default)]
    pub state: StateSection,
    #[serde(default)]
    pub policies: std::collections::BTreeMap<String, PolicySection>,
    #[serde(default)]
    pub clients: Vec<ClientSection>,
    #[serde(default)]
    pub abuse: super::abuse::AbuseSection,
    #[serde(default)]
    pub tls: super::stream::TlsSection,
    #[serde(default)]
    pub connections: super::stream::ConnectionsSection,
    #[serde(default)]
    pub accounting: super::accounting::AccountingSection,
    #[serde(default)]
    pub disconnect: super::disconnect::DisconnectSection,
    /// 802.1X through EAP; absent: no client answers EAP.
    pub eap: Option<super::eap::EapSection>,
    /// `[cluster]`: absent for a server that keeps its state to itself.
    pub cluster: Option<ClusterSection>,
}

/// `[mfa]`, and `[clients.mfa]` to override it for one client. Every key is
/// optional: a client inherits what it does not set from `[mfa]`, and `[mfa]`
/// from the built-in defaults.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaSection {
    pub allowed_factors: Option<Vec<String>>,
    pub auto_push: Option<bool>,
    pub push_mode: Option<String>,
    pub push_timeout_seconds: Option<u64>,
    pub inline: Option<bool>,
    pub inline_delimiter: Option<String>,
    pub max_code_attempts: Option<u8>,
    pub challenge_seconds: Option<u64>,
    pub menu_title: Option<String>,
    pub labels: Option<std::collections::BTreeMap<String, String>>,
    pub password_warn_message: Option<bool>,
}

/// `[push_limits]`: protection against push fatigue, per user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushLimitsSection {
    pub cooldown_after_reject_seconds: u64,
    pub max_per_minute: u32,
}

impl Default for PushLimitsSection {
    fn default() -> Self {
        PushLimitsSection {
            cooldown_after_reject_seconds: 60,
            max_per_minute: 3,
        }
    }
}

/// `[state]`: the key that seals Access-Challenge State values.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSection {
    pub key: Option<String>,
    pub key_file: Option<PathBuf>,
    pub key_env: Option<String>,
}

/// `[policies.NAME]`: authorisation from Okta groups and reply attributes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    #[serde(default)]
    pub require_groups: Vec<String>,
    #[serde(default)]
    pub reply: Vec<ReplyRuleSection>,
}

/// One `[[policies.NAME.reply]]` rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRuleSection {
    pub when_group: Option<String>,
    pub attribute: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    pub listen: Vec<String>,
    pub max_in_flight: usize,
    pub duplicate_cache_seconds: u64,
    pub duplicate_cache_entries: usize,
    pub reject_delay_ms: u64,
    pub status_server_per_second: u32,
    pub dictionaries: Vec<PathBuf>,
    /// RADIUS/TLS (RFC 6614) listen addresses; none by default.
    pub tls_listen: Vec<String>,
    /// RADIUS/TCP (RFC 6613) listen addresses; none by default.
    pub tcp_listen: Vec<String>,
    /// Lets `tcp_listen` name an address beyond loopback.
    pub tcp_allow_non_loopback: bool,
    /// Accounting (RFC 2866) listen addresses; none by default.
    pub accounting_listen: Vec<String>,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: vec!["0.0.0.0:1812".to_owned()],
            max_in_flight: 10_000,
            duplicate_cache_seconds: 30,
            duplicate_cache_entries: 200_000,
            reject_delay_ms: 1_000,
            status_server_per_second: 50,
            dictionaries: Vec::new(),
            tls_listen: Vec::new(),
            tcp_listen: Vec::new(),
            tcp_allow_non_loopback: false,
            accounting_listen: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OktaSection {
    pub org_url: Option<String>,
    pub api_token: Option<String>,
    pub api_token_file: Option<PathBuf>,
    pub api_token_env: Option<String>,
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    #[serde(default = "default_forwarded_for_attribute")]
    pub forwarded_for_attribute: String,
    #[serde(default = "default_groups_cache_seconds")]
    pub groups_cache_seconds: u64,
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    pub proxy: Option<String>,
    pub ca_bundle: Option<PathBuf>,
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    #[serde(default = "default_keepalive_interval_seconds")]
    pub keepalive_interval_seconds: u64,
    #[serde(default = "default_credential_probe_seconds")]
    pub credential_probe_seconds: u64,
    pub oauth: Option<OAuthSection>,
    /// `authn` (default) or `direct`.
    pub api: Option<String>,
    pub direct: Option<DirectSection>,
}

/// `[okta.direct]`: the OIDC app of Direct Authentication (`okta.api = "direct"`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectSection {
    pub client_id: Option<String>,
    /// `private_key_jwt` keys, as in `[okta.oauth]`.
    #[serde(default)]
    pub keys: Vec<OAuthKeySection>,
    pub active_kid: Option<String>,
    pub client_secret: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub client_secret_env: Option<String>,
    /// A custom authorization server's id; empty for the org's.
    pub authorization_server: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// The ID token claim with the user's groups; empty: ask Okta's API.
    pub groups_claim: Option<String>,
}

/// `[okta.oauth]`: the OAuth 2.0 service app used for management calls.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthSection {
    pub client_id: Option<String>,
    #[serde(default = "default_oauth_scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub keys: Vec<OAuthKeySection>,
    pub active_kid: Option<String>,
}

/// One `keys = [{ kid = "...", file = "..." }]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthKeySection {
    pub kid: Option<String>,
    pub file: Option<PathBuf>,
}

fn default_oauth_scopes() -> Vec<String> {
    ["okta.users.read", "okta.users.manage", "okta.groups.read"]
        .map(str::to_owned)
        .to_vec()
}

fn default_request_timeout_ms() -> u64 {
    10_000
}

fn default_max_concurrent() -> usize {
    20
}

fn default_keepalive_interval_seconds() -> u64 {
    86_400
}

fn default_credential_probe_seconds() -> u64 {
    60
}

fn default_groups_cache_seconds() -> u64 {
    60
}

fn default_connect_timeout_ms() -> u64 {
    2_000
}

fn default_forwarded_for_attribute() -> String {
    "Calling-Station-Id".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsersSection {
    pub strip_domain_prefix: bool,
    pub default_domain: Option<String>,
    pub lowercase: bool,
}

impl Default for UsersSection {
    fn default() -> Self {
        UsersSection {
            strip_domain_prefix: true,
            default_domain: None,
            lowercase: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    pub format: String,
    pub level: String,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            format: "human".to_owned(),
            level: "info".to_owned(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    pub listen: String,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            listen: "127.0.0.1:9812".to_owned(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSection {
    pub name: Option<String>,
    pub address: Option<String>,
    pub secret: Option<String>,
    pub secret_file: Option<PathBuf>,
    pub secret_env: Option<String>,
    #[serde(default = "yes")]
    pub require_message_authenticator: bool,
    #[serde(default = "yes")]
    pub limit_proxy_state: bool,
    #[serde(default = "default_deadline_ms")]
    pub deadline_ms: u64,
    #[serde(default = "default_on_okta_failure")]
    pub on_okta_failure: String,
    #[serde(default = "default_client_max_in_flight")]
    pub max_in_flight: usize,
    #[serde(default = "yes")]
    pub okta_primary_auth: bool,
    pub policy: Option<String>,
    #[serde(default)]
    pub mfa: MfaSection,
    /// "udp" (the default), "tls" or "tcp".
    pub transport: Option<String>,
    /// A TLS client's trust anchors (PEM CA bundle).
    pub tls_ca_file: Option<PathBuf>,
    /// What identifies a TLS client in its certificate.
    pub tls_identity: Option<String>,
    /// Where the NAS listens for Disconnect-Requests (RFC 5176).
    #[serde(default = "default_coa_port")]
    pub coa_port: u16,
    /// The secret of Disconnect-Requests; the shared secret when none.
    pub coa_secret: Option<String>,
    pub coa_secret_file: Option<PathBuf>,
    pub coa_secret_env: Option<String>,
    /// The Okta events that end this client's sessions.
    pub disconnect_on: Option<Vec<String>>,
    /// Whether the client's EAP requests are answered (needs `[eap]`).
    #[serde(default)]
    pub eap: bool,
}

fn default_coa_port() -> u16 {
    3799
}

fn yes() -> bool {
    true
}

fn default_deadline_ms() -> u64 {
    4_000
}

fn default_on_okta_failure() -> String {
    "reject".to_owned()
}

fn default_client_max_in_flight() -> usize {
    2_000
}

/// `[cluster]`: the Redis a fleet of replicas shares (checked in `cluster.rs`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSection {
    pub redis_url: Option<String>,
    #[serde(default)]
    pub sentinels: Vec<String>,
    pub master_name: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub username: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    pub key_prefix: Option<String>,
    pub op_timeout_ms: Option<u64>,
}
