//! The HTTP client that calls Okta on the bridge's behalf.
//!
//! One pooled connection set per org, shared by every login (an [`OktaClient`]
//! is an `Arc` and cheap to clone). Every call goes through one private
//! exchange that adds the authorization, `User-Agent` and JSON headers,
//! captures `X-Okta-Request-Id` and the `X-Rate-Limit-*` headers, bounds the
//! size of the answer and maps failures to [`OktaError`]. Public methods are
//! thin: they name the endpoint and the body. Links Okta returns (`_links`)
//! are followed with [`OktaClient::resolve_link`], which refuses any URL
//! outside the org so the API token never leaves it.
//!
//! This file holds the transport and primary authentication. The calls that
//! continue a transaction (factor verification, cancel, skip) are in
//! [`super::transaction`], the management calls (users, groups, factors) in
//! [`super::management`]; each says who is calling (`Caller`) and the
//! exchange picks the `Authorization` header for it.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LINK};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::authn::{AuthnResponse, AuthnUser};
use super::error::{OktaError, OktaErrorBody};
pub use super::transaction::FactorVerify;

/// The `User-Agent` of every call (Okta asks for one; push notifications show it).
pub const USER_AGENT: &str = concat!("okta-radius/", env!("CARGO_PKG_VERSION"));

/// Answers larger than this are refused: no Okta answer comes close.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// Longest `errorSummary` kept in an error message.
const MAX_SUMMARY_CHARS: usize = 300;

const REQUEST_ID: &str = "x-okta-request-id";
const FORWARDED_FOR: &str = "x-forwarded-for";
const RATE_LIMIT_LIMIT: &str = "x-rate-limit-limit";
const RATE_LIMIT_REMAINING: &str = "x-rate-limit-remaining";
const RATE_LIMIT_RESET: &str = "x-rate-limit-reset";

/// Where the org is and how to reach it.
#[derive(Debug, Clone)]
pub struct OktaSettings {
    /// `https://example.okta.com`, or `http://127.0.0.1:port` for the simulated org.
    pub org_url: String,
    /// The `SSWS` API token of the service account.
    pub api_token: SecretString,
    /// Limit on opening a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Limit on a whole call, from sending to the last byte of the answer.
    pub request_timeout: Duration,
}

impl OktaSettings {
    /// Default limit on opening a connection.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default limit on a whole call.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

    /// Settings with the default timeouts.
    pub fn new(org_url: impl Into<String>, api_token: SecretString) -> OktaSettings {
        OktaSettings {
            org_url: org_url.into(),
            api_token,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// The rate-limit headers of an answer (`X-Rate-Limit-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed in the current window of this bucket.
    pub limit: u64,
    /// Calls left in the window.
    pub remaining: u64,
    /// When the window resets, in UTC epoch seconds.
    pub reset: u64,
}

impl RateLimit {
    fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        let number = |name: &str| header_text(headers, name)?.trim().parse::<u64>().ok();
        Some(RateLimit {
            limit: number(RATE_LIMIT_LIMIT)?,
            remaining: number(RATE_LIMIT_REMAINING)?,
            reset: number(RATE_LIMIT_RESET)?,
        })
    }

    /// The reset time as a [`SystemTime`].
    pub fn reset_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.reset)
    }
}

/// A successful answer and what Okta said about it in headers.
#[derive(Debug, Clone)]
pub struct OktaReply<T> {
    pub body: T,
    /// `X-Okta-Request-Id`: quote it in logs.
    pub request_id: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub http_status: u16,
}

/// Options of primary authentication (`options` in the request body).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthnOptions {
    /// Ask for `PASSWORD_WARN` when the password is about to expire
    /// (continue with [`OktaClient::skip`]).
    pub warn_before_password_expired: bool,
}

/// Primary authentication: a username and a password.
#[derive(Debug)]
pub struct PrimaryAuthn<'a> {
    /// The full Okta login (`alice@example.com`).
    pub username: &'a str,
    pub password: &'a SecretString,
    /// The end user's IP, sent as `X-Forwarded-For` (honoured when the bridge
    /// is a trusted proxy in the org's network settings).
    pub forwarded_for: Option<IpAddr>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrimaryAuthnBody<'a> {
    username: &'a str,
    password: &'a str,
    options: AuthnOptionsBody,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthnOptionsBody {
    multi_optional_factor_enroll: bool,
    warn_before_password_expired: bool,
}

/// Who a call is made for, which decides its `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// An authentication transaction, as a trusted application: always the
    /// `SSWS` token (whether `/authn` takes an OAuth token is unverified).
    TrustedApp,
    /// A management call of the service account (users, groups, factors):
    /// the `SSWS` token today; an OAuth bearer may take its place.
    ServiceAccount,
}

/// A 2xx answer before decoding, with the headers a caller may need.
pub(crate) struct RawAnswer {
    pub http_status: u16,
    pub request_id: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A client for one Okta org.
#[derive(Clone)]
pub struct OktaClient {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    http: reqwest::Client,
    org: Url,
    /// `SSWS <token>`, marked sensitive so it is never shown.
    authorization: HeaderValue,
}

impl fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaClient")
            .field("org", &self.inner.org.as_str())
            .finish_non_exhaustive()
    }
}

impl OktaClient {
    /// Checks the settings and builds the connection pool.
    ///
    /// The org URL must be `https`, or `http` to a loopback address (the
    /// simulated org), with no path, query or credentials.
    pub fn new(settings: OktaSettings) -> Result<OktaClient, OktaError> {
        let org = parse_org_url(&settings.org_url)?;
        let token = settings.api_token.expose_secret().trim();
        if token.is_empty() {
            return Err(OktaError::Config("the API token is empty".into()));
        }
        let mut authorization = HeaderValue::from_str(&format!("SSWS {token}")).map_err(|_| {
            OktaError::Config(
                "the API token contains characters not allowed in an HTTP header".into(),
            )
        })?;
        authorization.set_sensitive(true);

        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60));
        if is_loopback(&org) {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|error| {
            OktaError::Config(format!(
                "cannot build the HTTP client: {}",
                describe(&error)
            ))
        })?;
        Ok(OktaClient {
            inner: Arc::new(ClientInner {
                http,
                org,
                authorization,
            }),
        })
    }

    /// The org's base URL (`https://example.okta.com/`).
    pub fn org_url(&self) -> &Url {
        &self.inner.org
    }

    /// `POST /api/v1/authn` with a username and password: the first step of
    /// every login. Okta answers 200 for every transaction state; a wrong
    /// password is `OktaError::Api` with `E0000004`.
    pub async fn primary_authn(
        &self,
        request: &PrimaryAuthn<'_>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.primary_authn_with(request, AuthnOptions::default())
            .await
    }

    /// [`OktaClient::primary_authn`] with options, such as asking for
    /// `PASSWORD_WARN`.
    pub async fn primary_authn_with(
        &self,
        request: &PrimaryAuthn<'_>,
        options: AuthnOptions,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let body = PrimaryAuthnBody {
            username: request.username,
            password: request.password.expose_secret(),
            options: AuthnOptionsBody {
                multi_optional_factor_enroll: false,
                warn_before_password_expired: options.warn_before_password_expired,
            },
        };
        let url = self.endpoint("api/v1/authn")?;
        self.post_json(Caller::TrustedApp, url, &body, request.forwarded_for)
            .await
    }

    /// `GET /api/v1/users/me`: the admin that owns the API token. The cheapest
    /// call that succeeds; it checks the token and keeps it from expiring.
    pub async fn token_owner(&self) -> Result<OktaReply<AuthnUser>, OktaError> {
        let url = self.endpoint("api/v1/users/me")?;
        self.get_json(Caller::ServiceAccount, url).await
    }

    /// Turns an `href` from Okta's `_links` into a URL to call, refusing any
    /// that points outside the org (the API token must never leave it).
    pub fn resolve_link(&self, href: &str) -> Result<Url, OktaError> {
        let url = Url::parse(href).map_err(|error| {
            OktaError::Decode(format!("a link in the answer is not a URL: {error}"))
        })?;
        let org = &self.inner.org;
        let same_origin = url.scheme() == org.scheme()
            && url.host_str() == org.host_str()
            && url.port_or_known_default() == org.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none();
        if same_origin {
            Ok(url)
        } else {
            Err(OktaError::Decode(
                "a link in the answer points outside the Okta org".into(),
            ))
        }
    }

    pub(crate) fn endpoint(&self, path: &str) -> Result<Url, OktaError> {
        self.inner
            .org
            .join(path)
            .map_err(|error| OktaError::Config(format!("cannot build an endpoint URL: {error}")))
    }

    pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        caller: Caller,
        url: Url,
        body: &B,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<T>, OktaError> {
        let body = serde_json::to_vec(body)
            .map_err(|_| OktaError::Http("cannot encode the request body".into()))?;
        self.exchange(caller, Method::POST, url, Some(body), forwarded_for)
            .await
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        caller: Caller,
        url: Url,
    ) -> Result<OktaReply<T>, OktaError> {
        self.exchange(caller, Method::GET, url, None, None).await
    }

    /// A call and its decoded answer. An empty answer (HTTP 204) reads as
    /// JSON `null`, so `()` and `Option` answers work.
    pub(crate) async fn exchange<T: DeserializeOwned>(
        &self,
        caller: Caller,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<T>, OktaError> {
        let raw = self
            .exchange_raw(caller, method, url, body, forwarded_for)
            .await?;
        decode(raw).map(|(reply, _)| reply)
    }

    /// A GET whose answer may continue on another page: the decoded answer
    /// and the `Link: <...>; rel="next"` URL, checked to be inside the org.
    pub(crate) async fn get_page<T: DeserializeOwned>(
        &self,
        caller: Caller,
        url: Url,
    ) -> Result<(OktaReply<T>, Option<Url>), OktaError> {
        let raw = self
            .exchange_raw(caller, Method::GET, url, None, None)
            .await?;
        let (reply, headers) = decode(raw)?;
        let next = match next_link(&headers) {
            Some(href) => Some(self.resolve_link(&href)?),
            None => None,
        };
        Ok((reply, next))
    }

    /// The `Authorization` header for a caller: the one place that decides it.
    fn authorization(&self, caller: Caller) -> HeaderValue {
        match caller {
            Caller::TrustedApp | Caller::ServiceAccount => self.inner.authorization.clone(),
        }
    }

    /// The one place that talks HTTP: headers, answer size, request id,
    /// rate-limit headers and error mapping.
    async fn exchange_raw(
        &self,
        caller: Caller,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<RawAnswer, OktaError> {
        let json = HeaderValue::from_static("application/json");
        // Only the path is logged: links may carry query parameters.
        let path = url.path().to_owned();
        let path = path.as_str();
        let mut request = self
            .inner
            .http
            .request(method.clone(), url)
            .header(AUTHORIZATION, self.authorization(caller))
            .header(ACCEPT, json.clone());
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, json).body(body);
        }
        if let Some(ip) = forwarded_for {
            request = request.header(FORWARDED_FOR, ip.to_string());
        }

        let mut response = request.send().await.map_err(|error| {
            let error = transport_error(error);
            tracing::debug!(%method, path, %error, "Okta call failed");
            error
        })?;
        let http_status = response.status().as_u16();
        let request_id = header_text(response.headers(), REQUEST_ID).map(str::to_owned);
        let rate_limit = RateLimit::from_headers(response.headers());
        tracing::debug!(
            %method,
            path,
            http_status,
            request_id = request_id.as_deref().unwrap_or("-"),
            rate_limit_remaining = rate_limit.map(|limit| limit.remaining),
            "Okta answered"
        );
        let answer = read_answer(&mut response).await?;

        if response.status().is_success() {
            return Ok(RawAnswer {
                http_status,
                request_id,
                rate_limit,
                headers: response.headers().clone(),
                body: answer,
            });
        }
        match serde_json::from_slice::<OktaErrorBody>(&answer) {
            Ok(error) if !error.error_code.is_empty() => Err(OktaError::Api {
                http_status,
                error_code: error.error_code,
                summary: error
                    .error_summary
                    .chars()
                    .take(MAX_SUMMARY_CHARS)
                    .collect(),
                request_id,
                rate_limit,
            }),
            _ => Err(OktaError::Status {
                http_status,
                request_id,
            }),
        }
    }
}

/// Decodes a 2xx answer; an empty body reads as `null`.
fn decode<T: DeserializeOwned>(raw: RawAnswer) -> Result<(OktaReply<T>, HeaderMap), OktaError> {
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

fn parse_org_url(raw: &str) -> Result<Url, OktaError> {
    let config = |message: &str| OktaError::Config(message.to_owned());
    let url = Url::parse(raw.trim())
        .map_err(|error| OktaError::Config(format!("the org URL is not a valid URL: {error}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config("the org URL must not contain credentials"));
    }
    if url.host().is_none() {
        return Err(config("the org URL has no host"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(config(
                "the org URL must use https (http is allowed only for a loopback address)",
            ));
        }
        _ => return Err(config("the org URL must use https")),
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(config(
            "the org URL must be only scheme and host, like https://example.okta.com",
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
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
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
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

    fn settings(url: &str) -> OktaSettings {
        OktaSettings::new(url, SecretString::from("00abcSECRETtoken"))
    }

    #[test]
    fn org_url_rules() {
        assert!(OktaClient::new(settings("https://example.okta.com")).is_ok());
        assert!(OktaClient::new(settings("https://example.okta.com/")).is_ok());
        assert!(OktaClient::new(settings("http://127.0.0.1:8080")).is_ok());
        assert!(OktaClient::new(settings("http://[::1]:8080")).is_ok());
        assert!(OktaClient::new(settings("http://localhost:8080")).is_ok());
        for bad in [
            "http://example.okta.com",
            "ftp://example.okta.com",
            "https://example.okta.com/oauth2/default",
            "https://example.okta.com/?x=1",
            "https://user:pw@example.okta.com",
            "example.okta.com",
            "",
        ] {
            let error = OktaClient::new(settings(bad)).expect_err(bad);
            assert!(matches!(error, OktaError::Config(_)), "{bad}: {error}");
            assert!(!error.to_string().contains("pw"));
        }
    }

    #[test]
    fn token_never_printed() {
        let client = OktaClient::new(settings("https://example.okta.com")).expect("client");
        let debug = format!("{client:?} {:?}", settings("https://example.okta.com"));
        assert!(!debug.contains("SECRETtoken"), "{debug}");
        let bad = OktaClient::new(OktaSettings::new(
            "https://example.okta.com",
            SecretString::from("SECRET\ntoken"),
        ))
        .expect_err("newline in token");
        assert!(!bad.to_string().contains("SECRET"));
        assert!(!format!("{bad:?}").contains("SECRET"));
    }

    #[test]
    fn links_stay_inside_the_org() {
        let client = OktaClient::new(settings("https://example.okta.com")).expect("client");
        assert!(
            client
                .resolve_link("https://example.okta.com/api/v1/authn/factors/x/verify")
                .is_ok()
        );
        assert!(
            client
                .resolve_link("https://example.okta.com:443/api")
                .is_ok()
        );
        for outside in [
            "https://evil.example/api/v1/authn",
            "http://example.okta.com/api/v1/authn",
            "https://example.okta.com:8443/api",
            "https://x@example.okta.com/api",
            "/relative",
        ] {
            assert!(client.resolve_link(outside).is_err(), "{outside}");
        }
    }

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
    fn rate_limit_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from_static("600"));
        headers.insert(RATE_LIMIT_REMAINING, HeaderValue::from_static("598"));
        headers.insert(RATE_LIMIT_RESET, HeaderValue::from_static("1700000000"));
        assert_eq!(
            RateLimit::from_headers(&headers),
            Some(RateLimit {
                limit: 600,
                remaining: 598,
                reset: 1_700_000_000
            })
        );
        headers.remove(RATE_LIMIT_RESET);
        assert_eq!(RateLimit::from_headers(&headers), None);
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
