//! The bridge's Okta client: one pooled HTTP client per org that makes
//! every call the login conversation needs, through one exchange that
//! applies the rate-limit budget, the credentials (API token, or an OAuth
//! service app with DPoP) and the deadline of the request it serves. It also
//! keeps the API token alive and checks the org before going live.
//!
//! [`OktaClient`] hands out one type per Okta API: [`OktaClient::authn`]
//! for the Authentication API (primary authentication, then the
//! transaction's factor steps), [`OktaClient::direct`] for Identity
//! Engine's Direct Authentication (whose ID tokens it checks against the
//! authorization server's rotating keys, `id_token`), [`OktaClient::users`]
//! for the management calls (users, groups, factors).
//!
//! It speaks Okta's vocabulary ([`okta_api`]) and nothing else: it knows no
//! RADIUS, no config file and no login conversation.
//!
//! Inside, dependencies run one way: the API types (`authn`, `users`) and
//! the client describe each call as a request; the exchange sends it, using
//! the budget, the credential state and the OAuth token source, and knows
//! nothing of the APIs above it.

mod authn;
pub mod budget;
mod call;
mod client;
mod credential;
mod direct;
pub mod error;
mod exchange;
mod id_token;
pub mod keepalive;
pub mod metrics;
pub mod oauth;
mod org;
pub mod preflight;
mod settings;
mod system_log;
mod users;
pub mod waiting;

pub use authn::{Authn, AuthnOptions, FactorVerify, PrimaryAuthn};
pub use client::OktaClient;
pub use direct::{
    ChallengeOutcome, ClientAuth, Direct, DirectSettings, DirectUser, Grant, Refusal,
};
pub use exchange::OktaReply;
pub use id_token::{IdTokenRejection, VerifiedIdentity};
pub use settings::{OktaSettings, USER_AGENT};
pub use system_log::{LogCursor, LogPage, PAGE_LIMIT, SystemLog};
pub use users::{UserFactorVerify, Users};
