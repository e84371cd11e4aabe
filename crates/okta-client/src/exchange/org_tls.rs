//! The TLS settings every connection to Okta uses: rustls, the system's
//! trust roots as the platform verifier reads them, the CA certificates of
//! `okta.ca_bundle` added to them (a TLS-inspecting proxy's), and ALPN
//! offering HTTP/2 before HTTP/1.1. The org's own connections and the
//! general client (proxy, OAuth token endpoint) share one configuration.

use std::path::Path;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls_platform_verifier::Verifier;

use crate::error::OktaError;

/// The client configuration, with the certificates of `ca_bundle` trusted
/// besides the system's.
pub(crate) fn client_config(ca_bundle: Option<&Path>) -> Result<ClientConfig, OktaError> {
    let extra = match ca_bundle {
        Some(path) => read_bundle(path)?,
        None => Vec::new(),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = if extra.is_empty() {
        Verifier::new(provider.clone())
    } else {
        Verifier::new_with_extra_roots(extra, provider.clone())
    }
    .map_err(|error| {
        OktaError::Config(format!("cannot load the trusted CA certificates: {error}"))
    })?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| OktaError::Config(format!("TLS settings: {error}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificates of a PEM bundle; an error names the file when it
/// cannot be read or holds none.
fn read_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, OktaError> {
    let pem = std::fs::read(path).map_err(|error| {
        OktaError::Config(format!(
            "cannot read the CA bundle {}: {error}",
            path.display()
        ))
    })?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            OktaError::Config(format!(
                "the CA bundle {} holds no valid PEM certificate",
                path.display()
            ))
        })?;
    if certificates.is_empty() {
        return Err(OktaError::Config(format!(
            "the CA bundle {} holds no certificate",
            path.display()
        )));
    }
    Ok(certificates)
}
