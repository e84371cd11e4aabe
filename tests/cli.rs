//! The command line as an operator uses it: `check-config` on good and bad
//! files (a log level that would silence the log included), `RUST_LOG` set
//! to something that is no filter, and `demo` answered by radclient.

mod support;

use radius_proto::packet::Code;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::process::serve_until_exit;
use support::*;

fn check_config(text: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).expect("write");
    let output = Command::new(binary())
        .args(["check-config", "--config"])
        .arg(&path)
        .env("TEST_OKTA_API_TOKEN", API_TOKEN)
        .env("TEST_RADIUS_SECRET", SECRET)
        .env("TEST_STATE_KEY", STATE_KEY)
        .env("OKTA_API_TOKEN", API_TOKEN)
        .env("RADIUS_SECRET_VPN_ASA", SECRET)
        .env(
            "OKTA_RADIUS_STATE_KEY",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        )
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_config_accepts_the_shipped_configs() {
    // The reference reads its secrets from /etc/okta-radius/secrets/, as the
    // package installs it; here from a directory of the test's own.
    let secrets = tempfile::tempdir().expect("tempdir");
    for (name, value) in [
        ("okta-api-token", API_TOKEN),
        ("state-key", STATE_KEY),
        ("radius-secret-vpn", SECRET),
    ] {
        std::fs::write(secrets.path().join(name), value).expect("write a secret");
    }
    let secrets_dir = format!("{}/", secrets.path().display());
    for file in ["config/okta-radius.toml", "config/demo.toml"] {
        let text = std::fs::read_to_string(file)
            .expect("shipped config")
            .replace("/etc/okta-radius/secrets/", &secrets_dir);
        let (code, stdout, stderr) = check_config(&text);
        assert_eq!(code, Some(0), "{file}: {stdout}{stderr}");
        assert!(stdout.contains("valid"), "{stdout}");
    }
}

#[test]
fn check_config_names_each_bad_key_and_exits_2() {
    let text = config_for("https://example.okta.com")
        .replace("address = \"127.0.0.1\"", "address = \"127.0.0.300\"")
        .replace(
            "reject_delay_ms = 0",
            "reject_delay_ms = 0\nduplicate_cache_seconds = 1",
        );
    let (code, _, stderr) = check_config(&text);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("clients[0] (test-nas).address"), "{stderr}");
    assert!(
        stderr.contains("server.duplicate_cache_seconds"),
        "{stderr}"
    );

    let (code, _, stderr) = check_config(
        &config_for("https://example.okta.com")
            .replace("[users]", "[users]\nstrip_domain_prefx = true"),
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("strip_domain_prefx"), "{stderr}");

    let (code, _, stderr) = check_config(&config_for("https://example.okta.com").replace(
        "api_token_env = \"TEST_OKTA_API_TOKEN\"",
        "api_token_env = \"UNSET_VARIABLE_FOR_TEST\"",
    ));
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("okta.api_token") && stderr.contains("UNSET_VARIABLE_FOR_TEST"),
        "{stderr}"
    );

    let (code, _, stderr) = check_config(&config_for("https://example.okta.com").replace(
        "[okta]",
        "[okta]\nforwarded_for_attribute = \"No-Such-Attribute\"",
    ));
    assert_eq!(code, Some(2));
    assert!(stderr.contains("okta.forwarded_for_attribute"), "{stderr}");
}

#[test]
fn serve_refuses_a_bad_config_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[server]\nlisten = [\"nowhere\"]\n").expect("write");
    let output = Command::new(binary())
        .args(["serve", "--config"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("server.listen[0]") && stderr.contains("clients"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_log_level_is_refused_instead_of_silencing_the_log() {
    let org = start_org().await;
    let text = config_for(&org.base_url()).replace("level = \"debug\"", "level = \"infoo\"");

    let (code, _, stderr) = check_config(&text);
    assert_eq!(
        code,
        Some(2),
        "check-config refuses log.level = \"infoo\": {stderr}"
    );
    assert!(
        stderr.contains("log.level") && stderr.contains("infoo"),
        "{stderr}"
    );
    for level in ["trace", "debug", "info", "warn", "error", "off"] {
        assert!(stderr.contains(level), "the fix names `{level}`: {stderr}");
    }

    let (status, stderr) = serve_until_exit(&text, &[], Duration::from_secs(10));
    let status = status.unwrap_or_else(|| {
        panic!("serve started with log.level = \"infoo\" (and logged nothing): {stderr}")
    });
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("log.level"), "{stderr}");

    // A tracing filter with targets is still a valid level.
    let filter = config_for(&org.base_url())
        .replace("level = \"debug\"", "level = \"warn,okta_radius=debug\"");
    let (code, stdout, stderr) = check_config(&filter);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_log_that_is_no_filter_is_warned_about_and_the_configured_level_kept() {
    let org = start_org().await;
    for garbage in ["okta_radius=loud", "infoo"] {
        let server =
            TestServer::start_with_env(&config_for(&org.base_url()), &[("RUST_LOG", garbage)])
                .await;
        let warning = server
            .logs
            .wait_for("a warning about RUST_LOG", |e| {
                e["level"] == "WARN"
                    && e["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("RUST_LOG"))
            })
            .await;
        assert!(
            warning.to_string().contains(garbage),
            "the warning shows the value: {warning}"
        );
        assert_eq!(
            login_code(server.radius, "alice", "alice-password").await,
            Some(Code::AccessAccept)
        );
        let audits = server.logs.wait_audits(1).await;
        assert_eq!(audits[0]["outcome"], "accept", "audit lines still appear");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_answers_radclient() {
    let port = {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket.local_addr().expect("addr").port()
    };
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(binary())
        .args(["demo", "--listen", &listen, "--metrics", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    let stdout = child.stdout.take().expect("stdout");
    let banner = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take_while(|line| !line.starts_with("Try:"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let banner = banner.join().expect("banner");
    assert!(
        banner.contains("alice") && banner.contains("alice-password"),
        "{banner}"
    );

    let server: std::net::SocketAddr = listen.parse().expect("addr");
    let mut outcome = (false, String::new());
    for _ in 0..50 {
        outcome = tokio::task::spawn_blocking(move || {
            radclient(
                server,
                "testing123",
                "User-Name = \"alice\"\nUser-Password = \"alice-password\"\nNAS-Identifier = \"demo\"\nMessage-Authenticator = 0x00\n",
                &[],
            )
        })
        .await
        .expect("join");
        if outcome.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        outcome.0 && outcome.1.contains("Received Access-Accept"),
        "{}",
        outcome.1
    );
}

#[test]
fn check_config_reads_the_dictionaries_installed_beside_the_binary() {
    // A layout like the package's: <prefix>/bin/okta-radius and
    // <prefix>/share/okta-radius/dictionaries, whose top file includes a
    // vendor dictionary the built-in set lacks.
    let prefix = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let bin = prefix.path().join("bin");
    let dictionaries = prefix.path().join("share/okta-radius/dictionaries");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::create_dir_all(&dictionaries).expect("dictionaries");
    let installed = bin.join("okta-radius");
    if std::fs::hard_link(binary(), &installed).is_err() {
        std::fs::copy(binary(), &installed).expect("copy the binary");
    }
    for entry in std::fs::read_dir("dictionaries").expect("shipped dictionaries") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dictionaries.join(entry.file_name())).expect("copy");
    }
    std::fs::write(
        dictionaries.join("dictionary.acme"),
        "VENDOR Acme 64999\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Tier 1 string\nEND-VENDOR Acme\n",
    )
    .expect("vendor file");
    let top = dictionaries.join("dictionary");
    let mut text = std::fs::read_to_string(&top).expect("top file");
    text.push_str("$INCLUDE dictionary.acme\n");
    std::fs::write(&top, text).expect("top file");

    let config = config_for("https://example.okta.com").replace(
        "deadline_ms = 2000",
        "deadline_ms = 2000\npolicy = \"tiers\"",
    ) + "\n[policies.tiers]\n[[policies.tiers.reply]]\nattribute = \"Acme-Tier\"\nvalue = \"gold\"\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("okta-radius.toml");
    std::fs::write(&path, config).expect("write");
    let run = |program: &std::path::Path| {
        let output = Command::new(program)
            .args(["check-config", "--config"])
            .arg(&path)
            .env("TEST_OKTA_API_TOKEN", API_TOKEN)
            .env("TEST_RADIUS_SECRET", SECRET)
            .env("TEST_STATE_KEY", STATE_KEY)
            .output()
            .expect("runs");
        (output.status.code(), support::printed(&output))
    };

    let (code, text) = run(&installed);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains(&format!("dictionaries: {}", dictionaries.display())),
        "{text}"
    );

    // The same config with the binary of the source tree: the built-in set,
    // which has no Acme-Tier.
    let (code, text) = run(std::path::Path::new(binary()));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("Acme-Tier"), "{text}");
    assert!(!text.contains("dictionaries: /"), "{text}");
}
