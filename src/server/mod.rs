//! Sockets and the request pipeline: one UDP listener per configured address,
//! the client table, the duplicate cache and the in-flight limits.
//!
//! A datagram goes through [`admission`] (client, framing, code,
//! Message-Authenticator); a Status-Server is then answered at once unless
//! [`status_server`] finds it a replay or over its client's budget. Any
//! other request goes to the duplicate cache, then the limits; only
//! then is a task spawned that asks the [`crate::auth`] conversation for a
//! decision, encodes it, stores the reply bytes for retransmits and sends them.

pub mod admission;
pub mod clients;
pub mod control;
pub mod duplicates;
pub mod reply;
pub mod socket;
pub mod status_server;

use crate::auth::{Authenticator, Decision, Verdict, failure};
use crate::config::Config;
use crate::live::Live;
use crate::telemetry::logging::AUDIT_TARGET;
use crate::telemetry::metrics as m;
use admission::{Admitted, DropReason, admit};
use clients::{Client, ClientTable};
use duplicates::{DuplicateCache, RequestKey, Seen};
use metrics::{counter, gauge, histogram};
use radius_proto::attribute::types;
use radius_proto::dictionary::Dictionary;
use radius_proto::packet::{Code, Packet, encode_reply};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

/// The size of the receive buffer: the largest packet RFC 2865 allows.
const RECEIVE_BUFFER: usize = 4096;

/// How long past its deadline a pending entry in the duplicate cache is
/// trusted; a safety net in case a task never finishes.
const PENDING_MARGIN: Duration = Duration::from_secs(10);

/// Everything the listeners share.
struct Shared {
    /// Replaced by a config reload.
    clients: Live<ClientTable>,
    duplicates: DuplicateCache,
    in_flight: Arc<Semaphore>,
    authenticator: Authenticator,
    dictionary: Arc<Dictionary>,
    reject_delay: Duration,
    /// Permits of `in_flight` only State-bearing requests may take.
    challenge_reserve: usize,
    challenge_reserve_percent: u8,
    max_in_flight: usize,
    /// Given when the operator will not wait for the drain.
    stop_now: control::StopNow,
}

/// A bound server, ready to run.
pub struct Server {
    shared: Arc<Shared>,
    /// Each socket with the index of its listen address (the duplicate
    /// cache's listener): the sockets of one address share it.
    sockets: Vec<(u16, Arc<UdpSocket>)>,
}

impl Server {
    /// Binds every listen address. Fails if any cannot be bound.
    pub async fn bind(
        config: &Config,
        authenticator: Authenticator,
        dictionary: Arc<Dictionary>,
    ) -> std::io::Result<Server> {
        let cannot_listen = |addr: &SocketAddr, e: std::io::Error| {
            std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))
        };
        // Every address is probed before any is bound: a server must not
        // start beside another one that holds its address.
        let mut resolved = Vec::with_capacity(config.server.listen.len());
        for addr in &config.server.listen {
            resolved.push(socket::probe(*addr).map_err(|e| cannot_listen(addr, e))?);
        }
        let mut sockets = Vec::new();
        let per_address = std::thread::available_parallelism().map_or(1, usize::from);
        for (index, addr) in resolved.iter().enumerate() {
            let group =
                socket::bind_group(*addr, per_address).map_err(|e| cannot_listen(addr, e))?;
            let index = u16::try_from(index).unwrap_or(u16::MAX);
            sockets.extend(group.into_iter().map(|socket| (index, Arc::new(socket))));
        }
        let shared = Shared {
            clients: Live::new(ClientTable::new(
                &config.clients,
                config.server.status_server_per_second,
            )),
            duplicates: DuplicateCache::new(
                config.server.duplicate_cache_ttl,
                config.server.duplicate_cache_entries,
            ),
            in_flight: Arc::new(Semaphore::new(config.server.max_in_flight)),
            authenticator,
            dictionary,
            reject_delay: config.server.reject_delay,
            challenge_reserve: control::reserve(
                config.server.max_in_flight,
                config.abuse.challenge_reserve_percent,
            ),
            challenge_reserve_percent: config.abuse.challenge_reserve_percent,
            max_in_flight: config.server.max_in_flight,
            stop_now: control::StopNow::new(),
        };
        Ok(Server {
            shared: Arc::new(shared),
            sockets,
        })
    }

    /// The addresses actually bound (a port of 0 in the config is resolved).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        let mut addrs: Vec<SocketAddr> = self
            .sockets
            .iter()
            .filter_map(|(_, socket)| socket.local_addr().ok())
            .collect();
        addrs.dedup();
        addrs
    }

    /// Runs the listeners until the process ends.
    pub async fn run(self) -> std::io::Result<()> {
        let purger = self.shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                purger.duplicates.purge(Instant::now());
                gauge!(m::PENDING_PUSHES).set(purger.authenticator.pending_pushes() as f64);
            }
        });
        let mut listeners = tokio::task::JoinSet::new();
        for (index, socket) in self.sockets {
            let shared = self.shared.clone();
            listeners.spawn(async move { listen(shared, index, socket).await });
        }
        match listeners.join_next().await {
            Some(Ok(result)) => result,
            Some(Err(error)) => Err(std::io::Error::other(error)),
            None => Ok(()),
        }
    }
}

/// The receive loop of one socket.
async fn listen(shared: Arc<Shared>, index: u16, socket: Arc<UdpSocket>) -> std::io::Result<()> {
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    loop {
        let (len, source) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            // ICMP errors from earlier sends surface here on some systems;
            // they concern another peer and must not stop the listener.
            Err(error) if is_transient(&error) => continue,
            Err(error) => return Err(error),
        };
        counter!(m::PACKETS_RECEIVED).increment(1);
        let received_at = Instant::now();
        match admit(&shared.clients.get(), &buffer[..len], source) {
            Ok(admitted) => {
                on_request(&shared, index, &socket, admitted, source, received_at).await
            }
            Err(reason) => dropped(reason, source),
        }
    }
}

fn is_transient(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::Interrupted
            | std::io::ErrorKind::WouldBlock
    )
}

/// Counts a drop. Per-packet detail stays at debug level.
fn dropped(reason: DropReason, source: SocketAddr) {
    counter!(m::DROPS, "reason" => reason.label()).increment(1);
    match reason {
        DropReason::Malformed(detail) => {
            tracing::debug!(%source, reason = reason.label(), detail, "dropped a datagram");
        }
        _ => tracing::debug!(%source, reason = reason.label(), "dropped a datagram"),
    }
}

async fn on_request(
    shared: &Arc<Shared>,
    index: u16,
    socket: &Arc<UdpSocket>,
    admitted: Admitted,
    source: SocketAddr,
    received_at: Instant,
) {
    let Admitted { client, packet } = admitted;
    if packet.code() == Code::StatusServer {
        match client.admit_status_server(packet.identifier(), packet.authenticator()) {
            status_server::Admission::Answer => {}
            status_server::Admission::Replay => {
                dropped(DropReason::StatusServerReplay, source);
                return;
            }
            status_server::Admission::OverRate => {
                dropped(DropReason::StatusServerRate, source);
                return;
            }
        }
        match encode_reply(
            Code::AccessAccept,
            &packet,
            &[],
            client.config.secret_bytes(),
        ) {
            Ok(reply) => send(socket, &reply, source, Code::AccessAccept).await,
            Err(error) => tracing::debug!(%source, %error, "cannot encode a Status-Server reply"),
        }
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
            counter!(m::DUPLICATES, "kind" => "in_progress").increment(1);
            dropped(DropReason::Duplicate, source);
            return;
        }
        Seen::Answered(reply) => {
            counter!(m::DUPLICATES, "kind" => "resent").increment(1);
            if let Some(reply) = reply {
                let code = Code::from_u8(reply[0]).unwrap_or(Code::AccessReject);
                send(socket, &reply, source, code).await;
            }
            return;
        }
        Seen::Full => {
            dropped(DropReason::Overload, source);
            return;
        }
    }

    let Some((global, local)) = control::admit_in_flight(shared, &client, &packet) else {
        shared.duplicates.forget(key, authenticator);
        dropped(DropReason::Overload, source);
        return;
    };

    let shared = shared.clone();
    let socket = socket.clone();
    tokio::spawn(async move {
        let _permits = (global, local);
        gauge!(m::IN_FLIGHT).increment(1.0);
        process(&shared, &socket, &client, packet, key, source, received_at).await;
        gauge!(m::IN_FLIGHT).decrement(1.0);
    });
}

/// Decides one Access-Request and sends (and caches) the reply.
async fn process(
    shared: &Shared,
    socket: &UdpSocket,
    client: &Client,
    packet: Packet,
    key: RequestKey,
    source: SocketAddr,
    received_at: Instant,
) {
    let request_id = format!("{:016x}", rand::random::<u64>());
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!(
            request_id,
            client = %client.config.name,
            %source,
            attributes = %radius_proto::describe::describe(&shared.dictionary, &packet),
            "Access-Request"
        );
    }
    let arrived = tokio::time::Instant::from_std(received_at);
    let okta_started = Instant::now();
    let work = shared
        .authenticator
        .access_request(&client.config, &packet, arrived);
    // Told to stop now, the request stops waiting for Okta (dropping its
    // calls) and answers as for an Okta outage.
    let decision = tokio::select! {
        decision = work => decision,
        () = shared.stop_now.given() => {
            shared.stop_now.note_ended();
            failure::decide_stopping(client.config.on_okta_failure)
        }
    };
    histogram!(m::OKTA_DURATION).record(okta_started.elapsed().as_secs_f64());

    let (decision, reply) = reply::encode(decision, &packet, client.config.secret_bytes());

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
    if let Some(bytes) = &reply {
        let code = decision.verdict.code().unwrap_or(Code::AccessReject);
        send(socket, bytes, source, code).await;
    }
    let elapsed = received_at.elapsed();
    histogram!(m::REQUEST_DURATION).record(elapsed.as_secs_f64());
    counter!(m::REQUESTS, "client" => client.config.name.clone(), "outcome" => decision.verdict.label())
        .increment(1);
    counter!(m::DECISIONS, "outcome" => decision.verdict.label(), "reason" => decision.reason.label())
        .increment(1);
    audit(&request_id, client, &packet, &decision, elapsed);
}

async fn send(socket: &UdpSocket, bytes: &[u8], destination: SocketAddr, code: Code) {
    match socket.send_to(bytes, destination).await {
        Ok(_) => counter!(m::REPLIES, "code" => code.name()).increment(1),
        Err(error) => tracing::debug!(%destination, %error, "cannot send a reply"),
    }
}

/// The NAS as it names itself: NAS-Identifier, else NAS-IP-Address.
fn nas_name(packet: &Packet) -> String {
    if let Some(identifier) = packet.text(types::NAS_IDENTIFIER) {
        return identifier.to_owned();
    }
    if let Some(bytes) = packet.first(types::NAS_IP_ADDRESS)
        && let Ok(octets) = <[u8; 4]>::try_from(bytes)
    {
        return std::net::Ipv4Addr::from(octets).to_string();
    }
    if let Some(bytes) = packet.first(types::NAS_IPV6_ADDRESS)
        && let Ok(octets) = <[u8; 16]>::try_from(bytes)
    {
        return std::net::Ipv6Addr::from(octets).to_string();
    }
    String::new()
}

/// One audit line per decision.
fn audit(
    request_id: &str,
    client: &Client,
    packet: &Packet,
    decision: &Decision,
    elapsed: Duration,
) {
    tracing::info!(
        target: AUDIT_TARGET,
        request_id,
        client = %client.config.name,
        nas = %nas_name(packet),
        user = decision.login.as_deref().unwrap_or(""),
        outcome = decision.verdict.label(),
        reason = decision.reason.label(),
        okta_request_id = decision.okta_request_id.as_deref().unwrap_or(""),
        duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        "decision"
    );
}
