//! One call as the exchange sends it: who makes it and how ([`CallKind`]),
//! the method and URL, the encoded body (JSON, or a form for the OAuth
//! endpoints), the end user's IP for `X-Forwarded-For`, a client
//! authentication header the call brings itself, and for primary
//! authentication the username Okta's per-user limit counts. It writes the
//! headers that do not depend on the credential; the exchange adds
//! `Authorization` between them.

use std::net::IpAddr;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, RequestBuilder, Url};
use serde::Serialize;

use crate::call::CallKind;
use crate::error::OktaError;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// One call to Okta, before it is sent.
pub(crate) struct Request<'a> {
    pub(crate) kind: CallKind,
    pub(crate) method: Method,
    pub(crate) url: Url,
    body: Option<Vec<u8>>,
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
            body: Some(form.into_bytes()),
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
        let body = encoded;
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

    /// The request to build on: method, URL and `Accept`.
    pub(crate) fn start(&self, http: &reqwest::Client) -> RequestBuilder {
        http.request(self.method.clone(), self.url.clone())
            .header(ACCEPT, json())
    }

    /// Adds the body with its `Content-Type`, and `X-Forwarded-For`.
    pub(crate) fn finish(&self, mut request: RequestBuilder) -> RequestBuilder {
        if let Some(body) = &self.body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static(self.content_type))
                .body(body.clone());
        }
        if let Some(header) = &self.own_authorization {
            request = request.header(AUTHORIZATION, header.clone());
        }
        if let Some(ip) = self.forwarded_for {
            request = request.header(FORWARDED_FOR, ip.to_string());
        }
        request
    }
}

const JSON: &str = "application/json";
/// Room for a JSON body: a primary authentication with a long username
/// and password and its options fits.
const BODY_CAPACITY: usize = 512;
const FORM: &str = "application/x-www-form-urlencoded";

/// `application/json`, for `Accept` and `Content-Type` (a static value: no
/// allocation).
fn json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}
