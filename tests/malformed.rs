//! Hostile and broken datagrams over real UDP, one class at a time from the
//! protocol notes (§3): each is dropped and counted under its reason (or,
//! when only one attribute is broken, that attribute is ignored, RFC 6929
//! §2.8), nothing about it is logged above debug level, and a normal login
//! still succeeds afterwards.

mod support;

use radius_proto::attribute::types;
use radius_proto::crypto::{hide_user_password, message_authenticator};
use radius_proto::packet::{Code, Packet};
use std::time::Duration;
use support::*;

const NO_REPLY_WAIT: Duration = Duration::from_millis(300);

/// One attribute, with its length byte computed (or forced).
fn attr(typ: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![typ, (value.len() + 2) as u8];
    out.extend_from_slice(value);
    out
}

/// A request built byte by byte, so that any field can be wrong.
struct Raw {
    code: u8,
    identifier: u8,
    authenticator: [u8; 16],
    /// Attribute bytes after the Message-Authenticator (if any).
    body: Vec<u8>,
    message_authenticator: bool,
    /// Forces the Length field.
    length: Option<u16>,
    /// Bytes appended after Length (padding, or a datagram too long).
    trailer: Vec<u8>,
}

impl Raw {
    fn new(identifier: u8) -> Raw {
        let mut authenticator = [0u8; 16];
        authenticator[0] = identifier;
        authenticator[15] = 0x5a;
        authenticator[7] = rand_byte();
        Raw {
            code: 1,
            identifier,
            authenticator,
            body: Vec::new(),
            message_authenticator: true,
            length: None,
            trailer: Vec::new(),
        }
    }

    /// User-Name, User-Password (hidden properly) and NAS-Identifier.
    fn login(identifier: u8, user: &str, password: &[u8]) -> Raw {
        let mut raw = Raw::new(identifier);
        raw.body.extend(attr(types::USER_NAME, user.as_bytes()));
        let hidden = hide_user_password(password, SECRET.as_bytes(), &raw.authenticator)
            .expect("the password hides");
        raw.body.extend(attr(types::USER_PASSWORD, &hidden));
        raw.body.extend(attr(types::NAS_IDENTIFIER, b"test-vpn"));
        raw
    }

    fn with(mut self, bytes: &[u8]) -> Raw {
        self.body.extend_from_slice(bytes);
        self
    }

    /// The datagram. With `message_authenticator`, MA is first and signed
    /// over the packet as the Length field delimits it (re-signed after
    /// the corruption, so the class itself is what is tested).
    fn bytes(&self) -> Vec<u8> {
        let mut out = vec![self.code, self.identifier, 0, 0];
        out.extend_from_slice(&self.authenticator);
        if self.message_authenticator {
            out.extend(attr(types::MESSAGE_AUTHENTICATOR, &[0u8; 16]));
        }
        out.extend_from_slice(&self.body);
        let length = self.length.unwrap_or(out.len() as u16);
        out[2..4].copy_from_slice(&length.to_be_bytes());
        if self.message_authenticator && usize::from(length) <= out.len() && length >= 38 {
            let ma = message_authenticator(&out[..usize::from(length)], 22, SECRET.as_bytes());
            out[22..38].copy_from_slice(&ma);
        }
        out.extend_from_slice(&self.trailer);
        out
    }
}

fn rand_byte() -> u8 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(7)
        & 0xff) as u8
}

async fn drops(server: &TestServer, reason: &str) -> f64 {
    server
        .counter(&format!("radius_drops_total{{reason=\"{reason}\"}}"))
        .await
}

/// Sends `datagram`, expects no answer, and the drop counted under `reason`.
async fn expect_dropped(server: &TestServer, nas: &Nas, what: &str, datagram: &[u8], reason: &str) {
    let before = drops(server, reason).await;
    nas.send_raw(datagram).await;
    assert_eq!(
        nas.receive(NO_REPLY_WAIT).await,
        None,
        "{what}: no answer expected"
    );
    let after = server
        .wait_counter(
            &format!("radius_drops_total{{reason=\"{reason}\"}}"),
            before + 1.0,
        )
        .await;
    assert!(after >= before + 1.0, "{what}: counted as {reason}");
}

/// Sends `raw` and returns the decoded, verified reply.
async fn expect_reply(nas: &Nas, what: &str, raw: &Raw) -> Packet {
    nas.send_raw(&raw.bytes()).await;
    let bytes = nas
        .receive(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("{what}: a reply was expected"));
    let reply = Packet::decode(&bytes).expect("the reply decodes");
    assert!(
        reply.verify_reply(&raw.authenticator, SECRET.as_bytes()),
        "{what}: the reply is authentic"
    );
    reply
}

async fn login_still_works(nas: &Nas) {
    let reply = nas
        .exchange(&nas.login_request("alice", "alice-password"))
        .await
        .expect("a normal login is answered");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_framing_is_dropped_counted_and_not_logged() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    login_still_works(&nas).await;
    server.logs.wait_audits(1).await;
    let quiet_from = server.logs.lines().len();

    let base = || Raw::login(50, "alice", b"alice-password");
    for with_ma in [true, false] {
        let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
        let variant = |mut raw: Raw| {
            raw.message_authenticator = with_ma;
            raw
        };
        cases.push(("datagram of 19 bytes", vec![1u8; 19], "malformed"));
        let mut raw = variant(base());
        raw.length = Some(19);
        cases.push(("Length 19", raw.bytes(), "malformed"));
        let mut raw = variant(base());
        raw.length = Some(4097);
        raw.trailer = vec![0; 4200];
        cases.push(("Length 4097", raw.bytes(), "malformed"));
        let mut raw = variant(base());
        raw.length = Some(raw.bytes().len() as u16 + 40);
        cases.push(("Length past the datagram", raw.bytes(), "malformed"));
        for (what, broken) in [
            ("attribute length 0", vec![types::NAS_PORT, 0, 0, 0]),
            ("attribute length 1", vec![types::NAS_PORT, 1]),
            ("attribute overrunning", vec![types::NAS_PORT, 40, 0, 0]),
            ("attribute not filling the packet", vec![types::NAS_PORT]),
        ] {
            cases.push((what, variant(base().with(&broken)).bytes(), "malformed"));
        }
        if with_ma {
            let mut short_ma = base();
            short_ma.message_authenticator = false;
            let short_ma = short_ma.with(&attr(types::MESSAGE_AUTHENTICATOR, &[0; 15]));
            cases.push(("MA of 17 bytes", short_ma.bytes(), "malformed"));
            let two = base().with(&attr(types::MESSAGE_AUTHENTICATOR, &[0; 16]));
            cases.push(("two MAs", two.bytes(), "malformed"));
            let mut wrong = base().bytes();
            wrong[30] ^= 0xff;
            cases.push(("wrong MA", wrong, "bad_message_authenticator"));
            let mut response = base();
            response.code = Code::AccessAccept.as_u8();
            cases.push((
                "Access-Accept sent to the server",
                response.bytes(),
                "unexpected_code",
            ));
            let mut accounting = base();
            accounting.code = Code::AccountingResponse.as_u8();
            cases.push((
                "Accounting-Response sent to the server",
                accounting.bytes(),
                "unexpected_code",
            ));
            let mut unknown = base();
            unknown.code = 99;
            cases.push(("unknown code", unknown.bytes(), "malformed"));
        } else {
            cases.push((
                "no MA",
                variant(base()).bytes(),
                "missing_message_authenticator",
            ));
        }
        for (what, datagram, reason) in cases {
            expect_dropped(&server, &nas, what, &datagram, reason).await;
        }
    }

    // Junk is logged at debug only; a Message-Authenticator that does not
    // verify is the one warning (a NAS with another secret), once a minute.
    let (secret_warnings, loud): (Vec<_>, Vec<_>) = server
        .loud_events_since(quiet_from)
        .into_iter()
        .partition(|e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("the shared secret of this NAS differs"))
        });
    assert!(loud.is_empty(), "logged above debug level: {loud:?}");
    assert!(secret_warnings.len() <= 1, "{secret_warnings:?}");
    login_still_works(&nas).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_single_attributes_are_ignored_and_the_login_decided() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    let mut id = 60u8;
    let mut next = || {
        id += 1;
        id
    };

    // Attributes nobody needs, broken: ignored, the login goes through.
    let mut thousands = Vec::new();
    for _ in 0..1_900 {
        thousands.extend(attr(0xfe, &[]));
    }
    let ignored: Vec<(&str, Vec<u8>)> = vec![
        ("type 0", attr(0, b"zero")),
        ("thousands of attributes", thousands),
        (
            "Vendor-Specific of 3 bytes",
            attr(types::VENDOR_SPECIFIC, &[0, 0, 1]),
        ),
        (
            "Vendor-Specific sub-attribute of length 0",
            attr(types::VENDOR_SPECIFIC, &[0, 0, 0, 9, 1, 0, 1, 0]),
        ),
        (
            "Vendor-Specific sub-attribute overrunning",
            attr(types::VENDOR_SPECIFIC, &[0, 0, 1, 55, 1, 200, b'x']),
        ),
        (
            "Microsoft VSA with sub-attribute length 0",
            attr(types::VENDOR_SPECIFIC, &[0, 0, 1, 55, 11, 0]),
        ),
        ("Extended-Type truncated", attr(241, &[])),
        ("Long-Extended-Type truncated", attr(245, &[1])),
        ("endless More chain", {
            let mut chain = Vec::new();
            for _ in 0..12 {
                let mut value = vec![1u8, 0x80];
                value.extend_from_slice(&[b'm'; 200]);
                chain.extend(attr(245, &value));
            }
            chain
        }),
        ("NAS-Port of 2 bytes", attr(types::NAS_PORT, &[0, 1])),
        (
            "NAS-IP-Address of 3 bytes",
            attr(types::NAS_IP_ADDRESS, &[127, 0, 0]),
        ),
        (
            "Service-Type of 5 bytes",
            attr(types::SERVICE_TYPE, &[0, 0, 0, 0, 1]),
        ),
        ("Event-Timestamp of 1 byte", attr(55, &[9])),
    ];
    for (what, extra) in ignored {
        let raw = Raw::login(next(), "alice", b"alice-password").with(&extra);
        let reply = expect_reply(&nas, what, &raw).await;
        assert_eq!(
            reply.code(),
            Code::AccessAccept,
            "{what}: {}",
            reply_message(&reply)
        );
    }

    // Padding after Length is ignored.
    let mut padded = Raw::login(next(), "alice", b"alice-password");
    padded.trailer = vec![0xee; 64];
    let reply = expect_reply(&nas, "padding after Length", &padded).await;
    assert_eq!(reply.code(), Code::AccessAccept);

    // A broken User-Password cannot be ignored (it is the credential):
    // the login is refused with a reason, and counted under it.
    let broken_passwords: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "User-Password of 17 bytes",
            vec![1; 17],
            "password_malformed",
        ),
        (
            "User-Password of 15 bytes",
            vec![1; 15],
            "password_malformed",
        ),
        (
            "User-Password of 144 bytes",
            vec![1; 144],
            "password_malformed",
        ),
    ];
    for (what, hidden, reason) in broken_passwords {
        let mut raw = Raw::new(next());
        raw.body.extend(attr(types::USER_NAME, b"alice"));
        raw.body.extend(attr(types::USER_PASSWORD, &hidden));
        raw.body.extend(attr(types::NAS_IDENTIFIER, b"test-vpn"));
        let reply = expect_reply(&nas, what, &raw).await;
        assert_eq!(reply.code(), Code::AccessReject, "{what}");
        let series = format!("radius_decisions_total{{outcome=\"reject\",reason=\"{reason}\"}}");
        assert!(server.wait_counter(&series, 1.0).await >= 1.0);
    }
    let invalid_utf8 = Raw::login(next(), "alice", &[0xff, 0xfe, b'a', b'b']);
    let reply = expect_reply(&nas, "password not UTF-8", &invalid_utf8).await;
    assert_eq!(reply.code(), Code::AccessReject);
    server
        .wait_counter(
            "radius_decisions_total{outcome=\"reject\",reason=\"password_not_utf8\"}",
            1.0,
        )
        .await;
    // An embedded NUL is part of the password (only trailing NULs are
    // padding): this one is wrong, and Okta says so.
    let embedded = Raw::login(next(), "alice", b"alice\0password");
    let reply = expect_reply(&nas, "embedded NUL", &embedded).await;
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(reply_message(&reply).contains("Wrong user name or password"));
    let trailing = Raw::login(next(), "alice", b"alice-password\0\0");
    let reply = expect_reply(&nas, "trailing NULs", &trailing).await;
    assert_eq!(reply.code(), Code::AccessAccept);

    login_still_works(&nas).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retransmit_storms_and_identifier_reuse() {
    let org = start_org().await;
    org.faults().set_latency(Duration::from_millis(300));
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;

    // A storm of copies of one request: one Okta call, one answer while it
    // is in progress, then the same bytes again for each later copy.
    let raw = Raw::login(7, "alice", b"alice-password");
    let datagram = raw.bytes();
    for _ in 0..200 {
        nas.send_raw(&datagram).await;
    }
    let first = nas
        .receive(Duration::from_secs(5))
        .await
        .expect("one answer");
    while nas.receive(Duration::from_millis(200)).await.is_some() {}
    assert_eq!(org.records().authn_calls("alice@example.com"), 1);
    for _ in 0..20 {
        nas.send_raw(&datagram).await;
        assert_eq!(
            nas.receive(Duration::from_secs(2)).await.as_deref(),
            Some(&first[..])
        );
    }
    assert_eq!(org.records().authn_calls("alice@example.com"), 1);
    assert!(
        server
            .counter("radius_duplicates_total{kind=\"in_progress\"}")
            .await
            >= 1.0
    );

    // The same Identifier with a new Request Authenticator is a new request.
    let mut reused = Raw::login(7, "alice", b"wrong-password");
    reused.authenticator[3] ^= 0x42;
    let reused = Raw::login_with_authenticator(reused.authenticator, 7, "alice", b"wrong-password");
    let reply = expect_reply(&nas, "identifier reuse", &reused).await;
    assert_eq!(reply.code(), Code::AccessReject);
    assert_eq!(org.records().authn_calls("alice@example.com"), 2);
    org.faults().clear();
    login_still_works(&nas).await;
}

impl Raw {
    fn login_with_authenticator(
        authenticator: [u8; 16],
        identifier: u8,
        user: &str,
        password: &[u8],
    ) -> Raw {
        let mut raw = Raw::new(identifier);
        raw.authenticator = authenticator;
        raw.body.extend(attr(types::USER_NAME, user.as_bytes()));
        let hidden = hide_user_password(password, SECRET.as_bytes(), &raw.authenticator)
            .expect("the password hides");
        raw.body.extend(attr(types::USER_PASSWORD, &hidden));
        raw.body.extend(attr(types::NAS_IDENTIFIER, b"test-vpn"));
        raw
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_state_pushing_the_reply_past_4096_bytes_gets_a_minimal_reject() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;

    // An expired password gets a long Reply-Message; with the request
    // filled to 4096 bytes with Proxy-State the reply would pass 4096.
    let mut raw = Raw::login(90, "expired", b"expired-password");
    let mut proxy_states = Vec::new();
    let mut i = 0u8;
    loop {
        let room = 4096 - raw.bytes().len();
        if room < 3 {
            break;
        }
        let value = vec![i; (room - 2).min(253)];
        raw.body.extend(attr(types::PROXY_STATE, &value));
        proxy_states.push(value);
        i += 1;
    }
    assert!(raw.bytes().len() <= 4096);
    let reply = expect_reply(&nas, "oversized reply", &raw).await;
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(reply.bytes().len() <= 4096);
    let echoed: Vec<Vec<u8>> = reply.all(types::PROXY_STATE).map(<[u8]>::to_vec).collect();
    assert_eq!(echoed, proxy_states, "every Proxy-State, in order");
    assert_eq!(
        reply.attributes().next().map(|(t, _)| t),
        Some(types::MESSAGE_AUTHENTICATOR),
        "MA first"
    );
    server
        .wait_counter(
            "radius_oversized_replies_total{action=\"minimal_reject\"}",
            1.0,
        )
        .await;

    // A reply that fits is unchanged: one Proxy-State, a normal Accept.
    let raw = Raw::login(91, "alice", b"alice-password").with(&attr(types::PROXY_STATE, b"p1"));
    let reply = expect_reply(&nas, "normal Proxy-State", &raw).await;
    assert_eq!(reply.code(), Code::AccessAccept);
    assert_eq!(reply.first(types::PROXY_STATE), Some(&b"p1"[..]));
    login_still_works(&nas).await;
}
