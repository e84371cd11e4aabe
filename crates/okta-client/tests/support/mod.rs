//! An org over HTTPS for the connection tests: a test CA, a certificate
//! it signed, and hyper's server answering `/api/v1/authn` with a success
//! and anything else with the token's owner, over HTTP/2 or HTTP/1.1 as
//! the TLS handshake chose.

#![allow(dead_code)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub const ADMIN: &str = r#"{"id":"00u1admin","profile":{"login":"admin@example.com"}}"#;
pub const SUCCESS: &str = r#"{"status":"SUCCESS","sessionToken":"20111tok","_embedded":{"user":{"id":"00u2pat","profile":{"login":"pat@example.com"}}}}"#;

/// A CA written to a PEM file, and a certificate for one DNS name it signed.
pub struct Pki {
    _dir: tempfile::TempDir,
    pub ca_file: std::path::PathBuf,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

pub fn pki(dns_name: &str) -> Pki {
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().expect("a CA key");
    let ca_certificate = ca.self_signed(&ca_key).expect("the CA certificate");
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::default();
    leaf.subject_alt_names = vec![SanType::DnsName(dns_name.try_into().expect("a name"))];
    let leaf_key = KeyPair::generate().expect("a key");
    let leaf_certificate = leaf.signed_by(&leaf_key, &issuer).expect("a certificate");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca_certificate.pem()).expect("the CA file");
    Pki {
        _dir: dir,
        ca_file,
        chain: vec![leaf_certificate.der().clone()],
        key: PrivateKeyDer::from_pem_slice(leaf_key.serialize_pem().as_bytes()).expect("the key"),
    }
}

/// What the org saw: connections accepted and the version of each request.
#[derive(Default)]
pub struct Seen {
    pub connections: AtomicUsize,
    pub versions: Mutex<Vec<Version>>,
}

/// An org answering `GET /api/v1/users/me` over TLS, offering `alpn`.
pub async fn https_org(pki: &Pki, alpn: &[&[u8]]) -> (u16, Arc<Seen>) {
    let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(pki.chain.clone(), pki.key.clone_key())
    .expect("the server certificate");
    tls.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("its address").port();
    let seen = Arc::new(Seen::default());
    let org = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            org.connections.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            let org = org.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |request: Request<Incoming>| {
                    let org = org.clone();
                    async move {
                        org.versions
                            .lock()
                            .expect("not poisoned")
                            .push(request.version());
                        let body = match request.uri().path() {
                            "/api/v1/authn" => SUCCESS,
                            _ => ADMIN,
                        };
                        let answer = Response::builder()
                            .header("content-type", "application/json")
                            .header("x-okta-request-id", "req-tls")
                            .body(Full::new(Bytes::from_static(body.as_bytes())))
                            .expect("an answer");
                        Ok::<_, Infallible>(answer)
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (port, seen)
}
