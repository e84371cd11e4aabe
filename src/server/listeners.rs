//! A bound server: the listeners of every transport, bound before anything
//! runs (a server that cannot hold one of its addresses does not start),
//! the state they share, and running them until the process stops.
//!
//! Listen addresses are numbered across transports (UDP first, then TLS,
//! then TCP, then accounting); the number is the duplicate cache's listener, so a UDP
//! datagram and a TCP connection from the same address and port never
//! share an entry.

use super::clients::ClientTable;
use super::control::ServerHandle;
use super::duplicates::DuplicateCache;
use super::shared::Shared;
use super::stop::StopNow;
use super::stream::capacity::ConnectionCapacity;
use super::tls::credentials::TlsMaterial;
use super::{accounting, limits, tcp, tls, udp};
use crate::accounting::Accounting;
use crate::auth::Authenticator;
use crate::config::Config;
use crate::eap::EapServer;
use crate::live::Live;
use crate::telemetry::metrics as m;
use metrics::gauge;
use radius_proto::dictionary::Dictionary;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Semaphore, watch};

/// A bound server, ready to run.
pub struct Server {
    shared: Arc<Shared>,
    /// Each UDP socket with the index of its listen address.
    sockets: Vec<(u16, Arc<UdpSocket>)>,
    tls: Vec<(u16, TcpListener)>,
    tcp: Vec<(u16, TcpListener)>,
    /// The accounting sockets, each with its listener index.
    accounting: Vec<(u16, Arc<UdpSocket>)>,
}

impl Server {
    /// Binds every listen address. Fails if any cannot be bound.
    /// `accounting` stores accounting records and tracks sessions; the
    /// accounting port opens only with it.
    pub async fn bind(
        config: &Config,
        authenticator: Authenticator,
        dictionary: Arc<Dictionary>,
        tls_material: TlsMaterial,
        accounting: Option<Arc<Accounting>>,
    ) -> std::io::Result<Server> {
        let sockets = udp::bind(&config.server.listen, 0)?;
        let mut next_index = config.server.listen.len();
        let tls = bind_streams(&config.streams.tls_listen, &mut next_index, "RADIUS/TLS").await?;
        let tcp = bind_streams(&config.streams.tcp_listen, &mut next_index, "RADIUS/TCP").await?;
        let accounting_sockets = if accounting.is_some() {
            udp::bind(&config.server.accounting_listen, next_index)?
        } else {
            Vec::new()
        };
        let limits = config.streams.limits.clone();
        let eap = match (&config.eap, &tls_material.eap_certificate) {
            (Some(eap), Some(certificate)) => Some(
                EapServer::new(eap, certificate.clone())
                    .map_err(|error| std::io::Error::other(format!("[eap] TLS: {error}")))?,
            ),
            _ => None,
        };
        // Exported from the start (0 without [eap]), so dashboards and
        // alerts find the series on every server.
        gauge!(m::EAP_CONVERSATIONS).set(0.0);
        let shared = Shared {
            clients: Live::new(ClientTable::new(
                &config.clients,
                config.server.status_server_per_second,
                &tls_material.trust,
            )),
            duplicates: DuplicateCache::new(
                config.server.duplicate_cache_ttl,
                config.server.duplicate_cache_entries,
            ),
            in_flight: Arc::new(Semaphore::new(config.server.max_in_flight)),
            cluster: authenticator.cluster().clone(),
            authenticator,
            eap,
            dictionary,
            reject_delay: config.server.reject_delay,
            challenge_reserve: limits::reserve(
                config.server.max_in_flight,
                config.abuse.challenge_reserve_percent,
            ),
            challenge_reserve_percent: config.abuse.challenge_reserve_percent,
            max_in_flight: config.server.max_in_flight,
            stop_now: StopNow::new(),
            certificate: Live::new(tls_material.certificate),
            capacity: Arc::new(ConnectionCapacity::new(
                limits.max_connections,
                limits.max_per_client,
            )),
            connection_limits: limits,
            closing: watch::Sender::new(false),
            reloads: watch::Sender::new(0),
            accounting,
        };
        Ok(Server {
            shared: Arc::new(shared),
            sockets,
            tls,
            tcp,
            accounting: accounting_sockets,
        })
    }

    /// A handle that outlives [`Server::run`]'s future.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle::new(self.shared.clone())
    }

    /// The UDP addresses actually bound (a port of 0 in the config is resolved).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        let mut addrs: Vec<SocketAddr> = self
            .sockets
            .iter()
            .filter_map(|(_, socket)| socket.local_addr().ok())
            .collect();
        addrs.dedup();
        addrs
    }

    /// The accounting addresses actually bound.
    pub fn accounting_addrs(&self) -> Vec<SocketAddr> {
        let mut addrs: Vec<SocketAddr> = self
            .accounting
            .iter()
            .filter_map(|(_, socket)| socket.local_addr().ok())
            .collect();
        addrs.dedup();
        addrs
    }

    /// The RADIUS/TLS addresses actually bound.
    pub fn tls_addrs(&self) -> Vec<SocketAddr> {
        stream_addrs(&self.tls)
    }

    /// The RADIUS/TCP addresses actually bound.
    pub fn tcp_addrs(&self) -> Vec<SocketAddr> {
        stream_addrs(&self.tcp)
    }

    /// Runs the listeners until the process ends. Dropping the future stops
    /// them: datagrams are no longer read, and stream connections read no
    /// more, answer what is in flight and close.
    pub async fn run(self) -> std::io::Result<()> {
        let _closing = CloseOnDrop(self.shared.clone());
        let purger = self.shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let now = Instant::now();
                while purger.duplicates.purge_batch(now) == super::duplicates::PURGE_BATCH {
                    tokio::task::yield_now().await;
                }
                if let Some(state) = &purger.accounting {
                    state.sessions.expire(std::time::SystemTime::now()).await;
                    gauge!(m::ACCOUNTING_SESSIONS).set(state.sessions.count().await as f64);
                }
                gauge!(m::PENDING_PUSHES).set(purger.authenticator.pending_pushes() as f64);
            }
        });
        let mut listeners = tokio::task::JoinSet::new();
        for (index, socket) in self.sockets {
            let shared = self.shared.clone();
            listeners.spawn(async move { udp::listen(shared, index, socket).await });
        }
        if let Some(state) = &self.shared.accounting {
            for (index, socket) in self.accounting {
                let shared = self.shared.clone();
                let state = state.clone();
                listeners
                    .spawn(async move { accounting::listen(shared, state, index, socket).await });
            }
        }
        for (index, listener) in self.tls {
            let shared = self.shared.clone();
            listeners.spawn(async move {
                tls::listener::listen(shared, index, listener).await;
                Ok(())
            });
        }
        for (index, listener) in self.tcp {
            let shared = self.shared.clone();
            listeners.spawn(async move {
                tcp::listen(shared, index, listener).await;
                Ok(())
            });
        }
        match listeners.join_next().await {
            Some(Ok(result)) => result,
            Some(Err(error)) => Err(std::io::Error::other(error)),
            None => Ok(()),
        }
    }
}

/// Tells the stream connections that the listeners stopped.
struct CloseOnDrop(Arc<Shared>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.closing.send_replace(true);
    }
}

async fn bind_streams(
    addrs: &[SocketAddr],
    next_index: &mut usize,
    what: &str,
) -> std::io::Result<Vec<(u16, TcpListener)>> {
    let mut bound = Vec::with_capacity(addrs.len());
    for addr in addrs {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot listen on {addr} for {what}: {e}"))
        })?;
        let index = u16::try_from(*next_index).unwrap_or(u16::MAX);
        *next_index += 1;
        bound.push((index, listener));
    }
    Ok(bound)
}

fn stream_addrs(listeners: &[(u16, TcpListener)]) -> Vec<SocketAddr> {
    listeners
        .iter()
        .filter_map(|(_, listener)| listener.local_addr().ok())
        .collect()
}
