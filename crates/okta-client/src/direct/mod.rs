//! Okta Identity Engine's Direct Authentication: a password, then a second
//! factor, on an OIDC app's token endpoint, under that app's
//! authentication policy. Each answer is a [`Grant`]: tokens (whose ID
//! token has passed every check before anyone sees it), or what Okta asks
//! for next.
//!
//! - `settings`: the app as the product configures it ([`DirectSettings`]);
//! - `client_auth`: how each call authenticates the app (`private_key_jwt`
//!   with the same keys and rollover as the service app, or a client
//!   secret);
//! - `app`: the app as the client holds it: its endpoints, issuer, client
//!   authentication and the authorization server's key set;
//! - `grant`: what an answer means;
//! - `calls`: the calls themselves ([`Direct`]).

mod app;
mod calls;
mod client_auth;
mod grant;
mod settings;

pub(crate) use app::DirectApp;
pub use calls::{Direct, DirectUser};
pub use grant::{ChallengeOutcome, Grant, Refusal};
pub use settings::{ClientAuth, DirectSettings};
