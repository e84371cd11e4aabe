//! The RADIUS protocol as pure functions on bytes: packets, attributes, the
//! cryptography of authenticators, User-Password and Message-Authenticator, and
//! the run-time dictionaries that give attributes their names and types; EAP
//! as RADIUS carries it, the framing of the TLS-based EAP methods, the AVPs
//! inside EAP-TTLS, and the MPPE keys an EAP login hands the access point.
//!
//! Nothing in here opens a socket or knows about Okta.

pub mod attribute;
pub mod crypto;
pub mod describe;
pub mod diameter_avp;
pub mod dictionary;
pub mod eap;
pub mod eap_tls;
mod keyed_hmac;
pub mod mppe;
pub mod packet;
mod reader;
pub mod value;
