//! Accounting (RFC 2866): the record each Accounting-Request becomes
//! ([`record`]), the file that stores it before the NAS is answered
//! ([`journal`]), the table of sessions built from the records
//! ([`sessions`]) and its rebuilding from the file at start ([`rebuild`]);
//! [`state`] holds them together for the running server.
//! The accounting port itself is a transport of `crate::server`.

pub mod journal;
pub mod rebuild;
pub mod record;
pub mod sessions;
pub mod state;

pub use journal::{Journal, NotStored};
pub use sessions::{LocalSessions, Session, SessionStore, SessionUpdate};
pub use state::Accounting;
