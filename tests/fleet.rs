//! A fleet of three replicas behaving as one server: the real binary three
//! times over real UDP, sharing one `[state]` key and one `[cluster]` (a
//! `redis-server` of the test's own on a free loopback port), and the
//! simulated org over HTTP.

mod support;

use okta_sim::totp;
use radius_proto::packet::{Code, Packet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::old_redis::OldRedis;
use support::redis::RedisServer;
use support::*;

const DAVE_TOTP: &str = "JBSWY3DPEHPK3PXP";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// The test config with `[clients.mfa]` lines and a `[cluster]` on `redis`.
fn fleet_config(org_url: &str, mfa: &str, redis: &str) -> String {
    format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 10\n{mfa}\n\n[cluster]\nredis_url = \"{redis}\"\nkey_prefix = \"test-fleet:\"\nop_timeout_ms = 200\n",
        config_for(org_url)
    )
}

/// [`fleet_config`] logging in through `api`.
fn fleet_config_for(org_url: &str, api: Api, mfa: &str, redis: &str) -> String {
    format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 10\n{mfa}\n\n[cluster]\nredis_url = \"{redis}\"\nkey_prefix = \"test-fleet:\"\nop_timeout_ms = 200\n",
        config_for_api(org_url, api)
    )
}

/// Three replicas of `config`.
async fn three(config: &str) -> Vec<TestServer> {
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(TestServer::start(config).await);
    }
    replicas
}

/// Waits until every replica has reached Redis (`/health` says `ok`).
async fn wait_connected(replicas: &[TestServer]) {
    for replica in replicas {
        let started = std::time::Instant::now();
        loop {
            let (status, body) = replica.health().await;
            if status == 200 && body == "ok\n" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "a replica never reached Redis: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Starts dave's TOTP login through `nas` and answers it with a wrong code,
/// which uses its State up (a new one comes back); returns the used State.
async fn state_used_up_at(nas: &Nas) -> Vec<u8> {
    let reply = log_in(nas, "dave", "dave-password").await;
    let state = challenge_state(&reply, "authenticator app");
    let reply = nas
        .exchange(&nas.answer("dave", "000000", &state))
        .await
        .expect("a reply");
    challenge_state(&reply, "Wrong code");
    state
}

/// A login sent by `nas`, and its reply.
async fn log_in(nas: &Nas, user: &str, password: &str) -> Packet {
    nas.exchange(&nas.login_request(user, password))
        .await
        .expect("a reply")
}

/// Sends an encoded request from `nas`'s socket to `replica` (as a NAS
/// that fails over does) and waits up to `wait` for a reply.
async fn send_and_hear(
    nas: &Nas,
    bytes: &[u8],
    replica: &TestServer,
    wait: Duration,
) -> Option<Vec<u8>> {
    nas.socket
        .send_to(bytes, replica.radius)
        .await
        .expect("send");
    nas.receive(wait).await
}

/// Fails with the Reply-Message unless `reply` is an Access-Accept.
fn assert_accepted(reply: &Packet) {
    assert_eq!(reply.code(), Code::AccessAccept, "{}", reply_message(reply));
}

fn challenge_state(reply: &Packet, prompt: &str) -> Vec<u8> {
    assert_eq!(
        reply.code(),
        Code::AccessChallenge,
        "{}",
        reply_message(reply)
    );
    assert!(
        reply_message(reply).contains(prompt),
        "{}",
        reply_message(reply)
    );
    state_of(reply)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_challenge_started_at_one_replica_is_answered_at_another() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let replicas = three(&fleet_config(&org.base_url(), "", &redis.url())).await;
    wait_connected(&replicas).await;

    let first = Nas::new(replicas[0].radius).await;
    let reply = log_in(&first, "dave", "dave-password").await;
    let state = challenge_state(&reply, "authenticator app");

    let second = Nas::new(replicas[1].radius).await;
    let reply = second
        .exchange(&second.answer("dave", &totp::code(DAVE_TOTP, now()), &state))
        .await
        .expect("a reply");
    assert_accepted(&reply);
    assert_eq!(org.records().authn_calls("dave@example.com"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_answered_at_one_replica_is_refused_at_another() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let replicas = three(&fleet_config(&org.base_url(), "", &redis.url())).await;
    wait_connected(&replicas).await;

    let state = state_used_up_at(&Nas::new(replicas[0].radius).await).await;

    // The first State replayed, with the right code, to replicas 1 and 2.
    for replica in &replicas[1..] {
        let replay = Nas::new(replica.radius).await;
        let reply = replay
            .exchange(&replay.answer("dave", &totp::code(DAVE_TOTP, now()), &state))
            .await
            .expect("a reply");
        assert_eq!(reply.code(), Code::AccessReject);
        assert!(
            reply_message(&reply).contains("already answered"),
            "{}",
            reply_message(&reply)
        );
    }
    let reason = replicas[1]
        .logs
        .wait_audits(1)
        .await
        .last()
        .map(|audit| audit["reason"].as_str().unwrap_or("").to_owned());
    assert_eq!(reason.as_deref(), Some("state_reused"));
    // The nonce is kept in Redis, with the prefix, until the challenge
    // expires; nothing of it is the user's name or the State itself.
    let keys = redis.cli(&["--scan", "--pattern", "test-fleet:state:*"]);
    assert_eq!(keys.lines().count(), 1, "{keys}");
    let ttl: i64 = redis
        .cli(&["TTL", keys.trim()])
        .trim()
        .parse()
        .expect("a TTL");
    assert!(ttl > 0 && ttl <= 300, "expires with the challenge: {ttl}");
    let everything = redis.cli(&["--scan"]);
    assert!(!everything.contains("dave"), "{everything}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_online_reaches_redis_and_says_when_it_cannot() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let (status, output) = check_config_online(&fleet_config(&org.base_url(), "", &redis.url()));
    assert_eq!(status, Some(0), "{output}");
    assert!(
        output.contains("Redis") && output.contains("answers"),
        "{output}"
    );

    let nobody = format!("redis://127.0.0.1:{}", support::process::free_port());
    let (status, output) = check_config_online(&fleet_config(&org.base_url(), "", &nobody));
    assert_ne!(status, Some(0), "{output}");
    assert!(output.contains("FAIL Redis does not answer"), "{output}");
}

/// Sends the same datagram from one NAS socket to each replica in turn
/// (a NAS failing over while the first server waits on a push), then
/// approves the push; returns every reply, decoded and checked.
async fn fail_over_during_a_push(
    org: &okta_sim::SimHandle,
    replicas: &[TestServer],
    nas: &Nas,
) -> Vec<Packet> {
    let (bytes, authenticator) = nas
        .login_request("pat", "pat-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    for replica in replicas {
        nas.socket
            .send_to(&bytes, replica.radius)
            .await
            .expect("send");
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    assert_eq!(org.resolve_push("pat@example.com", true), 1);
    let mut replies = Vec::new();
    for _ in replicas {
        let reply = nas
            .receive(Duration::from_secs(15))
            .await
            .expect("every replica answers");
        let packet = Packet::decode(&reply).expect("the reply decodes");
        assert!(
            packet.verify_reply(&authenticator, SECRET.as_bytes()),
            "the reply is authentic"
        );
        replies.push(packet);
    }
    replies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nas_failing_over_during_a_push_gets_one_okta_login_and_one_push() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let replicas = three(&fleet_config(
        &org.base_url(),
        "auto_push = true",
        &redis.url(),
    ))
    .await;
    wait_connected(&replicas).await;
    let nas = Nas::new(replicas[0].radius).await;

    let replies = fail_over_during_a_push(&org, &replicas, &nas).await;
    for reply in &replies {
        assert_eq!(reply.code(), Code::AccessAccept, "{}", reply_message(reply));
    }
    assert_eq!(org.records().authn_calls("pat@example.com"), 1);
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    // One decision, one audit line, for the whole fleet (log lines are
    // written a few milliseconds after their event: any other would be
    // there by the time the first one is, and a while after).
    let audits = || -> usize {
        replicas
            .iter()
            .map(|replica| replica.logs.audits().len())
            .sum()
    };
    let started = std::time::Instant::now();
    while audits() == 0 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(audits(), 1);
    // Stored decisions hold reply attributes, never the password.
    for key in redis
        .cli(&["--scan", "--pattern", "test-fleet:req:*"])
        .lines()
    {
        let value = redis.cli(&["GET", key]);
        assert!(!value.contains("pat-password"), "{value}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_made_just_before_a_replica_stops_is_the_fleet_s() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let mut replicas = three(&fleet_config(&org.base_url(), "", &redis.url())).await;
    wait_connected(&replicas).await;
    let nas = Nas::new(replicas[0].radius).await;
    let (bytes, authenticator) = nas
        .login_request("alice", "alice-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");

    // The reply leaves replica 0, which is stopped at once (its decision
    // is written behind the reply, and must not be lost with it).
    let first = send_and_hear(&nas, &bytes, &replicas[0], Duration::from_secs(5))
        .await
        .expect("replica 0 answers");
    replicas[0].signal("TERM");
    assert!(
        replicas[0]
            .wait_exit(Duration::from_secs(10))
            .await
            .is_some(),
        "replica 0 stops"
    );
    // The NAS did not hear it and retransmits to the next server: the
    // same answer, without asking Okta again.
    let again = send_and_hear(&nas, &bytes, &replicas[1], Duration::from_secs(3))
        .await
        .expect("replica 1 answers with replica 0's decision");
    for reply in [&first, &again] {
        let packet = Packet::decode(reply).expect("the reply decodes");
        assert!(packet.verify_reply(&authenticator, SECRET.as_bytes()));
        assert_accepted(&packet);
    }
    assert_eq!(org.records().authn_calls("alice@example.com"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_spread_over_the_replicas_are_throttled_as_by_one_server() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let config = fleet_config(&org.base_url(), "", &redis.url())
        + "\n[abuse]\nmax_failures_per_user_and_source = 3\nmax_failures_per_user = 6\nmax_failures_per_source = 0\n";
    let replicas = three(&config).await;
    wait_connected(&replicas).await;

    for replica in &replicas {
        let nas = Nas::new(replica.radius).await;
        let reply = nas
            .exchange(&nas.login_request("alice", "Winter2025!"))
            .await
            .expect("answered");
        assert!(reply_message(&reply).contains("Wrong user name or password"));
    }
    // One failure at each replica: three for the fleet, the first limit.
    for replica in &replicas {
        let nas = Nas::new(replica.radius).await;
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
    // The counts are under the prefix, keyed by digests.
    let keys = redis.cli(&["--scan", "--pattern", "test-fleet:fail:*"]);
    assert!(keys.lines().count() >= 2, "{keys}");
    assert!(!keys.contains("alice"), "{keys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_push_fatigue_limits_are_the_fleet_s() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let config = fleet_config(
        &org.base_url(),
        "auto_push = true\npush_mode = \"challenge\"",
        &redis.url(),
    ) + "\n[push_limits]\nmax_per_minute = 2\ncooldown_after_reject_seconds = 60\n";
    let replicas = three(&config).await;
    wait_connected(&replicas).await;

    // Frank rejects a push sent by replica 0: replica 1 sends none for the cooldown.
    let nas = Nas::new(replicas[0].radius).await;
    let reply = nas
        .exchange(&nas.login_request("frank", "frank-password,push"))
        .await
        .expect("reply");
    let mut state = challenge_state(&reply, "Approve");
    let rejected = loop {
        let reply = nas
            .exchange_within(&nas.answer("frank", "", &state), Duration::from_secs(20))
            .await
            .expect("reply");
        if reply.code() != Code::AccessChallenge {
            break reply;
        }
        state = state_of(&reply);
    };
    assert_eq!(rejected.code(), Code::AccessReject);
    let other = Nas::new(replicas[1].radius).await;
    let reply = other
        .exchange(&other.login_request("frank", "frank-password,push"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("Wait a minute"),
        "{}",
        reply_message(&reply)
    );
    assert_eq!(org.records().pushes_sent("frank@example.com"), 1);

    // Two pushes a minute for pat, from replicas 0 and 1; replica 2 sends no third.
    for replica in &replicas[..2] {
        let nas = Nas::new(replica.radius).await;
        let reply = nas
            .exchange(&nas.login_request("pat", "pat-password"))
            .await
            .expect("reply");
        let state = challenge_state(&reply, "Approve");
        org.resolve_push("pat@example.com", true);
        let reply = nas
            .exchange(&nas.answer("pat", "", &state))
            .await
            .expect("reply");
        assert_accepted(&reply);
    }
    let nas = Nas::new(replicas[2].radius).await;
    let reply = nas
        .exchange(&nas.login_request("pat", "pat-password"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("Too many push requests"),
        "{}",
        reply_message(&reply)
    );
    assert_eq!(org.records().pushes_sent("pat@example.com"), 2);
}

/// `count` password logins at once at each of `servers`, for alice, bob
/// and sam in turn; every one is accepted.
async fn logins_all_accepted(servers: &[std::net::SocketAddr], count: usize) {
    let users = ["alice", "bob", "sam"];
    let mut logins = Vec::new();
    for &radius in servers {
        for i in 0..count {
            let user = users[i % users.len()];
            logins.push(tokio::spawn(async move {
                login_code(radius, user, &format!("{user}-password")).await
            }));
        }
    }
    for login in logins {
        assert_eq!(login.await.expect("join"), Some(Code::AccessAccept));
    }
}

/// A Redis, an org that answers after `latency_ms`, and a fleet config
/// whose Okta budget is `max_concurrent` calls at once, for logins that
/// may wait up to `deadline_ms` for their turn.
async fn budget_fleet(
    latency_ms: u64,
    max_concurrent: usize,
    deadline_ms: u64,
) -> (RedisServer, okta_sim::SimHandle, String) {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    org.faults().set_latency(Duration::from_millis(latency_ms));
    let config = with_okta_keys(
        &fleet_config(&org.base_url(), "", &redis.url()),
        &format!("max_concurrent = {max_concurrent}"),
    )
    .replace(
        "deadline_ms = 2000",
        &format!("deadline_ms = {deadline_ms}"),
    );
    (redis, org, config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_max_concurrent_holds_for_the_fleet() {
    let (_redis, org, config) = budget_fleet(150, 4, 8000).await;
    let replicas = three(&config).await;
    wait_connected(&replicas).await;

    let mut logins = Vec::new();
    for i in 0..24 {
        let radius = replicas[i % 3].radius;
        logins.push(tokio::spawn(async move {
            login_code(radius, "alice", "alice-password").await
        }));
    }
    for login in logins {
        assert_eq!(
            login.await.expect("join"),
            Some(Code::AccessAccept),
            "every login is answered"
        );
    }
    assert_eq!(org.records().authn_calls("alice@example.com"), 24);
    assert!(
        org.peak_concurrency() <= 4,
        "the org saw {} requests in flight",
        org.peak_concurrency()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_waiting_for_a_lease_the_replica_holds_do_not_ask_redis_again_and_again() {
    let (redis, org, config) = budget_fleet(200, 2, 8000).await;
    let replica = TestServer::start(&config).await;
    wait_connected(std::slice::from_ref(&replica)).await;

    // Eight logins at once: two hold the fleet's two leases, six wait
    // for them (for about a second) at this replica.
    logins_all_accepted(&[replica.radius], 8).await;
    assert!(org.peak_concurrency() <= 2, "{}", org.peak_concurrency());
    // A lease is asked for when one is needed and the fleet may have one:
    // about a dozen times here, not every 10 ms for each waiting call
    // (over 250 times).
    let asked = lease_asks(&redis);
    assert!(asked > 0, "the leases come from Redis");
    assert!(asked < 100, "Redis was asked for a lease {asked} times");
}

/// The lease asks (`EVALSHA` of the take script) Redis has run.
fn lease_asks(redis: &RedisServer) -> u64 {
    redis
        .cli(&["info", "commandstats"])
        .lines()
        .filter(|line| line.starts_with("cmdstat_evalsha:") || line.starts_with("cmdstat_eval:"))
        .filter_map(|line| {
            let calls = line.split("calls=").nth(1)?.split(',').next()?;
            calls.parse::<u64>().ok()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_asks_for_leases_a_few_at_a_time_however_many_calls_wait() {
    let (redis, org, config) = budget_fleet(200, 2, 10000).await;
    let replicas = three(&config).await;
    wait_connected(&replicas).await;
    let before = lease_asks(&redis);

    // Twelve logins at each replica, two at a time in the fleet: each
    // replica has about ten calls waiting for a lease most of the time.
    let started = std::time::Instant::now();
    let servers: Vec<_> = replicas.iter().map(|replica| replica.radius).collect();
    logins_all_accepted(&servers, 12).await;
    let waited = started.elapsed();
    assert!(org.peak_concurrency() <= 2, "{}", org.peak_concurrency());
    // Two asks per replica every 10 ms while the fleet is full, and one
    // more for each lease given back: each waiting call asking every
    // 10 ms for itself would be about three times as many.
    let asked = lease_asks(&redis) - before;
    let turns = u64::try_from(waited.as_millis() / 10).unwrap_or(u64::MAX);
    let bound = 3 * 2 * turns + 36 + 50;
    assert!(
        asked <= bound,
        "Redis was asked for a lease {asked} times in {waited:?} (at most {bound})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_over_okta_s_per_user_limit_does_not_hold_the_fleet_s_leases() {
    let (_redis, org, config) = budget_fleet(150, 2, 8000).await;
    let replica = TestServer::start(&config).await;
    wait_connected(std::slice::from_ref(&replica)).await;

    // Eight logins for alice at once: Okta takes four a second for one
    // user, so four of them wait for the next second. bob comes just
    // after; the fleet's two leases must not be held by alice's waiting
    // logins meanwhile.
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut logins = Vec::new();
    for user in std::iter::repeat_n("alice", 8).chain(["bob"]) {
        if user == "bob" {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let radius = replica.radius;
        let answered = answered.clone();
        logins.push(tokio::spawn(async move {
            let nas = Nas::new(radius).await;
            let request = nas.login_request(user, &format!("{user}-password"));
            let reply = nas
                .exchange_within(&request, Duration::from_secs(10))
                .await
                .expect("reply");
            answered.lock().expect("not poisoned").push(user);
            reply.code()
        }));
    }
    for login in logins {
        assert_eq!(login.await.expect("join"), Code::AccessAccept);
    }
    let answered = answered.lock().expect("not poisoned").clone();
    let bob = answered
        .iter()
        .position(|user| *user == "bob")
        .expect("bob was answered");
    assert!(
        bob <= 4,
        "bob waited for alice's logins over Okta's per-user limit: {answered:?}"
    );
    assert!(org.peak_concurrency() <= 2, "{}", org.peak_concurrency());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_met_by_one_replica_holds_the_others_back() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let replicas = three(&fleet_config(&org.base_url(), "", &redis.url())).await;
    wait_connected(&replicas).await;
    let nas = Nas::new(replicas[0].radius).await;
    assert_eq!(
        login_code(replicas[0].radius, "bob", "bob-password").await,
        Some(Code::AccessAccept)
    );

    org.faults().rate_limit_authn(
        1,
        okta_sim::SimRateLimited::Bucket {
            resets_in: Duration::from_secs(30),
        },
    );
    let reply = log_in(&nas, "alice", "alice-password").await;
    assert_eq!(reply.code(), Code::AccessReject);
    // Replica 0 shares the bucket's exhaustion without holding up its
    // reply: the others hear of it once it is in Redis.
    let started = std::time::Instant::now();
    while redis
        .cli(&["--scan", "--pattern", "test-fleet:okta:*"])
        .lines()
        .all(|key| key.ends_with(":leases"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "replica 0 never shared the 429"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let calls = org.records().authn_calls("bob@example.com");
    // Replicas 1 and 2 never met the 429, yet do not walk into it.
    for replica in &replicas[1..] {
        let before = replica.logs.audits().len();
        assert_eq!(
            login_code(replica.radius, "bob", "bob-password").await,
            Some(Code::AccessReject)
        );
        let audits = replica.logs.wait_audits(before + 1).await;
        assert_eq!(audits[before]["reason"], "okta_rate_limit_budget");
    }
    assert_eq!(org.records().authn_calls("bob@example.com"), calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_go_on_while_redis_is_down_and_the_fleet_comes_back_with_it() {
    let mut redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let replicas = three(&fleet_config(
        &org.base_url(),
        "auto_push = true",
        &redis.url(),
    ))
    .await;
    wait_connected(&replicas).await;

    redis.kill();
    for replica in &replicas {
        let body = wait_health_saying(replica, "degraded").await;
        assert!(body.contains("Redis unreachable"), "{body}");
        assert_eq!(
            login_code(replica.radius, "alice", "alice-password").await,
            Some(Code::AccessAccept),
            "a login is never refused because Redis is down"
        );
        replica
            .wait_counter(
                "okta_radius_cluster_fallbacks_total{op=\"duplicate_claim\"}",
                1.0,
            )
            .await;
    }
    // The fallbacks are logged.
    replicas[0]
        .logs
        .wait_for("the fallbacks' warning", |event| {
            event["level"] == "WARN"
                && event["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("Redis operations fell back"))
        })
        .await;

    redis.restart();
    wait_connected(&replicas).await;
    let nas = Nas::new(replicas[0].radius).await;
    let replies = fail_over_during_a_push(&org, &replicas, &nas).await;
    for reply in &replies {
        assert_eq!(reply.code(), Code::AccessAccept, "{}", reply_message(reply));
    }
    assert_eq!(org.records().authn_calls("pat@example.com"), 1);
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
}

/// A Redis that hangs (its connections open, nothing answered) costs a
/// replica's logins its operations' timeouts only until it has failed two
/// of them: the logins after those do not wait for it at all; once Redis
/// answers the ping again, the fleet's state is used again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_redis_is_not_waited_for_by_every_login() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    // Each operation may wait 600 ms (the NAS's deadline is 2 s).
    let config = fleet_config(&org.base_url(), "", &redis.url())
        .replace("op_timeout_ms = 200", "op_timeout_ms = 600");
    let replica = TestServer::start(&config).await;
    wait_connected(std::slice::from_ref(&replica)).await;
    let nas = Nas::new(replica.radius).await;

    redis.pause();
    // The first login meets the silence (and the ping, every second,
    // meets it too); it is answered, whenever that is.
    let first = nas
        .exchange_within(
            &nas.login_request("alice", "alice-password"),
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(first.map(|reply| reply.code()), Some(Code::AccessAccept));
    wait_health_saying(&replica, "degraded").await;
    // Pings go unanswered meanwhile (one a second, each waiting 1 s).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = replica
        .counter("okta_radius_cluster_fallbacks_total{op=\"duplicate_claim\"}")
        .await;
    // The logins after it are answered with the replica's own state, each
    // within 1 s, less than two of the operations' timeouts (a login makes
    // more than two): they wait for none. Each claim is a fallback.
    for user in ["bob", "sam", "alice", "bob"] {
        let reply = nas
            .exchange_within(
                &nas.login_request(user, &format!("{user}-password")),
                Duration::from_secs(1),
            )
            .await;
        assert_eq!(
            reply.map(|reply| reply.code()),
            Some(Code::AccessAccept),
            "{user} is answered without waiting for the hung Redis"
        );
    }
    assert_eq!(
        replica
            .counter("okta_radius_cluster_fallbacks_total{op=\"duplicate_claim\"}")
            .await,
        before + 4.0
    );

    redis.resume();
    wait_connected(std::slice::from_ref(&replica)).await;
    let before = replica
        .counter("okta_radius_cluster_fallbacks_total{op=\"duplicate_claim\"}")
        .await;
    assert_eq!(
        login_code(replica.radius, "sam", "sam-password").await,
        Some(Code::AccessAccept)
    );
    assert_eq!(
        replica
            .counter("okta_radius_cluster_fallbacks_total{op=\"duplicate_claim\"}")
            .await,
        before,
        "the claim went to Redis again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_older_than_7_0_is_named_by_check_config_and_health_and_logins_go_on() {
    let old = OldRedis::start("6.2.14");
    let org = start_mfa_org(|_| {}).await;
    let config = fleet_config(&org.base_url(), "", &old.url());

    let (status, output) = check_config_online(&config);
    assert_eq!(status, Some(3), "{output}");
    assert!(
        output.contains("Redis 6.2.14 answers") && output.contains("7.0 or later"),
        "{output}"
    );

    let replica = TestServer::start(&config).await;
    let body = wait_health_saying(&replica, "6.2.14").await;
    assert!(
        body.contains("degraded") && body.contains("older than 7.0"),
        "{body}"
    );
    replica
        .logs
        .wait_for("the old Redis named in the log", |event| {
            event["level"] == "ERROR"
                && event["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("Redis 6.2.14 is older than 7.0"))
        })
        .await;
    // Each claim fails and is counted; the login goes on with the
    // replica's own state.
    assert_eq!(
        login_code(replica.radius, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );
    replica
        .wait_counter(
            "okta_radius_cluster_fallbacks_total{op=\"duplicate_claim\"}",
            1.0,
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_logs_in_to_redis_as_an_acl_user_with_only_what_it_needs() {
    let redis = RedisServer::start();
    // The ACL line README.md gives, for this test's prefix.
    let created = redis.cli(&[
        "ACL",
        "SETUSER",
        "okta-radius",
        "on",
        ">a-redis-password",
        "~test-fleet:*",
        "+get",
        "+set",
        "+del",
        "+zadd",
        "+zcard",
        "+zcount",
        "+zrem",
        "+zremrangebyscore",
        "+zremrangebyrank",
        "+sadd",
        "+smembers",
        "+pexpire",
        "+pttl",
        "+exists",
        "+evalsha",
        "+eval",
        "+script|load",
        "+ping",
        "+info",
    ]);
    assert_eq!(created.trim(), "OK", "{created}");
    redis.cli(&["ACL", "SETUSER", "default", "off"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let password = dir.path().join("redis-password");
    std::fs::write(&password, "a-redis-password\n").expect("write");
    let org = start_mfa_org(|_| {}).await;
    let config = fleet_config(&org.base_url(), "auto_push = true", &redis.url()).replace(
        "key_prefix = \"test-fleet:\"",
        &format!(
            "key_prefix = \"test-fleet:\"\nusername = \"okta-radius\"\npassword_file = \"{}\"",
            password.display()
        ),
    );
    let replicas = three(&config).await;
    wait_connected(&replicas).await;
    let nas = Nas::new(replicas[0].radius).await;
    let replies = fail_over_during_a_push(&org, &replicas, &nas).await;
    for reply in &replies {
        assert_eq!(reply.code(), Code::AccessAccept, "{}", reply_message(reply));
    }
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    let fallbacks: f64 = {
        let mut total = 0.0;
        for replica in &replicas {
            let text = replica.metrics_text().await;
            total += text
                .lines()
                .filter(|line| line.starts_with("okta_radius_cluster_fallbacks_total"))
                .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
                .sum::<f64>();
        }
        total
    };
    assert_eq!(fallbacks, 0.0, "every operation was allowed");
    // The password reaches no log line.
    for replica in &replicas {
        assert!(
            !replica
                .logs
                .lines()
                .iter()
                .any(|line| line.contains("a-redis-password"))
        );
    }
}

with_both_apis!(a_second_login_at_another_replica_joins_the_pending_push);
async fn a_second_login_at_another_replica_joins_the_pending_push(api: Api) {
    let redis = RedisServer::start();
    let org = start_mfa_org_with_app(|_| {}).await;
    let replicas = three(&fleet_config_for(
        &org.base_url(),
        api,
        "auto_push = true",
        &redis.url(),
    ))
    .await;
    wait_connected(&replicas).await;

    let first = Nas::new(replicas[0].radius).await;
    let (first_bytes, first_authenticator) = first
        .login_request("pat", "pat-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    first.send_raw(&first_bytes).await;
    // The push from replica 0 is out, and announced to the fleet, before
    // pat logs in again elsewhere.
    let started = std::time::Instant::now();
    while redis
        .cli(&["--scan", "--pattern", "test-fleet:push-pending:*"])
        .trim()
        .is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no push announced"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    let second = Nas::new(replicas[2].radius).await;
    let (second_bytes, second_authenticator) = second
        .login_request("pat", "pat-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    second.send_raw(&second_bytes).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        org.records().pushes_sent("pat@example.com"),
        1,
        "still one push"
    );
    assert_eq!(org.resolve_push("pat@example.com", true), 1);

    for (nas, authenticator) in [
        (&first, first_authenticator),
        (&second, second_authenticator),
    ] {
        let reply = nas.receive(Duration::from_secs(15)).await.expect("a reply");
        let packet = Packet::decode(&reply).expect("decodes");
        assert!(packet.verify_reply(&authenticator, SECRET.as_bytes()));
        assert_accepted(&packet);
    }
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    // Each login's password was checked by Okta; the second's transaction ended.
    assert_eq!(logins(&org, api, "pat@example.com"), 2);
    // What was published holds no token.
    let approved = match api {
        Api::Authn => "\"approved\"",
        Api::Direct => "\"authenticated\"",
    };
    for key in redis
        .cli(&["--scan", "--pattern", "test-fleet:push-pending:*"])
        .lines()
    {
        let value = redis.cli(&["GET", key]);
        assert!(value.contains(approved), "{value}");
        assert!(!value.to_lowercase().contains("token"), "{value}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_finds_its_redis_through_sentinel() {
    let master = RedisServer::start();
    let sentinel = RedisServer::sentinel(&master, "okta-radius");
    let org = start_mfa_org(|_| {}).await;
    let config = fleet_config(&org.base_url(), "auto_push = true", "unused").replace(
        "redis_url = \"unused\"",
        &format!(
            "sentinels = [\"redis://127.0.0.1:{}\"]\nmaster_name = \"okta-radius\"",
            sentinel.port
        ),
    );
    let replicas = three(&config).await;
    wait_connected(&replicas).await;
    let nas = Nas::new(replicas[0].radius).await;
    let replies = fail_over_during_a_push(&org, &replicas, &nas).await;
    for reply in &replies {
        assert_eq!(reply.code(), Code::AccessAccept, "{}", reply_message(reply));
    }
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    assert_eq!(org.records().authn_calls("pat@example.com"), 1);
    // The decision is in the master the sentinel named.
    let keys = master.cli(&["--scan", "--pattern", "test-fleet:req:*"]);
    assert_eq!(keys.lines().count(), 1, "{keys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_reaches_redis_over_tls_with_its_ca_file() {
    let pki = support::tls::Pki::new();
    let redis = RedisServer::start_tls(
        &pki.path("server.pem"),
        &pki.path("server.key"),
        &pki.path("ca.pem"),
    );
    let org = start_mfa_org(|_| {}).await;
    let url = format!("rediss://127.0.0.1:{}", redis.port);
    let config = fleet_config(&org.base_url(), "auto_push = true", &url).replace(
        "key_prefix = \"test-fleet:\"",
        &format!(
            "key_prefix = \"test-fleet:\"\nca_file = \"{}\"",
            pki.path("ca.pem").display()
        ),
    );
    let (status, output) = check_config_online(&config);
    assert_eq!(status, Some(0), "{output}");
    let replicas = three(&config).await;
    wait_connected(&replicas).await;
    let nas = Nas::new(replicas[0].radius).await;
    let replies = fail_over_during_a_push(&org, &replicas, &nas).await;
    for reply in &replies {
        assert_eq!(reply.code(), Code::AccessAccept, "{}", reply_message(reply));
    }
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);

    // Another CA's certificate is not trusted: the replica runs degraded.
    let other = support::tls::Pki::new();
    let untrusted = config.replace(
        &pki.path("ca.pem").display().to_string(),
        &other.path("ca.pem").display().to_string(),
    );
    let (status, output) = check_config_online(&untrusted);
    assert_ne!(status, Some(0), "{output}");
    assert!(output.contains("FAIL Redis does not answer"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_password_written_in_the_config_is_refused_without_being_repeated() {
    let org = start_mfa_org(|_| {}).await;
    let config = fleet_config(
        &org.base_url(),
        "",
        "redis://:an-inline-redis-secret@127.0.0.1:6379",
    );
    let (status, output) =
        support::process::serve_until_exit(&config, &[], Duration::from_secs(10));
    assert_eq!(status.and_then(|status| status.code()), Some(2), "{output}");
    assert!(output.contains("cluster.redis_url"), "{output}");
    assert!(output.contains("password_file"), "{output}");
    assert!(!output.contains("an-inline-redis-secret"), "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_follows_sentinel_to_the_promoted_replica_when_its_master_dies() {
    let mut master = RedisServer::start();
    let standby = RedisServer::replica_of(&master);
    let sentinel = RedisServer::sentinel(&master, "okta-radius");
    let sentinel_knows_the_replica = || {
        sentinel
            .cli(&["SENTINEL", "REPLICAS", "okta-radius"])
            .contains(&standby.port.to_string())
    };
    let started = std::time::Instant::now();
    while !sentinel_knows_the_replica() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the sentinel never found the replica"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let org = start_mfa_org(|_| {}).await;
    let config = fleet_config(&org.base_url(), "auto_push = true", "unused").replace(
        "redis_url = \"unused\"",
        &format!(
            "sentinels = [\"redis://127.0.0.1:{}\"]\nmaster_name = \"okta-radius\"",
            sentinel.port
        ),
    );
    let replicas = three(&config).await;
    wait_connected(&replicas).await;

    // Before the failover: a State used up at replica 0 (a wrong code).
    let state = state_used_up_at(&Nas::new(replicas[0].radius).await).await;
    let started = std::time::Instant::now();
    while standby
        .cli(&["--scan", "--pattern", "test-fleet:state:*"])
        .trim()
        .is_empty()
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the used State never reached the replica"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The master dies: logins go on while the sentinel promotes the replica.
    master.kill();
    assert_eq!(
        login_code(replicas[1].radius, "alice", "alice-password").await,
        Some(Code::AccessAccept),
        "a login is never refused because the Redis master is gone"
    );
    let started = std::time::Instant::now();
    while !standby.is_master() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sentinel never promoted the replica"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every replica has pinged the dead master by now (once a second) and
    // says `ok` again only once the promoted one answers it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    wait_connected(&replicas).await;

    // The fleet behaviour is back, on the new master: the State used before
    // the failover is refused at another replica...
    let replay = Nas::new(replicas[2].radius).await;
    let reply = replay
        .exchange(&replay.answer("dave", &totp::code(DAVE_TOTP, now()), &state))
        .await
        .expect("a reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("already answered"),
        "{}",
        reply_message(&reply)
    );
    // ...and a NAS failing over during a push gets one Okta login and one push.
    let nas = Nas::new(replicas[0].radius).await;
    let replies = fail_over_during_a_push(&org, &replicas, &nas).await;
    for reply in &replies {
        assert_eq!(reply.code(), Code::AccessAccept, "{}", reply_message(reply));
    }
    assert_eq!(org.records().authn_calls("pat@example.com"), 1);
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    assert!(
        !standby
            .cli(&["--scan", "--pattern", "test-fleet:push-pending:*"])
            .trim()
            .is_empty(),
        "the push was announced on the promoted master"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_s_clear_at_one_replica_frees_a_source_only_another_saw() {
    let redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let config = fleet_config(&org.base_url(), "", &redis.url())
        + "\n[abuse]\nmax_failures_per_user_and_source = 3\nmax_failures_per_user = 20\nmax_failures_per_source = 0\n";
    let replicas = three(&config).await;
    wait_connected(&replicas).await;
    let login_from = |replica: usize, password: &'static str| {
        let radius = replicas[replica].radius;
        async move {
            let nas = Nas::new(radius).await;
            nas.exchange(&nas.login_request("alice", password).text(
                radius_proto::attribute::types::CALLING_STATION_ID,
                "203.0.113.9",
            ))
            .await
            .expect("answered")
        }
    };
    // Three wrong passwords from one address, all at replica 0.
    for _ in 0..3 {
        assert_eq!(
            login_from(0, "Winter2025!").await.code(),
            Code::AccessReject
        );
    }
    let reply = login_from(2, "alice-password").await;
    assert!(
        reply_message(&reply).contains("Too many failed logins"),
        "{}",
        reply_message(&reply)
    );
    // Cleared at replica 1, which never saw that address.
    let (ok, cleared) = replicas[1].admin_throttle("clear", "alice");
    assert!(ok, "{cleared}");
    let reply = login_from(2, "alice-password").await;
    assert_accepted(&reply);
    let pairs = redis.cli(&["--scan", "--pattern", "test-fleet:fail:*"]);
    assert!(!pairs.contains("alice"), "{pairs}");
}

/// Waits until `replica` says Redis is unreachable.
async fn wait_degraded(replica: &TestServer) {
    wait_health_saying(replica, "degraded").await;
}

/// Waits (15 s at most) until `replica`'s `/health` says `text`; returns
/// what it said. A degraded replica still answers 200.
async fn wait_health_saying(replica: &TestServer, text: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let (status, body) = replica.health().await;
        assert_eq!(status, 200, "degraded, not unhealthy: {body}");
        if body.contains(text) {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "/health never said {text:?}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Presses Enter (an empty answer) on `state` at `replica`; returns the reply.
async fn enter_at(replica: &TestServer, user: &str, state: &[u8]) -> Packet {
    let nas = Nas::new(replica.radius).await;
    nas.exchange_within(&nas.answer(user, "", state), Duration::from_secs(15))
        .await
        .expect("a reply")
}

with_both_apis!(in_challenge_mode_a_second_login_at_another_replica_joins_the_pending_push);
async fn in_challenge_mode_a_second_login_at_another_replica_joins_the_pending_push(api: Api) {
    let mut redis = RedisServer::start();
    let org = start_mfa_org_with_app(|_| {}).await;
    let replicas = three(
        &(fleet_config_for(
            &org.base_url(),
            api,
            "auto_push = true\npush_mode = \"challenge\"",
            &redis.url(),
        ) + "\n[push_limits]\nmax_per_minute = 10\n"),
    )
    .await;
    wait_connected(&replicas).await;

    // Pat's first login at replica 0 pushes the phone; a second login at
    // replica 1 while it is pending gets the same challenge, and no push.
    let first = Nas::new(replicas[0].radius).await;
    let reply = log_in(&first, "pat", "pat-password").await;
    let state_a = challenge_state(&reply, "Approve");
    let second = Nas::new(replicas[1].radius).await;
    let reply = log_in(&second, "pat", "pat-password").await;
    let state_b = challenge_state(&reply, "Approve");
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1, "one push");
    // What the fleet shares of the pending push is sealed: no token.
    for key in redis
        .cli(&["--scan", "--pattern", "test-fleet:push-*"])
        .lines()
    {
        let value = redis.cli(&["GET", key]);
        assert!(!value.to_lowercase().contains("token"), "{value}");
    }
    // A replica that neither sent nor joined it (it never saw pat log
    // in) shows the fleet's push.
    let (ok, shown) = replicas[2].admin_throttle("show", "pat");
    assert!(ok, "{shown}");
    assert!(
        shown.contains("push pending: yes, pushes in the last minute: 1,"),
        "{shown}"
    );
    assert_eq!(org.resolve_push("pat@example.com", true), 1);

    // The second login's Enter reaches yet another replica, which polls the
    // push's transaction; the first login's Enter then finds the outcome at
    // the sending replica, though that transaction has ended.
    let reply = enter_at(&replicas[2], "pat", &state_b).await;
    assert_accepted(&reply);
    let reply = enter_at(&replicas[0], "pat", &state_a).await;
    assert_accepted(&reply);
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    // Each login's password was checked by Okta.
    assert_eq!(logins(&org, api, "pat@example.com"), 2);
    // The outcome is filed under a digest of the transaction, no token.
    let outcomes = redis.cli(&["--scan", "--pattern", "test-fleet:push-outcome:*"]);
    assert_eq!(outcomes.lines().count(), 1, "{outcomes}");
    let approved = match api {
        Api::Authn => "\"approved\"",
        Api::Direct => "\"authenticated\"",
    };
    for key in outcomes.lines() {
        let value = redis.cli(&["GET", key]);
        assert!(value.contains(approved), "{value}");
        assert!(!value.to_lowercase().contains("token"), "{value}");
    }

    // Again: the push above is over, so a new login pushes anew (an
    // approval never opens a later login). Both Enters at once at two
    // replicas: one poll takes Okta's answer, the other finds the
    // transaction ended, and both logins are accepted.
    let reply = log_in(&first, "pat", "pat-password").await;
    let state_a = challenge_state(&reply, "Approve");
    let reply = log_in(&second, "pat", "pat-password").await;
    let state_b = challenge_state(&reply, "Approve");
    assert_eq!(org.records().pushes_sent("pat@example.com"), 2);
    assert_eq!(org.resolve_push("pat@example.com", true), 1);
    let (reply_a, reply_b) = tokio::join!(
        enter_at(&replicas[0], "pat", &state_a),
        enter_at(&replicas[2], "pat", &state_b)
    );
    for reply in [reply_a, reply_b] {
        assert_accepted(&reply);
    }

    // Redis down: a second login at another replica goes on by itself,
    // with its own push.
    redis.kill();
    wait_degraded(&replicas[0]).await;
    wait_degraded(&replicas[1]).await;
    let reply = log_in(&first, "pat", "pat-password").await;
    let state_a = challenge_state(&reply, "Approve");
    let reply = log_in(&second, "pat", "pat-password").await;
    let state_b = challenge_state(&reply, "Approve");
    assert_eq!(org.records().pushes_sent("pat@example.com"), 4);
    assert_eq!(org.resolve_push("pat@example.com", true), 2);
    let reply = enter_at(&replicas[1], "pat", &state_b).await;
    assert_accepted(&reply);
    let reply = enter_at(&replicas[0], "pat", &state_a).await;
    assert_accepted(&reply);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_s_show_at_one_replica_gives_the_fleet_s_counts() {
    let mut redis = RedisServer::start();
    let org = start_mfa_org(|_| {}).await;
    let config = fleet_config(&org.base_url(), "", &redis.url())
        + "\n[abuse]\nmax_failures_per_user_and_source = 3\nmax_failures_per_user = 20\nmax_failures_per_source = 0\n";
    let replicas = three(&config).await;
    wait_connected(&replicas).await;
    let wrong_from = |replica: usize, source: &'static str| {
        let radius = replicas[replica].radius;
        async move {
            let nas = Nas::new(radius).await;
            let reply = nas
                .exchange(
                    &nas.login_request("alice", "Winter2025!")
                        .text(radius_proto::attribute::types::CALLING_STATION_ID, source),
                )
                .await
                .expect("answered");
            assert_eq!(reply.code(), Code::AccessReject);
        }
    };
    // Three wrong passwords from one address over replicas 0 and 1 (its
    // throttle is reached), one from another address at replica 2.
    wrong_from(0, "203.0.113.9").await;
    wrong_from(0, "203.0.113.9").await;
    wrong_from(1, "203.0.113.9").await;
    wrong_from(2, "198.51.100.7").await;

    // Replica 2 saw one of them; it shows what the fleet decides on.
    let (ok, shown) = replicas[2].admin_throttle("show", "alice");
    assert!(ok, "{shown}");
    assert!(
        shown.contains("alice@example.com: 4 failed logins in the window (throttled)"),
        "{shown}"
    );
    assert!(
        shown.contains("from 203.0.113.9: 3 failed logins (throttled)"),
        "{shown}"
    );
    assert!(
        shown.contains("from 198.51.100.7: 1 failed logins\n"),
        "{shown}"
    );
    assert!(shown.contains("counted by the whole fleet"), "{shown}");
    // The user's sources are kept under a digest of the user.
    let keys = redis.cli(&["--scan", "--pattern", "test-fleet:fail:*"]);
    assert!(!keys.contains("alice"), "{keys}");

    // Cleared at replica 1: every replica shows nothing left.
    let (ok, cleared) = replicas[1].admin_throttle("clear", "alice");
    assert!(ok && cleared.contains("cleared"), "{cleared}");
    let (_, shown) = replicas[0].admin_throttle("show", "alice");
    assert!(shown.contains(": 0 failed logins"), "{shown}");
    assert!(!shown.contains("from "), "{shown}");

    // Redis down: the replica shows its own counts (the address only
    // other replicas saw is not among them), and says so.
    wrong_from(0, "203.0.113.9").await;
    wrong_from(2, "198.51.100.7").await;
    redis.kill();
    wait_degraded(&replicas[2]).await;
    let (ok, shown) = replicas[2].admin_throttle("show", "alice");
    assert!(ok, "{shown}");
    assert!(shown.contains("counted by this server only"), "{shown}");
    assert!(shown.contains("from 198.51.100.7"), "{shown}");
    assert!(!shown.contains("203.0.113.9"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_joining_a_number_matching_push_at_another_replica_shows_the_same_number() {
    let redis = RedisServer::start();
    let org = start_mfa_org_with_app(|_| {}).await;
    let replicas = three(&fleet_config_for(
        &org.base_url(),
        Api::Direct,
        "auto_push = true\npush_mode = \"challenge\"",
        &redis.url(),
    ))
    .await;
    wait_connected(&replicas).await;
    let mut states = Vec::new();
    let mut numbers = Vec::new();
    for replica in &replicas[..2] {
        let nas = Nas::new(replica.radius).await;
        let reply = log_in(&nas, "henry", "henry-password").await;
        let prompt = reply_message(&reply);
        states.push(challenge_state(&reply, "Tap "));
        numbers.push(
            prompt
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>(),
        );
    }
    assert!(!numbers[0].is_empty(), "a number to tap");
    assert_eq!(numbers[0], numbers[1], "the same number at both replicas");
    assert_eq!(org.records().pushes_sent("henry@example.com"), 1);
    // Henry taps it (the org approves after a few polls); each login's
    // Enter, at the third replica, ends in an Access-Accept.
    for state in states {
        let mut reply = enter_at(&replicas[2], "henry", &state).await;
        for _ in 0..5 {
            if reply.code() != Code::AccessChallenge {
                break;
            }
            reply = enter_at(&replicas[2], "henry", &state_of(&reply)).await;
        }
        assert_accepted(&reply);
    }
    assert_eq!(org.records().pushes_sent("henry@example.com"), 1);
}
