//! What happens to one admitted request, whatever carried it: a
//! Status-Server is answered at once unless it is a replay or over its
//! client's budget; any other request goes through the duplicate cache and
//! the in-flight limits, then to the conversation for a decision, which is
//! encoded (Message-Authenticator first), delayed when it is a reject,
//! cached for retransmits, sent and audited. The reply goes back through
//! the transport's [`ReplySink`], so UDP, TLS and TCP share every step.

use super::admission::{Admitted, DropReason};
use super::clients::Client;
use super::duplicates::{RequestKey, Seen};
use super::fleet_duplicates::{self, Claim};
use super::peer_address::PeerAddress;
use super::reply_sink::ReplySink;
use super::shared::{PENDING_MARGIN, Shared};
use super::{limits, reply, status_server};
use crate::auth::{Decision, Verdict, failure};
use crate::cluster::prefetch::{self, Counts};
use crate::telemetry::logging::AUDIT_TARGET;
use crate::telemetry::metrics as m;
use crate::telemetry::series;
use metrics::counter;
use radius_proto::attribute::types;
use radius_proto::packet::{Code, Packet, encode_reply};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Counts a drop. Per-packet detail stays at debug level.
pub(super) fn dropped(reason: DropReason, source: SocketAddr, client: Option<&Client>) {
    let name = client
        .map(|client| client.config.name.clone())
        .unwrap_or_default();
    counter!(m::DROPS, "reason" => reason.label(), "client" => name).increment(1);
    if reason == DropReason::BadMessageAuthenticator
        && let Some(client) = client
        && client.may_warn()
    {
        // At most once a minute per client (a misconfigured NAS sends many).
        tracing::warn!(
            client = %client.config.name,
            %source,
            "a request's Message-Authenticator does not verify: the shared secret of this NAS differs from the client's secret in the config (dropped; warned at most once a minute)"
        );
    }
    match reason {
        DropReason::Malformed(detail) => {
            tracing::debug!(%source, reason = reason.label(), detail, "dropped a datagram");
        }
        _ => tracing::debug!(%source, reason = reason.label(), "dropped a datagram"),
    }
}

/// Handles one admitted request that arrived on listener `index` (the
/// duplicate cache's listener) and is answered through `sink`.
pub(super) async fn on_request<S: ReplySink>(
    shared: &Arc<Shared>,
    index: u16,
    sink: &S,
    admitted: Admitted,
    received_at: Instant,
) {
    let Admitted { client, packet } = admitted;
    let source = sink.peer();
    if packet.code() == Code::StatusServer {
        answer_status_server(sink, &client, &packet, Code::AccessAccept).await;
        return;
    }

    let key = RequestKey {
        listener: index,
        source,
        identifier: packet.identifier(),
    };
    let authenticator = *packet.authenticator();
    let pending_for = client.config.longest_answer() + shared.reject_delay + PENDING_MARGIN;
    match shared
        .duplicates
        .begin(key, authenticator, received_at, pending_for)
    {
        Seen::New => {}
        Seen::InProgress => {
            series::count(m::DUPLICATES, &[("kind", "in_progress")], 1);
            dropped(DropReason::Duplicate, source, Some(&client));
            return;
        }
        Seen::Answered(reply) => {
            series::count(m::DUPLICATES, &[("kind", "resent")], 1);
            if let Some(reply) = reply {
                let code = Code::from_u8(reply[0]).unwrap_or(Code::AccessReject);
                send(sink, &reply, code).await;
            }
            return;
        }
        Seen::Full => {
            dropped(DropReason::Overload, source, Some(&client));
            return;
        }
    }

    let Some((global, local)) = limits::admit_in_flight(shared, &client, &packet) else {
        shared.duplicates.forget(key, authenticator);
        dropped(DropReason::Overload, source, Some(&client));
        return;
    };

    let shared = shared.clone();
    let sink = sink.clone();
    let slot = sink.slot();
    tokio::spawn(async move {
        // Released once the reply is sent: the slot last, so a connection
        // never counts a request as answered before its bytes are written.
        let _permits = (global, local, slot);
        series::gauge(m::IN_FLIGHT, &[]).increment(1.0);
        let fleet_key = match shared.cluster.fleet() {
            None => None,
            Some(fleet) => {
                let wait_until =
                    tokio::time::Instant::from_std(received_at + client.config.longest_answer());
                let read_ahead = shared.authenticator.counts_to_read_ahead(&packet);
                let claimed = Box::pin(fleet_duplicates::claim(
                    fleet,
                    fleet.keys().request(
                        &client.config.name,
                        source.ip(),
                        packet.identifier(),
                        packet.authenticator(),
                    ),
                    pending_for,
                    wait_until,
                    read_ahead,
                ))
                .await;
                match claimed {
                    Claim::Ours(fleet_key, counts) => Some((fleet_key, counts)),
                    Claim::Alone => None,
                    Claim::Decided(decided) => {
                        answer_decided(&shared, &sink, &client, &packet, key, decided).await;
                        series::gauge(m::IN_FLIGHT, &[]).decrement(1.0);
                        return;
                    }
                    Claim::StillPending => {
                        series::count(m::DUPLICATES, &[("kind", "fleet_unanswered")], 1);
                        shared.duplicates.forget(key, authenticator);
                        series::gauge(m::IN_FLIGHT, &[]).decrement(1.0);
                        return;
                    }
                }
            }
        };
        process(&shared, &sink, &client, packet, key, received_at, fleet_key).await;
        series::gauge(m::IN_FLIGHT, &[]).decrement(1.0);
    });
}

/// Answers a Status-Server (RFC 5997) with `code` (Access-Accept on an
/// authentication port, Accounting-Response on an accounting port), unless
/// it is a replay or over its client's budget.
pub(super) async fn answer_status_server<S: ReplySink>(
    sink: &S,
    client: &Client,
    packet: &Packet,
    code: Code,
) {
    let source = sink.peer();
    match client.admit_status_server(packet.identifier(), packet.authenticator()) {
        status_server::Admission::Answer => {}
        status_server::Admission::Replay => {
            dropped(DropReason::StatusServerReplay, source, Some(client));
            return;
        }
        status_server::Admission::OverRate => {
            dropped(DropReason::StatusServerRate, source, Some(client));
            return;
        }
    }
    match encode_reply(code, packet, &[], client.config.secret_bytes()) {
        Ok(reply) => send(sink, &reply, code).await,
        Err(error) => tracing::debug!(%source, %error, "cannot encode a Status-Server reply"),
    }
}

/// Answers a request another replica of the fleet decided: the same code
/// and attributes, signed here with this client's secret.
async fn answer_decided<S: ReplySink>(
    shared: &Shared,
    sink: &S,
    client: &Client,
    packet: &Packet,
    key: RequestKey,
    decided: Option<(Code, Vec<radius_proto::attribute::Attribute>)>,
) {
    series::count(m::DUPLICATES, &[("kind", "fleet")], 1);
    let reply: Option<Arc<[u8]>> = match decided {
        None => None,
        Some((code, attributes)) => {
            match encode_reply(code, packet, &attributes, client.config.secret_bytes()) {
                Ok(bytes) => Some(Arc::from(bytes)),
                Err(error) => {
                    tracing::debug!(%error, "cannot encode another replica's decision");
                    None
                }
            }
        }
    };
    shared
        .duplicates
        .finish(key, *packet.authenticator(), reply.clone(), Instant::now());
    if let Some(bytes) = &reply {
        let code = Code::from_u8(bytes[0]).unwrap_or(Code::AccessReject);
        tracing::debug!(
            client = %client.config.name,
            source = %sink.peer(),
            code = code.name(),
            "answered with the decision of another replica"
        );
        send(sink, bytes, code).await;
    }
}

/// Decides one Access-Request and sends (and caches) the reply.
async fn process<S: ReplySink>(
    shared: &Shared,
    sink: &S,
    client: &Client,
    packet: Packet,
    key: RequestKey,
    received_at: Instant,
    claimed: Option<(String, Option<Counts>)>,
) {
    let (fleet_key, read_ahead) = match claimed {
        Some((fleet_key, read_ahead)) => (Some(fleet_key), read_ahead),
        None => (None, None),
    };
    let source = sink.peer();
    let request_id = RequestId(rand::random::<u64>());
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!(
            %request_id,
            client = %client.config.name,
            %source,
            attributes = %radius_proto::describe::describe(&shared.dictionary, &packet),
            "Access-Request"
        );
    }
    let arrived = tokio::time::Instant::from_std(received_at);
    let okta_started = Instant::now();
    // EAP goes to the EAP server when this client answers EAP; otherwise
    // the conversation refuses it with a reject that says to use PAP.
    let eap = shared
        .eap
        .as_ref()
        .filter(|_| client.config.eap && packet.has(types::EAP_MESSAGE));
    // In debug mode every line of the request (its Okta calls, groups,
    // policy) carries its id.
    let span = tracing::debug_span!("request", id = %request_id);
    // The throttle finds there the counts the claim read ahead. The
    // conversation runs in an allocation of its own, and an EAP one in
    // another (its future is about 21 KB): the request's task is copied
    // at its spawn and its completion, so it holds only what it must.
    let work = prefetch::with(read_ahead, async {
        match eap {
            Some(eap) => {
                Box::pin(eap.access_request(
                    &shared.authenticator,
                    &client.config,
                    &packet,
                    arrived,
                ))
                .await
            }
            None => {
                shared
                    .authenticator
                    .access_request(&client.config, &packet, arrived)
                    .await
            }
        }
    })
    .instrument(span);
    let work = Box::pin(work);
    // Told to stop now, the request stops waiting for Okta (dropping its
    // calls) and answers as for an Okta outage.
    let decision = tokio::select! {
        decision = work => decision,
        () = shared.stop_now.given() => {
            shared.stop_now.note_ended();
            failure::decide_stopping(client.config.on_okta_failure)
        }
    };
    series::record(m::OKTA_DURATION, &[], okta_started.elapsed().as_secs_f64());

    let (decision, reply) = reply::encode(decision, &packet, client.config.secret_bytes());
    series::record(
        m::SERVER_OWN,
        &[],
        received_at
            .elapsed()
            .saturating_sub(decision.okta_wait)
            .as_secs_f64(),
    );
    if tracing::enabled!(tracing::Level::DEBUG)
        && let Some(bytes) = &reply
        && let Ok(sent) = Packet::decode(bytes)
    {
        tracing::debug!(
            %request_id,
            code = sent.code().name(),
            attributes = %radius_proto::describe::describe(&shared.dictionary, &sent),
            "reply"
        );
    }

    if decision.verdict == Verdict::Reject && !shared.reject_delay.is_zero() {
        // Rejects leave no sooner than about one reject delay after the
        // request arrived, so response time tells a password guesser nothing.
        // A server stopping now sends them at once.
        let jitter = rand::random_range(0.8..1.2);
        let until = received_at + shared.reject_delay.mul_f64(jitter);
        tokio::select! {
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(until)) => {}
            () = shared.stop_now.given() => {}
        }
    }

    shared
        .duplicates
        .finish(key, *packet.authenticator(), reply.clone(), Instant::now());
    if let (Some(fleet_key), Some(fleet)) = (fleet_key, shared.cluster.fleet()) {
        // What was carried out: `reply::encode` made a decided reply
        // that did not fit a minimal reject, or silence.
        let code = reply.as_ref().and_then(|bytes| Code::from_u8(bytes[0]));
        fleet_duplicates::store(
            fleet,
            fleet_key,
            code,
            &decision.attributes,
            shared.duplicates.ttl(),
        );
    }
    if let Some(bytes) = &reply {
        let code = decision.verdict.code().unwrap_or(Code::AccessReject);
        send(sink, bytes, code).await;
    }
    let elapsed = received_at.elapsed();
    let transport = sink.transport().label();
    series::record(m::REQUEST_DURATION, &[], elapsed.as_secs_f64());
    client.count_request(decision.verdict.label(), transport);
    series::count(
        m::DECISIONS,
        &[
            ("outcome", decision.verdict.label()),
            ("reason", decision.reason.label()),
        ],
        1,
    );
    audit(
        request_id,
        Origin {
            client,
            transport,
            source,
        },
        &packet,
        &decision,
        elapsed,
    );
}

pub(super) async fn send<S: ReplySink>(sink: &S, bytes: &[u8], code: Code) {
    if sink.send(bytes).await {
        series::count(
            m::REPLIES,
            &[
                ("code", code.name()),
                ("transport", sink.transport().label()),
            ],
            1,
        );
    }
}

/// The id of one request in the log lines about it: 16 hex digits,
/// written where the line is written (no string of its own).
#[derive(Clone, Copy)]
struct RequestId(u64);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A login's id in its audit lines (8 hex digits), empty when the request
/// started no login.
struct LoginId(Option<u32>);

impl std::fmt::Display for LoginId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(id) => write!(f, "{id:08x}"),
            None => Ok(()),
        }
    }
}

/// The NAS as it names itself: NAS-Identifier, else NAS-IP-Address (empty
/// when it says neither), written where the audit line is written.
struct NasName<'a>(&'a Packet);

impl std::fmt::Display for NasName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let packet = self.0;
        if let Some(identifier) = packet.text(types::NAS_IDENTIFIER) {
            return f.write_str(identifier);
        }
        if let Some(bytes) = packet.first(types::NAS_IP_ADDRESS)
            && let Ok(octets) = <[u8; 4]>::try_from(bytes)
        {
            return std::net::Ipv4Addr::from(octets).fmt(f);
        }
        if let Some(bytes) = packet.first(types::NAS_IPV6_ADDRESS)
            && let Ok(octets) = <[u8; 16]>::try_from(bytes)
        {
            return std::net::Ipv6Addr::from(octets).fmt(f);
        }
        Ok(())
    }
}

/// Where a request came from, for its audit line.
struct Origin<'a> {
    client: &'a Client,
    transport: &'static str,
    source: std::net::SocketAddr,
}

/// One audit line per decision. `login_id` is the same in every
/// Access-Challenge round of one login, so one search finds all of them;
/// `typed` is the User-Name as the user typed it, `user` the Okta login.
fn audit(
    request_id: RequestId,
    seen: Origin<'_>,
    packet: &Packet,
    decision: &Decision,
    elapsed: Duration,
) {
    tracing::info!(
        target: AUDIT_TARGET,
        %request_id,
        login_id = %LoginId(decision.login_id),
        client = %seen.client.config.name,
        transport = seen.transport,
        source = %PeerAddress(seen.source),
        nas = %NasName(packet),
        calling_station_id = packet.text(types::CALLING_STATION_ID).unwrap_or(""),
        typed = packet.text(types::USER_NAME).unwrap_or(""),
        user = decision.login.as_deref().unwrap_or(""),
        outcome = decision.verdict.label(),
        reason = decision.reason.label(),
        okta_request_id = decision.okta_request_id.as_deref().unwrap_or(""),
        duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        "decision"
    );
}
