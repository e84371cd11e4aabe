//! A stream connection's way back to its NAS, and the bounds on it.
//!
//! Requests on one connection are worked on in tasks of their own and
//! answered in whatever order they are decided (RFC 6613 allows it: the
//! Identifier matches a reply to its request). Each reply is written whole
//! under a lock, so two replies never interleave. The bounds:
//!
//! - at most [`MAX_IN_FLIGHT`] requests of one connection in flight, one
//!   per Identifier; the connection stops reading until a slot frees;
//! - reply bytes waiting for a peer that does not read stay below
//!   `connections.max_buffered_bytes`, and no write waits longer than
//!   [`WRITE_STALL`]; past either, the connection is ordered closed, so a
//!   peer that stops reading holds neither memory nor tasks for long.

use crate::server::reply_sink::{ReplySink, Transport};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{Mutex, Notify};

/// Requests of one connection in flight at once: one per Identifier
/// (RFC 6613 asks a client for no more).
pub(super) const MAX_IN_FLIGHT: usize = 256;

/// The longest one reply may wait to be written, lock included.
pub(super) const WRITE_STALL: Duration = Duration::from_secs(10);

/// The replies of one connection, shared by its request tasks.
pub(super) struct StreamReplies<W> {
    outbox: Arc<Outbox<W>>,
}

impl<W> Clone for StreamReplies<W> {
    fn clone(&self) -> Self {
        StreamReplies {
            outbox: self.outbox.clone(),
        }
    }
}

struct Outbox<W> {
    /// `None` once the connection is shut.
    writer: Mutex<Option<W>>,
    transport: Transport,
    peer: SocketAddr,
    in_flight: Arc<InFlight>,
    waiting_bytes: AtomicUsize,
    max_buffered: usize,
    /// [`WRITE_STALL`], shorter in tests.
    write_stall: Duration,
    close: CloseOrder,
}

/// Requests of a connection in flight, and a wake-up when one ends.
struct InFlight {
    count: AtomicUsize,
    freed: Notify,
}

/// A request's place among its connection's in-flight requests.
pub(in crate::server) struct InFlightSlot(Arc<InFlight>);

impl Drop for InFlightSlot {
    fn drop(&mut self) {
        self.0.count.fetch_sub(1, Ordering::AcqRel);
        self.0.freed.notify_one();
    }
}

/// Why the connection must close, said once by whoever noticed first.
struct CloseOrder {
    reason: OnceLock<&'static str>,
    given: Notify,
}

impl<W: AsyncWrite + Unpin + Send + 'static> StreamReplies<W> {
    pub(super) fn new(
        writer: W,
        transport: Transport,
        peer: SocketAddr,
        max_buffered: usize,
    ) -> StreamReplies<W> {
        StreamReplies::with_stall(writer, transport, peer, max_buffered, WRITE_STALL)
    }

    fn with_stall(
        writer: W,
        transport: Transport,
        peer: SocketAddr,
        max_buffered: usize,
        write_stall: Duration,
    ) -> StreamReplies<W> {
        StreamReplies {
            outbox: Arc::new(Outbox {
                writer: Mutex::new(Some(writer)),
                transport,
                peer,
                in_flight: Arc::new(InFlight {
                    count: AtomicUsize::new(0),
                    freed: Notify::new(),
                }),
                waiting_bytes: AtomicUsize::new(0),
                max_buffered,
                write_stall,
                close: CloseOrder {
                    reason: OnceLock::new(),
                    given: Notify::new(),
                },
            }),
        }
    }

    /// Requests of this connection in flight now.
    pub(super) fn in_flight(&self) -> usize {
        self.outbox.in_flight.count.load(Ordering::Acquire)
    }

    /// Completes when a request of this connection ends.
    pub(super) async fn slot_freed(&self) {
        self.outbox.in_flight.freed.notified().await;
    }

    /// Orders the connection closed; the first reason given is kept.
    pub(super) fn order_close(&self, reason: &'static str) {
        if self.outbox.close.reason.set(reason).is_ok() {
            self.outbox.close.given.notify_one();
        }
    }

    /// Completes with the reason once the connection is ordered closed.
    pub(super) async fn close_ordered(&self) -> &'static str {
        loop {
            if let Some(reason) = self.outbox.close.reason.get() {
                return reason;
            }
            self.outbox.close.given.notified().await;
        }
    }

    /// Ends the way back: waits (at most [`WRITE_STALL`]) for a reply being
    /// written, then closes the write side (TLS close_notify, TCP FIN).
    /// Replies decided later are not sent.
    pub(super) async fn shut(&self) {
        let shut = async {
            let mut writer = self.outbox.writer.lock().await;
            if let Some(mut writer) = writer.take() {
                let _ = writer.shutdown().await;
            }
        };
        let _ = tokio::time::timeout(self.outbox.write_stall, shut).await;
    }

    async fn write(&self, reply: &[u8]) -> std::io::Result<()> {
        let mut writer = self.outbox.writer.lock().await;
        let Some(writer) = writer.as_mut() else {
            return Err(std::io::ErrorKind::NotConnected.into());
        };
        writer.write_all(reply).await?;
        writer.flush().await
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> ReplySink for StreamReplies<W> {
    type Slot = InFlightSlot;

    fn transport(&self) -> Transport {
        self.outbox.transport
    }

    fn peer(&self) -> SocketAddr {
        self.outbox.peer
    }

    fn slot(&self) -> InFlightSlot {
        self.outbox.in_flight.count.fetch_add(1, Ordering::AcqRel);
        InFlightSlot(self.outbox.in_flight.clone())
    }

    async fn send(&self, reply: &[u8]) -> bool {
        if self.outbox.close.reason.get().is_some() {
            return false;
        }
        let waiting = self
            .outbox
            .waiting_bytes
            .fetch_add(reply.len(), Ordering::AcqRel)
            .saturating_add(reply.len());
        let sent = if waiting > self.outbox.max_buffered {
            self.order_close("buffer_full");
            false
        } else {
            match tokio::time::timeout(self.outbox.write_stall, self.write(reply)).await {
                Ok(Ok(())) => true,
                Ok(Err(error)) => {
                    tracing::debug!(peer = %self.outbox.peer, %error, "cannot send a reply");
                    self.order_close("write_failed");
                    false
                }
                Err(_) => {
                    self.order_close("write_stalled");
                    false
                }
            }
        };
        self.outbox
            .waiting_bytes
            .fetch_sub(reply.len(), Ordering::AcqRel);
        sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn peer() -> SocketAddr {
        ([127, 0, 0, 1], 40_000).into()
    }

    #[tokio::test]
    async fn replies_are_written_whole_and_slots_are_counted() {
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let replies = StreamReplies::new(ours, Transport::Tcp, peer(), 1 << 16);
        let slot = replies.slot();
        assert_eq!(replies.in_flight(), 1);
        assert!(replies.send(&[2, 1, 0, 20]).await);
        drop(slot);
        assert_eq!(replies.in_flight(), 0);
        let mut read = [0u8; 4];
        theirs.read_exact(&mut read).await.unwrap_or_default();
        assert_eq!(read, [2, 1, 0, 20]);
    }

    #[tokio::test]
    async fn a_peer_that_does_not_read_gets_its_connection_closed() {
        // A pipe that holds 64 bytes: the peer never reads.
        let (ours, _theirs) = tokio::io::duplex(64);
        let stall = Duration::from_millis(50);
        let replies = StreamReplies::with_stall(ours, Transport::Tls, peer(), 16 * 1024, stall);
        let sent = replies.send(&[0u8; 4096]).await;
        assert!(!sent);
        assert_eq!(replies.close_ordered().await, "write_stalled");
        // Nothing more is written once the order is given.
        assert!(!replies.send(&[0u8; 20]).await);
    }

    #[tokio::test]
    async fn replies_past_the_byte_budget_close_the_connection() {
        let (ours, _theirs) = tokio::io::duplex(64);
        let stall = Duration::from_millis(200);
        let replies = StreamReplies::with_stall(ours, Transport::Tls, peer(), 6000, stall);
        let first = tokio::spawn({
            let replies = replies.clone();
            async move { replies.send(&[0u8; 4096]).await }
        });
        tokio::task::yield_now().await;
        assert!(!replies.send(&[0u8; 4096]).await);
        assert_eq!(replies.close_ordered().await, "buffer_full");
        let _ = first.await;
    }
}
