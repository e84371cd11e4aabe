//! The JOSE pieces both sides of Okta's OAuth share: public keys as JWKs
//! with their thumbprints, and compact JWS signed and checked with ES256.

pub mod jwk;
pub mod jws;
