//! The stream transports' side of the config: `server.tls_listen` and
//! `server.tcp_listen`, `[tls]` (the server's certificate and key) and
//! `[connections]` (the bounds every RADIUS/TLS and RADIUS/TCP connection
//! lives within).
//!
//! A stream connection holds a task and memory for as long as its peer
//! keeps it open, so each of these has a limit, and a default that suits a
//! fleet of NAS devices or proxies. RADIUS/TCP carries RADIUS as UDP does,
//! User-Password hidden only by the shared secret, so it listens on
//! loopback only (for a TLS-terminating proxy on the same host) unless the
//! config says otherwise in a key of its own.

use super::problem::Problems;
use super::transport::ClientTransport;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `[tls]`: the server's certificate for RADIUS/TLS.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    pub certificate_file: Option<PathBuf>,
    pub private_key_file: Option<PathBuf>,
    pub handshake_timeout_ms: u64,
}

impl Default for TlsSection {
    fn default() -> Self {
        TlsSection {
            certificate_file: None,
            private_key_file: None,
            handshake_timeout_ms: 5_000,
        }
    }
}

/// `[connections]`: bounds on RADIUS/TLS and RADIUS/TCP connections.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionsSection {
    pub max_connections: usize,
    pub max_per_client: usize,
    pub idle_timeout_seconds: u64,
    pub max_buffered_bytes: usize,
}

impl Default for ConnectionsSection {
    fn default() -> Self {
        ConnectionsSection {
            max_connections: 1_024,
            max_per_client: 64,
            idle_timeout_seconds: 120,
            max_buffered_bytes: 256 * 1024,
        }
    }
}

/// The server's certificate chain and private key, both PEM files, read at
/// start and again on every reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    pub certificate_file: PathBuf,
    pub private_key_file: PathBuf,
}

/// The bounds on one stream connection and on all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From accepting a connection to the end of its TLS handshake.
    pub handshake_timeout: Duration,
    /// Connections open at once, TLS and TCP together, handshakes included.
    pub max_connections: usize,
    /// Connections one client may hold at once.
    pub max_per_client: usize,
    /// A connection with nothing in flight and no request for this long is closed.
    pub idle_timeout: Duration,
    /// Reply bytes waiting for a peer that does not read; past this the
    /// connection is closed.
    pub max_buffered_bytes: usize,
}

/// The validated stream transports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    pub tls_listen: Vec<SocketAddr>,
    pub tcp_listen: Vec<SocketAddr>,
    /// Present when `tls_listen` is not empty.
    pub tls: Option<TlsConfig>,
    pub limits: ConnectionLimits,
}

impl StreamConfig {
    /// Whether any stream listener is configured.
    pub fn is_enabled(&self) -> bool {
        !self.tls_listen.is_empty() || !self.tcp_listen.is_empty()
    }
}

/// The stream keys of `[server]`, as written.
pub(super) struct StreamListen<'a> {
    pub tls_listen: &'a [String],
    pub tcp_listen: &'a [String],
    pub tcp_allow_non_loopback: bool,
    /// Okta Event Hooks are received over HTTPS with the `[tls]` certificate.
    pub event_hook: bool,
}

/// Checks the stream keys of `[server]`, `[tls]` and `[connections]`.
pub(super) fn validate(
    server: StreamListen<'_>,
    tls: &TlsSection,
    connections: &ConnectionsSection,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> StreamConfig {
    let tls_listen = addresses("server.tls_listen", server.tls_listen, "2083", problems);
    let tcp_listen = addresses("server.tcp_listen", server.tcp_listen, "1812", problems);
    for (i, addr) in tcp_listen.iter().enumerate() {
        if addr.ip().is_loopback() {
            continue;
        }
        if server.tcp_allow_non_loopback {
            warnings.push(format!(
                "server.tcp_listen[{i}]: RADIUS/TCP on {addr} is reachable beyond this host and carries RADIUS without TLS; only a network you trust (IPsec, a private link) may lie between the NAS and this server"
            ));
        } else {
            problems.add(
                format!("server.tcp_listen[{i}]"),
                format!(
                    "{addr} is not a loopback address: RADIUS/TCP has no TLS, so User-Password is hidden only by the shared secret, as over UDP; it is meant for a TLS-terminating proxy on this host. Listen on 127.0.0.1 or [::1], use server.tls_listen for NAS devices across a network, or set server.tcp_allow_non_loopback = true when a network you trust protects the path"
                ),
            );
        }
    }

    let tls_config = if tls_listen.is_empty() && !server.event_hook {
        None
    } else {
        let certificate_file = tls.certificate_file.clone();
        let private_key_file = tls.private_key_file.clone();
        if certificate_file.is_none() {
            problems.add(
                "tls.certificate_file",
                "RADIUS/TLS (server.tls_listen) and Okta Event Hooks (disconnect.event_hook_listen) need the server's certificate: give a PEM file with the certificate first and its intermediates after it",
            );
        }
        if private_key_file.is_none() {
            problems.add(
                "tls.private_key_file",
                "RADIUS/TLS (server.tls_listen) and Okta Event Hooks (disconnect.event_hook_listen) need the server's private key: give the PEM file of the key that belongs to tls.certificate_file",
            );
        }
        match (certificate_file, private_key_file) {
            (Some(certificate_file), Some(private_key_file)) => Some(TlsConfig {
                certificate_file,
                private_key_file,
            }),
            _ => None,
        }
    };
    if tls_listen.is_empty()
        && !server.event_hook
        && (tls.certificate_file.is_some() || tls.private_key_file.is_some())
    {
        warnings.push(
            "[tls] names a certificate but server.tls_listen is empty, so nothing listens for RADIUS/TLS".to_owned(),
        );
    }

    if !(500..=60_000).contains(&tls.handshake_timeout_ms) {
        problems.add(
            "tls.handshake_timeout_ms",
            "must be 500 to 60000 (5000 is the default): a peer that does not finish its handshake in time is disconnected",
        );
    }
    if connections.max_connections == 0 {
        problems.add(
            "connections.max_connections",
            "must be at least 1 (1024 is the default)",
        );
    }
    if connections.max_per_client == 0 {
        problems.add(
            "connections.max_per_client",
            "must be at least 1 (64 is the default)",
        );
    }
    if !(5..=3_600).contains(&connections.idle_timeout_seconds) {
        problems.add(
            "connections.idle_timeout_seconds",
            "must be 5 to 3600 (120 is the default); a NAS that keeps its connection open sends Status-Server more often than this",
        );
    }
    if !(16 * 1024..=64 * 1024 * 1024).contains(&connections.max_buffered_bytes) {
        problems.add(
            "connections.max_buffered_bytes",
            "must be 16384 to 67108864 (262144 is the default)",
        );
    }

    StreamConfig {
        tls_listen,
        tcp_listen,
        tls: tls_config,
        limits: ConnectionLimits {
            handshake_timeout: Duration::from_millis(tls.handshake_timeout_ms),
            max_connections: connections.max_connections,
            max_per_client: connections.max_per_client,
            idle_timeout: Duration::from_secs(connections.idle_timeout_seconds),
            max_buffered_bytes: connections.max_buffered_bytes,
        },
    }
}

/// Warns about clients no listener serves, and listeners no client may use.
pub(super) fn cross_check(
    streams: &StreamConfig,
    clients: &[(&str, &ClientTransport)],
    warnings: &mut Vec<String>,
) {
    let mut tls_clients = 0;
    let mut tcp_clients = 0;
    for (i, (name, transport)) in clients.iter().enumerate() {
        match transport {
            ClientTransport::Tls(_) => {
                tls_clients += 1;
                if streams.tls_listen.is_empty() {
                    warnings.push(format!(
                        "clients[{i}]: `{name}` connects over RADIUS/TLS but server.tls_listen is empty"
                    ));
                }
            }
            ClientTransport::Tcp => {
                tcp_clients += 1;
                if streams.tcp_listen.is_empty() {
                    warnings.push(format!(
                        "clients[{i}]: `{name}` connects over RADIUS/TCP but server.tcp_listen is empty"
                    ));
                }
            }
            ClientTransport::Udp => {}
        }
    }
    if !streams.tls_listen.is_empty() && tls_clients == 0 {
        warnings.push(
            "server.tls_listen is set but no client has transport = \"tls\", so every connection is refused".to_owned(),
        );
    }
    if !streams.tcp_listen.is_empty() && tcp_clients == 0 {
        warnings.push(
            "server.tcp_listen is set but no client has transport = \"tcp\", so every connection is refused".to_owned(),
        );
    }
}

fn addresses(key: &str, given: &[String], port: &str, problems: &mut Problems) -> Vec<SocketAddr> {
    let mut parsed = Vec::new();
    for (i, address) in given.iter().enumerate() {
        match address.parse::<SocketAddr>() {
            Ok(addr) => parsed.push(addr),
            Err(_) => problems.add(
                format!("{key}[{i}]"),
                format!(
                    "`{address}` is not an IP address and port, e.g. \"0.0.0.0:{port}\" or \"[::]:{port}\""
                ),
            ),
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use crate::config::{ClientTransport, Config, ConfigErrors, RADSEC_SECRET};
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    const OKTA: &str = r#"
[okta]
org_url = "https://example.okta.com"
api_token = "00abcdefghijklmnopqrstuvwxyz"
"#;

    fn load(text: &str) -> Result<Config, ConfigErrors> {
        Config::from_toml(&format!("{text}\n{OKTA}"), Some(HashMap::new()))
    }

    fn problem<'a>(errors: &'a ConfigErrors, key: &str) -> &'a str {
        errors
            .0
            .iter()
            .find(|problem| problem.key == key)
            .map(|problem| problem.message.as_str())
            .unwrap_or_else(|| panic!("no problem with {key}: {errors}"))
    }

    const TCP_CLIENT: &str = r#"
[[clients]]
name = "proxy"
address = "127.0.0.1"
transport = "tcp"
secret = "a-long-enough-shared-secret"
"#;

    #[test]
    fn tcp_stays_on_loopback_unless_the_config_says_otherwise() {
        let errors = load(&format!(
            "[server]\ntcp_listen = [\"0.0.0.0:1812\"]\n{TCP_CLIENT}"
        ))
        .expect_err("refused");
        let message = problem(&errors, "server.tcp_listen[0]");
        assert!(message.contains("not a loopback address"), "{message}");
        assert!(message.contains("tcp_allow_non_loopback"), "{message}");

        let config = load(&format!(
            "[server]\ntcp_listen = [\"0.0.0.0:1812\"]\ntcp_allow_non_loopback = true\n{TCP_CLIENT}"
        ))
        .expect("allowed");
        assert!(
            config.warnings.iter().any(|w| w.contains("without TLS")),
            "{:?}",
            config.warnings
        );
        let config = load(&format!(
            "[server]\ntcp_listen = [\"127.0.0.1:1812\", \"[::1]:1812\"]\n{TCP_CLIENT}"
        ))
        .expect("loopback is fine");
        assert_eq!(config.streams.tcp_listen.len(), 2);
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }

    #[test]
    fn tls_needs_a_certificate_and_a_key() {
        let errors = load("[server]\ntls_listen = [\"0.0.0.0:2083\"]\n").expect_err("refused");
        assert!(problem(&errors, "tls.certificate_file").contains("PEM"));
        assert!(problem(&errors, "tls.private_key_file").contains("key"));
    }

    #[test]
    fn a_tls_client_has_the_radsec_secret_unless_it_names_one() {
        let config = load(
            r#"
[server]
listen = []
tls_listen = ["0.0.0.0:2083"]
[tls]
certificate_file = "/etc/okta-radius/tls/server.pem"
private_key_file = "/etc/okta-radius/tls/server.key"
[[clients]]
name = "campus"
address = "0.0.0.0/0"
transport = "tls"
tls_ca_file = "/etc/okta-radius/tls/campus-ca.pem"
tls_identity = "dns:radsec.campus.example"
[[clients]]
name = "branch"
address = "0.0.0.0/0"
transport = "tls"
tls_ca_file = "/etc/okta-radius/tls/campus-ca.pem"
tls_identity = "cn:branch"
secret = "short"
"#,
        )
        .expect("valid: TLS clients may share a network");
        assert_eq!(
            config.clients[0].secret.expose_secret(),
            RADSEC_SECRET,
            "RFC 6614 §2.3"
        );
        assert!(matches!(
            config.clients[0].transport,
            ClientTransport::Tls(_)
        ));
        assert_eq!(config.clients[1].secret.expose_secret(), "short");
        // TLS protects the secret: no weak-secret warning.
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }

    #[test]
    fn certificate_keys_belong_to_tls_clients_only() {
        let errors = load(
            r#"
[[clients]]
name = "vpn"
address = "192.0.2.1"
secret = "a-long-enough-shared-secret"
tls_identity = "cn:vpn"
[[clients]]
name = "campus"
address = "0.0.0.0/0"
transport = "tls"
[[clients]]
name = "odd"
address = "192.0.2.2"
transport = "sctp"
secret = "a-long-enough-shared-secret"
"#,
        )
        .expect_err("refused");
        assert!(problem(&errors, "clients[0].tls_identity").contains("transport = \"tls\""));
        assert!(problem(&errors, "clients[1].tls_identity").contains("dns:NAME"));
        assert!(problem(&errors, "clients[1].tls_ca_file").contains("CA"));
        assert!(problem(&errors, "clients[2].transport").contains("\"tcp\""));
    }

    #[test]
    fn connection_limits_are_checked_by_key() {
        let errors = load(
            "[connections]\nmax_connections = 0\nidle_timeout_seconds = 1\nmax_buffered_bytes = 10\n[tls]\nhandshake_timeout_ms = 0\n[[clients]]\nname = \"vpn\"\naddress = \"192.0.2.1\"\nsecret = \"a-long-enough-shared-secret\"\n",
        )
        .expect_err("refused");
        for key in [
            "connections.max_connections",
            "connections.idle_timeout_seconds",
            "connections.max_buffered_bytes",
            "tls.handshake_timeout_ms",
        ] {
            problem(&errors, key);
        }
    }

    #[test]
    fn a_udp_and_a_tcp_client_may_share_an_address() {
        let config = load(&format!(
            "[server]\ntcp_listen = [\"127.0.0.1:1812\"]\n{TCP_CLIENT}\n[[clients]]\nname = \"local\"\naddress = \"127.0.0.1\"\nsecret = \"a-long-enough-shared-secret\"\n"
        ))
        .expect("one of each transport");
        assert_eq!(config.clients.len(), 2);
    }
}
