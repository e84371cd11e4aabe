//! The dashboard and the alerting rules in `contrib/` watch metrics the
//! server really exports. A real server is driven until every series has
//! appeared (an accepted login, a retransmit, a wrong shared secret,
//! throttled passwords, a reply too large for its Proxy-State, one user's
//! logins faster than Okta's per-user limit, a burst past the org's rate
//! limit, a reload, the keep-alive, an accounting record, the System Log
//! followed), then `/metrics` is scraped and checked
//! both ways: every metric the dashboard, the rules and their unit tests
//! name is exported, and every exported family is on the dashboard.

mod support;

use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::Code;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;
use support::*;

fn contrib(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The metric names in a PromQL expression or series selector: the
/// identifiers of ours (`radius_...`, `okta_...`) outside quoted strings.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut unquoted = String::new();
    let mut quoted = false;
    for c in expr.chars() {
        if c == '"' {
            quoted = !quoted;
            unquoted.push(' ');
        } else if !quoted {
            unquoted.push(c);
        }
    }
    unquoted
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|word| word.starts_with("radius_") || word.starts_with("okta_"))
        .map(str::to_owned)
        .collect()
}

/// Every `expr` of the dashboard's panels and variables.
fn dashboard_exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("expr" | "definition", serde_json::Value::String(expr)) => {
                        out.push(expr.clone());
                    }
                    _ => dashboard_exprs(inner, out),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                dashboard_exprs(item, out);
            }
        }
        _ => {}
    }
}

/// The expressions of a rules file and the series of its unit tests: the
/// text after `expr:` and `series:`.
fn rule_exprs(yaml: &str) -> Vec<String> {
    yaml.lines()
        .map(str::trim_start)
        .map(|line| line.trim_start_matches("- "))
        .filter_map(|line| {
            line.strip_prefix("expr:")
                .or_else(|| line.strip_prefix("series:"))
        })
        .map(|rest| rest.trim().trim_matches('\'').to_owned())
        .collect()
}

/// The sample names and the `# TYPE` families of a scrape.
fn exported(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut samples = BTreeSet::new();
    let mut families = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some(name) = rest.split(' ').next() {
                families.insert(name.to_owned());
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            samples.insert(line[..end].to_owned());
        }
    }
    (samples, families)
}

/// Drives traffic that makes every series of the server appear; returns the scrape.
async fn scrape_after_traffic() -> String {
    // Okta's /authn limit is 16 calls a minute: the burst at the end runs
    // into the budget, everything before it fits.
    let org = start_org_with(|config| config.authn_rate_limit = 16).await;
    // A [cluster] whose Redis is not there: the server runs on its own
    // state, and its Redis metrics (reachable 0, fallbacks) are exported.
    let config = with_okta_keys(
        &config_for(&org.base_url()),
        "keepalive_interval_seconds = 1",
    )
    .replace(
        "listen = [\"127.0.0.1:0\"]\n",
        "listen = [\"127.0.0.1:0\"]\naccounting_listen = [\"127.0.0.1:0\"]\n",
    );
    // Accounting, and the System Log followed every 3 s: its polls use the
    // API token too, and a poll each second would keep the 1 s keep-alive
    // from ever being due once the logins stop.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "{config}\n[accounting]\nfile = \"{}\"\n\n[disconnect]\nenabled = true\npoll_interval_seconds = 3\ncursor_file = \"{}\"\n\n[cluster]\nredis_url = \"redis://127.0.0.1:{}\"\n",
        dir.path().join("accounting.jsonl").display(),
        dir.path().join("cursor.json").display(),
        support::process::free_port()
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    // One accounting Start.
    let accounting: std::net::SocketAddr = server
        .logs
        .wait_field("RADIUS accounting listener ready", "listen")
        .await
        .parse()
        .expect("addr");
    let (answered, output) = radclient_acct(
        accounting,
        SECRET,
        "Acct-Status-Type = Start\nAcct-Session-Id = \"contrib-1\"\nUser-Name = \"alice\"\nNAS-IP-Address = 127.0.0.1\n",
        &[],
    );
    assert!(answered, "{output}");

    // An accepted login, then the same datagram again: a retransmit.
    let request = nas.login_request("alice", "alice-password");
    let reply = nas.exchange(&request).await.expect("a reply");
    assert_eq!(reply.code(), Code::AccessAccept);
    let (bytes, _) = request.encode(SECRET.as_bytes()).expect("encodes");
    nas.send_raw(&bytes).await;
    assert!(nas.receive(Duration::from_secs(5)).await.is_some());

    // A NAS with the wrong shared secret: dropped without an answer.
    let stranger = Nas::with_secret(server.radius, "not-the-shared-secret").await;
    let (bytes, _) = stranger
        .login_request("alice", "alice-password")
        .encode(b"not-the-shared-secret")
        .expect("encodes");
    stranger.send_raw(&bytes).await;

    // Wrong passwords past the first throttle (5 per user and source by default).
    for _ in 0..6 {
        let reply = nas
            .exchange(&nas.login_request("bob", "not-bobs-password"))
            .await
            .expect("a reply");
        assert_eq!(reply.code(), Code::AccessReject);
    }

    // Proxy-State filling the request to 4096 bytes, and a long
    // Reply-Message: the reply would not fit.
    let mut oversized = nas.login_request("expired", "expired-password");
    for i in 0u8.. {
        let grown = oversized
            .clone()
            .attribute(Attribute::new(types::PROXY_STATE, vec![i; 253]));
        if grown.encode(SECRET.as_bytes()).is_err() {
            break;
        }
        oversized = grown;
    }
    let (bytes, _) = oversized.encode(SECRET.as_bytes()).expect("encodes");
    let room = 4096 - bytes.len();
    if room >= 3 {
        oversized = oversized.attribute(Attribute::new(types::PROXY_STATE, vec![0xff; room - 2]));
    }
    assert!(nas.exchange(&oversized).await.is_some());

    // Six logins of one user at once: Okta allows four a second per user,
    // so the budget holds some back.
    let mut logins = Vec::new();
    for _ in 0..6 {
        let radius = server.radius;
        logins.push(tokio::spawn(async move {
            login_code(radius, "alice", "alice-password").await
        }));
    }
    for login in logins {
        assert!(login.await.expect("join").is_some());
    }

    // A burst past the org's limit: the budget refuses what cannot fit.
    let mut burst = Vec::new();
    for _ in 0..12 {
        let radius = server.radius;
        burst.push(tokio::spawn(async move {
            login_code(radius, "alice", "alice-password").await
        }));
        tokio::time::sleep(Duration::from_millis(260)).await;
    }
    for login in burst {
        assert!(login.await.expect("join").is_some());
    }

    server.signal("HUP");
    for series in [
        "radius_drops_total{reason=\"bad_message_authenticator\"}",
        "radius_throttled_total{kind=\"user_source\"}",
        "radius_oversized_replies_total{action=\"minimal_reject\"}",
        "okta_budget_waits_total{class=\"login\",bucket=\"authn\"}",
        "okta_budget_rejections_total{class=\"login\",bucket=\"authn\"}",
        "okta_radius_config_reloads_total{result=\"applied\"}",
        "okta_keepalive_calls_total{result=\"ok\"}",
        "okta_system_log_polls_total{result=\"ok\"}",
        "radius_accounting_sessions",
    ] {
        server.wait_counter(series, 1.0).await;
    }
    server.metrics_text().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_the_rules_name_only_exported_metrics_and_show_them_all() {
    let dashboard: serde_json::Value =
        serde_json::from_str(&contrib("grafana/okta-radius.json")).expect("the dashboard is JSON");
    let mut exprs = Vec::new();
    dashboard_exprs(&dashboard, &mut exprs);
    assert!(exprs.len() > 20, "the dashboard has its queries: {exprs:?}");
    let on_dashboard: BTreeSet<String> = exprs.iter().flat_map(|e| metric_names(e)).collect();

    let rules = contrib("prometheus/okta-radius-alerts.yml");
    let rule_tests = contrib("prometheus/okta-radius-alerts.test.yml");
    let alert_exprs = rule_exprs(&rules);
    assert_eq!(
        alert_exprs.len(),
        8,
        "one expression per alert: {alert_exprs:?}"
    );
    let in_rules: BTreeSet<String> = alert_exprs
        .iter()
        .chain(rule_exprs(&rule_tests).iter())
        .flat_map(|e| metric_names(e))
        .collect();

    let text = scrape_after_traffic().await;
    let (samples, families) = exported(&text);

    let unknown: Vec<&String> = on_dashboard
        .iter()
        .chain(in_rules.iter())
        .filter(|name| !samples.contains(*name))
        .collect();
    assert!(
        unknown.is_empty(),
        "named in contrib/ but not exported: {unknown:?}\n{text}"
    );

    let missing: Vec<&String> = families
        .iter()
        .filter(|family| {
            !on_dashboard.contains(*family) && !on_dashboard.contains(&format!("{family}_bucket"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "exported but not on the dashboard: {missing:?}"
    );
}

#[test]
fn metric_names_are_read_from_expressions_without_label_values() {
    let names = metric_names(
        r#"sum by (instance) (increase(radius_drops_total{instance=~"$instance", reason="okta_timeout"}[5m])) / okta_healthy"#,
    );
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(names, ["okta_healthy", "radius_drops_total"]);
}
