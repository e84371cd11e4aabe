//! The UDP transport: binding the listen addresses (one socket per core on
//! each, see [`super::socket`]) and the receive loop that hands each
//! datagram to the request pipeline.

use super::admission::admit;
use super::pipeline::{dropped, on_request};
use super::reply_sink::DatagramReplies;
use super::shared::Shared;
use super::socket;
use crate::telemetry::metrics as m;
use crate::telemetry::series;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::UdpSocket;

/// The size of the receive buffer: the largest packet RFC 2865 allows.
const RECEIVE_BUFFER: usize = 4096;

/// Binds every address, each socket with the index of its address counted
/// from `first_index` (the duplicate cache's listener: the sockets of one
/// address share it). Every
/// address is probed before any is bound: a server must not start beside
/// another one that holds its address.
pub(super) fn bind(
    addrs: &[SocketAddr],
    first_index: usize,
) -> std::io::Result<Vec<(u16, Arc<UdpSocket>)>> {
    let cannot_listen = |addr: &SocketAddr, e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}"))
    };
    let mut resolved = Vec::with_capacity(addrs.len());
    for addr in addrs {
        resolved.push(socket::probe(*addr).map_err(|e| cannot_listen(addr, e))?);
    }
    let mut sockets = Vec::new();
    let per_address = std::thread::available_parallelism().map_or(1, usize::from);
    for (index, addr) in resolved.iter().enumerate() {
        let group = socket::bind_group(*addr, per_address).map_err(|e| cannot_listen(addr, e))?;
        let index = u16::try_from(first_index + index).unwrap_or(u16::MAX);
        sockets.extend(group.into_iter().map(|socket| (index, Arc::new(socket))));
    }
    Ok(sockets)
}

/// The receive loop of one socket.
pub(super) async fn listen(
    shared: Arc<Shared>,
    index: u16,
    socket: Arc<UdpSocket>,
) -> std::io::Result<()> {
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    loop {
        let (len, source) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            // ICMP errors from earlier sends surface here on some systems;
            // they concern another peer and must not stop the listener.
            Err(error) if is_transient(&error) => continue,
            Err(error) => return Err(error),
        };
        series::count(m::PACKETS_RECEIVED, &[("transport", "udp")], 1);
        let received_at = Instant::now();
        match admit(&shared.clients.get(), &buffer[..len], source) {
            Ok(admitted) => {
                let sink = DatagramReplies::new(socket.clone(), source);
                on_request(&shared, index, &sink, admitted, received_at).await
            }
            Err(refused) => dropped(refused.reason, source, refused.client.as_deref()),
        }
    }
}

/// Receive errors that concern one earlier peer, not the socket.
pub(super) fn is_transient(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::Interrupted
            | std::io::ErrorKind::WouldBlock
    )
}
