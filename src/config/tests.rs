//! Tests of config loading: defaults, environment overrides, and problems
//! reported by key.

use super::*;
use std::collections::HashMap;
use std::time::Duration;

const MINIMAL: &str = r#"
[okta]
org_url = "https://example.okta.com"
api_token = "00abcdefghijklmnopqrstuvwxyz"

[[clients]]
name = "vpn"
address = "192.0.2.0/24"
secret = "a-long-enough-shared-secret"
"#;

fn keys(errors: &ConfigErrors) -> Vec<&str> {
    errors.0.iter().map(|p| p.key.as_str()).collect()
}

#[test]
fn minimal_config_gets_defaults() {
    let config = Config::from_toml(MINIMAL, Some(HashMap::new())).expect("valid");
    assert_eq!(
        config.server.listen,
        vec!["0.0.0.0:1812".parse().expect("addr")]
    );
    assert_eq!(config.server.reject_delay, Duration::from_secs(1));
    assert_eq!(
        config.okta.forwarded_for_attribute.as_deref(),
        Some("Calling-Station-Id")
    );
    let client = &config.clients[0];
    assert!(client.require_message_authenticator);
    assert!(client.limit_proxy_state);
    assert_eq!(client.on_okta_failure, OnOktaFailure::Reject);
    assert!(config.warnings.is_empty());
}

#[test]
fn environment_overrides_keys() {
    let env = HashMap::from([
        (
            "OKTA_RADIUS__SERVER__LISTEN".to_owned(),
            "127.0.0.1:1812,127.0.0.1:11812".to_owned(),
        ),
        (
            "OKTA_RADIUS__OKTA__ORG_URL".to_owned(),
            "https://other.okta.com".to_owned(),
        ),
        (
            "OKTA_RADIUS__SERVER__REJECT_DELAY_MS".to_owned(),
            "0".to_owned(),
        ),
    ]);
    let config = Config::from_toml(MINIMAL, Some(env)).expect("valid");
    assert_eq!(config.server.listen.len(), 2);
    assert_eq!(config.okta.org_url, "https://other.okta.com");
    assert_eq!(config.server.reject_delay, Duration::ZERO);
}

#[test]
fn unknown_key_is_named() {
    let text = format!("{MINIMAL}\n[log]\nformt = \"json\"\n");
    let errors = Config::from_toml(&text, Some(HashMap::new())).expect_err("typo");
    assert!(errors.to_string().contains("formt"), "{errors}");
}

#[test]
fn every_problem_is_reported_with_its_key() {
    let text = r#"
[server]
listen = ["not-an-address"]
[okta]
org_url = "http://example.okta.com"
[[clients]]
name = "vpn"
address = "300.1.2.3"
on_okta_failure = "maybe"
"#;
    let errors = Config::from_toml(text, Some(HashMap::new())).expect_err("invalid");
    let keys = keys(&errors);
    for expected in [
        "server.listen[0]",
        "okta.org_url",
        "okta.api_token",
        "clients[0].address",
        "clients[0].secret",
        "clients[0].on_okta_failure",
    ] {
        assert!(keys.contains(&expected), "{expected} missing from {keys:?}");
    }
}

#[test]
fn secrets_never_appear_in_errors() {
    let text = r#"
[okta]
org_url = "https://example.okta.com"
api_token = "00SuperSecretToken"
[[clients]]
name = "vpn"
address = "192.0.2.1"
secret = "hunter2-secret"
secret_env = "ALSO_SET"
deadline_ms = "soon"
"#;
    let errors = Config::from_toml(text, Some(HashMap::new())).expect_err("invalid");
    let printed = errors.to_string();
    assert!(!printed.contains("00SuperSecretToken"));
    assert!(!printed.contains("hunter2-secret"));
}

#[test]
fn weak_secret_and_disabled_ma_warn() {
    let text = MINIMAL
        .replace("a-long-enough-shared-secret", "testing123")
        .replace(
            "[[clients]]",
            "[[clients]]\nrequire_message_authenticator = false",
        );
    let config = Config::from_toml(&text, Some(HashMap::new())).expect("valid");
    assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
}

#[test]
fn loopback_http_is_allowed_for_test_orgs_only() {
    for (url, ok) in [
        ("http://127.0.0.1:8080", true),
        ("http://localhost:1234/", true),
        ("http://[::1]:80", true),
        ("http://example.okta.com", false),
        ("ftp://example.okta.com", false),
        ("https://example.okta.com/", true),
    ] {
        let text = MINIMAL.replace("https://example.okta.com", url);
        assert_eq!(
            Config::from_toml(&text, Some(HashMap::new())).is_ok(),
            ok,
            "{url}"
        );
    }
}

#[test]
fn client_address_may_be_a_single_ip() {
    let text = MINIMAL.replace("192.0.2.0/24", "192.0.2.7");
    let config = Config::from_toml(&text, Some(HashMap::new())).expect("valid");
    assert_eq!(config.clients[0].network.to_string(), "192.0.2.7/32");
    assert!(!format!("{:?}", config.clients[0]).contains("a-long-enough-shared-secret"));
}

/// [`MINIMAL`] without the API token, logging in through Direct
/// Authentication with `direct` as its `[okta.direct]` lines.
fn direct(direct: &str) -> Result<Config, ConfigErrors> {
    let text = MINIMAL.replace(
        "api_token = \"00abcdefghijklmnopqrstuvwxyz\"\n",
        &format!("api = \"direct\"\n\n[okta.direct]\n{direct}\n"),
    );
    Config::from_toml(&text, Some(HashMap::new()))
}

#[test]
fn the_default_api_is_authn_and_direct_needs_its_app() {
    let config = Config::from_toml(MINIMAL, Some(HashMap::new())).expect("valid");
    assert_eq!(config.okta.api, OktaApi::Authn);
    assert!(config.okta.direct.is_none());

    let config = direct("client_id = \"0oa1\"\nclient_secret = \"s3cret\"").expect("valid");
    assert_eq!(config.okta.api, OktaApi::Direct);
    let app = config.okta.direct.expect("the app");
    assert_eq!(app.scopes, ["openid", "profile"]);
    assert!(matches!(app.auth, DirectClientAuth::ClientSecret(_)));
    assert!(!format!("{:?}", app.auth).contains("s3cret"));

    let text = MINIMAL.replace("org_url", "api = \"direct\"\norg_url");
    let errors = Config::from_toml(&text, Some(HashMap::new())).expect_err("no app");
    assert_eq!(keys(&errors), ["okta.direct"]);
    let text = MINIMAL.replace("org_url", "api = \"oidc\"\norg_url");
    let errors = Config::from_toml(&text, Some(HashMap::new())).expect_err("unknown api");
    assert_eq!(keys(&errors), ["okta.api"]);
}

#[test]
fn the_direct_app_is_checked_by_key() {
    for (lines, key) in [
        ("client_secret = \"s\"", "okta.direct.client_id"),
        ("client_id = \"0oa1\"", "okta.direct.keys"),
        (
            "client_id = \"0oa1\"\nclient_secret = \"s\"\nkeys = [{ kid = \"k1\", file = \"/k.pem\" }]",
            "okta.direct.keys",
        ),
        (
            "client_id = \"0oa1\"\nkeys = [{ kid = \"k1\", file = \"/k.pem\" }]\nactive_kid = \"k2\"",
            "okta.direct.active_kid",
        ),
        (
            "client_id = \"0oa1\"\nclient_secret_env = \"OKTA_RADIUS_TEST_UNSET_SECRET\"",
            "okta.direct.client_secret_env",
        ),
        (
            "client_id = \"0oa1\"\nclient_secret = \"s\"\nauthorization_server = \"aus/../x\"",
            "okta.direct.authorization_server",
        ),
        (
            "client_id = \"0oa1\"\nclient_secret = \"s\"\nscopes = [\"profile\"]",
            "okta.direct.scopes",
        ),
    ] {
        let errors = direct(lines).expect_err(lines);
        assert_eq!(keys(&errors), [key], "{lines}");
    }
    let config = direct("client_id = \"0oa1\"\nclient_secret = \"s\"\ngroups_claim = \"groups\"")
        .expect("valid");
    let app = config.okta.direct.expect("the app");
    assert_eq!(app.scopes, ["openid", "profile", "groups"]);
    assert_eq!(app.groups_claim.as_deref(), Some("groups"));
}

#[test]
fn without_an_api_token_groups_need_the_claim_or_a_management_credential() {
    let policy = "\n[policies.vpn]\nrequire_groups = [\"vpn-*\"]\n";
    let with_policy = |direct_lines: &str| {
        let text = MINIMAL
            .replace(
                "api_token = \"00abcdefghijklmnopqrstuvwxyz\"\n",
                &format!("api = \"direct\"\n\n[okta.direct]\n{direct_lines}\n"),
            )
            .replace(
                "secret = \"a-long-enough-shared-secret\"",
                "secret = \"a-long-enough-shared-secret\"\npolicy = \"vpn\"",
            )
            + policy;
        Config::from_toml(&text, Some(HashMap::new()))
    };
    let errors = with_policy("client_id = \"0oa1\"\nclient_secret = \"s\"").expect_err("no groups");
    assert_eq!(keys(&errors), ["clients[0].policy"]);
    assert!(
        with_policy("client_id = \"0oa1\"\nclient_secret = \"s\"\ngroups_claim = \"groups\"")
            .is_ok()
    );
}

#[test]
fn accounting_is_recorded_when_a_port_or_a_connection_can_carry_it() {
    let config = |server: &str| {
        let text = format!("[server]\n{server}\n{MINIMAL}\n[accounting]\nfile = \"-\"\n");
        Config::from_toml(&text, Some(HashMap::new())).expect("valid")
    };
    let carried_by_nothing = config("");
    assert!(!carried_by_nothing.records_accounting());
    assert!(
        carried_by_nothing
            .warnings
            .iter()
            .any(|warning| warning.starts_with("accounting.file is set but nothing can carry")),
        "{:?}",
        carried_by_nothing.warnings
    );
    for server in [
        "accounting_listen = [\"127.0.0.1:1813\"]",
        // RFC 6614: a RADIUS/TLS or RADIUS/TCP connection carries accounting
        // too, so a RadSec-only server needs no accounting port.
        "tcp_listen = [\"127.0.0.1:2083\"]",
    ] {
        let config = config(server);
        assert!(config.records_accounting(), "{server}");
        assert!(
            !config
                .warnings
                .iter()
                .any(|w| w.starts_with("accounting.file")),
            "{server}: {:?}",
            config.warnings
        );
    }
    // Disconnects follow the sessions that accounting over a connection
    // shows as well.
    let text = format!(
        "[server]\ntcp_listen = [\"127.0.0.1:2083\"]\n{MINIMAL}\n[accounting]\nfile = \"-\"\n[disconnect]\nenabled = true\ncursor_file = \"/tmp/c.json\"\n"
    );
    let config = Config::from_toml(&text, Some(HashMap::new())).expect("valid");
    assert!(config.disconnect.enabled);
}

#[test]
fn accounting_and_disconnect_keys_are_checked_by_key() {
    let with = |server: &str, extra: &str, client: &str| {
        let text = MINIMAL.replace(
            "secret = \"a-long-enough-shared-secret\"\n",
            &format!("secret = \"a-long-enough-shared-secret\"\n{client}\n"),
        );
        format!("[server]\n{server}\n{text}\n{extra}")
    };
    // Defaults: no accounting port, the three default events, port 3799.
    let config = Config::from_toml(MINIMAL, Some(HashMap::new())).expect("valid");
    assert!(config.server.accounting_listen.is_empty());
    assert!(!config.disconnect.enabled);
    let client = &config.clients[0];
    assert_eq!(client.coa_port, 3799);
    assert_eq!(client.coa_secret_bytes(), client.secret_bytes());
    assert_eq!(client.disconnect_on, DisconnectOn::defaults());

    let text = with(
        "accounting_listen = [\"127.0.0.1:1813\"]",
        "[accounting]\nfile = \"/var/log/okta-radius/accounting.jsonl\"\nfsync = true\n[disconnect]\nenabled = true\ncursor_file = \"/var/lib/okta-radius/cursor.json\"",
        "coa_port = 1700\ncoa_secret = \"another-secret-for-coa\"\ndisconnect_on = [\"suspend\", \"group_removal\"]",
    );
    let config = Config::from_toml(&text, Some(HashMap::new())).expect("valid");
    assert!(config.accounting.fsync);
    assert!(config.disconnect.enabled);
    let client = &config.clients[0];
    assert_eq!(client.coa_port, 1700);
    assert_eq!(client.coa_secret_bytes(), b"another-secret-for-coa");
    assert_eq!(
        client.disconnect_on,
        [DisconnectOn::Suspend, DisconnectOn::GroupRemoval]
    );
    assert!(!format!("{client:?}").contains("another-secret-for-coa"));

    // The same address twice, an unknown event, disconnects without accounting.
    let text = with(
        "listen = [\"127.0.0.1:1812\"]\naccounting_listen = [\"127.0.0.1:1812\"]",
        "[accounting]\nfile = \"-\"\n[disconnect]\nenabled = true\ncursor_file = \"/tmp/c.json\"",
        "disconnect_on = [\"deactivated\"]",
    );
    let errors = Config::from_toml(&text, Some(HashMap::new())).expect_err("invalid");
    assert_eq!(
        keys(&errors),
        ["server.accounting_listen[0]", "clients[0].disconnect_on"]
    );
    let text = with(
        "",
        "[disconnect]\nenabled = true\ncursor_file = \"/tmp/c.json\"",
        "",
    );
    let errors = Config::from_toml(&text, Some(HashMap::new())).expect_err("invalid");
    assert_eq!(keys(&errors), ["disconnect.enabled"]);
}

#[test]
fn eap_needs_its_section_and_names_each_bad_key() {
    let client_eap = MINIMAL.replace(
        "secret = \"a-long-enough-shared-secret\"",
        "secret = \"a-long-enough-shared-secret\"\neap = true",
    );
    let errors = Config::from_toml(&client_eap, Some(HashMap::new())).expect_err("no [eap]");
    assert_eq!(keys(&errors), vec!["clients[0].eap"]);

    let bad = format!(
        "{client_eap}\n[eap]\nmethods = [\"leap\"]\nfragment_size = 100\nconversation_timeout_seconds = 0\nmax_conversations = 0\n"
    );
    let errors = Config::from_toml(&bad, Some(HashMap::new())).expect_err("invalid [eap]");
    assert_eq!(
        keys(&errors),
        vec![
            "eap.certificate_file",
            "eap.private_key_file",
            "eap.methods",
            "eap.fragment_size",
            "eap.conversation_timeout_seconds",
            "eap.max_conversations",
        ]
    );

    let good = format!(
        "{client_eap}\n[eap]\ncertificate_file = \"/etc/okta-radius/eap.pem\"\nprivate_key_file = \"/etc/okta-radius/eap.key\"\n"
    );
    let config = Config::from_toml(&good, Some(HashMap::new())).expect("valid");
    let eap = config.eap.expect("[eap]");
    assert_eq!(eap.methods, vec![EapMethod::Ttls, EapMethod::Peap]);
    assert_eq!(eap.fragment_size, 1020);
    assert_eq!(eap.conversation_timeout, Duration::from_secs(60));
    assert!(config.clients[0].eap);
    let without = Config::from_toml(MINIMAL, Some(HashMap::new())).expect("valid");
    assert!(without.eap.is_none() && !without.clients[0].eap);
}

#[test]
fn an_event_hook_needs_its_secret_and_the_tls_certificate() {
    let text = format!(
        "[server]\naccounting_listen = [\"127.0.0.1:1813\"]\n{MINIMAL}\n[accounting]\nfile = \"-\"\n[disconnect]\nenabled = true\ncursor_file = \"/tmp/c.json\"\nevent_hook_listen = \"127.0.0.1:8443\"\n"
    );
    let errors = Config::from_toml(&text, Some(HashMap::new())).expect_err("invalid");
    assert_eq!(
        keys(&errors),
        // In the file's order; keys the file does not have come last.
        [
            "disconnect.event_hook_secret",
            "tls.certificate_file",
            "tls.private_key_file",
        ]
    );
    let text = format!(
        "{text}event_hook_secret = \"a-hook-secret\"\n[tls]\ncertificate_file = \"/etc/okta-radius/tls/server.pem\"\nprivate_key_file = \"/etc/okta-radius/tls/server.key\"\n"
    );
    let config = Config::from_toml(&text, Some(HashMap::new())).expect("valid");
    let hook = config.disconnect.event_hook.as_ref().expect("a hook");
    assert_eq!(hook.listen, "127.0.0.1:8443".parse().expect("addr"));
    assert!(!format!("{:?}", config.disconnect).contains("a-hook-secret"));
    assert!(
        config.streams.tls.is_some(),
        "the certificate is loaded for the hook"
    );
}

#[test]
fn a_redis_timeout_that_leaves_a_client_little_of_its_deadline_is_named() {
    let config = |op_timeout_ms: u64| {
        let text = format!(
            "{MINIMAL}\n[cluster]\nredis_url = \"redis://127.0.0.1:6379\"\nop_timeout_ms = {op_timeout_ms}\n"
        );
        Config::from_toml(&text, Some(HashMap::new())).expect("valid")
    };
    let named = |config: &Config| {
        config
            .warnings
            .iter()
            .any(|w| w.contains("clients[0].deadline_ms") && w.contains("cluster.op_timeout_ms"))
    };
    // The default deadline is 4 s: 50 ms (the default) leaves it whole.
    assert!(!named(&config(50)), "{:?}", config(50).warnings);
    assert!(!named(&config(1000)));
    assert!(named(&config(1500)), "{:?}", config(1500).warnings);
}
