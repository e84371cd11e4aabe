//! Okta Event Hooks: Okta pushes the same System Log events to an HTTPS
//! endpoint of ours, for orgs that prefer push to polling (polling goes on
//! beside it, and an event that arrives both ways ends sessions once).
//!
//! - `GET` with `X-Okta-Verification-Challenge` is Okta's one-time check of
//!   the endpoint: the value comes back as `{"verification": "..."}`;
//! - `POST` carries `{"data": {"events": [...]}}`; it is answered 200 at
//!   once and the events go to the follower;
//! - every call must carry, in `Authorization`, the secret configured in
//!   Okta's event hook (compared in constant time); any other is refused
//!   with 401, and nothing in the request is looked at.
//!
//! The listener serves HTTPS with the server's `[tls]` certificate; each
//! handshake runs on its own task and must finish within
//! [`HANDSHAKE_TIMEOUT`], at most [`MOST_HANDSHAKES`] at once.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use okta_api::system_log::LogEvent;
use radius_proto::crypto::constant_time_eq;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Where Okta is told to send its calls.
pub const PATH: &str = "/okta/event-hook";

/// The longest a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest body read: Okta batches up to 50 events per call.
const MOST_BODY_BYTES: usize = 1 << 20;

/// The header of Okta's one-time verification request.
const VERIFICATION_HEADER: &str = "x-okta-verification-challenge";

#[derive(Clone)]
struct Hook {
    secret: Arc<SecretString>,
    events: mpsc::Sender<Vec<LogEvent>>,
}

#[derive(Deserialize)]
struct Delivery {
    data: DeliveryData,
}

#[derive(Deserialize)]
struct DeliveryData {
    #[serde(default)]
    events: Vec<LogEvent>,
}

/// Binds the endpoint and serves it; events received go to `events`.
/// Returns the bound address.
pub async fn start(
    listen: SocketAddr,
    certificate: Arc<CertifiedKey>,
    secret: SecretString,
    events: mpsc::Sender<Vec<LogEvent>>,
) -> std::io::Result<SocketAddr> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(OneCertificate(certificate)));
    let listener = TcpListener::bind(listen).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("disconnect.event_hook_listen: cannot listen on {listen}: {e}"),
        )
    })?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route(PATH, get(verify).post(deliver))
        .layer(axum::extract::DefaultBodyLimit::max(MOST_BODY_BYTES))
        .with_state(Hook {
            secret: Arc::new(secret),
            events,
        });
    let listener = TlsListener::new(listener, TlsAcceptor::from(Arc::new(tls)))?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the Event Hook listener stopped");
        }
    });
    Ok(bound)
}

/// Whether the call carries the configured secret.
fn authorized(hook: &Hook, headers: &HeaderMap) -> bool {
    headers.get("authorization").is_some_and(|value| {
        constant_time_eq(value.as_bytes(), hook.secret.expose_secret().as_bytes())
    })
}

async fn verify(State(hook): State<Hook>, headers: HeaderMap) -> Response {
    if !authorized(&hook, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(challenge) = headers
        .get(VERIFICATION_HEADER)
        .and_then(|value| value.to_str().ok())
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    tracing::info!("Okta verified the Event Hook endpoint");
    axum::Json(serde_json::json!({ "verification": challenge })).into_response()
}

async fn deliver(State(hook): State<Hook>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&hook, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(delivery) = serde_json::from_slice::<Delivery>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if delivery.data.events.is_empty() {
        return StatusCode::OK.into_response();
    }
    // Okta waits at most 3 s for the answer: the events are handed over,
    // not handled, before it is given.
    match hook.events.try_send(delivery.data.events) {
        Ok(()) => StatusCode::OK.into_response(),
        // Okta retries once on a 5xx; polling finds the events anyway.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// The server's one certificate, whatever the client asks for.
#[derive(Debug)]
struct OneCertificate(Arc<CertifiedKey>);

impl ResolvesServerCert for OneCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Handshakes under way at most; past it new connections wait.
const MOST_HANDSHAKES: usize = 64;

/// TCP connections that become TLS streams before HTTP sees them. The
/// handshakes run on tasks of their own, so a slow peer holds up nobody.
struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    fn new(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (done, ready) = mpsc::channel(MOST_HANDSHAKES);
        let handshakes = Arc::new(Semaphore::new(MOST_HANDSHAKES));
        tokio::spawn(async move {
            loop {
                let Ok(permit) = handshakes.clone().acquire_owned().await else {
                    return;
                };
                let Ok((stream, peer)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let acceptor = acceptor.clone();
                let done = done.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = done.send((tls, peer)).await;
                        }
                        Ok(Err(error)) => {
                            tracing::debug!(%peer, %error, "Event Hook TLS handshake failed");
                        }
                        Err(_) => tracing::debug!(%peer, "Event Hook TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { local, ready })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
