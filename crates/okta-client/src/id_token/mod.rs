//! Okta's ID tokens, checked before any login is accepted on their word,
//! and the signing keys they are checked with.
//!
//! - `rejection`: why a token is refused, one label per reason (metrics
//!   and the audit log);
//! - `identity`: who a token that passed every check names;
//! - `check`: the checks on one token: the algorithm allow-list (RS256
//!   only), the signature by a key of the authorization server, the exact
//!   issuer, the audience, expiry and issue time with a small clock skew,
//!   and the nonce when one was sent;
//! - `cache_control`: how long a fetched key set may be used;
//! - `keys`: the authorization server's key set as the client keeps it:
//!   fetched from `/keys`, kept for its `Cache-Control` max-age, refetched
//!   once when a token names a `kid` it does not hold (at most once every
//!   30 s, however many tokens do), and used past its max-age while `/keys`
//!   cannot be reached, up to a day. No key is ever compiled in.

mod cache_control;
mod check;
mod identity;
mod keys;
mod rejection;

pub(crate) use check::{Expected, check};
pub use identity::VerifiedIdentity;
pub(crate) use keys::{FetchedKeys, KeyCache, KeyFetchError};
pub use rejection::IdTokenRejection;
