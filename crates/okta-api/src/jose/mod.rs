//! The JOSE pieces both sides of Okta's OAuth share: public keys as JWKs
//! with their thumbprints, compact JWS signed and checked with ES256 (the
//! bridge's own assertions and proofs), and RS256 with the key sets Okta
//! publishes at `/keys` (Okta's ID tokens).

pub mod jwk;
pub mod jwks;
pub mod jws;
pub mod rs256;
