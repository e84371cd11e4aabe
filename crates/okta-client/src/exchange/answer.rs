//! What Okta answered: the status and the headers the bridge reads
//! (`X-Okta-Request-Id`, `X-Rate-Limit-*` with `Date`, the next page's
//! `Link`, a key set's `Cache-Control`), the body read within a size bound,
//! and a 2xx answer decoded into an [`OktaReply`].

use reqwest::header::{CACHE_CONTROL, HeaderMap, HeaderName, LINK};
use serde::de::DeserializeOwned;

use super::failure::describe_json;
use crate::error::OktaError;
use okta_api::RateLimit;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-okta-request-id");

/// A successful answer and what Okta said about it in headers.
#[derive(Debug, Clone)]
pub struct OktaReply<T> {
    pub body: T,
    /// `X-Okta-Request-Id`: quote it in logs.
    pub request_id: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub http_status: u16,
}

/// The status line and the headers every answer is read for.
pub(crate) struct Head {
    pub(crate) http_status: u16,
    /// `X-Okta-Request-Id`.
    pub(crate) request_id: Option<String>,
    /// `X-Rate-Limit-*`, on the clock of the answer's `Date`.
    pub(crate) rate_limit: Option<RateLimit>,
}

impl Head {
    /// Reads the head of an answer.
    pub(crate) fn of(status: reqwest::StatusCode, headers: &HeaderMap) -> Head {
        Head {
            http_status: status.as_u16(),
            request_id: header_text(headers, &REQUEST_ID).map(str::to_owned),
            rate_limit: RateLimit::from_headers(headers),
        }
    }
}

/// A 2xx answer before decoding.
pub(crate) struct RawAnswer {
    head: Head,
    /// The target of `Link: <...>; rel="next"`, unchecked.
    next_link: Option<String>,
    /// `Cache-Control`, as sent.
    cache_control: Option<String>,
    body: Vec<u8>,
}

impl RawAnswer {
    pub(crate) fn new(head: Head, headers: &HeaderMap, body: Vec<u8>) -> RawAnswer {
        RawAnswer {
            head,
            next_link: next_link(headers),
            cache_control: header_text(headers, &CACHE_CONTROL).map(str::to_owned),
            body,
        }
    }

    /// The HTTP status of the answer.
    pub(crate) fn http_status(&self) -> u16 {
        self.head.http_status
    }

    /// The body as received, and `Cache-Control`.
    pub(crate) fn into_body_and_cache_control(self) -> (Vec<u8>, Option<String>) {
        (self.body, self.cache_control)
    }

    /// Decodes the body; an empty body (HTTP 204) reads as JSON `null`, so
    /// `()` and `Option` answers work.
    pub(crate) fn decode<T: DeserializeOwned>(self) -> Result<OktaReply<T>, OktaError> {
        self.decode_page().map(|(reply, _)| reply)
    }

    /// [`RawAnswer::decode`], and the `Link: rel="next"` target of a page
    /// (for the caller to check against the org before following it).
    pub(crate) fn decode_page<T: DeserializeOwned>(
        self,
    ) -> Result<(OktaReply<T>, Option<String>), OktaError> {
        let RawAnswer {
            head,
            next_link,
            body,
            ..
        } = self;
        let bytes: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &body
        };
        let decoded = serde_json::from_slice(bytes).map_err(|error| {
            OktaError::Decode(format!(
                "{} (HTTP {}{})",
                describe_json(&error),
                head.http_status,
                head.request_id
                    .as_deref()
                    .map(|id| format!(", request id {id}"))
                    .unwrap_or_default()
            ))
        })?;
        let reply = OktaReply {
            body: decoded,
            request_id: head.request_id,
            rate_limit: head.rate_limit,
            http_status: head.http_status,
        };
        Ok((reply, next_link))
    }
}

fn header_text<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers.get(name)?.to_str().ok()
}

/// The target of the RFC 8288 `Link` with `rel="next"`, across every `Link`
/// header and every comma-separated link in them.
fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|link| {
            let (target, params) = link.trim().split_once(';')?;
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            let is_next = params.split(';').any(|param| {
                param.trim().split_once('=').is_some_and(|(name, value)| {
                    name.trim().eq_ignore_ascii_case("rel")
                        && value
                            .trim()
                            .trim_matches('"')
                            .split_whitespace()
                            .any(|rel| rel.eq_ignore_ascii_case("next"))
                })
            });
            is_next.then(|| target.to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn next_links_are_found_among_other_links() {
        let mut headers = HeaderMap::new();
        assert_eq!(next_link(&headers), None);
        headers.append(
            LINK,
            HeaderValue::from_static(
                "<https://example.okta.com/api/v1/users/1/groups?limit=1>; rel=\"self\"",
            ),
        );
        assert_eq!(next_link(&headers), None);
        headers.append(
            LINK,
            HeaderValue::from_static(
                "<https://example.okta.com/api/v1/users/1/groups?after=00g1&limit=1>; rel=\"next\"",
            ),
        );
        assert_eq!(
            next_link(&headers).as_deref(),
            Some("https://example.okta.com/api/v1/users/1/groups?after=00g1&limit=1")
        );
        let mut joined = HeaderMap::new();
        joined.insert(
            LINK,
            HeaderValue::from_static(
                "<https://a.example/1>; rel=self, <https://a.example/2>; rel=next",
            ),
        );
        assert_eq!(next_link(&joined).as_deref(), Some("https://a.example/2"));
    }

    #[test]
    fn an_empty_answer_reads_as_null() {
        let head = Head {
            http_status: 204,
            request_id: Some("req1".into()),
            rate_limit: None,
        };
        let answer = RawAnswer::new(head, &HeaderMap::new(), Vec::new());
        let reply: OktaReply<()> = answer.decode().expect("empty body");
        assert_eq!(reply.http_status, 204);
        assert_eq!(reply.request_id.as_deref(), Some("req1"));
    }
}
