//! Controlling a running server from outside the request path: replacing the
//! client table on a config reload, admitting a request under the in-flight
//! limits (with a slice kept for logins already under way), draining the
//! requests in flight before the process exits, and ending them at once when
//! the operator will not wait for the drain.
//!
//! A request learns of that forced stop through a watch channel it selects
//! on beside its Okta work ([`StopNow`]): nothing is checked or locked on the
//! normal path, and the request then answers as for an Okta outage.
//!
//! Under overload RFC 5080 §2.2.3 asks a server to finish what it started
//! before taking new work: a request carrying a State answers an
//! Access-Challenge this server sent, so a share of the capacity
//! (`abuse.challenge_reserve_percent`) is kept for those; new logins are
//! shed first.

use super::clients::{Client, ClientTable};
use super::{PENDING_MARGIN, Shared};
use crate::config::Config;
use radius_proto::attribute::types;
use radius_proto::packet::Packet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, watch};

/// The order to end the requests in flight now, and how many it ended.
pub(super) struct StopNow {
    order: watch::Sender<bool>,
    ended: AtomicUsize,
}

impl StopNow {
    pub(super) fn new() -> StopNow {
        StopNow {
            order: watch::Sender::new(false),
            ended: AtomicUsize::new(0),
        }
    }

    /// Completes once the order is given (never, until then).
    pub(super) async fn given(&self) {
        let mut order = self.order.subscribe();
        if order.wait_for(|now| *now).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Counts a request the order ended before it had its answer.
    pub(super) fn note_ended(&self) {
        self.ended.fetch_add(1, Ordering::Relaxed);
    }
}

/// How many of `capacity` permits are kept for State-bearing requests.
pub fn reserve(capacity: usize, percent: u8) -> usize {
    let reserved = capacity.saturating_mul(usize::from(percent)) / 100;
    // A new login must always be possible when nothing else runs.
    reserved.min(capacity.saturating_sub(1))
}

/// Takes the global and the client's in-flight permits for `packet`, or
/// `None` when the request must be shed.
pub(super) fn admit_in_flight(
    shared: &Shared,
    client: &Client,
    packet: &Packet,
) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
    if !packet.has(types::STATE) {
        let client_reserve = reserve(
            client.config.max_in_flight,
            shared.challenge_reserve_percent,
        );
        if shared.in_flight.available_permits() <= shared.challenge_reserve
            || client.in_flight.available_permits() <= client_reserve
        {
            return None;
        }
    }
    let global = shared.in_flight.clone().try_acquire_owned().ok()?;
    let local = client.in_flight.clone().try_acquire_owned().ok()?;
    Some((global, local))
}

/// A handle on a running server for reloads and shutdown.
#[derive(Clone)]
pub struct ServerHandle {
    shared: Arc<Shared>,
}

impl super::Server {
    /// A handle that outlives [`super::Server::run`]'s future.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            shared: self.shared.clone(),
        }
    }
}

impl ServerHandle {
    /// Replaces the client table (addresses, secrets, per-client options,
    /// MFA settings, policies named by clients). Requests in flight finish
    /// with the client they started with.
    pub fn replace_clients(&self, config: &Config) {
        self.shared.clients.set(ClientTable::new(
            &config.clients,
            config.server.status_server_per_second,
        ));
    }

    /// The conversation, to replace its rules on a reload.
    pub fn authenticator(&self) -> &crate::auth::Authenticator {
        &self.shared.authenticator
    }

    /// Requests being worked on now.
    pub fn in_flight(&self) -> usize {
        self.shared.max_in_flight - self.shared.in_flight.available_permits()
    }

    /// The longest any request in flight may still take.
    pub fn longest_answer(&self) -> Duration {
        let clients = self.shared.clients.get();
        clients
            .longest_answer()
            .saturating_add(self.shared.reject_delay)
            .saturating_add(PENDING_MARGIN)
    }

    /// Ends every request in flight now: each answers as for an Okta outage,
    /// as its client's `on_okta_failure` says, without the reject delay.
    /// Call [`ServerHandle::drain`] then to wait for those answers.
    pub fn stop_now(&self) {
        self.shared.stop_now.order.send_replace(true);
    }

    /// Requests ended by [`ServerHandle::stop_now`] before they had an answer.
    pub fn ended_by_stop(&self) -> usize {
        self.shared.stop_now.ended.load(Ordering::Relaxed)
    }

    /// Waits until no request is in flight, or `limit` passed. Returns
    /// whether everything finished.
    pub async fn drain(&self, limit: Duration) -> bool {
        let all = u32::try_from(self.shared.max_in_flight).unwrap_or(u32::MAX);
        matches!(
            tokio::time::timeout(limit, self.shared.in_flight.acquire_many(all)).await,
            Ok(Ok(_))
        )
    }
}
