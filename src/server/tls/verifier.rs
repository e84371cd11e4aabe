//! Which client a TLS connection belongs to, decided during the handshake.
//!
//! A connection's candidates are the TLS clients whose `address` covers its
//! source. Its certificate must chain to one candidate's CA bundle (valid
//! now, issued for client authentication) and carry that candidate's
//! identity; the first candidate, most specific network first, that both
//! hold for is the client. A certificate that matches none fails the
//! handshake with an alert, and the reason is kept for the metric and the
//! log. The same decision runs again on a reload, for connections already
//! open.

use super::identity;
use crate::config::ClientTransport;
use crate::server::clients::Client;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Why a certificate was refused: the `reason` label of
/// `radius_connections_refused_total`, and the detail for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub reason: &'static str,
    pub detail: String,
}

/// The client-certificate check of one connection.
pub(super) struct PeerVerifier {
    candidates: Vec<Arc<Client>>,
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
    matched: OnceLock<Arc<Client>>,
    refusal: OnceLock<Refusal>,
}

impl PeerVerifier {
    pub(super) fn new(
        candidates: Vec<Arc<Client>>,
        algorithms: WebPkiSupportedAlgorithms,
    ) -> PeerVerifier {
        let mut hints: Vec<DistinguishedName> = Vec::new();
        for client in &candidates {
            if let Some(chain) = &client.chain {
                for hint in chain.root_hint_subjects() {
                    if !hints.iter().any(|known| known.as_ref() == hint.as_ref()) {
                        hints.push(hint.clone());
                    }
                }
            }
        }
        PeerVerifier {
            candidates,
            hints,
            algorithms,
            matched: OnceLock::new(),
            refusal: OnceLock::new(),
        }
    }

    /// The client the certificate matched, once the handshake checked it.
    pub(super) fn matched(&self) -> Option<Arc<Client>> {
        self.matched.get().cloned()
    }

    /// Why the certificate was refused, when it was.
    pub(super) fn refusal(&self) -> Option<Refusal> {
        self.refusal.get().cloned()
    }

    /// A candidate to charge a warning to (rate-limited per client).
    pub(super) fn first_candidate(&self) -> Option<&Arc<Client>> {
        self.candidates.first()
    }
}

impl fmt::Debug for PeerVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .candidates
            .iter()
            .map(|client| client.config.name.as_str())
            .collect();
        f.debug_struct("PeerVerifier")
            .field("candidates", &names)
            .finish()
    }
}

impl ClientCertVerifier for PeerVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        match identify(&self.candidates, end_entity, intermediates, now) {
            Ok(client) => {
                let _ = self.matched.set(client);
                Ok(ClientCertVerified::assertion())
            }
            Err(refusal) => {
                let error = match refusal.reason {
                    "expired_certificate" => CertificateError::Expired,
                    "identity_mismatch" => CertificateError::ApplicationVerificationFailure,
                    _ => CertificateError::UnknownIssuer,
                };
                let _ = self.refusal.set(refusal);
                Err(Error::InvalidCertificate(error))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The candidate a certificate chain belongs to, or why none fits. Among
/// the reasons, the most telling is kept: a trusted certificate with the
/// wrong identity says more than an untrusted one. Candidates that share a
/// CA bundle share its verdict on the chain, so a fleet of clients under
/// one CA costs one chain check per handshake, not one per client.
pub(super) fn identify(
    candidates: &[Arc<Client>],
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    now: UnixTime,
) -> Result<Arc<Client>, Refusal> {
    let mut refusal = Refusal {
        reason: "untrusted_certificate",
        detail: "no client's tls_ca_file issued it".to_owned(),
    };
    let mut verdicts: Vec<(*const (), Result<(), Error>)> = Vec::new();
    for client in candidates {
        let (Some(chain), ClientTransport::Tls(tls)) = (&client.chain, &client.config.transport)
        else {
            continue;
        };
        let key = Arc::as_ptr(chain).cast::<()>();
        let verdict = match verdicts.iter().find(|(seen, _)| *seen == key) {
            Some((_, verdict)) => verdict.clone(),
            None => {
                let verdict = chain
                    .verify_client_cert(end_entity, intermediates, now)
                    .map(|_| ());
                verdicts.push((key, verdict.clone()));
                verdict
            }
        };
        match verdict {
            Ok(_) => {
                if identity::matches(&tls.identity, end_entity) {
                    return Ok(client.clone());
                }
                refusal = Refusal {
                    reason: "identity_mismatch",
                    detail: format!(
                        "`{}` expects {}; the certificate has {}",
                        client.config.name,
                        tls.identity,
                        identity::describe(end_entity)
                    ),
                };
            }
            Err(Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            )) if refusal.reason != "identity_mismatch" => {
                refusal = Refusal {
                    reason: "expired_certificate",
                    detail: format!(
                        "the certificate ({}) has expired",
                        identity::describe(end_entity)
                    ),
                };
            }
            Err(error) if refusal.reason == "untrusted_certificate" => {
                refusal.detail = format!(
                    "{error} (checked against the CA of `{}`; the certificate has {})",
                    client.config.name,
                    identity::describe(end_entity)
                );
            }
            Err(_) => {}
        }
    }
    Err(refusal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CertificateIdentity, ClientConfig, MfaSettings, OnOktaFailure, TlsClient};
    use crate::server::clients::{ClientTable, TrustAnchors};
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    use rustls::RootCertStore;
    use rustls::server::WebPkiClientVerifier;
    use secrecy::SecretString;
    use std::time::Duration;

    fn tls_client(name: &str, cn: &str) -> Arc<ClientConfig> {
        Arc::new(ClientConfig {
            name: name.to_owned(),
            network: "0.0.0.0/0".parse().unwrap_or_else(|e| panic!("{e}")),
            transport: ClientTransport::Tls(TlsClient {
                ca_file: "ca.pem".into(),
                identity: CertificateIdentity::CommonName(cn.to_owned()),
            }),
            secret: SecretString::from("radsec"),
            require_message_authenticator: true,
            limit_proxy_state: true,
            deadline: Duration::from_secs(4),
            on_okta_failure: OnOktaFailure::Reject,
            max_in_flight: 10,
            okta_primary_auth: true,
            mfa: MfaSettings::default(),
            policy: None,
            coa_port: 3799,
            coa_secret: None,
            disconnect_on: crate::config::DisconnectOn::defaults(),
            eap: false,
        })
    }

    #[test]
    fn clients_under_one_ca_are_told_apart_by_identity() {
        let fail = |e: &dyn std::fmt::Display| -> ! { panic!("{e}") };
        let mut ca = CertificateParams::default();
        ca.distinguished_name.push(DnType::CommonName, "one CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().unwrap_or_else(|e| fail(&e));
        let ca_certificate = ca.self_signed(&ca_key).unwrap_or_else(|e| fail(&e));
        let issuer = Issuer::new(ca, ca_key);
        let mut leaf = CertificateParams::default();
        leaf.distinguished_name.push(DnType::CommonName, "ap-2");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let leaf_key = KeyPair::generate().unwrap_or_else(|e| fail(&e));
        let leaf = leaf
            .signed_by(&leaf_key, &issuer)
            .unwrap_or_else(|e| fail(&e));

        let mut roots = RootCertStore::empty();
        roots
            .add(ca_certificate.der().clone())
            .unwrap_or_else(|e| fail(&e));
        let chain = WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            super::super::credentials::provider(),
        )
        .build()
        .unwrap_or_else(|e| fail(&e));
        let configs = [tls_client("ap-1", "ap-1"), tls_client("ap-2", "ap-2")];
        let trust: TrustAnchors = configs
            .iter()
            .map(|config| (config.name.clone(), chain.clone()))
            .collect();
        let table = ClientTable::new(&configs, 10, &trust);
        let candidates = table.tls_candidates([192, 0, 2, 1].into());
        assert_eq!(candidates.len(), 2);

        let found = identify(&candidates, leaf.der(), &[], UnixTime::now());
        assert_eq!(
            found.map(|client| client.config.name.clone()),
            Ok("ap-2".to_owned())
        );
        let refused = identify(&candidates[..1], leaf.der(), &[], UnixTime::now());
        assert_eq!(refused.err().map(|r| r.reason), Some("identity_mismatch"));
        let stranger = identify(&candidates, ca_certificate.der(), &[], UnixTime::now());
        assert_eq!(
            stranger.err().map(|r| r.reason),
            Some("untrusted_certificate")
        );
    }
}
