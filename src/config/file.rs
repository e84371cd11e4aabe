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
    pub clients: Vec<ClientSection>,
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
