//! Opening the RADIUS listening sockets: a receive buffer large enough for a
//! burst of requests (a VPN concentrator failing over sends thousands at
//! once, and the kernel silently drops what does not fit), and, with
//! several workers, one socket per worker on the same address with
//! `SO_REUSEPORT`, so receiving is not serialised on one socket.
//!
//! The kernel spreads datagrams over such sockets by source address and
//! port, so a NAS's retransmits keep reaching the same socket and the
//! duplicate cache (keyed by listener) still sees them.

use std::net::SocketAddr;
use tokio::net::UdpSocket;

/// The receive buffer asked for each socket. Linux caps it at twice
/// `net.core.rmem_max`; a smaller buffer is not an error.
pub const RECEIVE_BUFFER_BYTES: usize = 8 << 20;

/// Binds `count` sockets on `addr` (port 0 is resolved once, by the first).
pub fn bind_group(addr: SocketAddr, count: usize) -> std::io::Result<Vec<UdpSocket>> {
    let count = count.max(1);
    let first = bind_one(addr, count > 1)?;
    let resolved = first.local_addr()?;
    let mut sockets = vec![first];
    for _ in 1..count {
        sockets.push(bind_one(resolved, true)?);
    }
    Ok(sockets)
}

fn bind_one(addr: SocketAddr, reuse_port: bool) -> std::io::Result<UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    #[cfg(unix)]
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER_BYTES);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_group_shares_one_resolved_port() {
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let sockets = bind_group(addr, 3).unwrap_or_default();
        assert_eq!(sockets.len(), 3);
        let ports: Vec<u16> = sockets
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .map(|a| a.port())
            .collect();
        assert_eq!(ports.len(), 3);
        assert!(ports.iter().all(|p| *p == ports[0] && *p != 0));
    }
}
