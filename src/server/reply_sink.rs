//! Where the reply to a request goes, whatever carried the request: a
//! datagram back to the NAS's address and port, or a packet on the NAS's
//! RADIUS/TLS or RADIUS/TCP connection. The pipeline is written once against
//! [`ReplySink`]; each transport brings its own, so UDP pays nothing for the
//! streams (the sink is an `Arc` and an address, as before).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::UdpSocket;

/// What carried a request: the `transport` label of metrics and audit lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tls,
    Tcp,
}

impl Transport {
    pub fn label(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tls => "tls",
            Transport::Tcp => "tcp",
        }
    }
}

/// A transport's way back to the NAS.
pub(super) trait ReplySink: Clone + Send + Sync + 'static {
    /// What a request handed to a task of its own holds until it is
    /// answered: a stream connection's in-flight slot, nothing for UDP.
    type Slot: Send + 'static;

    fn transport(&self) -> Transport;

    /// The NAS's address and port (the duplicate cache's key).
    fn peer(&self) -> SocketAddr;

    /// Takes a slot for a request that is about to get its own task.
    fn slot(&self) -> Self::Slot;

    /// Sends one reply; false when it could not be sent.
    fn send(&self, reply: &[u8]) -> impl Future<Output = bool> + Send;
}

/// Replies by datagram, from the socket the request came in on.
#[derive(Clone)]
pub(super) struct DatagramReplies {
    socket: Arc<UdpSocket>,
    peer: SocketAddr,
}

impl DatagramReplies {
    pub(super) fn new(socket: Arc<UdpSocket>, peer: SocketAddr) -> DatagramReplies {
        DatagramReplies { socket, peer }
    }
}

impl ReplySink for DatagramReplies {
    type Slot = ();

    fn transport(&self) -> Transport {
        Transport::Udp
    }

    fn peer(&self) -> SocketAddr {
        self.peer
    }

    fn slot(&self) {}

    async fn send(&self, reply: &[u8]) -> bool {
        // Polled directly: `send_to`'s future resolves an address first and
        // is about 500 bytes, which every request's task would carry while
        // it waits for Okta.
        let sent = std::future::poll_fn(|cx| self.socket.poll_send_to(cx, reply, self.peer)).await;
        match sent {
            Ok(_) => true,
            Err(error) => {
                tracing::debug!(destination = %self.peer, %error, "cannot send a reply");
                false
            }
        }
    }
}
