//! RADIUS/TLS (RFC 6614): the files it needs ([`credentials`]), the
//! handshake's decision on which client a connection is ([`verifier`],
//! [`identity`]), and the listener ([`listener`]). Once a connection's
//! client is known it is served like any stream, by `super::stream`.

pub(super) mod credentials;
mod identity;
pub(super) mod listener;
mod verifier;
