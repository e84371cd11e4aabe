//! Ending VPN sessions when Okta says so (RFC 5176): the System Log is
//! followed from a cursor kept on disk ([`cursor`]), each event about a
//! user is matched against the session table accounting keeps
//! ([`follow`]), and each matching session gets a Disconnect-Request
//! ([`request`]) sent with retries to its NAS ([`sender`]). Okta can push
//! the same events to an HTTPS endpoint ([`hook`]).

pub mod cursor;
pub mod follow;
pub mod hook;
pub mod request;
pub mod sender;

pub use follow::{Follower, start};
