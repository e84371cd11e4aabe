//! Ending VPN sessions when Okta says so, end to end: a user logs in, the
//! NAS sends accounting Start, an admin acts in the simulated org, and the
//! real binary, polling the org's System Log, sends a Disconnect-Request
//! (RFC 5176) to a NAS emulator that checks its Request Authenticator and
//! Message-Authenticator and answers ACK or NAK.

mod support;

use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::{Code, Packet, RequestBuilder, encode_reply};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::process::serve_until_exit;
use support::*;
use tokio::net::UdpSocket;

const ACCT_SESSION_ID: u8 = 44;
const EVENT_TIMESTAMP: u8 = 55;

/// A NAS's RFC 5176 listener: every Disconnect-Request it receives is
/// checked and kept; it answers each with the next answer of its script
/// (ACK once the script is spent).
struct NasEmulator {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<(Instant, Packet)>>>,
}

#[derive(Clone, Copy)]
enum Reply {
    Ack,
    Nak(u32),
    /// No answer at all, as if the request was lost.
    Silent,
}

impl NasEmulator {
    async fn start(secret: &'static str, script: Vec<Reply>) -> NasEmulator {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let addr = socket.local_addr().expect("addr");
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        tokio::spawn(async move {
            let mut script = script.into_iter();
            let mut buffer = vec![0u8; 4096];
            while let Ok((len, from)) = socket.recv_from(&mut buffer).await {
                let packet = Packet::decode(&buffer[..len]).expect("a Disconnect-Request decodes");
                assert_eq!(packet.code(), Code::DisconnectRequest);
                assert!(
                    packet.verify_request_digest(secret.as_bytes()),
                    "the Request Authenticator is the digest of the CoA secret"
                );
                assert!(
                    packet.verify_message_authenticator(secret.as_bytes()),
                    "the Message-Authenticator is valid"
                );
                let (code, attributes) = match script.next().unwrap_or(Reply::Ack) {
                    Reply::Ack => (Code::DisconnectAck, vec![]),
                    Reply::Nak(cause) => (
                        Code::DisconnectNak,
                        vec![Attribute::integer(types::ERROR_CAUSE, cause)],
                    ),
                    Reply::Silent => {
                        if let Ok(mut kept) = kept.lock() {
                            kept.push((Instant::now(), packet));
                        }
                        continue;
                    }
                };
                let reply = encode_reply(code, &packet, &attributes, secret.as_bytes())
                    .expect("the answer encodes");
                if let Ok(mut kept) = kept.lock() {
                    kept.push((Instant::now(), packet));
                }
                let _ = socket.send_to(&reply, from).await;
            }
        });
        NasEmulator { addr, received }
    }

    fn received(&self) -> Vec<(Instant, Packet)> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    async fn wait_requests(&self, count: usize) -> Vec<(Instant, Packet)> {
        let start = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!(
                    "the NAS received {} Disconnect-Requests, expected {count}",
                    received.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

const COA_SECRET: &str = "a-coa-secret-unlike-the-shared-one";

/// A server with accounting, following the System Log every second, whose
/// client takes Disconnect-Requests at `coa` with [`COA_SECRET`].
fn config(org_url: &str, dir: &Path, coa: SocketAddr) -> String {
    let config = config_for(org_url).replace(
        "listen = [\"127.0.0.1:0\"]\n",
        "listen = [\"127.0.0.1:0\"]\naccounting_listen = [\"127.0.0.1:0\"]\n",
    );
    let config = with_client_keys(
        &config,
        &format!(
            "coa_port = {}\ncoa_secret_env = \"TEST_COA_SECRET\"",
            coa.port()
        ),
    );
    format!(
        "{config}\n[accounting]\nfile = \"{}\"\n\n[disconnect]\nenabled = true\npoll_interval_seconds = 1\ncursor_file = \"{}\"\ntimeout_ms = 300\nretries = 3\n",
        dir.join("accounting.jsonl").display(),
        dir.join("cursor.json").display()
    )
}

async fn start(config: &str) -> (TestServer, SocketAddr) {
    let server = TestServer::start_with_env(config, &[("TEST_COA_SECRET", COA_SECRET)]).await;
    let accounting = server
        .logs
        .wait_field("RADIUS accounting listener ready", "listen")
        .await
        .parse()
        .expect("addr");
    server
        .logs
        .wait_for("the System Log followed", |event| {
            event["message"] == "following the Okta System Log to end sessions"
        })
        .await;
    (server, accounting)
}

/// The NAS's accounting Start for `user`'s session `id`.
async fn accounting_start(accounting: SocketAddr, user: &str, id: &str) {
    let nas = Nas::new(accounting).await;
    let request = RequestBuilder::new(Code::AccountingRequest, nas.next_identifier())
        .message_authenticator(false)
        .attribute(Attribute::integer(40, 1))
        .text(ACCT_SESSION_ID, id)
        .text(types::USER_NAME, user)
        .attribute(Attribute::new(types::NAS_IP_ADDRESS, vec![127, 0, 0, 1]))
        .attribute(Attribute::new(8, vec![10, 8, 0, 7]));
    let reply = nas
        .exchange(&request)
        .await
        .expect("the Start is acknowledged");
    assert_eq!(reply.code(), Code::AccountingResponse);
}

#[tokio::test]
async fn a_deactivated_user_is_disconnected() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = NasEmulator::start(COA_SECRET, vec![]).await;
    let (server, accounting) = start(&config(&org.base_url(), dir.path(), emulator.addr)).await;
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );
    accounting_start(accounting, "alice", "S-alice-1").await;

    let deactivated = Instant::now();
    assert!(org.deactivate_user("alice@example.com"));
    let received = emulator.wait_requests(1).await;
    let (arrived, request) = &received[0];
    eprintln!(
        "the Disconnect-Request reached the NAS {} ms after the deactivation (polling every second)",
        arrived.duration_since(deactivated).as_millis()
    );
    assert_eq!(request.text(types::USER_NAME), Some("alice"));
    assert_eq!(request.text(ACCT_SESSION_ID), Some("S-alice-1"));
    assert_eq!(
        request.first(types::NAS_IP_ADDRESS),
        Some(&[127, 0, 0, 1][..])
    );
    assert!(request.integer(EVENT_TIMESTAMP).is_some());

    let audit = server
        .logs
        .wait_for("the disconnect's audit line", |event| {
            event["target"] == "okta_radius::audit" && event["message"] == "disconnect"
        })
        .await;
    assert_eq!(audit["outcome"], "ack");
    assert_eq!(audit["user"], "alice@example.com");
    assert_eq!(audit["acct_session_id"], "S-alice-1");
    assert_eq!(audit["event_type"], "user.lifecycle.deactivate");
    server
        .wait_counter("radius_disconnects_total{outcome=\"ack\"}", 1.0)
        .await;
    // The session is gone: a second event about alice sends nothing.
    assert!(org.clear_user_sessions("alice@example.com"));
    server
        .logs
        .wait_for("the second event handled", |event| {
            event["message"] == "Okta event" && event["event_type"] == "user.session.clear"
        })
        .await;
    assert_eq!(emulator.received().len(), 1);
}

#[tokio::test]
async fn a_nak_is_retried_and_a_user_without_sessions_causes_nothing() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = NasEmulator::start(COA_SECRET, vec![Reply::Nak(506)]).await;
    let (server, accounting) = start(&config(&org.base_url(), dir.path(), emulator.addr)).await;
    accounting_start(accounting, "alice", "S-alice-2").await;

    // bob has no session: his suspension sends nothing.
    assert!(org.suspend_user("bob@example.com"));
    let bob = server
        .logs
        .wait_for("bob's event handled", |event| {
            event["message"] == "Okta event" && event["user"] == "bob@example.com"
        })
        .await;
    assert_eq!(bob["sessions"], 0);
    assert!(emulator.received().is_empty());

    assert!(org.suspend_user("alice@example.com"));
    let received = emulator.wait_requests(2).await;
    assert_ne!(
        received[0].1.identifier(),
        received[1].1.identifier(),
        "after a NAK the retry is a new request"
    );
    assert_eq!(received[1].1.text(ACCT_SESSION_ID), Some("S-alice-2"));
    let audit = server
        .logs
        .wait_for("the disconnect's audit line", |event| {
            event["target"] == "okta_radius::audit" && event["message"] == "disconnect"
        })
        .await;
    assert_eq!(audit["outcome"], "ack");
    assert_eq!(audit["attempts"], 2);
    let logs = server.logs.lines().join("\n");
    assert!(
        !logs.contains(COA_SECRET),
        "the CoA secret never reaches a log line"
    );
}

#[tokio::test]
async fn an_event_seen_twice_disconnects_once() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = NasEmulator::start(COA_SECRET, vec![]).await;
    let config = config(&org.base_url(), dir.path(), emulator.addr);
    let (mut server, accounting) = start(&config).await;
    accounting_start(accounting, "alice", "S-alice-3").await;
    assert!(org.deactivate_user("alice@example.com"));
    emulator.wait_requests(1).await;
    server
        .wait_counter("radius_disconnects_total{outcome=\"ack\"}", 1.0)
        .await;
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).await;

    // The saved link is moved back before the event, as if the server had
    // stopped before saving it: the restarted server reads the event again.
    let cursor_path = dir.path().join("cursor.json");
    let mut cursor: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cursor_path).expect("a cursor was saved"))
            .expect("JSON");
    let next = cursor["next"].as_str().expect("a next link").to_owned();
    let (head, tail) = next.split_once("after=").expect("an after cursor");
    let rest = tail
        .split_once('&')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    cursor["next"] = serde_json::Value::String(format!("{head}after=0&{rest}"));
    std::fs::write(&cursor_path, cursor.to_string()).expect("write");

    let (server, _) = start(&config).await;
    // The session came back from the accounting file (no Stop was sent)...
    let rebuilt = server
        .logs
        .wait_for("the session table rebuilt", |event| {
            event["message"] == "session table rebuilt from the accounting file"
        })
        .await;
    assert_eq!(rebuilt["sessions"], 1);
    // ...and the event read again ends nothing a second time.
    server
        .logs
        .wait_for("the event recognised", |event| {
            event["message"] == "System Log event seen before"
        })
        .await;
    assert_eq!(emulator.received().len(), 1);
}

#[tokio::test]
async fn check_config_online_checks_that_the_system_log_is_readable() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let coa: SocketAddr = "127.0.0.1:3799".parse().expect("addr");
    let config = config(&org.base_url(), dir.path(), coa)
        .replace("coa_secret_env = \"TEST_COA_SECRET\"\n", "");
    let (code, text) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || check_config_online(&config)
    })
    .await
    .expect("join");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("permitted: GET /api/v1/logs"), "{text}");

    // An OAuth service app without okta.logs.read may not read it.
    let keys = tempfile::tempdir().expect("tempdir");
    let key = okta_client::oauth::generate_key_file(&keys.path().join("k1.pem"), Some("k1"))
        .expect("key");
    org.oauth().register(okta_sim::oauth::SimServiceApp {
        client_id: "0oa-radius".into(),
        keys: vec![key],
        scopes: vec!["okta.users.read".into(), "okta.groups.read".into()],
        require_dpop: true,
    });
    let oauth = format!(
        "{config}\n[okta.oauth]\nclient_id = \"0oa-radius\"\nscopes = [\"okta.users.read\", \"okta.groups.read\", \"okta.logs.read\"]\nkeys = [{{ kid = \"k1\", file = \"{}\" }}]\nactive_kid = \"k1\"\n",
        keys.path().join("k1.pem").display()
    );
    let (code, text) = tokio::task::spawn_blocking(move || check_config_online(&oauth))
        .await
        .expect("join");
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("/api/v1/logs"), "{text}");
}

#[tokio::test]
async fn removal_from_a_required_group_disconnects_and_from_another_does_not() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = NasEmulator::start(COA_SECRET, vec![]).await;
    let config = with_client_keys(
        &config(&org.base_url(), dir.path(), emulator.addr),
        "policy = \"vpn\"\ndisconnect_on = [\"group_removal\"]",
    );
    let config = format!("{config}\n[policies.vpn]\nrequire_groups = [\"vpn-users\"]\n");
    let (server, accounting) = start(&config).await;
    accounting_start(accounting, "alice", "S-alice-4").await;
    accounting_start(accounting, "bob", "S-bob-4").await;

    // bob leaves a group the client's policy does not require.
    assert!(org.remove_from_group("bob@example.com", "net-admins"));
    let bob = server
        .logs
        .wait_for("bob's removal handled", |event| {
            event["message"] == "Okta event" && event["user"] == "bob@example.com"
        })
        .await;
    assert_eq!(bob["sessions"], 0);

    assert!(org.remove_from_group("alice@example.com", "vpn-users"));
    let received = emulator.wait_requests(1).await;
    assert_eq!(received[0].1.text(ACCT_SESSION_ID), Some("S-alice-4"));
    let audit = server
        .logs
        .wait_for("the disconnect's audit line", |event| {
            event["target"] == "okta_radius::audit" && event["message"] == "disconnect"
        })
        .await;
    assert_eq!(audit["event_type"], "group.user_membership.remove");
    assert_eq!(emulator.received().len(), 1);
}

#[tokio::test]
async fn a_cursor_file_that_cannot_be_written_stops_the_start() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let coa: SocketAddr = "127.0.0.1:3799".parse().expect("addr");
    let config = config(&org.base_url(), dir.path(), coa)
        .replace("cursor.json", "no-such-directory/cursor.json");
    let (status, stderr) = tokio::task::spawn_blocking(move || {
        serve_until_exit(
            &config,
            &[("TEST_COA_SECRET", COA_SECRET)],
            Duration::from_secs(20),
        )
    })
    .await
    .expect("join");
    assert!(
        status.is_some_and(|status| !status.success()),
        "{status:?}\n{stderr}"
    );
    assert!(stderr.contains("disconnect.cursor_file"), "{stderr}");
}

#[tokio::test]
async fn an_unanswered_request_is_sent_again_unchanged() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let emulator = NasEmulator::start(COA_SECRET, vec![Reply::Silent]).await;
    let (server, accounting) = start(&config(&org.base_url(), dir.path(), emulator.addr)).await;
    accounting_start(accounting, "alice", "S-alice-5").await;
    assert!(org.deactivate_user("alice@example.com"));
    let received = emulator.wait_requests(2).await;
    assert_eq!(
        received[0].1.bytes(),
        received[1].1.bytes(),
        "a retransmit is the very same request: same Identifier and authenticator"
    );
    assert!(
        received[1].0 > received[0].0,
        "the retransmit comes after the first"
    );
    let audit = server
        .logs
        .wait_for("the disconnect's audit line", |event| {
            event["target"] == "okta_radius::audit" && event["message"] == "disconnect"
        })
        .await;
    assert_eq!(audit["outcome"], "ack");
    assert_eq!(audit["attempts"], 2);
}

#[tokio::test]
async fn an_event_hook_delivery_disconnects_once() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = support::tls::Pki::new();
    let emulator = NasEmulator::start(COA_SECRET, vec![]).await;
    // Polling every 5 minutes: what ends the session is the push.
    let config = config(&org.base_url(), dir.path(), emulator.addr)
        .replace("poll_interval_seconds = 1", "poll_interval_seconds = 300");
    let config = format!(
        "{config}event_hook_listen = \"127.0.0.1:0\"\nevent_hook_secret_env = \"TEST_HOOK_SECRET\"\n\n[tls]\ncertificate_file = \"{}\"\nprivate_key_file = \"{}\"\n",
        pki.path("server.pem").display(),
        pki.path("server.key").display()
    );
    const HOOK_SECRET: &str = "a-hook-secret-okta-sends-as-authorization";
    let server = TestServer::start_with_env(
        &config,
        &[
            ("TEST_COA_SECRET", COA_SECRET),
            ("TEST_HOOK_SECRET", HOOK_SECRET),
        ],
    )
    .await;
    let hook: SocketAddr = server
        .logs
        .wait_field("Okta Event Hook listener ready", "listen")
        .await
        .parse()
        .expect("addr");
    let accounting: SocketAddr = server
        .logs
        .wait_field("RADIUS accounting listener ready", "listen")
        .await
        .parse()
        .expect("addr");
    let url = format!("https://{hook}/okta/event-hook");
    let ca = std::fs::read(pki.path("ca.pem")).expect("the CA");
    let https = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("a PEM CA"))
        .build()
        .expect("a client");

    // Okta's one-time verification, refused without the secret.
    let refused = https
        .get(&url)
        .header("X-Okta-Verification-Challenge", "c2VjcmV0")
        .send()
        .await
        .expect("answers");
    assert_eq!(refused.status(), 401);
    let verified: serde_json::Value = https
        .get(&url)
        .header("Authorization", HOOK_SECRET)
        .header("X-Okta-Verification-Challenge", "c2VjcmV0")
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(verified, serde_json::json!({"verification": "c2VjcmV0"}));

    accounting_start(accounting, "alice", "S-alice-6").await;
    // The event as Okta delivers it: the System Log's own entry.
    assert!(org.deactivate_user("alice@example.com"));
    let events: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/logs", org.base_url()))
        .header("Authorization", format!("SSWS {API_TOKEN}"))
        .send()
        .await
        .expect("the org answers")
        .json()
        .await
        .expect("JSON");
    let delivery = serde_json::json!({
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "data": {"events": events},
    });
    let forged = https
        .post(&url)
        .header("Authorization", "not-the-secret")
        .json(&delivery)
        .send()
        .await
        .expect("answers");
    assert_eq!(forged.status(), 401);
    let delivered = https
        .post(&url)
        .header("Authorization", HOOK_SECRET)
        .json(&delivery)
        .send()
        .await
        .expect("answers");
    assert_eq!(delivered.status(), 200);
    let received = emulator.wait_requests(1).await;
    assert_eq!(received[0].1.text(ACCT_SESSION_ID), Some("S-alice-6"));

    // Okta delivers again (a retry): nothing is sent twice.
    let again = https
        .post(&url)
        .header("Authorization", HOOK_SECRET)
        .json(&delivery)
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), 200);
    server
        .logs
        .wait_for("the event recognised", |event| {
            event["message"] == "System Log event seen before"
        })
        .await;
    assert_eq!(emulator.received().len(), 1);
    let logs = server.logs.lines().join("\n");
    assert!(
        !logs.contains(HOOK_SECRET),
        "the hook's secret is never logged"
    );
}
