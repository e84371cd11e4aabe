//! One RADIUS/TLS or RADIUS/TCP connection, from the moment its client is
//! known until it closes. Packets are cut out of the byte stream
//! ([`super::framing`]), pass the same admission as a datagram (after the
//! first check: the connection's client is known) and enter the same
//! pipeline; replies go back through [`StreamReplies`].
//!
//! Where UDP drops a packet in silence, a stream closes: after a bad
//! Length, a malformed packet or a failed Message-Authenticator the rest of
//! the stream cannot be trusted (RFC 6613). One connection carries every
//! kind of request (RFC 6614 §2.1): an Accounting-Request goes to the
//! accounting path when `[accounting]` is on. A well-formed packet with a
//! code this server does not serve (an Accounting-Request while accounting
//! is off) is dropped and the connection stays open.
//!
//! Nothing keeps a connection for free: with nothing in flight and no
//! packet for `connections.idle_timeout_seconds` it is closed (a NAS keeps
//! its connection with Status-Server), a reload checks its client again,
//! and a server that stops reads no more, answers what is in flight and
//! closes.

use super::framing::{self, Frame};
use super::replies::{MAX_IN_FLIGHT, StreamReplies};
use crate::server::accounting::{Arrival, on_accounting};
use crate::server::admission::{DropReason, admit_on_stream};
use crate::server::clients::{Client, ClientTable};
use crate::server::pipeline::{dropped, on_request};
use crate::server::reply_sink::Transport;
use crate::server::shared::Shared;
use crate::telemetry::metrics as m;
use crate::telemetry::series;
use metrics::counter;
use radius_proto::packet::Code;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::watch;
use tokio::time::Instant;

/// Bytes asked of the stream at a time: one packet of the largest size.
const READ_CHUNK: usize = 4096;

/// Bytes asked of a stream that is waiting for its next packet: a header.
const HEADER: usize = 20;

/// A connection whose client is known, ready to be served.
pub(in crate::server) struct Accepted<R, W> {
    pub reader: R,
    pub writer: W,
    pub transport: Transport,
    pub peer: SocketAddr,
    /// The listener's index (the duplicate cache's listener).
    pub listener: u16,
    pub client: Arc<Client>,
}

/// Serves a connection until it closes. `reidentify` finds its client in a
/// reloaded table (`None`: the client is gone, and so is the connection).
pub(in crate::server) async fn serve<R, W, F>(
    shared: Arc<Shared>,
    accepted: Accepted<R, W>,
    reidentify: F,
) where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send + 'static,
    F: FnMut(&ClientTable) -> Option<Arc<Client>> + Send,
{
    let Accepted {
        reader,
        writer,
        transport,
        peer,
        listener,
        client,
    } = accepted;
    let label = transport.label();
    counter!(m::CONNECTIONS_OPENED, "transport" => label).increment(1);
    tracing::debug!(client = %client.config.name, %peer, transport = label, "connection open");
    let max_buffered = shared.connection_limits.max_buffered_bytes;
    let mut connection = Connection {
        replies: StreamReplies::new(writer, transport, peer, max_buffered),
        shared,
        listener,
        client,
        peer,
        transport,
        buffer: Vec::new(),
        last_packet: Instant::now(),
    };
    let reason = connection.run(reader, reidentify).await;
    connection.close(reason).await;
}

struct Connection<W> {
    shared: Arc<Shared>,
    replies: StreamReplies<W>,
    listener: u16,
    client: Arc<Client>,
    peer: SocketAddr,
    transport: Transport,
    /// Bytes read and not yet cut into packets: at most one partial packet
    /// between reads, released while the connection is idle.
    buffer: Vec<u8>,
    last_packet: Instant,
}

impl<W: AsyncWrite + Unpin + Send + 'static> Connection<W> {
    /// Reads and hands over packets until the connection must close; returns why.
    async fn run<R, F>(&mut self, mut reader: R, mut reidentify: F) -> &'static str
    where
        R: AsyncRead + Unpin,
        F: FnMut(&ClientTable) -> Option<Arc<Client>>,
    {
        let mut closing = self.shared.closing.subscribe();
        let mut reloads = self.shared.reloads.subscribe();
        let idle = self.shared.connection_limits.idle_timeout;
        loop {
            if let Err(reason) = self.take_packets().await {
                return reason;
            }
            let full = self.replies.in_flight() >= MAX_IN_FLIGHT;
            // Waiting with an empty buffer, only a header's worth is held:
            // an idle connection keeps no read buffer to speak of.
            let chunk = if self.buffer.is_empty() {
                HEADER
            } else {
                READ_CHUNK
            };
            if !full && self.buffer.capacity() - self.buffer.len() < chunk {
                self.buffer.reserve(chunk);
            }
            let idle_at = self.last_packet + idle;
            tokio::select! {
                biased;
                () = stopped(&mut closing) => return "server_stopping",
                reason = self.replies.close_ordered() => return reason,
                changed = reloads.changed() => {
                    if changed.is_err() {
                        return "server_stopping";
                    }
                    match reidentify(&self.shared.clients.get()) {
                        Some(client) => self.client = client,
                        None => return "client_removed",
                    }
                }
                () = self.replies.slot_freed(), if full => {}
                read = reader.read_buf(&mut self.buffer), if !full => match read {
                    Ok(0) => return "peer_closed",
                    Ok(_) => {}
                    // Gone without a TLS close_notify, or reset.
                    Err(error) if matches!(
                        error.kind(),
                        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
                    ) => return "peer_closed",
                    Err(error) => {
                        tracing::debug!(peer = %self.peer, %error, "cannot read from a connection");
                        return "read_error";
                    }
                },
                () = tokio::time::sleep_until(idle_at) => {
                    if self.replies.in_flight() == 0 {
                        return "idle_timeout";
                    }
                    // Not idle while its requests are worked on.
                    self.last_packet = Instant::now();
                }
            }
        }
    }

    /// Hands over every whole packet in the buffer while the connection has
    /// slots free; `Err` with the reason when the connection must close.
    async fn take_packets(&mut self) -> Result<(), &'static str> {
        let mut taken = 0;
        let result = loop {
            if self.replies.in_flight() >= MAX_IN_FLIGHT {
                break Ok(());
            }
            match framing::next(&self.buffer[taken..]) {
                Frame::Incomplete => break Ok(()),
                Frame::BadLength(length) => {
                    tracing::debug!(peer = %self.peer, length, "a packet's Length is outside 20..4096");
                    dropped(
                        DropReason::Malformed("bad_length"),
                        self.peer,
                        Some(&self.client),
                    );
                    break Err("malformed");
                }
                Frame::Packet(length) => {
                    let packet = taken..taken + length;
                    taken += length;
                    if let Err(reason) = self.on_packet(packet).await {
                        break Err(reason);
                    }
                }
            }
        };
        self.buffer.drain(..taken);
        if self.buffer.is_empty() {
            // An idle connection keeps no buffer.
            self.buffer = Vec::new();
        }
        result
    }

    async fn on_packet(&mut self, packet: std::ops::Range<usize>) -> Result<(), &'static str> {
        series::count(
            m::PACKETS_RECEIVED,
            &[("transport", self.transport.label())],
            1,
        );
        let received_at = std::time::Instant::now();
        self.last_packet = Instant::now();
        let accounting = self.shared.accounting.is_some();
        let code = self.buffer.get(packet.start).copied();
        match admit_on_stream(self.client.clone(), &self.buffer[packet], accounting) {
            Ok(admitted) if admitted.packet.code() == Code::AccountingRequest => {
                if let Some(state) = &self.shared.accounting {
                    let arrival = Arrival {
                        index: self.listener,
                        at: received_at,
                        wall: std::time::SystemTime::now(),
                    };
                    on_accounting(&self.shared, state, &self.replies, admitted, arrival).await;
                }
                Ok(())
            }
            Ok(admitted) => {
                on_request(
                    &self.shared,
                    self.listener,
                    &self.replies,
                    admitted,
                    received_at,
                )
                .await;
                Ok(())
            }
            Err(refused) => {
                let reason = refused.reason;
                if reason == DropReason::UnexpectedCode
                    && code == Some(Code::AccountingRequest.as_u8())
                    && self.client.may_warn()
                {
                    tracing::warn!(
                        client = %self.client.config.name,
                        peer = %self.peer,
                        transport = self.transport.label(),
                        "an Accounting-Request came on a connection while accounting is off; it is dropped: set accounting.file to record it"
                    );
                }
                dropped(reason, self.peer, Some(&self.client));
                match closing_reason(reason) {
                    Some(close) => Err(close),
                    None => Ok(()),
                }
            }
        }
    }

    /// Counts and logs the close, answers what is in flight when the server
    /// is stopping, and shuts the connection.
    async fn close(self, reason: &'static str) {
        let transport = self.transport.label();
        counter!(m::CONNECTIONS_CLOSED, "transport" => transport, "reason" => reason).increment(1);
        let client = &self.client.config.name;
        match reason {
            "peer_closed" | "idle_timeout" | "server_stopping" | "read_error" => {
                tracing::debug!(%client, peer = %self.peer, transport, reason, "connection closed");
            }
            "client_removed" => tracing::info!(
                %client,
                peer = %self.peer,
                transport,
                "connection closed: its client is no longer in the config, or its certificate no longer matches it"
            ),
            _ => {
                if self.client.may_warn() {
                    tracing::warn!(%client, peer = %self.peer, transport, reason, "connection closed");
                }
            }
        }
        if reason == "server_stopping" {
            // The drain waits for these answers; each request has its deadline.
            while self.replies.in_flight() > 0 {
                self.replies.slot_freed().await;
            }
        }
        self.replies.order_close(reason);
        self.replies.shut().await;
    }
}

/// Whether a dropped packet closes its stream (RFC 6613): when its framing
/// or its authenticity failed, what follows it cannot be trusted either.
fn closing_reason(reason: DropReason) -> Option<&'static str> {
    match reason {
        DropReason::Malformed(_) => Some("malformed"),
        DropReason::MissingMessageAuthenticator
        | DropReason::BadMessageAuthenticator
        | DropReason::ProxyStateWithoutMessageAuthenticator => Some("bad_message_authenticator"),
        DropReason::BadRequestAuthenticator => Some("bad_request_authenticator"),
        _ => None,
    }
}

/// Completes once the server stops taking requests.
async fn stopped(closing: &mut watch::Receiver<bool>) {
    // An error means the server is gone: stopped as well.
    let _ = closing.wait_for(|stop| *stop).await;
}
