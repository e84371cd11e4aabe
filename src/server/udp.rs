//! The UDP transport: binding the listen addresses (one socket per core on
//! each, see [`super::socket`]) and the receive loop that hands each
//! datagram to the request pipeline.

use super::admission::admit;
use super::clients::ClientTable;
use super::control::ServerHandle;
use super::duplicates::DuplicateCache;
use super::pipeline::{dropped, on_request};
use super::shared::Shared;
use super::stop::StopNow;
use super::{limits, socket};
use crate::auth::Authenticator;
use crate::config::Config;
use crate::live::Live;
use crate::telemetry::metrics as m;
use metrics::{counter, gauge};
use radius_proto::dictionary::Dictionary;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

/// The size of the receive buffer: the largest packet RFC 2865 allows.
const RECEIVE_BUFFER: usize = 4096;

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
            challenge_reserve: limits::reserve(
                config.server.max_in_flight,
                config.abuse.challenge_reserve_percent,
            ),
            challenge_reserve_percent: config.abuse.challenge_reserve_percent,
            max_in_flight: config.server.max_in_flight,
            stop_now: StopNow::new(),
        };
        Ok(Server {
            shared: Arc::new(shared),
            sockets,
        })
    }

    /// A handle that outlives [`Server::run`]'s future.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle::new(self.shared.clone())
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
