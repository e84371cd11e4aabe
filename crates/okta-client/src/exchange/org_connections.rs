//! The connections to the org that calls go out on when no outbound proxy
//! applies (configured or in the environment): kept-alive HTTP/1.1
//! connections, or one HTTP/2 connection that every call shares when Okta
//! offers `h2` in the TLS handshake, over TCP (TLS for `https`). It is hyper's connection-level client and nothing
//! around it: a login's call pays for one request written and one answer
//! read, not for a general client's layers (URL re-parsing, connector
//! services, pool keys, retry policies), which cost more CPU and heap than
//! the exchange itself on a fast answer.
//!
//! A call takes the most recently used idle HTTP/1.1 connection (LIFO, so
//! a burst's extra connections age out), or opens one. A request that an
//! idle connection could not take because the org had closed it is sent
//! again on a new connection: it was never written, so even a password
//! cannot reach Okta twice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HOST, HeaderValue, USER_AGENT};
use http::uri::{Authority, PathAndQuery, Scheme, Uri};
use http::{Request, Response, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;

use crate::error::OktaError;
use crate::settings::USER_AGENT as OUR_USER_AGENT;

/// An idle connection older than this is closed rather than used: the
/// org's load balancers close idle connections after a minute or so.
const IDLE_FOR_AT_MOST: Duration = Duration::from_secs(55);

/// The org's connections.
pub(crate) struct OrgConnections {
    scheme: Scheme,
    authority: Authority,
    host: HeaderValue,
    /// Where to connect: the URL's host (a name or an address) and port.
    connect_to: (String, u16),
    tls: Option<(TlsConnector, ServerName<'static>)>,
    connect_timeout: Duration,
    /// Idle HTTP/1.1 connections kept at most: as many as calls may be in
    /// flight at once (`okta.max_concurrent`); more are closed.
    idle_kept_at_most: usize,
    idle: Mutex<Vec<Idle>>,
    shared: Mutex<Option<http2::SendRequest<Full<Bytes>>>>,
    /// Set once the org chose HTTP/1.1: new connections may then open side
    /// by side. Until then they open one at a time, so that a burst of
    /// calls to an HTTP/2 org shares the first connection.
    speaks_http1: AtomicBool,
    opening: tokio::sync::Mutex<()>,
}

struct Idle {
    sender: http1::SendRequest<Full<Bytes>>,
    since: Instant,
}

/// A connection a call is sent on.
enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

/// An answer's head and body, and the HTTP/1.1 connection to give back
/// once the body is read.
pub(crate) struct Answered {
    pub(crate) response: Response<Incoming>,
    connection: Option<http1::SendRequest<Full<Bytes>>>,
}

impl OrgConnections {
    /// Connections to the org at `url` (`https`, or `http` on loopback);
    /// `tls` is used for `https`; at most `max_concurrent` are kept idle.
    pub(crate) fn new(
        url: &url::Url,
        tls: Arc<rustls::ClientConfig>,
        connect_timeout: Duration,
        max_concurrent: usize,
    ) -> Result<OrgConnections, OktaError> {
        let invalid = || OktaError::Config("okta.org_url has no usable host".into());
        let host = url.host_str().ok_or_else(invalid)?;
        let port = url.port_or_known_default().ok_or_else(invalid)?;
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let authority = Authority::try_from(authority.as_str()).map_err(|_| invalid())?;
        let (scheme, tls) = match url.scheme() {
            "https" => {
                // Brackets are the URL's, not the name's (an IPv6 address).
                let name = host.trim_start_matches('[').trim_end_matches(']');
                let name = ServerName::try_from(name.to_owned()).map_err(|_| invalid())?;
                (Scheme::HTTPS, Some((TlsConnector::from(tls), name)))
            }
            _ => (Scheme::HTTP, None),
        };
        Ok(OrgConnections {
            scheme,
            host: HeaderValue::from_str(authority.as_str()).map_err(|_| invalid())?,
            authority,
            connect_to: (
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
                port,
            ),
            tls,
            connect_timeout,
            idle_kept_at_most: max_concurrent.max(1),
            idle: Mutex::new(Vec::new()),
            shared: Mutex::new(None),
            speaks_http1: AtomicBool::new(false),
            opening: tokio::sync::Mutex::new(()),
        })
    }

    /// Sends `request` (its URI absolute, or the path and query) and returns the
    /// answer's head, its body still to read.
    pub(crate) async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<Answered, OktaError> {
        request
            .headers_mut()
            .entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(OUR_USER_AGENT));
        // At most one retry: only a request no connection took.
        for fresh in [false, true] {
            let sender = match self.kept(fresh).await {
                Some(sender) => sender,
                // Rare, and large (TCP, TLS, HTTP/2 handshakes): boxed.
                None => Box::pin(self.open(fresh)).await?,
            };
            match self.try_send(sender, request).await {
                Ok(answered) => return Ok(answered),
                Err(Unsent::Back(again)) => request = again,
                Err(Unsent::Failed(error)) => return Err(error),
            }
        }
        Err(OktaError::Connect(
            "the org closed each connection before the request was sent".into(),
        ))
    }

    async fn try_send(
        &self,
        sender: Sender,
        request: Request<Full<Bytes>>,
    ) -> Result<Answered, Unsent> {
        match sender {
            Sender::Http1(mut sender) => {
                let request = self.for_http1(request);
                let answer = sender.try_send_request(request).await;
                match answer {
                    Ok(response) => Ok(Answered {
                        response,
                        connection: Some(sender),
                    }),
                    Err(mut error) => match error.take_message() {
                        Some(request) => Err(Unsent::Back(without_host(request))),
                        None => Err(Unsent::Failed(transport_error(&error.into_error()))),
                    },
                }
            }
            Sender::Http2(mut sender) => {
                let request = self.for_http2(request);
                match sender.try_send_request(request).await {
                    Ok(response) => Ok(Answered {
                        response,
                        connection: None,
                    }),
                    Err(mut error) => match error.take_message() {
                        Some(request) => {
                            self.forget_shared();
                            Err(Unsent::Back(request))
                        }
                        None => Err(Unsent::Failed(transport_error(&error.into_error()))),
                    },
                }
            }
        }
    }

    /// Gives an HTTP/1.1 connection back once its answer is read in full.
    pub(crate) fn give_back(&self, answered: Answered) {
        if let Some(sender) = answered.connection
            && !sender.is_closed()
        {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.idle_kept_at_most {
                idle.push(Idle {
                    sender,
                    since: Instant::now(),
                });
            }
        }
    }

    /// A connection ready for a request: the shared HTTP/2 one, or the
    /// most recent idle HTTP/1.1 one (none when `fresh`).
    async fn kept(&self, fresh: bool) -> Option<Sender> {
        if fresh {
            return None;
        }
        if let Some(sender) = self.kept_shared().await {
            return Some(sender);
        }
        loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let Idle { mut sender, since } = idle?;
            if sender.is_closed() || since.elapsed() > IDLE_FOR_AT_MOST {
                continue;
            }
            // Ready as soon as its connection has read the last answer.
            if sender.ready().await.is_ok() {
                return Some(Sender::Http1(sender));
            }
        }
    }

    /// The shared HTTP/2 connection, when there is one and it is open.
    async fn kept_shared(&self) -> Option<Sender> {
        let shared = self
            .shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut sender = shared?;
        if !sender.is_closed() && sender.ready().await.is_ok() {
            return Some(Sender::Http2(sender));
        }
        self.forget_shared();
        None
    }

    /// A new connection, or the HTTP/2 one another call opened meanwhile.
    async fn open(&self, fresh: bool) -> Result<Sender, OktaError> {
        if self.speaks_http1.load(Ordering::Relaxed) {
            return self.connect().await;
        }
        let _one_at_a_time = self.opening.lock().await;
        if !fresh && let Some(sender) = self.kept_shared().await {
            return Ok(sender);
        }
        self.connect().await
    }

    fn forget_shared(&self) {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if shared.as_ref().is_some_and(http2::SendRequest::is_closed) {
            *shared = None;
        }
    }

    /// Opens a connection: TCP, TLS with ALPN for `https`, then HTTP/2 when
    /// the org chose `h2`, HTTP/1.1 otherwise. Its driver runs as a task
    /// of its own until the connection closes.
    async fn connect(&self) -> Result<Sender, OktaError> {
        let connecting = async {
            let (host, port) = &self.connect_to;
            let tcp = TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|error| {
                    OktaError::Connect(format!("cannot connect to the org: {error}"))
                })?;
            // Small writes (a request) go out at once.
            let _ = tcp.set_nodelay(true);
            match &self.tls {
                None => {
                    self.speaks_http1.store(true, Ordering::Relaxed);
                    http1_over(TokioIo::new(tcp)).await
                }
                Some((connector, name)) => {
                    let tls = connector
                        .connect(name.clone(), tcp)
                        .await
                        .map_err(|error| {
                            OktaError::Connect(format!("TLS with the org failed: {error}"))
                        })?;
                    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                    let io = TokioIo::new(tls);
                    if h2 {
                        let sender = http2_over(io).await?;
                        *self.shared.lock().unwrap_or_else(PoisonError::into_inner) =
                            Some(sender.clone());
                        Ok(Sender::Http2(sender))
                    } else {
                        self.speaks_http1.store(true, Ordering::Relaxed);
                        http1_over(io).await
                    }
                }
            }
        };
        tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| OktaError::Timeout)?
    }

    /// HTTP/1.1 takes the path and query (origin form), and `Host`.
    fn for_http1(&self, mut request: Request<Full<Bytes>>) -> Request<Full<Bytes>> {
        if request.uri().authority().is_some() {
            let path = request
                .uri()
                .path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/"));
            *request.uri_mut() = Uri::from(path);
        }
        request.headers_mut().insert(HOST, self.host.clone());
        *request.version_mut() = Version::HTTP_11;
        request
    }

    /// HTTP/2 takes the scheme and authority in the URI (`:authority`).
    fn for_http2(&self, mut request: Request<Full<Bytes>>) -> Request<Full<Bytes>> {
        let path = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
        *request.version_mut() = Version::HTTP_2;
        request
    }
}

/// A request an HTTP/1.1 connection gave back, as it was before (the next
/// connection may speak HTTP/2, which has no `Host`).
fn without_host(mut request: Request<Full<Bytes>>) -> Request<Full<Bytes>> {
    request.headers_mut().remove(HOST);
    request
}

/// Why a request was not answered on a connection.
enum Unsent {
    /// Never written: it may go on another connection.
    Back(Request<Full<Bytes>>),
    Failed(OktaError),
}

async fn http1_over<T>(io: TokioIo<T>) -> Result<Sender, OktaError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = http1::handshake(io)
        .await
        .map_err(|error| transport_error(&error))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "a connection to the org ended");
        }
    });
    Ok(Sender::Http1(sender))
}

async fn http2_over<T>(io: TokioIo<T>) -> Result<http2::SendRequest<Full<Bytes>>, OktaError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .keep_alive_interval(Duration::from_secs(30))
        .handshake(io)
        .await
        .map_err(|error| transport_error(&error))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "the HTTP/2 connection to the org ended");
        }
    });
    Ok(sender)
}

/// The error for a call hyper could not complete.
pub(crate) fn transport_error(error: &hyper::Error) -> OktaError {
    if error.is_timeout() {
        OktaError::Timeout
    } else {
        OktaError::Http(super::failure::describe(error))
    }
}
