//! Overload and abuse: password spraying is refused before Okta is asked
//! (per user and per source), a flood of junk from unknown or spoofed
//! sources costs no memory, a replayed Status-Server cannot use up the
//! NAS's health-check budget, and under overload the logins already under
//! way (requests carrying a State) are served before new ones.

mod support;

use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::{Code, Packet, RequestBuilder};
use std::time::{Duration, Instant};
use support::*;

fn abuse_config(org_url: &str, abuse: &str) -> String {
    format!("{}\n[abuse]\n{abuse}\n", config_for(org_url))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_past_the_failure_limit_is_refused_without_asking_okta() {
    let org = start_org().await;
    let server = TestServer::start(&abuse_config(
        &org.base_url(),
        "max_failures_per_user = 3\nmax_failures_per_source = 0",
    ))
    .await;
    let nas = Nas::new(server.radius).await;

    for _ in 0..3 {
        let reply = nas
            .exchange(&nas.login_request("alice", "guess"))
            .await
            .expect("answered");
        assert!(reply_message(&reply).contains("Wrong user name or password"));
    }
    assert_eq!(org.records().authn_calls("alice@example.com"), 3);

    // Even the right password is refused now, and Okta is not asked.
    for _ in 0..5 {
        let reply = nas
            .exchange(&nas.login_request("alice", "alice-password"))
            .await
            .expect("answered");
        assert_eq!(reply.code(), Code::AccessReject);
        assert!(
            reply_message(&reply).contains("Too many failed logins"),
            "{}",
            reply_message(&reply)
        );
    }
    assert_eq!(org.records().authn_calls("alice@example.com"), 3);
    assert!(
        server
            .counter("radius_throttled_total{kind=\"user\"}")
            .await
            >= 5.0
    );
    let warnings = server
        .logs
        .events()
        .into_iter()
        .filter(|e| {
            e["level"] == "WARN"
                && e["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("too many failed logins"))
        })
        .count();
    assert_eq!(warnings, 1, "one warning, not one per refusal");

    // Other users are not affected.
    let reply = nas
        .exchange(&nas.login_request("bob", "bob, with a comma"))
        .await
        .expect("answered");
    assert_eq!(reply.code(), Code::AccessAccept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_spraying_many_users_is_refused() {
    let org = start_org().await;
    let server = TestServer::start(&abuse_config(
        &org.base_url(),
        "max_failures_per_user = 0\nmax_failures_per_source = 4",
    ))
    .await;
    let nas = Nas::new(server.radius).await;
    let from = |user: &str, password: &str, source: &str| {
        nas.login_request(user, password)
            .text(types::CALLING_STATION_ID, source)
    };

    for user in ["carl", "dana", "eve", "finn"] {
        let reply = nas
            .exchange(&from(user, "Summer2025!", "203.0.113.7"))
            .await
            .expect("answered");
        assert_eq!(reply.code(), Code::AccessReject);
    }
    let calls = org.records().total_calls();
    let reply = nas
        .exchange(&from("alice", "alice-password", "203.0.113.7"))
        .await
        .expect("answered");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(reply_message(&reply).contains("Too many failed logins"));
    assert_eq!(org.records().total_calls(), calls, "Okta was not asked");
    assert!(
        server
            .counter("radius_throttled_total{kind=\"source\"}")
            .await
            >= 1.0
    );

    let reply = nas
        .exchange(&from("alice", "alice-password", "198.51.100.20"))
        .await
        .expect("answered");
    assert_eq!(reply.code(), Code::AccessAccept, "another source is fine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sprayer_is_throttled_at_its_address_while_the_user_logs_in_from_hers() {
    let org = start_org().await;
    let server = TestServer::start(&abuse_config(
        &org.base_url(),
        "max_failures_per_user_and_source = 3\nmax_failures_per_user = 8\nmax_failures_per_source = 0",
    ))
    .await;
    let nas = Nas::new(server.radius).await;
    let from = |password: &str, source: &str| {
        nas.login_request("alice", password)
            .text(types::CALLING_STATION_ID, source)
    };

    // Someone who knows alice's login guesses from one address.
    for _ in 0..3 {
        let reply = nas
            .exchange(&from("Winter2025!", "203.0.113.66"))
            .await
            .expect("answered");
        assert!(reply_message(&reply).contains("Wrong user name or password"));
    }
    let reply = nas
        .exchange(&from("alice-password", "203.0.113.66"))
        .await
        .expect("answered");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(reply_message(&reply).contains("Too many failed logins"));
    assert_eq!(org.records().authn_calls("alice@example.com"), 3);
    assert!(
        server
            .counter("radius_throttled_total{kind=\"user_source\"}")
            .await
            >= 1.0
    );

    // Alice, from her own address, is not locked out by it.
    let reply = nas
        .exchange(&from("alice-password", "198.51.100.20"))
        .await
        .expect("answered");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    // And her login does not free the sprayer's address.
    let reply = nas
        .exchange(&from("alice-password", "203.0.113.66"))
        .await
        .expect("answered");
    assert!(reply_message(&reply).contains("Too many failed logins"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spray_spread_over_many_addresses_is_stopped_by_the_per_user_ceiling() {
    let org = start_org().await;
    let server = TestServer::start(&abuse_config(
        &org.base_url(),
        "max_failures_per_user_and_source = 3\nmax_failures_per_user = 8\nmax_failures_per_source = 0",
    ))
    .await;
    let nas = Nas::new(server.radius).await;
    for i in 0..8 {
        let reply = nas
            .exchange(
                &nas.login_request("alice", "Winter2025!")
                    .text(types::CALLING_STATION_ID, &format!("203.0.113.{i}")),
            )
            .await
            .expect("answered");
        assert!(reply_message(&reply).contains("Wrong user name or password"));
    }
    let reply = nas
        .exchange(
            &nas.login_request("alice", "alice-password")
                .text(types::CALLING_STATION_ID, "198.51.100.20"),
        )
        .await
        .expect("answered");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(reply_message(&reply).contains("Too many failed logins"));
    assert_eq!(org.records().authn_calls("alice@example.com"), 8);
    assert!(
        server
            .counter("radius_throttled_total{kind=\"user\"}")
            .await
            >= 1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_junk_datagrams_leave_memory_flat() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    let reply = nas
        .exchange(&nas.login_request("alice", "alice-password"))
        .await
        .expect("answered");
    assert_eq!(reply.code(), Code::AccessAccept);
    let rss_before = server.rss_kib();
    let received_before = server
        .counter("radius_packets_received_total{transport=\"udp\"}")
        .await;

    // Junk from an address no client covers, and from the client's address
    // on many source ports: broken framing, a wrong Message-Authenticator,
    // and well-framed requests with random authenticators (spoofed: no
    // valid MA). None of it may be stored.
    let target = server.radius;
    let sent = tokio::task::spawn_blocking(move || {
        let unknown = std::net::UdpSocket::bind("127.0.0.2:0").expect("bind 127.0.0.2");
        let known: Vec<std::net::UdpSocket> = (0..16)
            .map(|_| std::net::UdpSocket::bind("127.0.0.1:0").expect("bind"))
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut sent = 0u32;
        for i in 0..100_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut datagram = vec![1u8, (i & 0xff) as u8, 0, 0];
            datagram.extend_from_slice(&seed.to_be_bytes());
            datagram.extend_from_slice(&i.to_be_bytes());
            datagram.extend_from_slice(&[0; 4]);
            // MA (wrong), User-Name, User-Password, NAS-Identifier.
            datagram.extend_from_slice(&[80, 18]);
            datagram.extend_from_slice(&seed.to_le_bytes());
            datagram.extend_from_slice(&seed.to_be_bytes());
            datagram.extend_from_slice(&[1, 7, b'm', b'a', b'l', b'l', b'o']);
            datagram.extend_from_slice(&[2, 18]);
            datagram.extend_from_slice(&[0x33; 16]);
            datagram.extend_from_slice(&[32, 5, b'n', b'a', b's']);
            let length = datagram.len() as u16;
            datagram[2..4].copy_from_slice(&length.to_be_bytes());
            match i % 4 {
                0 => {
                    let _ = unknown.send_to(&datagram, target);
                }
                1 => {
                    datagram[2..4].copy_from_slice(&9000u16.to_be_bytes());
                    let _ = known[(i as usize / 4) % 16].send_to(&datagram, target);
                }
                _ => {
                    let _ = known[(i as usize / 4) % 16].send_to(&datagram, target);
                }
            }
            sent += 1;
            // Paced so that most of it reaches the server rather than
            // overflowing the socket buffer.
            if i % 50 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        sent
    })
    .await
    .expect("the flood is sent");
    assert_eq!(sent, 100_000);

    // Wait until the server has read what reached it.
    let mut last = -1.0;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = server
            .counter("radius_packets_received_total{transport=\"udp\"}")
            .await;
        if now == last {
            break;
        }
        last = now;
    }
    let received = last - received_before;
    assert!(
        received >= 10_000.0,
        "only {received} datagrams reached the server"
    );
    let rss_after = server.rss_kib();
    let growth_kib = rss_after.saturating_sub(rss_before);
    assert!(
        growth_kib < 20 * 1024,
        "RSS grew by {growth_kib} KiB ({rss_before} -> {rss_after}) after {received} junk datagrams"
    );
    assert!(
        server
            .counter("radius_drops_total{reason=\"unknown_client\"}")
            .await
            > 0.0
            && server
                .counter("radius_drops_total{reason=\"bad_message_authenticator\"}")
                .await
                > 0.0
    );

    let reply = nas
        .exchange(&nas.login_request("alice", "alice-password"))
        .await
        .expect("still answering");
    assert_eq!(reply.code(), Code::AccessAccept);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_overload_answers_to_challenges_are_served_before_new_logins() {
    let org = start_mfa_org(|_| {}).await;
    let config = abuse_config(&org.base_url(), "challenge_reserve_percent = 50").replace(
        "reject_delay_ms = 0",
        "reject_delay_ms = 0\nmax_in_flight = 4",
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    // Dave's login reaches the code prompt.
    let reply = nas
        .exchange(&nas.login_request("dave", "dave-password"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessChallenge);
    let state = state_of(&reply);

    // Okta slows down and new logins fill the capacity open to them (2 of 4).
    while server.counter("radius_requests_in_flight").await > 0.0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    org.faults().set_latency(Duration::from_millis(1500));
    let crowd = Nas::new(server.radius).await;
    for _ in 0..4 {
        let (bytes, _) = crowd
            .login_request("bob", "bob-password")
            .encode(SECRET.as_bytes())
            .expect("encodes");
        crowd.send_raw(&bytes).await;
    }
    server
        .wait_counter("radius_drops_total{reason=\"overload\"}", 2.0)
        .await;

    // The answer to the challenge still gets in.
    let (bytes, authenticator) = nas
        .answer("dave", "000000", &state)
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&bytes).await;
    let reply = nas
        .receive(Duration::from_secs(6))
        .await
        .expect("the State-bearing request is served");
    let reply = Packet::decode(&reply).expect("decodes");
    assert!(reply.verify_reply(&authenticator, SECRET.as_bytes()));
    assert_eq!(
        reply.code(),
        Code::AccessChallenge,
        "{}",
        reply_message(&reply)
    );
    assert!(reply_message(&reply).contains("Wrong code"));

    // Exactly the two admitted new logins were answered.
    let mut answered = 0;
    while crowd.receive(Duration::from_secs(4)).await.is_some() {
        answered += 1;
    }
    assert_eq!(answered, 2, "{}", server.metrics_text().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_status_server_does_not_starve_the_nas_health_checks() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    // Someone else on the client's network, replaying what it captured.
    let attacker = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let probe = |id: u8| {
        RequestBuilder::new(Code::StatusServer, id)
            .attribute(Attribute::new(types::NAS_IDENTIFIER, b"test-vpn".to_vec()))
    };

    // One of the NAS's probes, answered, and captured on the wire.
    let (captured, _) = probe(nas.next_identifier())
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&captured).await;
    assert!(
        nas.receive(Duration::from_secs(2)).await.is_some(),
        "the first probe is answered"
    );

    // The default budget is 50 Status-Servers a second per client. Each
    // round replays the captured probe 400 times, from the NAS's own
    // address and port and from another port, then the NAS probes again.
    let mut replays = 0u32;
    let mut answered = 0;
    for _ in 0..3 {
        for _ in 0..200 {
            nas.send_raw(&captured).await;
            attacker
                .send_to(&captured, server.radius)
                .await
                .expect("send");
            replays += 2;
        }
        let (bytes, authenticator) = probe(nas.next_identifier())
            .encode(SECRET.as_bytes())
            .expect("encodes");
        nas.send_raw(&bytes).await;
        // A NAS waits a couple of seconds for the answer; replies to the
        // replays (if any) are skipped.
        let give_up = Instant::now() + Duration::from_secs(2);
        while let Some(datagram) = nas
            .receive(give_up.saturating_duration_since(Instant::now()))
            .await
        {
            let reply = Packet::decode(&datagram).expect("the reply decodes");
            if reply.identifier() == bytes[1]
                && reply.verify_reply(&authenticator, SECRET.as_bytes())
            {
                assert_eq!(reply.code(), Code::AccessAccept);
                answered += 1;
                break;
            }
        }
    }
    assert_eq!(
        answered, 3,
        "every genuine Status-Server is answered while a captured one is replayed"
    );
    server
        .wait_counter(
            "radius_drops_total{reason=\"status_server_replay\"}",
            f64::from(replays),
        )
        .await;
    assert_eq!(
        server
            .counter("radius_drops_total{reason=\"status_server_rate\"}")
            .await,
        0.0,
        "the replays used none of the budget"
    );
}
