//! How a call reaches the org and how its answer is read: on the org's own
//! connections ([`OrgConnections`]) when nothing stands between, through
//! the general HTTP client when an outbound proxy is configured (it speaks
//! `CONNECT` and the proxy's own rules). Either way the answer comes back
//! as its status, its headers and its body read within a size bound, and
//! the whole call within the request timeout.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};

use super::failure::{describe, transport_error};
use super::org_connections::OrgConnections;
use crate::error::OktaError;

/// Answers larger than this are refused: no Okta answer comes close.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// The way calls go out.
pub(crate) enum Transport {
    Direct(Box<OrgConnections>),
    Proxied(reqwest::Client),
}

/// What came back for a call: its head, and its body or why the body
/// could not be read.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Result<Vec<u8>, OktaError>,
}

impl Transport {
    /// Sends `request` (an absolute URI) and reads the answer, all within
    /// `timeout` on the org's connections (the general client applies the
    /// same timeout itself). `Err` when no answer came.
    pub(crate) async fn send(
        &self,
        request: Request<Bytes>,
        timeout: Duration,
    ) -> Result<Answer, OktaError> {
        match self {
            Transport::Direct(connections) => {
                let exchange = async {
                    let request = request.map(Full::new);
                    let mut answered = connections.send(request).await?;
                    let status = answered.response.status();
                    let headers = std::mem::take(answered.response.headers_mut());
                    let body = read_body(answered.response.body_mut(), |error| {
                        super::org_connections::transport_error(&error)
                    })
                    .await;
                    if body.is_ok() {
                        connections.give_back(answered);
                    }
                    Ok(Answer {
                        status,
                        headers,
                        body,
                    })
                };
                tokio::time::timeout(timeout, exchange)
                    .await
                    .map_err(|_| OktaError::Timeout)?
            }
            Transport::Proxied(client) => {
                let request = reqwest::Request::try_from(request)
                    .map_err(|error| OktaError::Http(describe(&error)))?;
                let response = client.execute(request).await.map_err(transport_error)?;
                let mut response = http::Response::from(response);
                let status = response.status();
                let headers = std::mem::take(response.headers_mut());
                let body = read_body(response.body_mut(), transport_error).await;
                Ok(Answer {
                    status,
                    headers,
                    body,
                })
            }
        }
    }
}

/// Reads a body, refusing one larger than [`MAX_ANSWER_BYTES`].
async fn read_body<B, E>(
    body: &mut B,
    failed: impl Fn(B::Error) -> OktaError,
) -> Result<Vec<u8>, OktaError>
where
    B: hyper::body::Body<Data = Bytes, Error = E> + Unpin,
{
    let mut answer = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(chunk) = frame.map_err(&failed)?.into_data() else {
            continue; // trailers
        };
        if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(OktaError::Decode(format!(
                "the answer is larger than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        if answer.is_empty() {
            answer.reserve_exact(chunk.len());
        }
        answer.extend_from_slice(&chunk);
    }
    Ok(answer)
}
