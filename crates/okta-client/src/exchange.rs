//! The one place that talks HTTP to Okta. Every call goes through
//! [`OktaClient::exchange_raw`], which:
//!
//! - refuses a call that needs the API token while Okta is known to refuse it
//!   ([`OktaError::CredentialInvalid`], no request sent);
//! - asks the rate-limit budget for a slot (class, bucket, per-user limit,
//!   concurrency cap, the request's deadline);
//! - adds the `Authorization` header for the caller (`SSWS`, or an OAuth
//!   DPoP token and proof, retried once on a nonce demand or a 401), the
//!   `User-Agent`, JSON and `X-Forwarded-For` headers;
//! - reads `X-Okta-Request-Id`, `X-Rate-Limit-*` and `Date` (the clock the
//!   reset is on), bounds the answer size,
//!   maps failures to [`OktaError`], and reports to the credential state and
//!   the metrics;
//! - retries a 429 after the window's reset when the call may be repeated
//!   (never a password or a code) and the deadline allows, with
//!   `X-Okta-Retry-For` and `X-Okta-Retry-Count`.

use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use metrics::{counter, histogram};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LINK};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::budget::{OktaBucket, current_deadline};
use super::call::{CallKind, Caller, endpoint_label};
use super::client::{OktaClient, OktaReply};
use super::error::{OktaError, OktaErrorBody, codes};
use super::oauth::demands_new_nonce;
use crate::metrics as names;
use okta_api::RateLimit;

/// Answers larger than this are refused: no Okta answer comes close.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// Longest `errorSummary` kept in an error message.
const MAX_SUMMARY_CHARS: usize = 300;
/// Retries of one call after a 429.
const MAX_RATE_LIMIT_RETRIES: u32 = 2;
/// Without a request deadline, a 429 is retried only if the reset is this
/// close: one Okta window and the one-second margin (the most the budget
/// ever waits for a reset).
const MAX_UNBOUNDED_RETRY_WAIT: Duration = Duration::from_secs(61);

const REQUEST_ID: &str = "x-okta-request-id";
const FORWARDED_FOR: &str = "x-forwarded-for";
const RETRY_FOR: &str = "x-okta-retry-for";
const RETRY_COUNT: &str = "x-okta-retry-count";

/// A 2xx answer before decoding, with the headers a caller may need.
pub(crate) struct RawAnswer {
    pub http_status: u16,
    pub request_id: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// One request as the exchange sends it.
pub(crate) struct Request<'a> {
    pub kind: CallKind,
    pub method: Method,
    pub url: Url,
    pub body: Option<Vec<u8>>,
    pub forwarded_for: Option<IpAddr>,
    /// Primary authentication: Okta's per-user limit applies.
    pub username: Option<&'a str>,
}

/// The authorization a request went out with.
enum Credential {
    ApiToken,
    OAuth,
}

impl OktaClient {
    pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        kind: CallKind,
        url: Url,
        body: &B,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<T>, OktaError> {
        let body = serde_json::to_vec(body)
            .map_err(|_| OktaError::Http("cannot encode the request body".into()))?;
        self.exchange(kind, Method::POST, url, Some(body), forwarded_for)
            .await
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        kind: CallKind,
        url: Url,
    ) -> Result<OktaReply<T>, OktaError> {
        self.exchange(kind, Method::GET, url, None, None).await
    }

    /// A call and its decoded answer. An empty answer (HTTP 204) reads as
    /// JSON `null`, so `()` and `Option` answers work.
    pub(crate) async fn exchange<T: DeserializeOwned>(
        &self,
        kind: CallKind,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<T>, OktaError> {
        let raw = self
            .exchange_raw(Request {
                kind,
                method,
                url,
                body,
                forwarded_for,
                username: None,
            })
            .await?;
        decode(raw).map(|(reply, _)| reply)
    }

    /// A GET whose answer may continue on another page: the decoded answer
    /// and the `Link: <...>; rel="next"` URL, checked to be inside the org.
    pub(crate) async fn get_page<T: DeserializeOwned>(
        &self,
        kind: CallKind,
        url: Url,
    ) -> Result<(OktaReply<T>, Option<Url>), OktaError> {
        let raw = self
            .exchange_raw(Request {
                kind,
                method: Method::GET,
                url,
                body: None,
                forwarded_for: None,
                username: None,
            })
            .await?;
        let (reply, headers) = decode(raw)?;
        let next = match next_link(&headers) {
            Some(href) => Some(self.resolve_link(&href)?),
            None => None,
        };
        Ok((reply, next))
    }

    /// Which credential a caller uses: OAuth for the service account when a
    /// service app is configured, the API token otherwise.
    fn credential_for(&self, caller: Caller) -> Credential {
        match caller {
            Caller::ServiceAccount if self.inner.oauth.is_some() => Credential::OAuth,
            _ => Credential::ApiToken,
        }
    }

    /// Puts the caller's `Authorization` (and `DPoP`) headers on a request.
    async fn authorize(
        &self,
        credential: &Credential,
        request: reqwest::RequestBuilder,
        method: &Method,
        url: &Url,
    ) -> Result<reqwest::RequestBuilder, OktaError> {
        match credential {
            Credential::ApiToken => match self.api_token_header() {
                Some(header) => Ok(request.header(AUTHORIZATION, header)),
                None => Err(OktaError::Config(
                    "this call needs the API token (SSWS), and none is configured: set okta.api_token"
                        .into(),
                )),
            },
            Credential::OAuth => {
                let Some(tokens) = &self.inner.oauth else {
                    return Err(OktaError::Config("no OAuth service app is configured".into()));
                };
                match tokens.authorization(method, url).await {
                    Ok(headers) => {
                        self.inner.credential.note_oauth(None);
                        Ok(headers.apply(request))
                    }
                    Err(error) => {
                        let text = error.to_string();
                        // A network failure says nothing about the app's keys.
                        if matches!(error, super::oauth::OAuthError::Network(_)) {
                            self.inner.credential.note_unreachable(text.clone());
                        } else {
                            self.inner.credential.note_oauth(Some(text.clone()));
                        }
                        Err(OktaError::OAuth(text))
                    }
                }
            }
        }
    }

    /// The one place that talks HTTP (see the module documentation).
    ///
    /// The call runs in its own allocation, freed when it ends: a login
    /// waiting between calls (a held push) then costs only its own state,
    /// not the size of an HTTP exchange in every future that awaits one.
    pub(crate) async fn exchange_raw(&self, call: Request<'_>) -> Result<RawAnswer, OktaError> {
        Box::pin(self.send_and_read(call)).await
    }

    async fn send_and_read(&self, call: Request<'_>) -> Result<RawAnswer, OktaError> {
        let Request {
            kind,
            method,
            url,
            body,
            forwarded_for,
            username,
        } = call;
        // Only the path is logged: links may carry query parameters.
        let path = url.path().to_owned();
        let path = path.as_str();
        let endpoint = endpoint_label(&method, path);
        let bucket = OktaBucket::for_request(&method, path);
        let credential = self.credential_for(kind.caller);
        let api_token = matches!(credential, Credential::ApiToken);
        if api_token && self.inner.credential.is_invalid() && !kind.probe && !kind.state_token {
            tracing::debug!(endpoint, "the API token is invalid: the call is not sent");
            return Err(OktaError::CredentialInvalid);
        }
        let json = HeaderValue::from_static("application/json");
        let mut retries = 0u32;
        let mut retry_for: Option<String> = None;
        let mut oauth_retried = false;
        loop {
            let permit = self
                .inner
                .budget
                .admit(bucket, kind.class, username)
                .await?;
            let mut request = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .header(ACCEPT, json.clone());
            request = self.authorize(&credential, request, &method, &url).await?;
            if let Some(body) = &body {
                request = request
                    .header(CONTENT_TYPE, json.clone())
                    .body(body.clone());
            }
            if let Some(ip) = forwarded_for {
                request = request.header(FORWARDED_FOR, ip.to_string());
            }
            if retries > 0 {
                if let Some(id) = &retry_for {
                    request = request.header(RETRY_FOR, id.as_str());
                }
                request = request.header(RETRY_COUNT, retries.to_string());
            }

            let started = Instant::now();
            let sent = request.send().await;
            let mut response = match sent {
                Ok(response) => response,
                Err(error) => {
                    drop(permit);
                    let error = transport_error(error);
                    counter!(names::OKTA_CALLS, "endpoint" => endpoint, "status" => "error")
                        .increment(1);
                    tracing::debug!(%method, path, %error, "Okta call failed");
                    self.inner.credential.note_unreachable(error.to_string());
                    return Err(error);
                }
            };
            let http_status = response.status().as_u16();
            let request_id = header_text(response.headers(), REQUEST_ID).map(str::to_owned);
            let rate_limit = RateLimit::from_headers(response.headers());
            if let (Credential::OAuth, Some(tokens)) = (&credential, &self.inner.oauth) {
                tokens.note_response(response.headers());
            }
            tracing::debug!(
                %method,
                path,
                http_status,
                request_id = request_id.as_deref().unwrap_or("-"),
                rate_limit_remaining = rate_limit.map(|limit| limit.remaining),
                "Okta answered"
            );
            let answer = read_answer(&mut response).await;
            // A 429 for a code sent too soon (SMS, call, email) is about one
            // factor, not the bucket. Other 429s are the budget's to read: it
            // empties the bucket only when the 429's headers show it empty
            // (Okta's per-user limit answers with calls left).
            let bucket_refused = http_status == 429
                && answer.as_ref().map_or(true, |bytes| {
                    serde_json::from_slice::<OktaErrorBody>(bytes).map_or(true, |body| {
                        !matches!(
                            body.error_code.as_str(),
                            codes::SMS_TOO_SOON | codes::CALL_TOO_SOON | codes::EMAIL_TOO_SOON
                        )
                    })
                });
            self.inner
                .budget
                .observe(bucket, rate_limit, http_status, bucket_refused);
            drop(permit);
            histogram!(names::OKTA_CALL_DURATION, "endpoint" => endpoint)
                .record(started.elapsed().as_secs_f64());
            counter!(names::OKTA_CALLS, "endpoint" => endpoint, "status" => http_status.to_string())
                .increment(1);
            let answer = match answer {
                Ok(answer) => answer,
                Err(error) => {
                    self.inner.credential.note_unreachable(error.to_string());
                    return Err(error);
                }
            };

            if let (Credential::OAuth, Some(tokens)) = (&credential, &self.inner.oauth)
                && http_status == 401
                && !oauth_retried
            {
                // A stale DPoP nonce, or an access token expired or revoked
                // early: once more with fresh headers.
                oauth_retried = true;
                if !demands_new_nonce(response.status(), response.headers()) {
                    tokens.invalidate();
                }
                continue;
            }

            if response.status().is_success() {
                self.inner.credential.note_answer();
                if api_token {
                    self.inner
                        .credential
                        .note_api_token_success(SystemTime::now());
                }
                return Ok(RawAnswer {
                    http_status,
                    request_id,
                    rate_limit,
                    headers: response.headers().clone(),
                    body: answer,
                });
            }
            let error = match serde_json::from_slice::<OktaErrorBody>(&answer) {
                Ok(error) if !error.error_code.is_empty() => OktaError::Api {
                    http_status,
                    error_code: error.error_code,
                    summary: error
                        .error_summary
                        .chars()
                        .take(MAX_SUMMARY_CHARS)
                        .collect(),
                    request_id: request_id.clone(),
                    rate_limit,
                },
                _ => OktaError::Status {
                    http_status,
                    request_id: request_id.clone(),
                },
            };
            if error.is_unavailable() {
                self.inner.credential.note_unreachable(error.to_string());
            } else {
                self.inner.credential.note_answer();
            }
            match (http_status, error.code()) {
                (401, Some(codes::INVALID_TOKEN)) if api_token && !kind.state_token => {
                    self.inner
                        .credential
                        .note_api_token_refused(endpoint, request_id.as_deref());
                }
                (401, _) if !api_token => {
                    self.inner.credential.note_oauth(Some(
                        "the management API refused the service app's access token (HTTP 401)"
                            .to_owned(),
                    ));
                }
                (403, Some(codes::FORBIDDEN)) => {
                    let which = if api_token {
                        "API token (SSWS)"
                    } else {
                        "OAuth service app"
                    };
                    self.inner
                        .credential
                        .note_forbidden(endpoint, which, request_id.as_deref());
                }
                (429, _) => {
                    if kind.retryable(&method) && retries < MAX_RATE_LIMIT_RETRIES {
                        let wait = self.inner.budget.retry_after(bucket);
                        let fits = match current_deadline() {
                            Some(deadline) => tokio::time::Instant::now() + wait <= deadline,
                            None => wait <= MAX_UNBOUNDED_RETRY_WAIT,
                        };
                        if fits {
                            tracing::info!(
                                endpoint,
                                okta_request_id = request_id.as_deref().unwrap_or("-"),
                                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                                "Okta rate-limited the call (429): retrying after the window resets"
                            );
                            tokio::time::sleep(wait).await;
                            retries += 1;
                            retry_for = request_id.clone();
                            continue;
                        }
                    }
                    tracing::warn!(
                        endpoint,
                        class = kind.class.label(),
                        okta_request_id = request_id.as_deref().unwrap_or("-"),
                        "Okta rate-limited the call (429); it is not retried"
                    );
                }
                _ => {}
            }
            return Err(error);
        }
    }
}

/// Decodes a 2xx answer; an empty body reads as `null`.
pub(crate) fn decode<T: DeserializeOwned>(
    raw: RawAnswer,
) -> Result<(OktaReply<T>, HeaderMap), OktaError> {
    let bytes: &[u8] = if raw.body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &raw.body
    };
    let body = serde_json::from_slice(bytes).map_err(|error| {
        OktaError::Decode(format!(
            "{} (HTTP {}{})",
            describe_json(&error),
            raw.http_status,
            raw.request_id
                .as_deref()
                .map(|id| format!(", request id {id}"))
                .unwrap_or_default()
        ))
    })?;
    Ok((
        OktaReply {
            body,
            request_id: raw.request_id,
            rate_limit: raw.rate_limit,
            http_status: raw.http_status,
        },
        raw.headers,
    ))
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

/// Reads the answer, refusing one larger than [`MAX_ANSWER_BYTES`].
async fn read_answer(response: &mut reqwest::Response) -> Result<Vec<u8>, OktaError> {
    let mut answer = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if answer.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(OktaError::Decode(format!(
                "the answer is larger than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        answer.extend_from_slice(&chunk);
    }
    Ok(answer)
}

pub(crate) fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok()
}

fn transport_error(error: reqwest::Error) -> OktaError {
    if error.is_timeout() {
        OktaError::Timeout
    } else if error.is_connect() {
        OktaError::Connect(describe(&error))
    } else {
        OktaError::Http(describe(&error))
    }
}

/// The error and its causes on one line. reqwest errors name the URL (which
/// holds no secret) and never the request body.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Where JSON decoding failed, without quoting the answer (it may hold tokens).
fn describe_json(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Io => "read error",
        Category::Syntax => "not valid JSON",
        Category::Data => "unexpected JSON content",
        Category::Eof => "truncated JSON",
    };
    format!("{what} at line {}, column {}", error.line(), error.column())
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_api::authn::AuthnResponse;

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
    fn json_errors_do_not_quote_the_answer() {
        let error =
            serde_json::from_str::<AuthnResponse>(r#"{"status": 5, "sessionToken": "tok-SECRET"}"#)
                .expect_err("bad");
        let text = describe_json(&error);
        assert!(!text.contains("SECRET"));
        assert!(text.starts_with("unexpected JSON content"));
    }
}
