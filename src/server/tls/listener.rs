//! The RADIUS/TLS transport (RFC 6614): accepting a connection, the
//! mutually authenticated handshake that tells which client it is, and
//! handing it to the stream connection loop.
//!
//! Each connection gets a TLS configuration of its own, built around the
//! certificate in force when it was accepted (a reload swaps it for later
//! connections) and a verifier that knows the connection's candidates: TLS
//! 1.2 and 1.3 only, a client certificate required, no early data, and no
//! session resumption, so every connection proves its certificate afresh
//! against the trust anchors in force. A source no TLS client may connect
//! from is refused before any handshake work.

use super::credentials::provider;
use super::verifier::{PeerVerifier, identify};
use crate::server::clients::{Client, ClientTable};
use crate::server::reply_sink::Transport;
use crate::server::shared::Shared;
use crate::server::stream::accept::{self, refused};
use crate::server::stream::connection::{self, Accepted};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::NoServerSessionStorage;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The accept loop of one RADIUS/TLS listener (index `index` among all
/// listen addresses).
pub(in crate::server) async fn listen(shared: Arc<Shared>, index: u16, listener: TcpListener) {
    loop {
        let (stream, peer) = accept::next(&listener).await;
        let Some(place) = shared.capacity.try_open() else {
            refused(Transport::Tls, "connection_limit", peer);
            continue;
        };
        let candidates = shared.clients.get().tls_candidates(peer.ip());
        if candidates.is_empty() {
            refused(Transport::Tls, "unknown_client", peer);
            continue;
        }
        let shared = shared.clone();
        tokio::spawn(async move {
            let _place = place;
            handshake_and_serve(shared, index, stream, peer, candidates).await;
        });
    }
}

async fn handshake_and_serve(
    shared: Arc<Shared>,
    index: u16,
    stream: TcpStream,
    peer: SocketAddr,
    candidates: Vec<Arc<Client>>,
) {
    let Some(certificate) = shared.certificate.get().as_ref().clone() else {
        refused(Transport::Tls, "handshake_failed", peer);
        return;
    };
    let verifier = Arc::new(PeerVerifier::new(
        candidates,
        provider().signature_verification_algorithms,
    ));
    let config = match server_config(certificate, verifier.clone()) {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "cannot set up TLS for a connection");
            refused(Transport::Tls, "handshake_failed", peer);
            return;
        }
    };
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let timeout = shared.connection_limits.handshake_timeout;
    let tls = match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => {
            let refusal = verifier.refusal();
            let tls_error = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>());
            let reason = match (&refusal, tls_error) {
                (Some(refusal), _) => refusal.reason,
                (None, Some(rustls::Error::NoCertificatesPresented)) => "no_certificate",
                (None, _) => "handshake_failed",
            };
            refused(Transport::Tls, reason, peer);
            match (refusal, verifier.first_candidate()) {
                (Some(refusal), Some(candidate)) if candidate.may_warn() => tracing::warn!(
                    %peer,
                    reason,
                    detail = %refusal.detail,
                    "RADIUS/TLS connection refused: its certificate matches no client"
                ),
                _ => tracing::debug!(%peer, reason, %error, "RADIUS/TLS handshake failed"),
            }
            return;
        }
        Err(_) => {
            refused(Transport::Tls, "handshake_timeout", peer);
            return;
        }
    };
    let Some(client) = verifier.matched() else {
        refused(Transport::Tls, "handshake_failed", peer);
        return;
    };
    let Some(claim) = shared
        .capacity
        .try_claim(&client.config.name, Transport::Tls)
    else {
        refused(Transport::Tls, "client_connection_limit", peer);
        if client.may_warn() {
            tracing::warn!(
                client = %client.config.name,
                %peer,
                "RADIUS/TLS connection refused: the client holds connections.max_per_client already"
            );
        }
        return;
    };
    let session = tls.get_ref().1;
    tracing::debug!(
        client = %client.config.name,
        %peer,
        version = ?session.protocol_version(),
        suite = ?session.negotiated_cipher_suite().map(|suite| suite.suite()),
        "RADIUS/TLS handshake done"
    );
    // Kept to check the client again on a reload.
    let chain: Vec<CertificateDer<'static>> = session
        .peer_certificates()
        .map(<[CertificateDer<'_>]>::to_vec)
        .unwrap_or_default();
    let (reader, writer) = tokio::io::split(tls);
    let accepted = Accepted {
        reader,
        writer,
        transport: Transport::Tls,
        peer,
        listener: index,
        client,
    };
    let reidentify = move |table: &ClientTable| identify_again(table, peer, &chain);
    connection::serve(shared, accepted, reidentify).await;
    drop(claim);
}

/// The client of an open connection under a reloaded table: the same
/// decision as in its handshake, against the new trust anchors and
/// identities.
fn identify_again(
    table: &ClientTable,
    peer: SocketAddr,
    chain: &[CertificateDer<'static>],
) -> Option<Arc<Client>> {
    let (end_entity, intermediates) = chain.split_first()?;
    let candidates = table.tls_candidates(peer.ip());
    identify(&candidates, end_entity, intermediates, UnixTime::now()).ok()
}

fn server_config(
    certificate: Arc<CertifiedKey>,
    verifier: Arc<PeerVerifier>,
) -> Result<ServerConfig, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certificate)));
    // Every connection shows its certificate: no resumption, no tickets.
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    // No 0-RTT: early data could be replayed.
    config.max_early_data_size = 0;
    Ok(config)
}
