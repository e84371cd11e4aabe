//! The client table: which NAS a datagram comes from, by source address, and
//! the run-time state kept per client (its in-flight budget, its
//! Status-Server allowance and the probes it answered lately, when it was
//! last warned about).
//!
//! A datagram from an address no client covers is dropped before any byte of
//! it is parsed (RFC 2865 §2).

use super::status_server::{Admission, StatusServerGate};
use crate::config::ClientConfig;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// One configured client and its run-time state.
pub struct Client {
    pub config: Arc<ClientConfig>,
    /// Permits for requests in flight from this client.
    pub in_flight: Arc<Semaphore>,
    status_server: StatusServerGate,
    warned_at: Mutex<Option<Instant>>,
}

impl Client {
    fn new(config: Arc<ClientConfig>, status_server_per_second: u32) -> Client {
        Client {
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            config,
            status_server: StatusServerGate::new(status_server_per_second),
            warned_at: Mutex::new(None),
        }
    }

    /// Whether a Status-Server from this client with this Identifier and
    /// Request Authenticator is answered now: not when it is a replay of
    /// one answered lately, nor past the client's budget.
    pub fn admit_status_server(&self, identifier: u8, authenticator: &[u8; 16]) -> Admission {
        self.status_server
            .admit(identifier, authenticator, Instant::now())
    }

    /// Whether a warning about this client may be logged now: at most one a
    /// minute, so that a misconfigured NAS cannot flood the log.
    pub fn may_warn(&self) -> bool {
        let Ok(mut warned_at) = self.warned_at.lock() else {
            return false;
        };
        let now = Instant::now();
        match *warned_at {
            Some(at) if now.duration_since(at) < Duration::from_secs(60) => false,
            _ => {
                *warned_at = Some(now);
                true
            }
        }
    }
}

/// All clients, searched most specific network first.
pub struct ClientTable {
    clients: Vec<Arc<Client>>,
}

impl ClientTable {
    pub fn new(configs: &[Arc<ClientConfig>], status_server_per_second: u32) -> ClientTable {
        let mut clients: Vec<Arc<Client>> = configs
            .iter()
            .map(|config| Arc::new(Client::new(config.clone(), status_server_per_second)))
            .collect();
        // Longest prefix first, so a host entry wins over the subnet around it.
        clients.sort_by_key(|client| std::cmp::Reverse(client.config.network.prefix_len()));
        ClientTable { clients }
    }

    /// The longest any client's request may take to answer.
    pub fn longest_answer(&self) -> std::time::Duration {
        self.clients
            .iter()
            .map(|client| client.config.longest_answer())
            .max()
            .unwrap_or_default()
    }

    /// The client whose network holds `source`, most specific first.
    pub fn lookup(&self, source: IpAddr) -> Option<&Arc<Client>> {
        let source = match source {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(source),
            v4 => v4,
        };
        self.clients
            .iter()
            .find(|client| client.config.network.contains(&source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OnOktaFailure;
    use secrecy::SecretString;

    fn client(name: &str, network: &str) -> Arc<ClientConfig> {
        Arc::new(ClientConfig {
            name: name.to_owned(),
            network: network.parse().expect("network"),
            secret: SecretString::from("secret-for-tests"),
            require_message_authenticator: true,
            limit_proxy_state: true,
            deadline: Duration::from_secs(4),
            on_okta_failure: OnOktaFailure::Reject,
            max_in_flight: 10,
            okta_primary_auth: true,
            mfa: crate::config::MfaSettings::default(),
            policy: None,
        })
    }

    #[test]
    fn most_specific_network_wins() {
        let table = ClientTable::new(
            &[
                client("subnet", "10.0.0.0/8"),
                client("host", "10.1.2.3/32"),
            ],
            10,
        );
        let name = |ip: &str| {
            table
                .lookup(ip.parse().expect("ip"))
                .map(|c| c.config.name.clone())
        };
        assert_eq!(name("10.1.2.3").as_deref(), Some("host"));
        assert_eq!(name("10.9.9.9").as_deref(), Some("subnet"));
        assert_eq!(name("192.0.2.1"), None);
        assert_eq!(name("::ffff:10.1.2.3").as_deref(), Some("host"));
    }
}
