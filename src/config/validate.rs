//! Turning the file's shape ([`super::file`]) into the validated
//! [`Config`]: every key checked, every problem collected with its key and
//! the fix, warnings for what works but deserves attention. Sections with
//! their own rules (`[okta]`, `[mfa]`, `[abuse]`, policies, secrets) are
//! checked in their own files; this one puts them together.

use super::abuse;
use super::cluster;
use super::disconnect::DisconnectOn;
use super::eap;
use super::file::{self, ClientSection, ConfigFile};
use super::log_level::parse_filter;
use super::mfa::{MfaSettings, PushLimits};
use super::model::{
    ClientConfig, Config, LogConfig, LogFormat, OktaApi, OnOktaFailure, ServerConfig, UserNameRules,
};
use super::okta::validate_okta;
use super::policy::{self, Policy};
use super::problem::{ConfigErrors, Problems};
use super::secret::{self, SecretSpec};
use super::stream::{self, StreamListen};
use super::transport::{self, ClientTransport, RADSEC_SECRET, TransportKeys};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Shared secrets shorter than this are accepted with a warning
/// (BlastRADIUS advice: random, at least 16 characters).
const MIN_SECRET_LEN: usize = 16;

/// Validates `raw`; its warnings go to `warnings` whether or not it is
/// valid, so that a check lists them beside the problems.
pub(super) fn validate(
    raw: ConfigFile,
    warnings: &mut Vec<String>,
) -> Result<Config, ConfigErrors> {
    let mut problems = Problems(Vec::new());
    warnings.extend(secret::loose_file_warnings(&raw));
    let abuse = abuse::validate(&raw.abuse).unwrap_or_else(|errors| {
        for (key, message) in errors {
            problems.add(key, message);
        }
        abuse::AbuseLimits::default()
    });

    let cluster = cluster::validate(raw.cluster.as_ref()).unwrap_or_else(|errors| {
        for (key, message) in errors {
            problems.add(key, message);
        }
        None
    });

    let server = validate_server(&raw.server, &mut problems);
    let accounting_port = !raw.server.accounting_listen.is_empty();
    let accounting_streams = !raw.server.tls_listen.is_empty() || !raw.server.tcp_listen.is_empty();
    let accounting = super::accounting::validate(
        &raw.accounting,
        accounting_port,
        accounting_streams,
        warnings,
    )
    .unwrap_or_else(|errors| {
        for (key, message) in errors {
            problems.add(key, message);
        }
        super::accounting::AccountingConfig {
            output: None,
            fsync: false,
            max_sessions: 1,
            session_silence: Duration::from_secs(60),
        }
    });
    let streams = stream::validate(
        StreamListen {
            tls_listen: &raw.server.tls_listen,
            tcp_listen: &raw.server.tcp_listen,
            tcp_allow_non_loopback: raw.server.tcp_allow_non_loopback,
            event_hook: raw
                .disconnect
                .event_hook_listen
                .as_deref()
                .is_some_and(|listen| !listen.trim().is_empty()),
        },
        &raw.tls,
        &raw.connections,
        &mut problems,
        warnings,
    );

    let hook_spec = SecretSpec {
        inline: raw
            .disconnect
            .event_hook_secret
            .clone()
            .map(SecretString::from),
        file: raw.disconnect.event_hook_secret_file.clone(),
        env: raw.disconnect.event_hook_secret_env.clone(),
    };
    let event_hook_secret =
        if hook_spec.inline.is_some() || hook_spec.file.is_some() || hook_spec.env.is_some() {
            match hook_spec.resolve() {
                Ok(secret) => Some(secret),
                Err(problem) => {
                    problems.add(
                        "disconnect.event_hook_secret",
                        SecretSpec::explain(&problem, "disconnect.event_hook_secret"),
                    );
                    None
                }
            }
        } else {
            None
        };
    let disconnect = super::disconnect::validate(
        &raw.disconnect,
        (accounting_port || accounting_streams) && accounting.output.is_some(),
        event_hook_secret,
    )
    .unwrap_or_else(|errors| {
        for (key, message) in errors {
            problems.add(key, message);
        }
        super::disconnect::DisconnectConfig {
            enabled: false,
            poll_interval: Duration::from_secs(15),
            cursor_file: Default::default(),
            timeout: Duration::from_secs(1),
            retries: 0,
            event_hook: None,
        }
    });
    let okta = validate_okta(raw.okta, &mut problems, warnings);
    // The System Log is read as the service account: through the OAuth app
    // whenever one is configured, API token or not.
    if disconnect.enabled
        && let Some(okta) = &okta
        && let Some(oauth) = &okta.oauth
        && !oauth.scopes.iter().any(|scope| scope == "okta.logs.read")
    {
        problems.add(
            "okta.oauth.scopes",
            "disconnect.enabled reads the System Log: add \"okta.logs.read\" to the scopes (and grant it to the service app in Okta)",
        );
    }
    let eap_absent = raw.eap.is_none();
    let eap = raw
        .eap
        .as_ref()
        .and_then(|section| eap::validate(section, &mut problems));

    let users = validate_users(&raw.users, &mut problems);
    let log = validate_log(&raw.log, &mut problems);
    let metrics_listen = validate_metrics(&raw.metrics, &mut problems);

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
        if let Some(client) = validate_client(i, section, &context, &mut problems, warnings) {
            if let Some(previous) = seen_names.insert(client.name.clone(), i) {
                problems.add(
                    format!("clients[{i}].name"),
                    format!(
                        "`{}` is also the name of clients[{previous}]: names must be unique",
                        client.name
                    ),
                );
            }
            // TLS clients may share a network: their certificates tell them apart.
            let by_address = !matches!(client.transport, ClientTransport::Tls(_));
            if by_address
                && let Some(previous) =
                    seen_networks.insert((client.transport.label(), client.network), i)
            {
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

    if eap_absent {
        for (i, client) in clients.iter().enumerate() {
            if client.eap {
                problems.add(
                    format!("clients[{i}].eap"),
                    "this client answers EAP but there is no [eap] section: add one with certificate_file and private_key_file, or set eap = false",
                );
            }
        }
    }

    if let Some(cluster) = &cluster {
        cluster_waits_within_deadlines(cluster.op_timeout, &clients, warnings);
    }

    let transports: Vec<(&str, &ClientTransport)> = clients
        .iter()
        .map(|client| (client.name.as_str(), &client.transport))
        .collect();
    stream::cross_check(&streams, &transports, warnings);

    if let Some(okta) = &okta
        && !okta.has_api_token()
    {
        let management = okta.oauth.is_some();
        let groups_claim = okta
            .direct
            .as_ref()
            .is_some_and(|direct| direct.groups_claim.is_some());
        for (i, client) in clients.iter().enumerate() {
            if !management && !client.okta_primary_auth {
                problems.add(
                    format!("clients[{i}].okta_primary_auth"),
                    "MFA-only mode (okta_primary_auth = false) verifies factors through Okta's management API: set okta.api_token or an [okta.oauth] service app",
                );
            }
            if !management
                && !groups_claim
                && client
                    .policy
                    .as_ref()
                    .is_some_and(|policy| policy.needs_groups())
            {
                problems.add(
                    format!("clients[{i}].policy"),
                    "this client's policy needs the user's groups: set okta.direct.groups_claim (groups from the ID token), okta.api_token or an [okta.oauth] service app",
                );
            }
            if client.okta_primary_auth && okta.api == OktaApi::Authn {
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
        server,
        okta,
        users,
        log,
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
        streams,
        accounting,
        disconnect,
        eap,
        cluster,
        warnings: warnings.clone(),
    })
}

/// How many of `cluster.op_timeout_ms` a client's deadline should hold at
/// least (the warning says "a quarter").
const OP_TIMEOUTS_PER_DEADLINE: u32 = 4;

/// Warns of each client whose deadline leaves little room for Redis's
/// timeouts: while Redis hangs, a login's first operations (the claim of
/// the request, the Okta lease) may each wait `op_timeout` before the
/// replica stops waiting for Redis, and the Okta call must still fit in the
/// deadline after them.
fn cluster_waits_within_deadlines(
    op_timeout: Duration,
    clients: &[Arc<ClientConfig>],
    warnings: &mut Vec<String>,
) {
    for (i, client) in clients.iter().enumerate() {
        if client.deadline < op_timeout * OP_TIMEOUTS_PER_DEADLINE {
            warnings.push(format!(
                "clients[{i}].deadline_ms: {} ms leaves little room for cluster.op_timeout_ms = {}: while Redis hangs, a login's first Redis operations may each wait that long before the replica stops waiting for Redis; keep op_timeout_ms under a quarter of every client's deadline_ms",
                client.deadline.as_millis(),
                op_timeout.as_millis()
            ));
        }
    }
}

/// `[server]`.
fn validate_server(section: &file::ServerSection, problems: &mut Problems) -> ServerConfig {
    let mut listen = Vec::new();
    if section.listen.is_empty() && section.tls_listen.is_empty() && section.tcp_listen.is_empty() {
        problems.add(
            "server.listen",
            "no listen address: give at least one, e.g. [\"0.0.0.0:1812\"] (or RADIUS/TLS addresses in server.tls_listen)",
        );
    }
    for (i, address) in section.listen.iter().enumerate() {
        match address.parse::<SocketAddr>() {
            Ok(addr) => match listen.iter().position(|seen| *seen == addr) {
                Some(first) => problems.add(
                    format!("server.listen[{i}]"),
                    format!("`{addr}` is also server.listen[{first}]: list each address once"),
                ),
                None => listen.push(addr),
            },
            Err(_) => problems.add(
                format!("server.listen[{i}]"),
                format!("`{address}` is not an IP address and port, e.g. \"0.0.0.0:1812\" or \"[::]:1812\""),
            ),
        }
    }
    let mut accounting_listen = Vec::new();
    for (i, address) in section.accounting_listen.iter().enumerate() {
        match address.parse::<SocketAddr>() {
            Ok(addr) if addr.port() != 0 && listen.contains(&addr) => problems.add(
                format!("server.accounting_listen[{i}]"),
                format!("`{address}` is also in server.listen: accounting needs a port of its own, usually 1813"),
            ),
            Ok(addr) => accounting_listen.push(addr),
            Err(_) => problems.add(
                format!("server.accounting_listen[{i}]"),
                format!("`{address}` is not an IP address and port, e.g. \"0.0.0.0:1813\""),
            ),
        }
    }
    if section.max_in_flight == 0 {
        problems.add(
            "server.max_in_flight",
            "must be at least 1 (10000 is the default)",
        );
    }
    if !(5..=120).contains(&section.duplicate_cache_seconds) {
        problems.add(
            "server.duplicate_cache_seconds",
            "must be 5 to 120: longer than the NAS's retry window (RFC 5080 §2.2.2 suggests 5-30)",
        );
    }
    if section.duplicate_cache_entries < 1_000 {
        problems.add("server.duplicate_cache_entries", "must be at least 1000");
    }
    if section.reject_delay_ms > 5_000 {
        problems.add(
            "server.reject_delay_ms",
            "must be at most 5000 (1000 is the default)",
        );
    }
    if section.status_server_per_second == 0 {
        problems.add("server.status_server_per_second", "must be at least 1");
    }

    ServerConfig {
        listen,
        max_in_flight: section.max_in_flight,
        duplicate_cache_ttl: Duration::from_secs(section.duplicate_cache_seconds),
        duplicate_cache_entries: section.duplicate_cache_entries,
        reject_delay: Duration::from_millis(section.reject_delay_ms),
        status_server_per_second: section.status_server_per_second,
        dictionaries: section.dictionaries.clone(),
        accounting_listen,
    }
}

/// `[users]`: how a typed name becomes an Okta login.
fn validate_users(section: &file::UsersSection, problems: &mut Problems) -> UserNameRules {
    let users = UserNameRules {
        strip_domain_prefix: section.strip_domain_prefix,
        default_domain: section.default_domain.clone().filter(|d| !d.is_empty()),
        lowercase: section.lowercase,
    };
    if let Some(domain) = &users.default_domain
        && (domain.contains('@') || domain.contains(char::is_whitespace))
    {
        problems.add(
            "users.default_domain",
            "give the domain alone, e.g. \"example.com\" (no @, no spaces)",
        );
    }
    users
}

/// `[log]`.
fn validate_log(section: &file::LogSection, problems: &mut Problems) -> LogConfig {
    let format = match section.format.as_str() {
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
    if let Err(problem) = parse_filter(&section.level) {
        problems.add("log.level", problem);
    }
    LogConfig {
        format,
        level: section.level.clone(),
    }
}

/// `[metrics]`: where `/metrics` and `/health` are served, if anywhere.
fn validate_metrics(section: &file::MetricsSection, problems: &mut Problems) -> Option<SocketAddr> {
    if section.listen.is_empty() {
        None
    } else {
        match section.listen.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                problems.add("metrics.listen", "give an address and port such as \"127.0.0.1:9812\", or \"\" to switch metrics off");
                None
            }
        }
    }
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
            problems.add(
                SecretSpec::key_for(&problem, "state.key"),
                SecretSpec::explain(&problem, "state.key"),
            );
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
        Ok(network) => {
            if network != network.trunc() {
                warnings.push(format!(
                    "{}: `{address}` has host bits set; it is read as the network {}: write that",
                    key("address"),
                    network.trunc()
                ));
            }
            Some(network.trunc())
        }
        Err(_) => {
            problems.add(key("address"), format!("`{address}` is not an IP address or CIDR network, e.g. \"192.0.2.10\" or \"10.1.0.0/16\""));
            None
        }
    };
    let transport = transport::validate(
        i,
        TransportKeys {
            transport: section.transport.as_deref(),
            tls_ca_file: section.tls_ca_file,
            tls_identity: section.tls_identity.as_deref(),
        },
        problems,
    );
    let over_tls = matches!(transport, Some(ClientTransport::Tls(_)));
    let spec = SecretSpec {
        inline: section.secret.map(SecretString::from),
        file: section.secret_file,
        env: section.secret_env,
    };
    let named = spec.inline.is_some() || spec.file.is_some() || spec.env.is_some();
    let resolved = if over_tls && !named {
        // RFC 6614 §2.3: TLS protects the exchange; the secret is a constant.
        Ok(SecretString::from(RADSEC_SECRET))
    } else {
        spec.resolve()
    };
    let secret = match resolved {
        Ok(secret) => {
            let length = secret.expose_secret().chars().count();
            if !over_tls && length < MIN_SECRET_LEN {
                warnings.push(format!(
                    "{}: the shared secret has {length} characters; use a random secret of at least {MIN_SECRET_LEN} (BlastRADIUS)",
                    key("secret"),
                ));
            }
            Some(secret)
        }
        Err(problem) => {
            problems.add(
                SecretSpec::key_for(&problem, &key("secret")),
                SecretSpec::explain(&problem, &key("secret")),
            );
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
    let coa_spec = SecretSpec {
        inline: section.coa_secret.map(SecretString::from),
        file: section.coa_secret_file,
        env: section.coa_secret_env,
    };
    let coa_secret =
        if coa_spec.inline.is_some() || coa_spec.file.is_some() || coa_spec.env.is_some() {
            match coa_spec.resolve() {
                Ok(secret) => Some(secret),
                Err(problem) => {
                    problems.add(
                        key("coa_secret"),
                        SecretSpec::explain(&problem, &key("coa_secret")),
                    );
                    None
                }
            }
        } else {
            None
        };
    if section.coa_port == 0 {
        problems.add(
            key("coa_port"),
            "must be a port, 3799 by default (RFC 5176)",
        );
    }
    let disconnect_on = match &section.disconnect_on {
        None => DisconnectOn::defaults(),
        Some(names) => {
            let mut chosen = Vec::new();
            for name in names {
                match DisconnectOn::from_name(name) {
                    Some(on) if !chosen.contains(&on) => chosen.push(on),
                    Some(_) => {}
                    None => problems.add(
                        key("disconnect_on"),
                        format!(
                            "`{name}` is not an event: use any of {}",
                            DisconnectOn::ALL.map(DisconnectOn::name).join(", ")
                        ),
                    ),
                }
            }
            chosen
        }
    };
    Some(ClientConfig {
        name,
        network: network?,
        transport: transport?,
        secret: secret?,
        require_message_authenticator: section.require_message_authenticator,
        limit_proxy_state: section.limit_proxy_state,
        deadline: Duration::from_millis(section.deadline_ms),
        on_okta_failure,
        max_in_flight: section.max_in_flight,
        okta_primary_auth: section.okta_primary_auth,
        mfa,
        policy,
        coa_port: section.coa_port,
        coa_secret,
        disconnect_on,
        eap: section.eap,
    })
}
