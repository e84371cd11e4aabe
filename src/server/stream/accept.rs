//! Taking connections off a listening socket, for both stream transports:
//! an error of the moment (out of file descriptors, a connection reset
//! before it was taken) neither stops the listener nor spins it, and a
//! connection refused before it carries a request is counted by reason.

use crate::server::reply_sink::Transport;
use crate::telemetry::metrics as m;
use metrics::counter;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// How long the listener rests after running out of a resource.
const RESOURCE_PAUSE: Duration = Duration::from_millis(100);

/// The next connection, with `TCP_NODELAY` set: a reply is one small write
/// that must not wait for the next.
pub(in crate::server) async fn next(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let mut warned = false;
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                return (stream, peer);
            }
            Err(error) if is_resource(&error) => {
                if !warned {
                    tracing::warn!(%error, "cannot accept a connection: out of resources; raise LimitNOFILE or lower connections.max_connections");
                    warned = true;
                }
                tokio::time::sleep(RESOURCE_PAUSE).await;
            }
            // Reset or aborted before it was taken: the peer's business.
            Err(error) => tracing::debug!(%error, "a connection failed before it was accepted"),
        }
    }
}

/// Counts a connection refused before it carried a request.
pub(in crate::server) fn refused(transport: Transport, reason: &'static str, peer: SocketAddr) {
    counter!(m::CONNECTIONS_REFUSED, "transport" => transport.label(), "reason" => reason)
        .increment(1);
    tracing::debug!(%peer, transport = transport.label(), reason, "connection refused");
}

fn is_resource(error: &std::io::Error) -> bool {
    // EMFILE, ENFILE, ENOBUFS, ENOMEM.
    matches!(error.raw_os_error(), Some(24 | 23 | 105 | 12))
}
