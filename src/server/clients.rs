//! The client table: which NAS a datagram or a connection comes from, and
//! the run-time state kept per client (its in-flight budget, its
//! Status-Server allowance and the probes it answered lately, when it was
//! last warned about).
//!
//! UDP and RADIUS/TCP clients are known by source address; a datagram or a
//! connection from an address no client covers is dropped before any byte
//! of it is parsed (RFC 2865 §2). RADIUS/TLS clients are the candidates for
//! a connection from their networks, and its certificate picks one of them
//! during the handshake. Each transport has its own list, so a TLS client's
//! `radsec` secret never admits a datagram.

use super::status_server::{Admission, StatusServerGate};
use crate::config::{ClientConfig, ClientTransport};
use crate::telemetry::metrics as m;
use crate::telemetry::series::{Fixed, FixedMap};
use metrics::Counter;
use rustls::server::danger::ClientCertVerifier;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The certificate-chain check of each RADIUS/TLS client (its CA bundle),
/// by client name.
pub type TrustAnchors = HashMap<String, Arc<dyn ClientCertVerifier>>;

/// One configured client and its run-time state.
pub struct Client {
    pub config: Arc<ClientConfig>,
    /// Permits for requests in flight from this client.
    pub in_flight: Arc<Semaphore>,
    /// A RADIUS/TLS client's chain check; `None` for UDP and TCP clients.
    pub chain: Option<Arc<dyn ClientCertVerifier>>,
    status_server: StatusServerGate,
    warned_at: Mutex<Option<Instant>>,
    /// `radius_requests_total` for this client, by outcome and transport:
    /// the client's name is not a fixed string, so its series are kept here.
    requests: FixedMap<(Fixed, Fixed), Counter>,
}

impl Client {
    fn new(
        config: Arc<ClientConfig>,
        status_server_per_second: u32,
        chain: Option<Arc<dyn ClientCertVerifier>>,
    ) -> Client {
        Client {
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            config,
            chain,
            status_server: StatusServerGate::new(status_server_per_second),
            warned_at: Mutex::new(None),
            requests: FixedMap::default(),
        }
    }

    /// Counts a request of this client decided with `outcome`, carried by
    /// `transport`.
    pub fn count_request(&self, outcome: &'static str, transport: &'static str) {
        let key = (Fixed(outcome), Fixed(transport));
        if let Some(counter) = self.requests.get(&key) {
            counter.increment(1);
            return;
        }
        let counter = metrics::counter!(
            m::REQUESTS,
            "client" => self.config.name.clone(),
            "outcome" => outcome,
            "transport" => transport
        );
        counter.increment(1);
        self.requests.insert(key, counter);
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

/// All clients by transport, each list searched most specific network first.
pub struct ClientTable {
    datagram: Vec<Arc<Client>>,
    tcp: Vec<Arc<Client>>,
    tls: Vec<Arc<Client>>,
}

impl ClientTable {
    /// The table for `configs`. A TLS client takes its chain check from
    /// `trust`; one missing there (which loading never lets happen) is left
    /// out, so it can never be matched without one.
    pub fn new(
        configs: &[Arc<ClientConfig>],
        status_server_per_second: u32,
        trust: &TrustAnchors,
    ) -> ClientTable {
        let mut table = ClientTable {
            datagram: Vec::new(),
            tcp: Vec::new(),
            tls: Vec::new(),
        };
        for config in configs {
            let (list, chain) = match &config.transport {
                ClientTransport::Udp => (&mut table.datagram, None),
                ClientTransport::Tcp => (&mut table.tcp, None),
                ClientTransport::Tls(_) => match trust.get(&config.name) {
                    Some(chain) => (&mut table.tls, Some(chain.clone())),
                    None => continue,
                },
            };
            list.push(Arc::new(Client::new(
                config.clone(),
                status_server_per_second,
                chain,
            )));
        }
        // Longest prefix first, so a host entry wins over the subnet around it.
        for list in [&mut table.datagram, &mut table.tcp, &mut table.tls] {
            list.sort_by_key(|client| std::cmp::Reverse(client.config.network.prefix_len()));
        }
        table
    }

    /// The longest any client's request may take to answer.
    pub fn longest_answer(&self) -> std::time::Duration {
        self.datagram
            .iter()
            .chain(&self.tcp)
            .chain(&self.tls)
            .map(|client| client.config.longest_answer())
            .max()
            .unwrap_or_default()
    }

    /// The UDP client whose network holds `source`, most specific first.
    pub fn lookup(&self, source: IpAddr) -> Option<&Arc<Client>> {
        let source = unmapped(source);
        self.datagram
            .iter()
            .find(|client| client.config.network.contains(&source))
    }

    /// The RADIUS/TCP client whose network holds `source`.
    pub fn lookup_tcp(&self, source: IpAddr) -> Option<&Arc<Client>> {
        let source = unmapped(source);
        self.tcp
            .iter()
            .find(|client| client.config.network.contains(&source))
    }

    /// The RADIUS/TLS clients that may connect from `source`, most specific
    /// network first: the certificate decides between them.
    pub fn tls_candidates(&self, source: IpAddr) -> Vec<Arc<Client>> {
        let source = unmapped(source);
        self.tls
            .iter()
            .filter(|client| client.config.network.contains(&source))
            .cloned()
            .collect()
    }
}

/// An IPv4 address as such, also when it arrived IPv4-mapped on an IPv6 socket.
fn unmapped(source: IpAddr) -> IpAddr {
    match source {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(source),
        v4 => v4,
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
            transport: ClientTransport::Udp,
            secret: SecretString::from("secret-for-tests"),
            require_message_authenticator: true,
            limit_proxy_state: true,
            deadline: Duration::from_secs(4),
            on_okta_failure: OnOktaFailure::Reject,
            max_in_flight: 10,
            okta_primary_auth: true,
            mfa: crate::config::MfaSettings::default(),
            policy: None,
            coa_port: 3799,
            coa_secret: None,
            disconnect_on: crate::config::DisconnectOn::defaults(),
            eap: false,
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
            &TrustAnchors::new(),
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
    fn each_transport_finds_only_its_own_clients() {
        let mut tcp = (*client("proxy", "127.0.0.1/32")).clone();
        tcp.transport = ClientTransport::Tcp;
        let mut tls = (*client("campus", "0.0.0.0/0")).clone();
        tls.transport = ClientTransport::Tls(crate::config::TlsClient {
            ca_file: "/nonexistent/ca.pem".into(),
            identity: crate::config::CertificateIdentity::CommonName("campus".into()),
        });
        let table = ClientTable::new(&[Arc::new(tcp), Arc::new(tls)], 10, &TrustAnchors::new());
        let loopback = "127.0.0.1".parse().expect("ip");
        assert!(table.lookup(loopback).is_none(), "no UDP client");
        assert_eq!(
            table.lookup_tcp(loopback).map(|c| c.config.name.as_str()),
            Some("proxy")
        );
        // A TLS client without its chain check is never a candidate.
        assert!(table.tls_candidates(loopback).is_empty());
    }
}
