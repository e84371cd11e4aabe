//! RADIUS/TLS and RADIUS/TCP as only a client of our own can show them:
//! certificates refused during the handshake, streams that break the
//! framing, 200 requests in flight on one connection answered in any order,
//! idle and half-open connections closed, and a thousand idle connections
//! held within bounded memory while the limit refuses the rest. The real
//! binary, real sockets, certificates made by the test.

mod support;

use radius_proto::packet::{Code, Packet};
use std::collections::HashMap;
use std::time::Duration;
use support::tls::*;
use support::*;
use tokio::io::AsyncWriteExt;

const DAY: i64 = 86_400;

fn refused(reason: &str) -> String {
    format!("radius_connections_refused_total{{transport=\"tls\",reason=\"{reason}\"}}")
}

fn closed(transport: &str, reason: &str) -> String {
    format!("radius_connections_closed_total{{transport=\"{transport}\",reason=\"{reason}\"}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_matching_no_client_are_refused_during_the_handshake() {
    let org = start_org().await;
    let pki = Pki::new();
    // The right name from someone else's CA.
    let (certificate, key) = TestCa::new("another CA").issue(&Leaf::nas(NAS_DNS));
    pki.write("stranger.pem", &certificate);
    pki.write("stranger.key", &key);
    // The right CA, another NAS's name.
    pki.issue("other-nas", &Leaf::nas("other.campus.test"));
    // The right CA and name, expired yesterday.
    let mut expired = Leaf::nas(NAS_DNS);
    expired.valid = (-30 * DAY, -DAY);
    pki.issue("expired", &expired);
    let config = tls_config(
        &org.base_url(),
        &pki,
        "\n[connections]\nmax_per_client = 1\n",
    );
    let server = TestServer::start(&config).await;
    let addr = server.tls_addr().await;

    for (name, reason) in [
        ("stranger", "untrusted_certificate"),
        ("other-nas", "identity_mismatch"),
        ("expired", "expired_certificate"),
    ] {
        let result = connect_tls(addr, client_tls(&pki, Some(name))).await;
        assert!(result.is_err(), "the `{name}` certificate was let in");
        server.wait_counter(&refused(reason), 1.0).await;
    }
    assert!(
        connect_tls(addr, client_tls(&pki, None)).await.is_err(),
        "a client without a certificate was let in"
    );
    server.wait_counter(&refused("no_certificate"), 1.0).await;
    // The operator learns why, once a minute per client.
    let warned = server
        .logs
        .wait_for("a refusal with what the certificate says", |e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("RADIUS/TLS connection refused"))
        })
        .await;
    assert!(
        warned["detail"]
            .as_str()
            .is_some_and(|d| d.contains("dns:radsec.campus.test")),
        "{warned}"
    );

    // The NAS's own certificate gets in, and its logins work.
    let mut nas = connect_tls(addr, client_tls(&pki, Some("nas")))
        .await
        .expect("the NAS connects");
    let request = nas.login_request("alice", "alice-password");
    let reply = nas.exchange(&request).await.expect("a reply");
    assert_eq!(reply.code(), Code::AccessAccept);
    // None of the refused connections carried a request.
    assert_eq!(
        server
            .wait_counter(
                "radius_requests_total{client=\"campus\",outcome=\"accept\",transport=\"tls\"}",
                1.0
            )
            .await,
        1.0
    );
    // max_per_client = 1: a second connection of the same NAS is refused.
    assert!(
        connect_tls(addr, client_tls(&pki, Some("nas")))
            .await
            .is_err()
    );
    server
        .wait_counter(&refused("client_connection_limit"), 1.0)
        .await;
    let request = nas.login_request("alice", "alice-password");
    assert!(
        nas.exchange(&request).await.is_some(),
        "the first one still works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_stream_is_closed_and_a_new_connection_works() {
    let org = start_org().await;
    let pki = Pki::new();
    let server = TestServer::start(&tls_config(&org.base_url(), &pki, "")).await;
    let addr = server.tls_addr().await;
    let connect = || connect_tls(addr, client_tls(&pki, Some("nas")));

    // Text where a packet should be: its "Length" is 0x2020 = 8224.
    let mut nas = connect().await.expect("connects");
    nas.send(b"GET / HTTP/1.1\r\nHost: radius\r\n\r\n")
        .await
        .expect("sent");
    assert!(nas.closed_within(Duration::from_secs(5)).await, "garbage");

    // A header claiming 5000 bytes, and the 5000 bytes.
    let mut nas = connect().await.expect("connects");
    let mut oversized = vec![1, 9, 0x13, 0x88];
    oversized.resize(5000, 0);
    nas.send(&oversized).await.expect("sent");
    assert!(nas.closed_within(Duration::from_secs(5)).await, "oversized");
    server.wait_counter(&closed("tls", "malformed"), 2.0).await;

    // A packet signed with another secret: its Message-Authenticator fails.
    let mut nas = connect().await.expect("connects");
    let request = nas.login_request("alice", "alice-password");
    let (forged, _) = request.encode(b"not-radsec").expect("encodes");
    nas.send(&forged).await.expect("sent");
    assert!(nas.closed_within(Duration::from_secs(5)).await, "bad MA");
    server
        .wait_counter(&closed("tls", "bad_message_authenticator"), 1.0)
        .await;

    // None of that harmed the listener.
    let mut nas = connect().await.expect("a new connection");
    let request = nas.login_request("alice", "alice-password");
    assert_eq!(
        nas.exchange(&request).await.map(|r| r.code()),
        Some(Code::AccessAccept)
    );

    // RADIUS/TCP follows the same rules: a Length of 0 closes it.
    let tcp_addr = server.tcp_addr().await;
    let mut tcp = connect_tcp(tcp_addr).await;
    tcp.send(&[1, 1, 0, 0, 0, 0, 0, 0]).await.expect("sent");
    assert!(
        tcp.closed_within(Duration::from_secs(5)).await,
        "TCP garbage"
    );
    let mut tcp = connect_tcp(tcp_addr).await;
    let request = tcp.login_request("alice", "alice-password");
    assert_eq!(
        tcp.exchange(&request).await.map(|r| r.code()),
        Some(Code::AccessAccept)
    );
    server.wait_counter(&closed("tcp", "malformed"), 1.0).await;
    let audits = server.logs.wait_audits(2).await;
    let transports: Vec<&str> = audits
        .iter()
        .filter_map(|a| a["transport"].as_str())
        .collect();
    assert!(
        transports.contains(&"tls") && transports.contains(&"tcp"),
        "{transports:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_requests_in_flight_on_one_connection_are_all_answered() {
    // Okta takes four logins a second per user: 200 users log in once each.
    let org = start_mfa_org(|org| {
        for i in 0..200 {
            org.users.push(okta_sim::SimUser::new(
                &format!("user{i}@example.com"),
                &format!("password-{i}"),
            ));
        }
    })
    .await;
    let pki = Pki::new();
    let config = tls_config(&org.base_url(), &pki, "").replace(
        "tls_identity = \"dns:radsec.campus.test\"\ndeadline_ms = 2000\n",
        "tls_identity = \"dns:radsec.campus.test\"\ndeadline_ms = 2000\n[clients.mfa]\npush_timeout_seconds = 15\n",
    );
    let server = TestServer::start(&config).await;
    let addr = server.tls_addr().await;
    let mut nas = connect_tls(addr, client_tls(&pki, Some("nas")))
        .await
        .expect("connects");

    // Carol's login waits for her phone; 200 logins are sent behind it,
    // with no reply read, and carol's request is sent twice.
    let mut expected = HashMap::new();
    let carol = nas.login_request("carol", "carol-password,push");
    let (carol_bytes, carol_authenticator) = carol.encode(&nas.secret).expect("encodes");
    let carol_id = carol_bytes[1];
    expected.insert(carol_id, ("carol", carol_authenticator));
    let mut burst = carol_bytes.clone();
    for i in 0..200 {
        let request = nas.login_request(&format!("user{i}"), &format!("password-{i}"));
        let (bytes, authenticator) = request.encode(&nas.secret).expect("encodes");
        expected.insert(bytes[1], ("user", authenticator));
        burst.extend(bytes);
    }
    burst.extend(&carol_bytes);
    nas.stream.write_all(&burst).await.expect("sent");
    nas.stream.flush().await.expect("flushed");

    let mut order = Vec::new();
    while order.len() < expected.len() {
        let reply = tokio::time::timeout(Duration::from_secs(20), nas.read_packet())
            .await
            .expect("every request is answered")
            .expect("the connection stays open");
        let reply = Packet::decode(&reply).expect("decodes");
        let (user, authenticator) = expected
            .get(&reply.identifier())
            .copied()
            .expect("the reply's Identifier is one of the requests'");
        assert!(
            reply.verify_reply(&authenticator, &nas.secret),
            "the reply answers the request with its Identifier"
        );
        assert_eq!(
            reply.code(),
            Code::AccessAccept,
            "{user}: {}",
            reply_message(&reply)
        );
        assert!(
            !order.contains(&reply.identifier()),
            "one reply per request"
        );
        order.push(reply.identifier());
    }
    // Carol's push finished last although she asked first; her second copy
    // was absorbed while she waited.
    assert_ne!(
        order[0], carol_id,
        "replies follow the decisions, not the requests"
    );
    assert!(
        !nas.closed_within(Duration::from_millis(500)).await,
        "no extra reply, and the connection stays open"
    );
    assert_eq!(org.records().pushes_sent("carol@example.com"), 1);
    server
        .wait_counter("radius_duplicates_total{kind=\"in_progress\"}", 1.0)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_open_connections_are_closed() {
    let org = start_org().await;
    let pki = Pki::new();
    let config = tls_config(
        &org.base_url(),
        &pki,
        "\n[connections]\nidle_timeout_seconds = 5\n",
    )
    .replace("[tls]\n", "[tls]\nhandshake_timeout_ms = 1000\n");
    let server = TestServer::start(&config).await;
    let addr = server.tls_addr().await;

    // A connection that never says hello is dropped at the handshake limit.
    let mut silent = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let mut byte = [0u8; 1];
    let ended = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read(&mut silent, &mut byte),
    )
    .await;
    assert!(
        matches!(ended, Ok(Ok(0) | Err(_))),
        "the silent peer is dropped"
    );
    server
        .wait_counter(&refused("handshake_timeout"), 1.0)
        .await;

    // Status-Server keeps a connection open past the idle timeout...
    let mut nas = connect_tls(addr, client_tls(&pki, Some("nas")))
        .await
        .expect("connects");
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let probe = nas.status_server();
        nas.send(&probe).await.expect("the connection is open");
        let reply = tokio::time::timeout(Duration::from_secs(5), nas.read_packet())
            .await
            .expect("answered")
            .expect("a Status-Server reply");
        assert_eq!(reply[0], Code::AccessAccept.as_u8());
    }
    // ...and silence closes it.
    assert!(nas.closed_within(Duration::from_secs(15)).await);
    server
        .wait_counter(&closed("tls", "idle_timeout"), 1.0)
        .await;

    // Half a header over RADIUS/TCP holds nothing for longer.
    let mut tcp = connect_tcp(server.tcp_addr().await).await;
    tcp.send(&[1, 7, 0]).await.expect("sent");
    assert!(tcp.closed_within(Duration::from_secs(15)).await);
    server
        .wait_counter(&closed("tcp", "idle_timeout"), 1.0)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_stay_within_bounded_memory_and_the_rest_are_refused() {
    const CONNECTIONS: usize = 1000;
    let org = start_org().await;
    let pki = Pki::new();
    let config = tls_config(
        &org.base_url(),
        &pki,
        "\n[connections]\nmax_connections = 1000\nmax_per_client = 2000\n",
    )
    .replace(
        "[log]\nformat = \"json\"\nlevel = \"debug\"",
        "[log]\nformat = \"json\"\nlevel = \"info\"",
    );
    let server = TestServer::start(&config).await;
    let addr = server.tls_addr().await;
    let tls = client_tls(&pki, Some("nas"));
    let open = "radius_connections_open{transport=\"tls\"}";

    // One connection first, so what a connection costs is measured apart
    // from what the first one sets up.
    let mut held = vec![connect_tls(addr, tls.clone()).await.expect("connects")];
    server.wait_counter(open, 1.0).await;
    let before = server.rss_kib();

    let mut batch = tokio::task::JoinSet::new();
    let mut pending = CONNECTIONS - 1;
    while pending > 0 || !batch.is_empty() {
        while pending > 0 && batch.len() < 32 {
            pending -= 1;
            let tls = tls.clone();
            batch.spawn(async move { handshake_tls(addr, tls).await });
        }
        if let Some(joined) = batch.join_next().await {
            held.push(joined.expect("joins").expect("handshakes"));
        }
    }
    server.wait_counter(open, CONNECTIONS as f64).await;
    let after = server.rss_kib();
    let per_connection = after.saturating_sub(before) / (CONNECTIONS as u64 - 1);
    eprintln!(
        "{CONNECTIONS} idle TLS connections: {before} KiB before, {after} KiB after, about {per_connection} KiB each"
    );
    assert!(
        per_connection < 64,
        "an idle TLS connection holds {per_connection} KiB ({before} KiB -> {after} KiB)"
    );

    // The limit is reached: the next one is refused, and counted.
    assert!(connect_tls(addr, tls.clone()).await.is_err());
    server.wait_counter(&refused("connection_limit"), 1.0).await;

    // The held connections still work.
    let last = held.last_mut().expect("held");
    let request = last.login_request("alice", "alice-password");
    assert_eq!(
        last.exchange(&request).await.map(|r| r.code()),
        Some(Code::AccessAccept)
    );

    // Closing them frees their places.
    drop(held);
    let start = std::time::Instant::now();
    while server.counter(open).await > 0.0 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "connections stay counted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    connect_tls(addr, tls).await.expect("a place is free again");
}
