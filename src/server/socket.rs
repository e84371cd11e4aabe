//! Opening the RADIUS listening sockets: a receive buffer large enough for a
//! burst of requests (a VPN concentrator failing over sends thousands at
//! once, and the kernel silently drops what does not fit), and, with
//! several workers, one socket per worker on the same address with
//! `SO_REUSEPORT`, so receiving is not serialised on one socket.
//!
//! The kernel spreads datagrams over such sockets by source address and
//! port, so a NAS's retransmits keep reaching the same socket and the
//! duplicate cache (keyed by listener) still sees them.
//!
//! `SO_REUSEPORT` would also let a second process bind beside the first and
//! take a share of the NAS's packets. So before any group is bound, each
//! address is bound once without it ([`probe`]): that fails when anyone
//! already holds the address, and the server refuses to start. The probes
//! run one at a time before anything of ours is bound, so an IPv6 wildcard
//! probe (dual-stack, like the group it stands for) cannot collide with our
//! own IPv4 group on the same port.

use std::net::SocketAddr;
use tokio::net::UdpSocket;

/// The receive buffer asked for each socket. Linux caps it at twice
/// `net.core.rmem_max`; a smaller buffer is not an error.
pub const RECEIVE_BUFFER_BYTES: usize = 8 << 20;

/// Checks that no other socket holds `addr`, by binding it without
/// `SO_REUSEPORT` (which fails with `AddrInUse` whoever holds it, with or
/// without that option), and returns it with a port of 0 resolved. The
/// probe is closed before this returns.
pub fn probe(addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let socket = new_socket(addr)?;
    socket.bind(&addr.into()).map_err(|error| {
        if error.kind() == std::io::ErrorKind::AddrInUse {
            std::io::Error::new(
                error.kind(),
                "another process already listens there (a second okta-radius, or another RADIUS server): stop it, or choose another address in server.listen",
            )
        } else {
            error
        }
    })?;
    socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| std::io::Error::other("the probe socket has no IP address"))
}

/// Binds `count` sockets on `addr`, a [`probe`]d address with its port
/// resolved. Every one sets `SO_REUSEPORT`, so that an IPv4 and an IPv6
/// wildcard on one port can both be bound, whatever the count.
pub fn bind_group(addr: SocketAddr, count: usize) -> std::io::Result<Vec<UdpSocket>> {
    let count = count.max(1);
    let first = bind_one(addr)?;
    let resolved = first.local_addr()?;
    let mut sockets = vec![first];
    for _ in 1..count {
        sockets.push(bind_one(resolved)?);
    }
    Ok(sockets)
}

fn new_socket(addr: SocketAddr) -> std::io::Result<socket2::Socket> {
    socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
}

fn bind_one(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = new_socket(addr)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    let _ = socket.set_recv_buffer_size(RECEIVE_BUFFER_BYTES);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_probe_finds_an_address_in_use() {
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let resolved = probe(addr).unwrap_or(addr);
        assert_ne!(resolved.port(), 0, "port 0 is resolved");
        let group = bind_group(resolved, 2).unwrap_or_default();
        assert_eq!(group.len(), 2, "the probe is closed before the group binds");
        let held = probe(resolved).err().map(|e| e.kind());
        assert_eq!(held, Some(std::io::ErrorKind::AddrInUse));
    }

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
