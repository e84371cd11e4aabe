//! One typed configuration, loaded once and validated once.
//!
//! The TOML file (see `config/okta-radius.toml` for every key) is read with the
//! `config` crate, every key can be overridden by an environment variable
//! `OKTA_RADIUS__SECTION__KEY`, and secrets are resolved from inline values,
//! files or environment variables. Validation collects every problem, each
//! naming its key and the fix, so an operator fixes a config in one pass.

pub mod abuse;
mod factor_kind;
pub mod file;
pub mod mfa;
mod okta;
pub mod policy;
pub mod secret;

pub use factor_kind::FactorKind;
use file::{ClientSection, ConfigFile};
use ipnet::IpNet;
pub use mfa::{MfaSettings, PushLimits, PushMode};
use okta::validate_okta;
pub use policy::{Policy, ReplyRule};
use secrecy::{ExposeSecret, SecretString};
use secret::SecretSpec;
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Prefix of environment variables that override config keys.
pub const ENV_PREFIX: &str = "OKTA_RADIUS";

/// Shared secrets this short are accepted with a warning (BlastRADIUS advice).
const WEAK_SECRET_LEN: usize = 12;

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
    /// Things that work but deserve the operator's attention.
    pub warnings: Vec<String>,
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

/// A RADIUS client (NAS) and its options, known by source address.
#[derive(Clone)]
pub struct ClientConfig {
    pub name: String,
    pub network: IpNet,
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
}

impl ClientConfig {
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
            .finish()
    }
}

/// One problem with the config: the key it concerns and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub message: String,
}

/// Every problem found in a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigProblem>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {}", problem.key, problem.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl ConfigErrors {
    fn one(key: &str, message: impl Into<String>) -> ConfigErrors {
        ConfigErrors(vec![ConfigProblem {
            key: key.to_owned(),
            message: message.into(),
        }])
    }
}

impl Config {
    /// Loads a config file with overrides from the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors::one("--config", format!("cannot read {}: {e}", path.display()))
        })?;
        Config::from_toml(&text, None)
    }

    /// Parses config text. `env` replaces the process environment for the
    /// `OKTA_RADIUS__*` overrides (tests pass their own map).
    pub fn from_toml(
        text: &str,
        env: Option<HashMap<String, String>>,
    ) -> Result<Config, ConfigErrors> {
        let environment = config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .list_separator(",")
            .with_list_parse_key("server.listen")
            .with_list_parse_key("server.dictionaries")
            .try_parsing(true)
            .source(env);
        let raw: ConfigFile = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .add_source(environment)
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| ConfigErrors::one(&error_key(&e), sanitize_parse_error(&e)))?;
        validate(raw)
    }
}

/// The key a parse error concerns, when the `config` crate names one.
fn error_key(error: &config::ConfigError) -> String {
    let text = error.to_string();
    // The crate reports "... for key `server.listen` ..." where it knows.
    if let Some(start) = text.find("for key `") {
        let rest = &text[start + 9..];
        if let Some(end) = rest.find('`') {
            return rest[..end].to_owned();
        }
    }
    if let Some(start) = text.find("unknown field `") {
        let rest = &text[start + 15..];
        if let Some(end) = rest.find('`') {
            return rest[..end].to_owned();
        }
    }
    "config".to_owned()
}

/// Parse errors quote the offending TOML; that could be a secret, so only the
/// crate's description of the problem is kept, never a quoted value.
fn sanitize_parse_error(error: &config::ConfigError) -> String {
    let text = error.to_string();
    let text = if text.contains("unknown field") {
        format!("{text} (check the spelling against config/okta-radius.toml)")
    } else {
        text
    };
    // Quoted values appear as "..." in TOML syntax errors.
    let mut out = String::with_capacity(text.len());
    let mut in_quote = false;
    for ch in text.chars() {
        if ch == '"' {
            if !in_quote {
                out.push_str("\"…");
            }
            in_quote = !in_quote;
            if !in_quote {
                out.push('"');
            }
            continue;
        }
        if !in_quote {
            out.push(ch);
        }
    }
    out
}

struct Problems(Vec<ConfigProblem>);

impl Problems {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigProblem {
            key: key.into(),
            message: message.into(),
        });
    }
}

fn validate(raw: ConfigFile) -> Result<Config, ConfigErrors> {
    let mut problems = Problems(Vec::new());
    let mut warnings = secret::loose_file_warnings(&raw);
    let abuse = abuse::validate(&raw.abuse).unwrap_or_else(|errors| {
        for (key, message) in errors {
            problems.add(key, message);
        }
        abuse::AbuseLimits::default()
    });

    let mut listen = Vec::new();
    if raw.server.listen.is_empty() {
        problems.add(
            "server.listen",
            "no listen address: give at least one, e.g. [\"0.0.0.0:1812\"]",
        );
    }
    for (i, address) in raw.server.listen.iter().enumerate() {
        match address.parse::<SocketAddr>() {
            Ok(addr) => listen.push(addr),
            Err(_) => problems.add(
                format!("server.listen[{i}]"),
                format!("`{address}` is not an IP address and port, e.g. \"0.0.0.0:1812\" or \"[::]:1812\""),
            ),
        }
    }
    if raw.server.max_in_flight == 0 {
        problems.add(
            "server.max_in_flight",
            "must be at least 1 (10000 is the default)",
        );
    }
    if !(5..=120).contains(&raw.server.duplicate_cache_seconds) {
        problems.add(
            "server.duplicate_cache_seconds",
            "must be 5 to 120: longer than the NAS's retry window (RFC 5080 §2.2.2 suggests 5-30)",
        );
    }
    if raw.server.duplicate_cache_entries < 1_000 {
        problems.add("server.duplicate_cache_entries", "must be at least 1000");
    }
    if raw.server.reject_delay_ms > 5_000 {
        problems.add(
            "server.reject_delay_ms",
            "must be at most 5000 (1000 is the default)",
        );
    }
    if raw.server.status_server_per_second == 0 {
        problems.add("server.status_server_per_second", "must be at least 1");
    }

    let okta = validate_okta(raw.okta, &mut problems);

    let users = UserNameRules {
        strip_domain_prefix: raw.users.strip_domain_prefix,
        default_domain: raw.users.default_domain.clone().filter(|d| !d.is_empty()),
        lowercase: raw.users.lowercase,
    };
    if let Some(domain) = &users.default_domain
        && (domain.contains('@') || domain.contains(char::is_whitespace))
    {
        problems.add(
            "users.default_domain",
            "give the domain alone, e.g. \"example.com\" (no @, no spaces)",
        );
    }

    let format = match raw.log.format.as_str() {
        "human" => LogFormat::Human,
        "json" => LogFormat::Json,
        other => {
            problems.add(
                "log.format",
                format!("`{other}` is not a log format: use \"human\" or \"json\""),
            );
            LogFormat::Human
        }
    };
    if let Err(problem) = crate::telemetry::logging::parse_filter(&raw.log.level) {
        problems.add("log.level", problem);
    }

    let metrics_listen = if raw.metrics.listen.is_empty() {
        None
    } else {
        match raw.metrics.listen.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                problems.add("metrics.listen", "give an address and port such as \"127.0.0.1:9812\", or \"\" to switch metrics off");
                None
            }
        }
    };

    let mut nested = Vec::new();
    let global_mfa = MfaSettings::default().overlay(&raw.mfa, "mfa", &mut nested);
    let mut policies = HashMap::new();
    for (name, section) in &raw.policies {
        policies.insert(
            name.clone(),
            Arc::new(policy::validate(name, section, &mut nested)),
        );
    }
    for (key, message) in nested.drain(..) {
        problems.add(key, message);
    }
    if raw.push_limits.max_per_minute == 0 {
        problems.add(
            "push_limits.max_per_minute",
            "must be at least 1 (3 is the default)",
        );
    }
    let push_limits = PushLimits {
        cooldown_after_reject: Duration::from_secs(raw.push_limits.cooldown_after_reject_seconds),
        max_per_minute: raw.push_limits.max_per_minute,
    };
    let state_key = resolve_state_key(&raw.state, &mut problems);

    if raw.clients.is_empty() {
        problems.add(
            "clients",
            "no RADIUS client: add a [[clients]] table with name, address and secret for each NAS",
        );
    }
    let mut clients = Vec::new();
    let mut seen_names = HashMap::new();
    let mut seen_networks = HashMap::new();
    for (i, section) in raw.clients.into_iter().enumerate() {
        let context = ClientContext {
            mfa: &global_mfa,
            policies: &policies,
        };
        if let Some(client) = validate_client(i, section, &context, &mut problems, &mut warnings) {
            if let Some(previous) = seen_names.insert(client.name.clone(), i) {
                problems.add(
                    format!("clients[{i}].name"),
                    format!(
                        "`{}` is also the name of clients[{previous}]: names must be unique",
                        client.name
                    ),
                );
            }
            if let Some(previous) = seen_networks.insert(client.network, i) {
                problems.add(
                    format!("clients[{i}].address"),
                    format!(
                        "`{}` is also the address of clients[{previous}]",
                        client.network
                    ),
                );
            }
            clients.push(Arc::new(client));
        }
    }

    if let Some(okta) = &okta
        && !okta.has_api_token()
    {
        for (i, client) in clients.iter().enumerate() {
            if client.okta_primary_auth {
                problems.add(
                    format!("clients[{i}].okta_primary_auth"),
                    "Okta primary authentication (/api/v1/authn, password logins and MFA through the authentication API) needs the API token (SSWS): set okta.api_token, or okta_primary_auth = false for MFA-only mode with the OAuth service app",
                );
            }
        }
    }
    if !problems.0.is_empty() {
        return Err(ConfigErrors(problems.0));
    }
    let Some(okta) = okta else {
        return Err(ConfigErrors::one("okta", "missing [okta] section"));
    };
    Ok(Config {
        server: ServerConfig {
            listen,
            max_in_flight: raw.server.max_in_flight,
            duplicate_cache_ttl: Duration::from_secs(raw.server.duplicate_cache_seconds),
            duplicate_cache_entries: raw.server.duplicate_cache_entries,
            reject_delay: Duration::from_millis(raw.server.reject_delay_ms),
            status_server_per_second: raw.server.status_server_per_second,
            dictionaries: raw.server.dictionaries,
        },
        okta,
        users,
        log: LogConfig {
            format,
            level: raw.log.level,
        },
        metrics_listen,
        clients,
        push_limits,
        state_key,
        policies: {
            let mut list: Vec<Arc<Policy>> = policies.into_values().collect();
            list.sort_by(|a, b| a.name.cmp(&b.name));
            list
        },
        abuse,
        warnings,
    })
}

/// What a client's validation needs from the rest of the config.
struct ClientContext<'a> {
    mfa: &'a MfaSettings,
    policies: &'a HashMap<String, Arc<Policy>>,
}

fn resolve_state_key(
    section: &file::StateSection,
    problems: &mut Problems,
) -> Option<SecretString> {
    if section.key.is_none() && section.key_file.is_none() && section.key_env.is_none() {
        return None;
    }
    let spec = SecretSpec {
        inline: section.key.clone().map(SecretString::from),
        file: section.key_file.clone(),
        env: section.key_env.clone(),
    };
    match spec.resolve() {
        Ok(key) => {
            let text = key.expose_secret().trim();
            if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
                Some(key)
            } else {
                problems.add("state.key", "must be 64 hexadecimal digits (32 random bytes), e.g. from `openssl rand -hex 32`");
                None
            }
        }
        Err(problem) => {
            problems.add("state.key", SecretSpec::explain(&problem, "state.key"));
            None
        }
    }
}

fn validate_client(
    i: usize,
    section: ClientSection,
    context: &ClientContext<'_>,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<ClientConfig> {
    let key = |field: &str| format!("clients[{i}].{field}");
    let name = section.name.unwrap_or_default();
    if name.is_empty() {
        problems.add(
            key("name"),
            "give the client a name, e.g. \"vpn-asa-1\" (it appears in logs and metrics)",
        );
    }
    let address = section.address.unwrap_or_default();
    let network = address
        .parse::<IpNet>()
        .or_else(|_| address.parse::<IpAddr>().map(IpNet::from));
    let network = match network {
        Ok(network) => Some(network.trunc()),
        Err(_) => {
            problems.add(key("address"), format!("`{address}` is not an IP address or CIDR network, e.g. \"192.0.2.10\" or \"10.1.0.0/16\""));
            None
        }
    };
    let spec = SecretSpec {
        inline: section.secret.map(SecretString::from),
        file: section.secret_file,
        env: section.secret_env,
    };
    let secret = match spec.resolve() {
        Ok(secret) => {
            if secret.expose_secret().len() <= WEAK_SECRET_LEN {
                warnings.push(format!(
                    "{}: the shared secret is {} bytes or shorter; use a random secret of at least 16 characters",
                    key("secret"),
                    WEAK_SECRET_LEN
                ));
            }
            Some(secret)
        }
        Err(problem) => {
            problems.add(key("secret"), SecretSpec::explain(&problem, &key("secret")));
            None
        }
    };
    if !section.require_message_authenticator {
        warnings.push(format!(
            "{}: Message-Authenticator is not required from this client, which leaves it open to BlastRADIUS (CVE-2024-3596); turn it back on once the NAS sends it",
            key("require_message_authenticator")
        ));
    }
    if !(500..=60_000).contains(&section.deadline_ms) {
        problems.add(
            key("deadline_ms"),
            "must be 500 to 60000: keep it below the NAS's RADIUS timeout (4000 is the default)",
        );
    }
    let on_okta_failure = match section.on_okta_failure.as_str() {
        "reject" => OnOktaFailure::Reject,
        "drop" => OnOktaFailure::Drop,
        other => {
            problems.add(
                key("on_okta_failure"),
                format!("`{other}` is not a choice: use \"reject\" or \"drop\""),
            );
            OnOktaFailure::Reject
        }
    };
    if section.max_in_flight == 0 {
        problems.add(key("max_in_flight"), "must be at least 1");
    }
    let mut nested = Vec::new();
    let mfa = context.mfa.overlay(&section.mfa, &key("mfa"), &mut nested);
    for (key, message) in nested {
        problems.add(key, message);
    }
    let policy = match &section.policy {
        None => None,
        Some(name) => match context.policies.get(name) {
            Some(policy) => Some(policy.clone()),
            None => {
                problems.add(
                    key("policy"),
                    format!("no [policies.{name}] table: define it or remove the key"),
                );
                None
            }
        },
    };
    Some(ClientConfig {
        name,
        network: network?,
        secret: secret?,
        require_message_authenticator: section.require_message_authenticator,
        limit_proxy_state: section.limit_proxy_state,
        deadline: Duration::from_millis(section.deadline_ms),
        on_okta_failure,
        max_in_flight: section.max_in_flight,
        okta_primary_auth: section.okta_primary_auth,
        mfa,
        policy,
    })
}

#[cfg(test)]
mod tests;
