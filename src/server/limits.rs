//! The in-flight limits a request must fit under before it is worked on:
//! the server's and its client's, with a slice kept for logins already
//! under way.
//!
//! Under overload RFC 5080 §2.2.3 asks a server to finish what it started
//! before taking new work: a request carrying a State answers an
//! Access-Challenge this server sent, so a share of the capacity
//! (`abuse.challenge_reserve_percent`) is kept for those; new logins are
//! shed first.

use super::clients::Client;
use super::shared::Shared;
use radius_proto::attribute::types;
use radius_proto::packet::Packet;
use tokio::sync::OwnedSemaphorePermit;

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
