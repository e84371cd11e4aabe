//! Accounting (RFC 2866) from outside: radclient and a raw UDP NAS send
//! Accounting-Requests to the real binary, and the accounting file is read
//! back. Each record is written once and answered only once written; a
//! retransmit is answered from the duplicate cache without a second line;
//! a request signed with the wrong secret is dropped and counted; a file
//! that cannot be written gets no answer at all (the NAS keeps retrying);
//! SIGHUP reopens the file after logrotate moved it.

mod support;

use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::{Code, Packet, RequestBuilder};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::*;

/// A test server with an accounting port writing to `file`, and the
/// accounting port's address.
async fn start_with_accounting(
    org_url: &str,
    file: &Path,
    extra: &str,
) -> (TestServer, SocketAddr) {
    let config = config_for(org_url).replace(
        "listen = [\"127.0.0.1:0\"]\n",
        "listen = [\"127.0.0.1:0\"]\naccounting_listen = [\"127.0.0.1:0\"]\n",
    );
    let config = format!(
        "{config}\n[accounting]\nfile = \"{}\"\n{extra}\n",
        file.display()
    );
    let server = TestServer::start(&config).await;
    let accounting = server
        .logs
        .wait_field("RADIUS accounting listener ready", "listen")
        .await
        .parse()
        .expect("addr");
    (server, accounting)
}

fn record(status: &str, session: &str) -> String {
    format!(
        "Acct-Status-Type = {status}\nAcct-Session-Id = \"{session}\"\nUser-Name = \"alice\"\nNAS-IP-Address = 192.0.2.10\nFramed-IP-Address = 10.8.0.7\nCalling-Station-Id = \"198.51.100.23\"\nAcct-Delay-Time = 0\n"
    )
}

/// The records of the accounting file, parsed.
fn records(file: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

/// Waits until the file holds `count` records (they are written before the
/// answer, so once radclient returned they are there; this only guards
/// against reading a file another process is still appending to).
async fn wait_records(file: &Path, count: usize) -> Vec<serde_json::Value> {
    let start = Instant::now();
    loop {
        let found = records(file);
        if found.len() >= count || start.elapsed() > Duration::from_secs(10) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn accounting_file(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("accounting.jsonl")
}

#[tokio::test]
async fn start_interim_and_stop_are_written_once_each() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = accounting_file(&dir);
    let (server, accounting) = start_with_accounting(&org.base_url(), &file, "fsync = true").await;
    for status in ["Start", "Interim-Update", "Stop"] {
        let (answered, output) =
            radclient_acct(accounting, SECRET, &record(status, "4D2A0001"), &[]);
        assert!(answered, "radclient got an Accounting-Response:\n{output}");
        assert!(output.contains("Accounting-Response"), "{output}");
    }
    let written = wait_records(&file, 3).await;
    assert_eq!(written.len(), 3, "one line per record: {written:?}");
    let statuses: Vec<&str> = written
        .iter()
        .map(|r| {
            r["attributes"]["Acct-Status-Type"]
                .as_str()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(statuses, ["Start", "Interim-Update", "Stop"]);
    for record in &written {
        assert_eq!(record["client"], "test-nas");
        assert_eq!(record["attributes"]["User-Name"], "alice");
        assert_eq!(record["attributes"]["Acct-Session-Id"], "4D2A0001");
        assert_eq!(record["attributes"]["Framed-IP-Address"], "10.8.0.7");
        assert_eq!(record["attributes"]["NAS-IP-Address"], "192.0.2.10");
        assert_eq!(record["attributes"]["Calling-Station-Id"], "198.51.100.23");
        assert!(
            record["time"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{record}"
        );
        assert!(
            record["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("127.0.0.1:")),
            "{record}"
        );
    }
    assert_eq!(
        server
            .counter("radius_accounting_records_total{result=\"written\"}")
            .await,
        3.0
    );
}

#[tokio::test]
async fn a_retransmit_is_answered_again_and_written_once() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = accounting_file(&dir);
    let (server, accounting) = start_with_accounting(&org.base_url(), &file, "").await;
    let nas = Nas::new(accounting).await;
    let (bytes, authenticator) = RequestBuilder::new(Code::AccountingRequest, 42)
        .message_authenticator(false)
        .attribute(Attribute::integer(40, 1))
        .text(44, "retransmitted-1")
        .text(types::USER_NAME, "alice")
        .text(types::NAS_IDENTIFIER, "test-vpn")
        .encode(nas.secret.as_slice())
        .expect("encodes");
    nas.send_raw(&bytes).await;
    let first = nas.receive(Duration::from_secs(5)).await.expect("answered");
    let reply = Packet::decode(&first).expect("decodes");
    assert_eq!(reply.code(), Code::AccountingResponse);
    assert!(reply.verify_reply(&authenticator, &nas.secret));

    // The NAS did not hear the answer and sends the very same datagram.
    nas.send_raw(&bytes).await;
    let again = nas
        .receive(Duration::from_secs(5))
        .await
        .expect("answered again");
    assert_eq!(again, first, "the same answer, from the cache");
    server
        .wait_counter("radius_duplicates_total{kind=\"resent\"}", 1.0)
        .await;
    let written = wait_records(&file, 1).await;
    assert_eq!(written.len(), 1, "written once: {written:?}");
    assert_eq!(
        written[0]["attributes"]["Acct-Session-Id"],
        "retransmitted-1"
    );
}

#[tokio::test]
async fn a_wrong_authenticator_is_dropped_and_counted() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = accounting_file(&dir);
    let (server, accounting) = start_with_accounting(&org.base_url(), &file, "").await;
    let (answered, output) = radclient_acct(
        accounting,
        "not-the-shared-secret-of-this-client",
        &record("Start", "forged-1"),
        &[],
    );
    assert!(!answered, "no answer to a forged record:\n{output}");
    server
        .wait_counter(
            "radius_drops_total{reason=\"bad_request_authenticator\"}",
            1.0,
        )
        .await;
    // The right secret is still answered, and only its record is written.
    let (answered, output) = radclient_acct(accounting, SECRET, &record("Start", "real-1"), &[]);
    assert!(answered, "{output}");
    let written = wait_records(&file, 1).await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0]["attributes"]["Acct-Session-Id"], "real-1");
}

#[tokio::test]
async fn a_full_disk_is_answered_with_nothing() {
    // /dev/full accepts the open and fails every write with ENOSPC, as a
    // full disk does.
    let full = Path::new("/dev/full");
    assert!(full.exists(), "this test needs /dev/full");
    let org = start_org().await;
    let (server, accounting) = start_with_accounting(&org.base_url(), full, "").await;
    let (answered, output) = radclient_acct(accounting, SECRET, &record("Start", "lost-1"), &[]);
    assert!(
        !answered,
        "a record not stored is not acknowledged:\n{output}"
    );
    server
        .wait_counter("radius_accounting_write_errors_total", 1.0)
        .await;
    server
        .logs
        .wait_for("an error line for the failed write", |event| {
            event["level"] == "ERROR"
                && event["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("cannot store accounting records"))
        })
        .await;
    assert_eq!(
        server
            .counter("radius_replies_total{code=\"Accounting-Response\",transport=\"udp\"}")
            .await,
        0.0
    );
}

#[tokio::test]
async fn sighup_reopens_the_file_after_logrotate() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = accounting_file(&dir);
    let (server, accounting) = start_with_accounting(&org.base_url(), &file, "").await;
    let (answered, output) = radclient_acct(accounting, SECRET, &record("Start", "before-1"), &[]);
    assert!(answered, "{output}");
    let rotated = dir.path().join("accounting.jsonl.1");
    std::fs::rename(&file, &rotated).expect("logrotate moves the file");
    server.signal("HUP");
    server
        .logs
        .wait_for("the file reopened", |event| {
            event["message"] == "accounting file reopened"
        })
        .await;
    let (answered, output) = radclient_acct(accounting, SECRET, &record("Stop", "before-1"), &[]);
    assert!(answered, "{output}");
    let old = records(&rotated);
    let new = wait_records(&file, 1).await;
    assert_eq!(old.len(), 1, "{old:?}");
    assert_eq!(old[0]["attributes"]["Acct-Status-Type"], "Start");
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["attributes"]["Acct-Status-Type"], "Stop");
}

#[tokio::test]
async fn status_server_on_the_accounting_port_gets_an_accounting_response() {
    let org = start_org().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = accounting_file(&dir);
    let (_server, accounting) = start_with_accounting(&org.base_url(), &file, "").await;
    let nas = Nas::new(accounting).await;
    let probe = RequestBuilder::new(Code::StatusServer, nas.next_identifier());
    let reply = nas.exchange(&probe).await.expect("answered");
    assert_eq!(reply.code(), Code::AccountingResponse);
    assert!(records(&file).is_empty(), "a probe is not a record");
}
