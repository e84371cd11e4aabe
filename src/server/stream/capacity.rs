//! How many stream connections may be open: in all, counted from the moment
//! a connection is accepted (so handshakes in progress count, and a flood of
//! connections that never finish one cannot take more than the limit), and
//! per client once the connection knows its client. The per-client count is
//! kept by name, since a reload rebuilds the client objects while their
//! connections stay open.

use crate::server::reply_sink::Transport;
use crate::telemetry::metrics as m;
use metrics::gauge;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The connection limits of a running server, shared by every stream listener.
pub(in crate::server) struct ConnectionCapacity {
    total: Arc<Semaphore>,
    max_per_client: usize,
    per_client: Mutex<HashMap<String, usize>>,
}

/// A place among the connections open in all; held until the connection closes.
pub(in crate::server) struct Place {
    _permit: OwnedSemaphorePermit,
}

/// A connection counted against its client; released when dropped.
pub(in crate::server) struct ClientPlace {
    capacity: Arc<ConnectionCapacity>,
    client: String,
    transport: Transport,
}

impl ConnectionCapacity {
    pub(in crate::server) fn new(
        max_connections: usize,
        max_per_client: usize,
    ) -> ConnectionCapacity {
        ConnectionCapacity {
            total: Arc::new(Semaphore::new(max_connections)),
            max_per_client,
            per_client: Mutex::new(HashMap::new()),
        }
    }

    /// A place for a connection just accepted, or `None` at the limit.
    pub(in crate::server) fn try_open(&self) -> Option<Place> {
        let permit = self.total.clone().try_acquire_owned().ok()?;
        Some(Place { _permit: permit })
    }

    /// Counts an established connection against `client`, or `None` when
    /// the client already holds its share.
    pub(in crate::server) fn try_claim(
        self: &Arc<Self>,
        client: &str,
        transport: Transport,
    ) -> Option<ClientPlace> {
        let mut counts = self.per_client.lock().ok()?;
        let count = counts.entry(client.to_owned()).or_insert(0);
        if *count >= self.max_per_client {
            return None;
        }
        *count += 1;
        gauge!(m::CONNECTIONS_OPEN, "transport" => transport.label()).increment(1.0);
        Some(ClientPlace {
            capacity: self.clone(),
            client: client.to_owned(),
            transport,
        })
    }

    /// Connections open now, for a client (tests).
    #[cfg(test)]
    fn held_by(&self, client: &str) -> usize {
        self.per_client
            .lock()
            .map(|counts| counts.get(client).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

impl Drop for ClientPlace {
    fn drop(&mut self) {
        gauge!(m::CONNECTIONS_OPEN, "transport" => self.transport.label()).decrement(1.0);
        let Ok(mut counts) = self.capacity.per_client.lock() else {
            return;
        };
        if let Some(count) = counts.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_counts_every_accepted_connection() {
        let capacity = ConnectionCapacity::new(2, 10);
        let first = capacity.try_open();
        let second = capacity.try_open();
        assert!(first.is_some() && second.is_some());
        assert!(capacity.try_open().is_none());
        drop(first);
        assert!(capacity.try_open().is_some());
    }

    #[test]
    fn a_client_holds_at_most_its_share() {
        let capacity = Arc::new(ConnectionCapacity::new(10, 2));
        let a = capacity.try_claim("nas", Transport::Tls);
        let b = capacity.try_claim("nas", Transport::Tls);
        assert!(a.is_some() && b.is_some());
        assert!(capacity.try_claim("nas", Transport::Tls).is_none());
        assert!(capacity.try_claim("other", Transport::Tcp).is_some());
        drop(a);
        assert_eq!(capacity.held_by("nas"), 1);
        assert!(capacity.try_claim("nas", Transport::Tls).is_some());
    }
}
