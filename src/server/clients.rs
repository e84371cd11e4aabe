//! The client table: which NAS a datagram comes from, by source address, and
//! the run-time state kept per client (its in-flight budget, its
//! Status-Server allowance, when it was last warned about).
//!
//! A datagram from an address no client covers is dropped before any byte of
//! it is parsed (RFC 2865 §2).

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
    status_server: Mutex<TokenBucket>,
    warned_at: Mutex<Option<Instant>>,
}

impl Client {
    fn new(config: Arc<ClientConfig>, status_server_per_second: u32) -> Client {
        Client {
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            config,
            status_server: Mutex::new(TokenBucket::new(status_server_per_second)),
            warned_at: Mutex::new(None),
        }
    }

    /// Whether a Status-Server from this client may be answered now.
    pub fn allow_status_server(&self) -> bool {
        match self.status_server.lock() {
            Ok(mut bucket) => bucket.take(Instant::now()),
            Err(_) => false,
        }
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

/// A token bucket refilled at `rate` per second, holding at most `rate`.
struct TokenBucket {
    rate: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    fn new(rate: u32) -> TokenBucket {
        TokenBucket {
            rate: f64::from(rate),
            tokens: f64::from(rate),
            updated: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
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

    #[test]
    fn status_server_allowance_refills() {
        let mut bucket = TokenBucket::new(2);
        let start = Instant::now();
        assert!(bucket.take(start));
        assert!(bucket.take(start));
        assert!(!bucket.take(start));
        assert!(bucket.take(start + Duration::from_millis(600)));
    }
}
