//! What RADIUS/TLS and RADIUS/TCP share once a connection is accepted:
//! taking connections ([`accept`]), their limits ([`capacity`]), cutting
//! packets out of the byte stream ([`framing`]), the connection's loop
//! ([`connection`]) and its way back ([`replies`]). The TLS handshake and
//! the TCP address check live beside UDP, in `tls` and `tcp`.

pub(super) mod accept;
pub(super) mod capacity;
pub(super) mod connection;
mod framing;
mod replies;
