//! The RADIUS protocol as pure functions on bytes: packets, attributes, the
//! cryptography of authenticators, User-Password and Message-Authenticator, and
//! the run-time dictionaries that give attributes their names and types.
//!
//! Nothing in here opens a socket or knows about Okta.

pub mod attribute;
pub mod crypto;
pub mod describe;
pub mod dictionary;
pub mod packet;
mod reader;
pub mod value;
