//! Re-reading the config file on SIGHUP: clients, shared secrets, per-client
//! options (MFA settings, deadlines, limits), policies, user-name rules, the
//! push-fatigue limits, the password-spraying throttles and the State key
//! are replaced without dropping a login in flight. A new config that does
//! not validate is refused with every problem logged, and the running one is
//! kept; so is the running TLS certificate when a new one does not load.
//! Settings bound at start (listen addresses, the Okta org, its
//! timeouts and HTTP client, the metrics listener, logging, the global
//! limits) need a restart; a reload that changes one names it in a warning.

use crate::auth::Rules;
use crate::config::cluster::{ClusterConfig, RedisTarget};
use crate::config::{
    AccountingConfig, Config, ConfigErrors, ConnectionLimits, DirectConfig, DisconnectConfig,
    EapConfig, LogConfig, OAuthConfig, OktaConfig, ServerConfig, StreamConfig,
};
use crate::server::ServerHandle;
use crate::telemetry::metrics as m;
use metrics::counter;
use secrecy::ExposeSecret;
use std::path::Path;
use std::sync::Arc;

/// Loads `path`, validates it fully, and applies it to `server`. On error
/// nothing changes. Returns the new config on success.
pub fn reload(
    path: &Path,
    running: &Config,
    server: &ServerHandle,
) -> Result<Config, ConfigErrors> {
    let result = Config::load(path).and_then(|config| {
        let checked = super::checks::check(&config)?;
        Ok((config, checked))
    });
    let (config, checked) = match result {
        Ok(loaded) => loaded,
        Err(errors) => {
            counter!(m::RELOADS, "result" => "rejected").increment(1);
            for problem in &errors.0 {
                tracing::error!(key = %problem.key, problem = %problem.message, "the new config is invalid");
            }
            tracing::error!(
                config = %path.display(),
                problems = errors.0.len(),
                "config reload refused: the running config stays in force"
            );
            return Err(errors);
        }
    };
    for warning in config.warnings.iter().chain(&checked.tls.warnings) {
        tracing::warn!("{warning}");
    }
    for setting in needs_restart(running, &config) {
        tracing::warn!(
            setting,
            "this setting changed in the config file but only takes effect after a restart"
        );
    }
    if server.authenticator().reload_limits_and_keys(&config) {
        tracing::warn!(
            "the [state] key changed: new challenges are sealed with the new key, and the previous key opens pending challenges until they expire; give every replica the new key"
        );
    }
    server.authenticator().replace_rules(Rules {
        users: config.users.clone(),
        dictionary: Arc::new(checked.dictionary),
        policies: checked.policies,
    });
    server.replace_clients(&config, &checked.tls);
    server.replace_certificate(&checked.tls);
    counter!(m::RELOADS, "result" => "applied").increment(1);
    tracing::info!(
        config = %path.display(),
        clients = config.clients.len(),
        "config reloaded"
    );
    Ok(config)
}

/// The settings bound at start that differ between two configs, by key.
///
/// Every key of the config is either applied by [`reload`] or compared here:
/// the structs are taken apart field by field, so a new key does not compile
/// until someone decides which it is.
fn needs_restart(old: &Config, new: &Config) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut compare = |key: &'static str, differs: bool| {
        if differs {
            changed.push(key);
        }
    };

    let ServerConfig {
        listen,
        max_in_flight,
        duplicate_cache_ttl,
        duplicate_cache_entries,
        reject_delay,
        // Applied: the client table is rebuilt with it.
        status_server_per_second: _,
        // Applied: policies are compiled against the reloaded dictionaries.
        dictionaries: _,
        accounting_listen,
    } = &old.server;
    compare(
        "server.accounting_listen",
        *accounting_listen != new.server.accounting_listen,
    );
    let AccountingConfig {
        // Applied: the file is reopened with them on every SIGHUP.
        output: _,
        fsync: _,
        max_sessions,
        session_silence,
    } = &old.accounting;
    // Whether accounting is recorded at all: the journal and the session
    // table are made at start.
    compare(
        "accounting.file",
        old.records_accounting() != new.records_accounting(),
    );
    compare(
        "accounting.max_sessions",
        *max_sessions != new.accounting.max_sessions,
    );
    compare(
        "accounting.session_silence_seconds",
        *session_silence != new.accounting.session_silence,
    );
    let DisconnectConfig {
        enabled,
        poll_interval,
        cursor_file,
        timeout,
        retries,
        event_hook,
    } = &old.disconnect;
    let disconnect = &new.disconnect;
    compare(
        "disconnect.event_hook_listen",
        event_hook.as_ref().map(|hook| hook.listen)
            != disconnect.event_hook.as_ref().map(|hook| hook.listen),
    );
    compare(
        "disconnect.event_hook_secret",
        match (event_hook, &disconnect.event_hook) {
            (Some(old_hook), Some(new_hook)) => {
                old_hook.secret.expose_secret() != new_hook.secret.expose_secret()
            }
            (None, None) => false,
            _ => true,
        },
    );
    compare("disconnect.enabled", *enabled != disconnect.enabled);
    compare(
        "disconnect.poll_interval_seconds",
        *poll_interval != disconnect.poll_interval,
    );
    compare(
        "disconnect.cursor_file",
        *cursor_file != disconnect.cursor_file,
    );
    compare("disconnect.timeout_ms", *timeout != disconnect.timeout);
    compare("disconnect.retries", *retries != disconnect.retries);
    compare("server.listen", *listen != new.server.listen);
    compare(
        "server.max_in_flight",
        *max_in_flight != new.server.max_in_flight,
    );
    compare(
        "server.duplicate_cache_seconds",
        *duplicate_cache_ttl != new.server.duplicate_cache_ttl,
    );
    compare(
        "server.duplicate_cache_entries",
        *duplicate_cache_entries != new.server.duplicate_cache_entries,
    );
    compare(
        "server.reject_delay_ms",
        *reject_delay != new.server.reject_delay,
    );

    let OktaConfig {
        org_url,
        // Applied: the credentials are reloaded.
        api_token: _,
        connect_timeout,
        request_timeout,
        proxy,
        ca_bundle,
        max_concurrent,
        keepalive_interval,
        credential_probe_interval,
        oauth,
        forwarded_for_attribute,
        groups_cache,
        api,
        direct,
    } = &old.okta;
    let okta = &new.okta;
    compare("okta.org_url", *org_url != okta.org_url);
    compare(
        "okta.connect_timeout_ms",
        *connect_timeout != okta.connect_timeout,
    );
    compare(
        "okta.request_timeout_ms",
        *request_timeout != okta.request_timeout,
    );
    compare("okta.proxy", *proxy != okta.proxy);
    compare("okta.ca_bundle", *ca_bundle != okta.ca_bundle);
    compare(
        "okta.max_concurrent",
        *max_concurrent != okta.max_concurrent,
    );
    compare(
        "okta.keepalive_interval_seconds",
        *keepalive_interval != okta.keepalive_interval,
    );
    compare(
        "okta.credential_probe_seconds",
        *credential_probe_interval != okta.credential_probe_interval,
    );
    compare(
        "okta.forwarded_for_attribute",
        *forwarded_for_attribute != okta.forwarded_for_attribute,
    );
    compare(
        "okta.groups_cache_seconds",
        *groups_cache != okta.groups_cache,
    );
    compare("okta.api", *api != okta.api);
    match (direct, &okta.direct) {
        (Some(old_app), Some(new_app)) => {
            let DirectConfig {
                client_id,
                // Applied: the keys (and active kid) or the secret are reloaded.
                auth: _,
                authorization_server,
                scopes,
                groups_claim,
            } = old_app;
            compare("okta.direct.client_id", *client_id != new_app.client_id);
            compare(
                "okta.direct.authorization_server",
                *authorization_server != new_app.authorization_server,
            );
            compare("okta.direct.scopes", *scopes != new_app.scopes);
            compare(
                "okta.direct.groups_claim",
                *groups_claim != new_app.groups_claim,
            );
        }
        (None, None) => {}
        _ => compare("okta.direct", true),
    }
    match (oauth, &okta.oauth) {
        (Some(old_app), Some(new_app)) => {
            let OAuthConfig {
                client_id,
                scopes,
                // Applied: the keys and the active kid are reloaded.
                keys: _,
                active_kid: _,
            } = old_app;
            compare("okta.oauth.client_id", *client_id != new_app.client_id);
            compare("okta.oauth.scopes", *scopes != new_app.scopes);
        }
        (None, None) => {}
        _ => compare("okta.oauth", true),
    }

    let StreamConfig {
        tls_listen,
        tcp_listen,
        // Applied: the certificate and key files are read again.
        tls: _,
        limits,
    } = &old.streams;
    compare("server.tls_listen", *tls_listen != new.streams.tls_listen);
    compare("server.tcp_listen", *tcp_listen != new.streams.tcp_listen);
    let ConnectionLimits {
        handshake_timeout,
        max_connections,
        max_per_client,
        idle_timeout,
        max_buffered_bytes,
    } = limits;
    let new_limits = &new.streams.limits;
    compare(
        "tls.handshake_timeout_ms",
        *handshake_timeout != new_limits.handshake_timeout,
    );
    compare(
        "connections.max_connections",
        *max_connections != new_limits.max_connections,
    );
    compare(
        "connections.max_per_client",
        *max_per_client != new_limits.max_per_client,
    );
    compare(
        "connections.idle_timeout_seconds",
        *idle_timeout != new_limits.idle_timeout,
    );
    compare(
        "connections.max_buffered_bytes",
        *max_buffered_bytes != new_limits.max_buffered_bytes,
    );

    match (&old.eap, &new.eap) {
        (Some(old_eap), Some(new_eap)) => {
            let EapConfig {
                // Applied: the certificate and key files are read again.
                certificate_file: _,
                private_key_file: _,
                methods,
                fragment_size,
                conversation_timeout,
                max_conversations,
            } = old_eap;
            compare("eap.methods", *methods != new_eap.methods);
            compare("eap.fragment_size", *fragment_size != new_eap.fragment_size);
            compare(
                "eap.conversation_timeout_seconds",
                *conversation_timeout != new_eap.conversation_timeout,
            );
            compare(
                "eap.max_conversations",
                *max_conversations != new_eap.max_conversations,
            );
        }
        (None, None) => {}
        _ => compare("eap", true),
    }

    let LogConfig { format, level } = &old.log;
    compare("log.format", *format != new.log.format);
    compare("log.level", *level != new.log.level);
    compare("metrics.listen", old.metrics_listen != new.metrics_listen);
    compare(
        "abuse.challenge_reserve_percent",
        old.abuse.challenge_reserve_percent != new.abuse.challenge_reserve_percent,
    );
    match (&old.cluster, &new.cluster) {
        (Some(old_cluster), Some(new_cluster)) => {
            let ClusterConfig {
                target,
                ca_file,
                username,
                password: _,
                key_prefix,
                op_timeout,
            } = old_cluster;
            let sentinel = |target: &RedisTarget| matches!(target, RedisTarget::Sentinel { .. });
            match (target, &new_cluster.target) {
                (RedisTarget::Url(_), RedisTarget::Url(_)) => {
                    compare("cluster.redis_url", *target != new_cluster.target);
                }
                (
                    RedisTarget::Sentinel {
                        sentinels,
                        master_name,
                    },
                    RedisTarget::Sentinel {
                        sentinels: new_sentinels,
                        master_name: new_master,
                    },
                ) => {
                    compare("cluster.sentinels", sentinels != new_sentinels);
                    compare("cluster.master_name", master_name != new_master);
                }
                _ => compare(
                    if sentinel(target) {
                        "cluster.redis_url"
                    } else {
                        "cluster.sentinels"
                    },
                    true,
                ),
            }
            compare("cluster.ca_file", *ca_file != new_cluster.ca_file);
            compare("cluster.username", *username != new_cluster.username);
            compare(
                "cluster.password_file",
                !old_cluster.same_password(new_cluster),
            );
            compare("cluster.key_prefix", *key_prefix != new_cluster.key_prefix);
            compare(
                "cluster.op_timeout_ms",
                *op_timeout != new_cluster.op_timeout,
            );
        }
        (None, None) => {}
        _ => compare("cluster", true),
    }
    // Applied by the reload: users, clients (with their [mfa] and eap), policies,
    // push_limits, state (the key rotates), and the rest of [abuse].
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[okta]
org_url = "https://example.okta.com"
api_token = "00token"

[[clients]]
name = "nas"
address = "127.0.0.1"
secret = "a-secret-long-enough"
"#;

    /// The base config with `line` added to `[section]`.
    fn load(section: &str, line: &str) -> Config {
        let header = format!("[{section}]\n");
        let text = if BASE.contains(&header) {
            BASE.replace(&header, &format!("{header}{line}\n"))
        } else {
            format!("{header}{line}\n{BASE}")
        };
        Config::from_toml(&text, Some(Default::default())).expect("a valid config")
    }

    #[test]
    fn every_restart_bound_key_is_named() {
        let old = load("server", "");
        for (section, line, key) in [
            ("server", "reject_delay_ms = 10", "server.reject_delay_ms"),
            (
                "server",
                "duplicate_cache_seconds = 9",
                "server.duplicate_cache_seconds",
            ),
            (
                "okta",
                "request_timeout_ms = 3000",
                "okta.request_timeout_ms",
            ),
            ("okta", "max_concurrent = 3", "okta.max_concurrent"),
            ("log", "level = \"debug\"", "log.level"),
            ("metrics", "listen = \"127.0.0.1:9999\"", "metrics.listen"),
            (
                "abuse",
                "challenge_reserve_percent = 20",
                "abuse.challenge_reserve_percent",
            ),
            (
                "server",
                "tcp_listen = [\"127.0.0.1:1812\"]",
                "server.tcp_listen",
            ),
            (
                "connections",
                "idle_timeout_seconds = 30",
                "connections.idle_timeout_seconds",
            ),
            (
                "connections",
                "max_connections = 10",
                "connections.max_connections",
            ),
            (
                "tls",
                "handshake_timeout_ms = 900",
                "tls.handshake_timeout_ms",
            ),
            (
                "accounting",
                "session_silence_seconds = 600",
                "accounting.session_silence_seconds",
            ),
            (
                "cluster",
                "redis_url = \"redis://127.0.0.1:6379\"",
                "cluster",
            ),
        ] {
            let new = load(section, line);
            assert_eq!(needs_restart(&old, &new), vec![key], "{line}");
        }
    }

    #[test]
    fn the_direct_app_s_credentials_are_applied_and_the_rest_named() {
        let direct = |lines: &str| {
            let text = BASE.replace(
                "api_token = \"00token\"\n",
                &format!("api = \"direct\"\n\n[okta.direct]\n{lines}\n"),
            );
            Config::from_toml(&text, Some(Default::default())).expect("a valid config")
        };
        let old = direct("client_id = \"0oa1\"\nclient_secret = \"first\"");
        let rotated = direct("client_id = \"0oa1\"\nclient_secret = \"second\"");
        assert!(needs_restart(&old, &rotated).is_empty());
        let other_app = direct("client_id = \"0oa2\"\nclient_secret = \"first\"");
        assert_eq!(
            needs_restart(&old, &other_app),
            vec!["okta.direct.client_id"]
        );
        let claim =
            direct("client_id = \"0oa1\"\nclient_secret = \"first\"\ngroups_claim = \"groups\"");
        assert_eq!(
            needs_restart(&old, &claim),
            vec!["okta.direct.scopes", "okta.direct.groups_claim"]
        );
        assert_eq!(
            needs_restart(&old, &load("server", "")),
            vec!["okta.api", "okta.direct"]
        );
    }

    #[test]
    fn eap_settings_need_a_restart_but_its_certificate_does_not() {
        let eap = |lines: &str| {
            load(
                "eap",
                &format!(
                    "certificate_file = \"/e/a.pem\"\nprivate_key_file = \"/e/a.key\"\n{lines}"
                ),
            )
        };
        let old = eap("");
        assert!(needs_restart(&old, &eap("")).is_empty());
        let moved = load(
            "eap",
            "certificate_file = \"/e/b.pem\"\nprivate_key_file = \"/e/b.key\"",
        );
        assert!(needs_restart(&old, &moved).is_empty());
        assert_eq!(
            needs_restart(&old, &eap("fragment_size = 500")),
            vec!["eap.fragment_size"]
        );
        assert_eq!(needs_restart(&old, &load("server", "")), vec!["eap"]);
    }

    #[test]
    fn every_cluster_key_needs_a_restart() {
        let cluster = |lines: &str| load("cluster", lines);
        let old = cluster("redis_url = \"redis://127.0.0.1:6379\"");
        for (lines, key) in [
            (
                "redis_url = \"redis://127.0.0.1:6380\"",
                "cluster.redis_url",
            ),
            (
                "redis_url = \"redis://127.0.0.1:6379\"\nkey_prefix = \"other:\"",
                "cluster.key_prefix",
            ),
            (
                "redis_url = \"redis://127.0.0.1:6379\"\nop_timeout_ms = 80",
                "cluster.op_timeout_ms",
            ),
            (
                "redis_url = \"redis://127.0.0.1:6379\"\nusername = \"radius\"",
                "cluster.username",
            ),
            (
                "sentinels = [\"redis://127.0.0.1:26379\"]\nmaster_name = \"m\"",
                "cluster.sentinels",
            ),
        ] {
            assert_eq!(needs_restart(&old, &cluster(lines)), vec![key], "{lines}");
        }
        assert!(needs_restart(&old, &cluster("redis_url = \"redis://127.0.0.1:6379\"")).is_empty());
    }

    #[test]
    fn what_a_reload_applies_is_not_named() {
        let old = load("server", "");
        for (section, line) in [
            ("push_limits", "max_per_minute = 1"),
            ("abuse", "max_failures_per_user = 2"),
            ("users", "lowercase = true"),
            ("server", "status_server_per_second = 5"),
            ("accounting", "fsync = true"),
            (
                "state",
                "key = \"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"",
            ),
        ] {
            assert!(
                needs_restart(&old, &load(section, line)).is_empty(),
                "{line}"
            );
        }
    }
}
