//! `check-config` as an operator meets it on a first, imperfect config:
//! every problem in one run (unknown keys with their lines and the key
//! meant, invalid values with the form expected, then warnings), clients
//! named as well as numbered, keys set by the environment naming their
//! variable, syntax errors that never echo a line that may hold a secret;
//! and per-client overrides from the environment that let a NAS in.

mod support;

use radius_proto::packet::Code;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use support::*;

fn check(text: &str, env: &[(&str, &str)]) -> (Option<i32>, String, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("okta-radius.toml");
    std::fs::write(&path, text).expect("write");
    let mut command = Command::new(binary());
    command
        .args(["check-config", "--config"])
        .arg(&path)
        .env("TEST_OKTA_API_TOKEN", API_TOKEN)
        .env("TEST_RADIUS_SECRET", SECRET)
        .env("TEST_STATE_KEY", STATE_KEY);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        path.display().to_string(),
    )
}

/// The line of `stderr` that mentions `needle`, and its position.
fn line_with<'a>(stderr: &'a str, needle: &str) -> (usize, &'a str) {
    stderr
        .lines()
        .enumerate()
        .find(|(_, line)| line.contains(needle))
        .unwrap_or_else(|| panic!("no line mentions {needle}:\n{stderr}"))
}

#[test]
fn every_problem_of_a_config_is_listed_in_one_run() {
    let secrets = tempfile::tempdir().expect("tempdir");
    let loose = secrets.path().join("wlc-secret");
    std::fs::write(&loose, "a-loose-but-long-shared-secret\n").expect("write");
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let missing = secrets.path().join("no-such-file");
    let text = format!(
        r#"[server]
listen = "127.0.0.1:1812"
reject_delay_ms = "500"
duplicate_cache_secs = 5

[okta]
org_url = "https://example.okta.com"
api_token_env = "TEST_OKTA_API_TOKEN"
request_timout_ms = 5000

[users]
lowercase = "true"
default_domain = "example.com"

[state]
key_env = "TEST_STATE_KEY"

[[clients]]
name = "vpn-asa"
address = "127.0.2.5/24"
secret = "fourteen-chars"
deadline_ms = "soon"
inline = 1

[[clients]]
name = "wlc"
address = "10.0.0.0/8"
secret_file = "{}"

[[clients]]
name = "switches"
address = "10.1.0.0/16"
secret_file = "{}"
"#,
        loose.display(),
        missing.display()
    );
    let (code, stdout, stderr, path) = check(
        &text,
        &[("OKTA_RADIUS__CLIENTS__WLC__DEADLINE_MS", "later")],
    );
    assert_eq!(code, Some(2), "{stdout}{stderr}");

    // Unknown keys, with their lines and the key meant.
    let (typo, line) = line_with(&stderr, "okta.request_timout_ms");
    assert!(
        line.starts_with(&format!("{path}:9: "))
            && line.contains("did you mean `request_timeout_ms`"),
        "{line}"
    );
    let (_, line) = line_with(&stderr, "server.duplicate_cache_secs");
    assert!(line.starts_with(&format!("{path}:4: ")), "{line}");
    let (_, line) = line_with(&stderr, "clients[0] (vpn-asa).inline");
    assert!(line.contains("unknown key"), "{line}");

    // Invalid values, with the form expected; a client by index and name.
    let (listen, line) = line_with(&stderr, "server.listen");
    assert!(
        line.contains(r#"must be a list: `listen = ["127.0.0.1:1812"]`"#),
        "{line}"
    );
    let (_, line) = line_with(&stderr, "clients[0] (vpn-asa).deadline_ms");
    assert!(line.starts_with(&format!("{path}:22: ")), "{line}");
    let (_, line) = line_with(&stderr, "OKTA_RADIUS__CLIENTS__WLC__DEADLINE_MS");
    assert!(line.contains("clients[1] (wlc).deadline_ms"), "{line}");
    let (_, line) = line_with(&stderr, "clients[2] (switches).secret_file");
    assert!(
        line.contains(&format!("file not found: {}", missing.display())),
        "{line}"
    );

    // Warnings, after every problem.
    let (short, line) = line_with(&stderr, "clients[0] (vpn-asa).secret:");
    assert!(
        line.starts_with("warning: ") && line.contains("14 characters"),
        "{line}"
    );
    let (_, line) = line_with(&stderr, "127.0.2.5/24");
    assert!(
        line.starts_with("warning: ") && line.contains("127.0.2.0/24"),
        "{line}"
    );
    let (_, line) = line_with(&stderr, "clients[1] (wlc).secret_file");
    assert!(
        line.starts_with("warning: ") && line.contains("644"),
        "{line}"
    );
    let (_, line) = line_with(&stderr, "users.lowercase");
    assert!(
        line.starts_with("warning: ") && line.contains("`lowercase = true`"),
        "{line}"
    );
    let (_, line) = line_with(&stderr, "server.reject_delay_ms");
    assert!(line.starts_with("warning: "), "{line}");
    assert!(
        typo < listen && listen < short,
        "unknown, invalid, warnings:\n{stderr}"
    );

    // A secret is never shown, even where its value is the problem.
    assert!(!stderr.contains("fourteen-chars"), "{stderr}");
    assert!(!stderr.contains("a-loose-but-long"), "{stderr}");
}

#[test]
fn a_listen_address_given_twice_is_named() {
    let text = config_for("https://example.okta.com").replace(
        "listen = [\"127.0.0.1:0\"]",
        "listen = [\"127.0.0.1:1812\", \"127.0.0.1:1812\"]",
    );
    let (code, _, stderr, _) = check(&text, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    let (_, line) = line_with(&stderr, "server.listen[1]");
    assert!(line.contains("also server.listen[0]"), "{line}");
}

#[test]
fn a_toml_syntax_error_gives_its_line_and_never_the_text() {
    let text = "[okta]\norg_url = \"https://example.okta.com\"\napi_token = \"00-secret-token-value\n\n[server\n";
    let (code, _, stderr, path) = check(text, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    let (_, line) = line_with(&stderr, "not valid TOML");
    assert!(line.starts_with(&format!("{path}:3: ")), "{stderr}");
    assert!(stderr.contains(&format!("{path}:5: ")), "{stderr}");
    assert!(!stderr.contains("secret-token-value"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_secret_from_the_environment_by_name_or_by_index_lets_the_nas_in() {
    let org = start_org().await;
    let config = config_for(&org.base_url()).replace("secret_env = \"TEST_RADIUS_SECRET\"\n", "");
    for variable in [
        "OKTA_RADIUS__CLIENTS__TEST_NAS__SECRET",
        "OKTA_RADIUS__CLIENTS__0__SECRET",
    ] {
        let server = TestServer::start_with_env(&config, &[(variable, SECRET)]).await;
        assert_eq!(
            login_code(server.radius, "alice", "alice-password").await,
            Some(Code::AccessAccept),
            "{variable}"
        );
    }
    let (code, _, stderr, _) = check(&config, &[("OKTA_RADIUS__CLIENTS__VPN__SECRET", SECRET)]);
    assert_eq!(code, Some(2), "{stderr}");
    let (_, line) = line_with(&stderr, "OKTA_RADIUS__CLIENTS__VPN__SECRET");
    assert!(
        line.contains("by its index") && line.contains("`name`"),
        "{line}"
    );
}
