//! The RADIUS server: the UDP transport ([`udp`]), then for each datagram
//! the admission checks ([`admission`]: client, framing, code,
//! Message-Authenticator) and the request [`pipeline`] (Status-Server, the
//! duplicate cache, the in-flight [`limits`], the conversation, the reply).
//! [`control`] reloads, drains and stops a running server.

mod admission;
mod clients;
mod control;
mod duplicates;
mod limits;
mod pipeline;
mod reply;
mod shared;
mod socket;
mod status_server;
mod stop;
mod udp;

pub use control::ServerHandle;
pub use udp::Server;
