//! What a step of the conversation works with: the [`Request`] it decides,
//! and the read-only [`Context`] it may consult (the Okta client and the
//! tables that outlive one request: pushes, failed passwords, who each
//! login is).

use super::identity::Identities;
use super::push::Pushes;
use super::state_keys::StateKeys;
use super::throttle::FailureThrottle;
use crate::cluster::Cluster;
use crate::config::{ClientConfig, OktaApi};
use crate::live::Live;
use okta_client::OktaClient;
use radius_proto::packet::Packet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::time::Instant;

/// One Access-Request as the conversation sees it.
pub(super) struct Request<'a> {
    pub(super) client: &'a ClientConfig,
    pub(super) packet: &'a Packet,
    /// User-Name as typed at the NAS (what States are bound to).
    pub(super) user_name: &'a str,
    /// The Okta login it maps to.
    pub(super) login: String,
    pub(super) forwarded_for: Option<IpAddr>,
    /// When the request arrived.
    pub(super) arrived: Instant,
    /// When an ordinary answer is due (arrival + the client's deadline).
    pub(super) deadline: Instant,
    /// The login's id in the audit log: new for a first round, taken from
    /// the State when the request answers a challenge.
    pub(super) login_id: AtomicU32,
}

impl Request<'_> {
    pub(super) fn login_id(&self) -> u32 {
        self.login_id.load(Ordering::Relaxed)
    }

    /// Continues the login a State was sealed for (0: a State from before
    /// login ids were carried keeps the new id).
    pub(super) fn continue_login(&self, login_id: u32) {
        if login_id != 0 {
            self.login_id.store(login_id, Ordering::Relaxed);
        }
    }
}

/// What every step may consult.
pub(super) struct Context {
    pub(super) okta: OktaClient,
    /// The pushes in flight and the push-fatigue ledger.
    pub(super) pushes: Pushes,
    /// Failed-password counts, consulted before Okta is asked.
    pub(super) throttle: FailureThrottle,
    /// Who each login is, for the per-user limits.
    pub(super) identities: Identities,
    /// Which Okta API checks passwords and second factors (bound at start).
    pub(super) api: OktaApi,
    /// The fleet sharing the pending pushes, if any.
    pub(super) cluster: Cluster,
    /// The `[state]` keys (the driver's States share them): a push pending
    /// in a fleet is shared sealed with them.
    pub(super) state_keys: Arc<Live<StateKeys>>,
}
