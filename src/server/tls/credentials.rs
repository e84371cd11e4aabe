//! Reading the files RADIUS/TLS needs, at start, on every reload and for
//! `check-config`: the server's certificate chain and private key, and each
//! TLS client's CA bundle. A file that does not load is a problem of the
//! config key that names it, so a reload with a bad new certificate is
//! refused like any invalid config and the running one stays.
//!
//! A certificate that has expired or expires within [`EXPIRY_WARNING`] is
//! warned about (every NAS would refuse an expired server certificate; an
//! expired CA refuses every client it issued). A private key file that
//! other users may read is warned about too. Nothing read here is ever
//! logged but subjects, file names and dates.

use crate::config::{ClientTransport, Config, ConfigErrors, ConfigProblem};
use crate::server::clients::TrustAnchors;
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far ahead an expiry is warned about.
const EXPIRY_WARNING: Duration = Duration::from_secs(30 * 24 * 3600);

/// What RADIUS/TLS runs with: loaded and checked, ready for the listeners.
#[derive(Clone, Default)]
pub struct TlsMaterial {
    /// The server's chain and key; `None` when nothing listens for TLS.
    pub(in crate::server) certificate: Option<Arc<CertifiedKey>>,
    pub(in crate::server) trust: TrustAnchors,
    /// The certificate of `[eap]`'s TLS tunnels; `None` without `[eap]`.
    pub(in crate::server) eap_certificate: Option<Arc<CertifiedKey>>,
    /// Expiry and file-mode findings, for the operator.
    pub warnings: Vec<String>,
}

impl TlsMaterial {
    /// The server's certificate and key (`[tls]`), for other HTTPS
    /// listeners of the service (Okta Event Hooks).
    pub fn certificate(&self) -> Option<Arc<CertifiedKey>> {
        self.certificate.clone()
    }
}

/// The one crypto provider of the TLS listeners: aws-lc-rs, the provider
/// the Okta client's HTTPS already uses.
pub(in crate::server) fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .clone()
}

/// Reads the server's certificate and every TLS client's CA bundle.
pub fn load(config: &Config) -> Result<TlsMaterial, ConfigErrors> {
    let mut problems = Vec::new();
    let mut material = TlsMaterial::default();
    let now = SystemTime::now();
    if let Some(tls) = &config.streams.tls {
        match load_certificate("tls", &tls.certificate_file, &tls.private_key_file) {
            Ok(key) => {
                expiry_warnings(
                    "tls.certificate_file",
                    &key.cert,
                    now,
                    &mut material.warnings,
                );
                if let Some(warning) = key_file_warning("tls", &tls.private_key_file) {
                    material.warnings.push(warning);
                }
                material.certificate = Some(Arc::new(key));
            }
            Err((key, message)) => problems.push(ConfigProblem { key, message }),
        }
    }
    if let Some(eap) = &config.eap {
        // The certificate supplicants check in EAP-TTLS: read and checked
        // exactly as the RADIUS/TLS one, under its own keys.
        match load_certificate("eap", &eap.certificate_file, &eap.private_key_file) {
            Ok(key) => {
                expiry_warnings(
                    "eap.certificate_file",
                    &key.cert,
                    now,
                    &mut material.warnings,
                );
                if let Some(warning) = key_file_warning("eap", &eap.private_key_file) {
                    material.warnings.push(warning);
                }
                material.eap_certificate = Some(Arc::new(key));
            }
            Err((key, message)) => problems.push(ConfigProblem { key, message }),
        }
    }
    let mut loaded: HashMap<&Path, Arc<dyn rustls::server::danger::ClientCertVerifier>> =
        HashMap::new();
    for (i, client) in config.clients.iter().enumerate() {
        let ClientTransport::Tls(tls) = &client.transport else {
            continue;
        };
        let key = format!("clients[{i}].tls_ca_file");
        if let Some(verifier) = loaded.get(tls.ca_file.as_path()) {
            material.trust.insert(client.name.clone(), verifier.clone());
            continue;
        }
        match load_trust_anchors(&tls.ca_file) {
            Ok((verifier, certificates)) => {
                expiry_warnings(&key, &certificates, now, &mut material.warnings);
                loaded.insert(&tls.ca_file, verifier.clone());
                material.trust.insert(client.name.clone(), verifier);
            }
            Err(message) => problems.push(ConfigProblem { key, message }),
        }
    }
    if problems.is_empty() {
        Ok(material)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// The chain and key of the server from the keys `certificate_file` and
/// `private_key_file` of `section`; on failure, the key at fault and why.
fn load_certificate(
    section: &str,
    certificate_file: &Path,
    private_key_file: &Path,
) -> Result<CertifiedKey, (String, String)> {
    let chain = read_certificates(certificate_file)
        .map_err(|message| (format!("{section}.certificate_file"), message))?;
    let key = PrivateKeyDer::from_pem_file(private_key_file).map_err(|error| {
        let why = match error {
            pem::Error::NoItemsFound => "holds no private key (PEM: BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)".to_owned(),
            pem::Error::Io(error) => format!("cannot be read: {error}"),
            _ => "is not a PEM private key".to_owned(),
        };
        (
            format!("{section}.private_key_file"),
            format!("{} {why}", private_key_file.display()),
        )
    })?;
    CertifiedKey::from_der(chain, key, &provider()).map_err(|error| {
        let message = match error {
            rustls::Error::InconsistentKeys(_) => format!(
                "{} is not the key of the certificate in {}: give the key the certificate was issued for",
                private_key_file.display(),
                certificate_file.display()
            ),
            other => format!(
                "{} cannot sign TLS handshakes: {other} (RSA, ECDSA P-256/P-384 and Ed25519 keys are supported)",
                private_key_file.display()
            ),
        };
        (format!("{section}.private_key_file"), message)
    })
}

/// A TLS client's chain check from its CA bundle, and the CA certificates.
fn load_trust_anchors(
    ca_file: &Path,
) -> Result<
    (
        Arc<dyn rustls::server::danger::ClientCertVerifier>,
        Vec<CertificateDer<'static>>,
    ),
    String,
> {
    let certificates = read_certificates(ca_file)?;
    let mut roots = RootCertStore::empty();
    for (i, certificate) in certificates.iter().enumerate() {
        roots.add(certificate.clone()).map_err(|error| {
            format!(
                "certificate {} of {} is not a CA certificate rustls can use: {error}",
                i + 1,
                ca_file.display()
            )
        })?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|error| format!("{} cannot verify clients: {error}", ca_file.display()))?;
    Ok((verifier, certificates))
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|error| describe_pem_error(path, error))?
        .collect();
    let certificates = certificates.map_err(|error| describe_pem_error(path, error))?;
    if certificates.is_empty() {
        return Err(format!(
            "{} holds no certificate (PEM: BEGIN CERTIFICATE)",
            path.display()
        ));
    }
    for (i, certificate) in certificates.iter().enumerate() {
        if x509_parser::parse_x509_certificate(certificate).is_err() {
            return Err(format!(
                "certificate {} of {} is not a valid X.509 certificate",
                i + 1,
                path.display()
            ));
        }
    }
    Ok(certificates)
}

fn describe_pem_error(path: &Path, error: pem::Error) -> String {
    match error {
        pem::Error::Io(error) => format!("{} cannot be read: {error}", path.display()),
        other => format!("{} is not a PEM file: {other:?}", path.display()),
    }
}

/// Warnings for certificates that expired, expire within
/// [`EXPIRY_WARNING`], or are not valid yet.
fn expiry_warnings(
    key: &str,
    certificates: &[CertificateDer<'_>],
    now: SystemTime,
    warnings: &mut Vec<String>,
) {
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |elapsed| {
        i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
    });
    let soon = now.saturating_add(i64::try_from(EXPIRY_WARNING.as_secs()).unwrap_or(0));
    for certificate in certificates {
        let Ok((_, parsed)) = x509_parser::parse_x509_certificate(certificate) else {
            continue;
        };
        let subject = parsed.subject().to_string();
        let validity = parsed.validity();
        let not_after = validity.not_after.timestamp();
        let date = validity.not_after.to_datetime().date();
        if not_after <= now {
            warnings.push(format!(
                "{key}: the certificate `{subject}` expired on {date}: TLS peers refuse it; renew it, then reload (kill -HUP)"
            ));
        } else if not_after <= soon {
            let days = (not_after - now) / 86_400;
            warnings.push(format!(
                "{key}: the certificate `{subject}` expires on {date}, in {days} days; renew it, then reload (kill -HUP)"
            ));
        }
        if validity.not_before.timestamp() > now {
            warnings.push(format!(
                "{key}: the certificate `{subject}` is not valid before {}: TLS peers refuse it until then (check the clock)",
                validity.not_before.to_datetime().date()
            ));
        }
    }
}

/// A warning when the private key file is readable by its group or others.
fn key_file_warning(section: &str, path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        (mode & 0o077 != 0).then(|| {
            format!(
                "`{section}.private_key_file`: {} is readable by its group or by other users (mode {:o}); run `chmod 600` on it",
                path.display(),
                mode & 0o777,
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (section, path);
        None
    }
}
