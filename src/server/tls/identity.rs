//! Whether a client certificate carries the identity its client entry
//! names: a subjectAltName DNS name or IP address, the subject's Common
//! Name, or the SHA-256 digest of the whole certificate. Matching is exact
//! (DNS names without regard to case, no wildcards): the identity is chosen
//! by the operator for one NAS, not a pattern for many.
//!
//! Only certificates whose chain was verified reach this check.

use crate::config::CertificateIdentity;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

/// Whether `certificate` (DER) carries `identity`.
pub(super) fn matches(identity: &CertificateIdentity, certificate: &[u8]) -> bool {
    if let CertificateIdentity::Sha256(expected) = identity {
        let digest = Sha256::digest(certificate);
        return bool::from(digest.as_slice().ct_eq(expected));
    }
    let Ok((_, parsed)) = x509_parser::parse_x509_certificate(certificate) else {
        return false;
    };
    match identity {
        CertificateIdentity::DnsName(name) => alt_names(&parsed).any(|alt| match alt {
            GeneralName::DNSName(dns) => dns.trim_end_matches('.').eq_ignore_ascii_case(name),
            _ => false,
        }),
        CertificateIdentity::IpAddress(ip) => {
            let octets = match ip {
                std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
                std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
            };
            alt_names(&parsed).any(
                |alt| matches!(alt, GeneralName::IPAddress(bytes) if *bytes == octets.as_slice()),
            )
        }
        CertificateIdentity::CommonName(expected) => parsed
            .subject()
            .iter_common_name()
            .any(|cn| cn.as_str().is_ok_and(|cn| cn == expected)),
        CertificateIdentity::Sha256(_) => false,
    }
}

/// What a certificate says about its holder, for a log line: its subject
/// and subjectAltNames (public parts of a certificate, never secrets).
pub(super) fn describe(certificate: &[u8]) -> String {
    let Ok((_, parsed)) = x509_parser::parse_x509_certificate(certificate) else {
        return "an unreadable certificate".to_owned();
    };
    let mut text = format!("subject `{}`", parsed.subject());
    let names: Vec<String> = alt_names(&parsed)
        .filter_map(|alt| match alt {
            GeneralName::DNSName(dns) => Some(format!("dns:{dns}")),
            GeneralName::IPAddress(bytes) => ip_of(bytes).map(|ip| format!("ip:{ip}")),
            _ => None,
        })
        .collect();
    if !names.is_empty() {
        text.push_str(&format!(", subjectAltName {}", names.join(" ")));
    }
    text
}

fn alt_names<'a>(
    certificate: &'a X509Certificate<'a>,
) -> impl Iterator<Item = &'a GeneralName<'a>> + 'a {
    certificate
        .subject_alternative_name()
        .ok()
        .flatten()
        .into_iter()
        .flat_map(|extension| extension.value.general_names.iter())
}

fn ip_of(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};

    fn certificate(cn: &str, sans: Vec<SanType>) -> Vec<u8> {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.subject_alt_names = sans;
        let key = KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        params
            .self_signed(&key)
            .unwrap_or_else(|e| panic!("{e}"))
            .der()
            .to_vec()
    }

    #[test]
    fn each_kind_of_identity_is_found_where_it_lives() {
        let der = certificate(
            "campus-proxy",
            vec![
                SanType::DnsName(
                    "RadSec.Example.com"
                        .try_into()
                        .unwrap_or_else(|e| panic!("{e}")),
                ),
                SanType::IpAddress([192, 0, 2, 7].into()),
            ],
        );
        let yes = |text: &str| {
            matches(
                &text.parse().unwrap_or_else(|e: String| panic!("{e}")),
                &der,
            )
        };
        assert!(yes("dns:radsec.example.com"));
        assert!(yes("ip:192.0.2.7"));
        assert!(yes("cn:campus-proxy"));
        let digest = hex::encode(Sha256::digest(&der));
        assert!(yes(&format!("sha256:{digest}")));

        assert!(!yes("dns:example.com"));
        assert!(!yes("dns:campus-proxy"), "a CN is not a DNS name");
        assert!(!yes("ip:192.0.2.8"));
        assert!(!yes("cn:campus"));
        assert!(!yes(&format!("sha256:{}", "00".repeat(32))));
    }

    #[test]
    fn a_description_names_subject_and_alt_names() {
        let der = certificate("nas1", vec![SanType::IpAddress([10, 0, 0, 1].into())]);
        let text = describe(&der);
        assert!(text.contains("CN=nas1"), "{text}");
        assert!(text.contains("ip:10.0.0.1"), "{text}");
    }
}
