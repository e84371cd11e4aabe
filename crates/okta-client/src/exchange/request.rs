//! One call as the exchange sends it: who makes it and how ([`CallKind`]),
//! the method and URL, the encoded body (JSON, or a form for the OAuth
//! endpoints), the end user's IP for `X-Forwarded-For`, a client
//! authentication header the call brings itself, and for primary
//! authentication the username Okta's per-user limit counts. It writes the
//! headers that do not depend on the credential; the exchange adds
//! `Authorization` between them.

use std::net::IpAddr;

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::Serialize;

use crate::call::CallKind;
use crate::error::OktaError;

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// One call to Okta, before it is sent.
pub(crate) struct Request<'a> {
    pub(crate) kind: CallKind,
    pub(crate) method: Method,
    pub(crate) url: Url,
    body: Option<Bytes>,
    content_type: &'static str,
    forwarded_for: Option<IpAddr>,
    /// `Authorization` the call brings itself (an OIDC app's client secret).
    own_authorization: Option<HeaderValue>,
    /// Primary authentication: Okta's per-user limit applies.
    pub(crate) username: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A call without a body (`GET`, `DELETE`).
    pub(crate) fn new(kind: CallKind, method: Method, url: Url) -> Request<'a> {
        Request {
            kind,
            method,
            url,
            body: None,
            content_type: JSON,
            forwarded_for: None,
            own_authorization: None,
            username: None,
        }
    }

    /// A `POST` of a form (`application/x-www-form-urlencoded`), as the
    /// OAuth endpoints take it.
    pub(crate) fn post_form(
        kind: CallKind,
        url: Url,
        form: String,
        forwarded_for: Option<IpAddr>,
    ) -> Request<'a> {
        Request {
            kind,
            method: Method::POST,
            url,
            body: Some(Bytes::from(form)),
            content_type: FORM,
            forwarded_for,
            own_authorization: None,
            username: None,
        }
    }

    /// The call authenticates its client with this `Authorization` header
    /// (marked sensitive: it never prints).
    pub(crate) fn with_own_authorization(self, mut header: HeaderValue) -> Request<'a> {
        header.set_sensitive(true);
        Request {
            own_authorization: Some(header),
            ..self
        }
    }

    /// A `POST` of `body` as JSON, with the end user's IP when known.
    pub(crate) fn post_json<B: Serialize>(
        kind: CallKind,
        url: Url,
        body: &B,
        forwarded_for: Option<IpAddr>,
    ) -> Result<Request<'a>, OktaError> {
        // Sized for a login's body, so it is written in one allocation.
        let mut encoded = Vec::with_capacity(BODY_CAPACITY);
        serde_json::to_writer(&mut encoded, body)
            .map_err(|_| OktaError::Http("cannot encode the request body".into()))?;
        let body = Bytes::from(encoded);
        Ok(Request {
            kind,
            method: Method::POST,
            url,
            body: Some(body),
            content_type: JSON,
            forwarded_for,
            own_authorization: None,
            username: None,
        })
    }

    /// The call counts against Okta's per-user limit for `username`.
    pub(crate) fn for_user(self, username: &'a str) -> Request<'a> {
        Request {
            username: Some(username),
            ..self
        }
    }

    /// One attempt of the call as HTTP: method, URL, `Accept`, the body
    /// with its `Content-Type`, the call's own `Authorization`, and
    /// `X-Forwarded-For`. The exchange adds the rest.
    pub(crate) fn to_http(&self) -> Result<http::Request<Bytes>, OktaError> {
        let uri = http::Uri::try_from(self.url.as_str())
            .map_err(|_| OktaError::Http("the call's URL is not a valid URI".into()))?;
        let mut request = http::Request::new(self.body.clone().unwrap_or_default());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        // Room for every header a call gets, so the map never grows.
        headers.reserve(HEADERS_PER_CALL);
        headers.insert(ACCEPT, json());
        if self.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        }
        if let Some(header) = &self.own_authorization {
            headers.insert(AUTHORIZATION, header.clone());
        }
        if let Some(ip) = self.forwarded_for
            && let Ok(value) = HeaderValue::try_from(ip.to_string())
        {
            headers.insert(FORWARDED_FOR, value);
        }
        Ok(request)
    }
}

const JSON: &str = "application/json";
/// Headers of one call: these, the credential's (two with DPoP), the
/// retry's two, `User-Agent` and `Host`.
const HEADERS_PER_CALL: usize = 12;
/// Room for a JSON body: a primary authentication with a long username
/// and password and its options fits.
const BODY_CAPACITY: usize = 512;
const FORM: &str = "application/x-www-form-urlencoded";

/// `application/json`, for `Accept` and `Content-Type` (a static value: no
/// allocation).
fn json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}
