//! The RADIUS server: the transports ([`udp`]; RADIUS/TLS in [`tls`] and
//! RADIUS/TCP in [`tcp`], which share [`stream`]), bound together in
//! [`listeners`]; then for each packet the admission checks ([`admission`]:
//! client, framing, code, Message-Authenticator) and the request
//! [`pipeline`] (Status-Server, the duplicate cache, the in-flight
//! [`limits`], the conversation, the reply through the transport's
//! [`reply_sink`]). The accounting port ([`accounting`]) stores each
//! record before it answers. [`control`] reloads, drains and stops a running server.

mod accounting;
mod admission;
mod clients;
mod control;
mod duplicates;
mod fleet_duplicates;
mod limits;
mod listeners;
mod peer_address;
mod pipeline;
mod reply;
mod reply_sink;
mod shared;
mod socket;
mod status_server;
mod stop;
mod stream;
mod tcp;
mod tls;
mod udp;

pub use control::ServerHandle;
pub use listeners::Server;
pub use tls::credentials::{TlsMaterial, load as load_tls};
