//! How a client reaches the server, by its `transport` key: UDP (the
//! default) and RADIUS/TCP know a client by its source address; RADIUS/TLS
//! knows it by the certificate it presents, checked against the client's
//! own trust anchors (`tls_ca_file`) and the identity it must carry
//! (`tls_identity`), from the networks in `address`.
//!
//! The three never share an entry: a TLS client's secret is `radsec` by
//! default (RFC 6614 §2.3), which must never let a UDP datagram in.

use super::problem::Problems;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// The shared secret of a RADIUS/TLS client that names none (RFC 6614 §2.3).
pub const RADSEC_SECRET: &str = "radsec";

/// How one client reaches the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientTransport {
    Udp,
    Tcp,
    Tls(TlsClient),
}

impl ClientTransport {
    /// The value of the `transport` key.
    pub fn label(&self) -> &'static str {
        match self {
            ClientTransport::Udp => "udp",
            ClientTransport::Tcp => "tcp",
            ClientTransport::Tls(_) => "tls",
        }
    }
}

/// What a RADIUS/TLS client must present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsClient {
    /// The CA certificates its certificate must chain to (PEM).
    pub ca_file: PathBuf,
    /// What its certificate must say about it.
    pub identity: CertificateIdentity,
}

/// What identifies a client in its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateIdentity {
    /// A DNS name among the certificate's subjectAltNames (exact, no wildcard).
    DnsName(String),
    /// An IP address among the certificate's subjectAltNames.
    IpAddress(IpAddr),
    /// The subject's Common Name.
    CommonName(String),
    /// The SHA-256 digest of the whole certificate (DER).
    Sha256([u8; 32]),
}

impl fmt::Display for CertificateIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateIdentity::DnsName(name) => write!(f, "dns:{name}"),
            CertificateIdentity::IpAddress(ip) => write!(f, "ip:{ip}"),
            CertificateIdentity::CommonName(name) => write!(f, "cn:{name}"),
            CertificateIdentity::Sha256(digest) => write!(f, "sha256:{}", hex::encode(digest)),
        }
    }
}

impl std::str::FromStr for CertificateIdentity {
    type Err = String;

    fn from_str(text: &str) -> Result<CertificateIdentity, String> {
        let usage = || {
            format!(
                "`{text}` is not a certificate identity: use \"dns:NAME\" or \"ip:ADDRESS\" (a subjectAltName of the client's certificate), \"cn:NAME\" (its subject Common Name) or \"sha256:FINGERPRINT\" (as `openssl x509 -noout -fingerprint -sha256 -in client.pem` prints it)"
            )
        };
        let (kind, value) = text.split_once(':').ok_or_else(usage)?;
        let value = value.trim();
        match kind.trim().to_ascii_lowercase().as_str() {
            "dns" => {
                let name = value.trim_end_matches('.').to_ascii_lowercase();
                let valid = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
                if valid {
                    Ok(CertificateIdentity::DnsName(name))
                } else {
                    Err(format!(
                        "`{value}` is not a DNS name (letters, digits, '-' and '.'; no wildcard)"
                    ))
                }
            }
            "ip" => value
                .parse()
                .map(CertificateIdentity::IpAddress)
                .map_err(|_| format!("`{value}` is not an IP address")),
            "cn" if !value.is_empty() => Ok(CertificateIdentity::CommonName(value.to_owned())),
            "sha256" => {
                let digits: String = value.chars().filter(|c| *c != ':').collect();
                let bytes = hex::decode(&digits).ok();
                match bytes.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()) {
                    Some(digest) => Ok(CertificateIdentity::Sha256(digest)),
                    None => Err(format!(
                        "`{value}` is not a SHA-256 fingerprint: 64 hexadecimal digits, with or without colons"
                    )),
                }
            }
            _ => Err(usage()),
        }
    }
}

/// A client's `transport`, `tls_ca_file` and `tls_identity`, as written.
pub(super) struct TransportKeys<'a> {
    pub transport: Option<&'a str>,
    pub tls_ca_file: Option<PathBuf>,
    pub tls_identity: Option<&'a str>,
}

/// Checks the transport keys of `clients[i]`; `None` when they are wrong
/// (each problem added).
pub(super) fn validate(
    i: usize,
    keys: TransportKeys<'_>,
    problems: &mut Problems,
) -> Option<ClientTransport> {
    let key = |field: &str| format!("clients[{i}].{field}");
    let transport = match keys.transport.unwrap_or("udp") {
        "udp" => ClientTransport::Udp,
        "tcp" => ClientTransport::Tcp,
        "tls" => {
            let identity = match keys.tls_identity {
                Some(text) => match text.parse::<CertificateIdentity>() {
                    Ok(identity) => Some(identity),
                    Err(problem) => {
                        problems.add(key("tls_identity"), problem);
                        None
                    }
                },
                None => {
                    problems.add(
                        key("tls_identity"),
                        "a RADIUS/TLS client needs the identity its certificate carries: \"dns:NAME\", \"ip:ADDRESS\", \"cn:NAME\" or \"sha256:FINGERPRINT\"",
                    );
                    None
                }
            };
            if keys.tls_ca_file.is_none() {
                problems.add(
                    key("tls_ca_file"),
                    "a RADIUS/TLS client needs its trust anchors: the PEM file of the CA (or CAs) that issued its certificate",
                );
            }
            return match (keys.tls_ca_file, identity) {
                (Some(ca_file), Some(identity)) => {
                    Some(ClientTransport::Tls(TlsClient { ca_file, identity }))
                }
                _ => None,
            };
        }
        other => {
            problems.add(
                key("transport"),
                format!("`{other}` is not a transport: use \"udp\" (the default), \"tls\" (RADIUS/TLS, RFC 6614) or \"tcp\" (RADIUS/TCP, RFC 6613)"),
            );
            return None;
        }
    };
    for (given, field) in [
        (keys.tls_ca_file.is_some(), "tls_ca_file"),
        (keys.tls_identity.is_some(), "tls_identity"),
    ] {
        if given {
            problems.add(
                key(field),
                format!(
                    "only a RADIUS/TLS client has a certificate: set transport = \"tls\" or remove `{field}`"
                ),
            );
        }
    }
    Some(transport)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_read_as_an_operator_writes_them() {
        let parse = |text: &str| text.parse::<CertificateIdentity>();
        assert_eq!(
            parse("dns:RadSec.Example.COM."),
            Ok(CertificateIdentity::DnsName("radsec.example.com".into()))
        );
        assert_eq!(
            parse("ip:192.0.2.7"),
            Ok(CertificateIdentity::IpAddress([192, 0, 2, 7].into()))
        );
        assert_eq!(
            parse("cn:campus proxy"),
            Ok(CertificateIdentity::CommonName("campus proxy".into()))
        );
        let colons = (0..32)
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let Ok(CertificateIdentity::Sha256(digest)) = parse(&format!("sha256:{colons}")) else {
            panic!("a colon-separated fingerprint reads");
        };
        assert_eq!(digest[31], 31);
        assert_eq!(
            parse(&format!("sha256:{}", hex::encode(digest))),
            Ok(CertificateIdentity::Sha256(digest))
        );
        for bad in [
            "",
            "nas1",
            "dns:*.example.com",
            "ip:nas1",
            "cn:",
            "sha256:abcd",
            "uri:x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_identity_prints_as_it_is_written() {
        for text in ["dns:nas1.example.com", "ip:2001:db8::7", "cn:campus"] {
            let identity: CertificateIdentity = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(identity.to_string(), text);
        }
    }
}
