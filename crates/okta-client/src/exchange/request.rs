//! One call as the exchange sends it: who makes it and how ([`CallKind`]),
//! the method and URL, the encoded body (JSON, or a form for the OAuth
//! endpoints), the end user's IP for `X-Forwarded-For`, a client
//! authentication header the call brings itself, and for primary
//! authentication the username Okta's per-user limit counts. It writes the
//! headers that do not depend on the credential; the exchange adds
//! `Authorization` between them.

use std::borrow::Cow;
use std::cell::RefCell;
use std::net::IpAddr;
use std::sync::LazyLock;

use bytes::Bytes;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue,
};
use reqwest::{Method, Url};
use serde::Serialize;
use zeroize::Zeroize;

use crate::call::CallKind;
use crate::error::OktaError;

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// One call to Okta, before it is sent.
pub(crate) struct Request<'a> {
    pub(crate) kind: CallKind,
    pub(crate) method: Method,
    /// Borrowed when the org keeps it (`/api/v1/authn`).
    pub(crate) url: Cow<'a, Url>,
    /// The URL parsed for HTTP once and for all, when the org keeps it.
    uri: Option<http::Uri>,
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
            url: Cow::Owned(url),
            uri: None,
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
            url: Cow::Owned(url),
            uri: None,
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
        url: Cow<'a, Url>,
        body: &B,
        forwarded_for: Option<IpAddr>,
    ) -> Result<Request<'a>, OktaError> {
        let body = BODY_SCRATCH
            .with_borrow_mut(|scratch| {
                let written = serde_json::to_writer(&mut *scratch, body);
                // One allocation at the body's length; the scratch (which held a
                // password) is wiped at once.
                let body = written.map(|()| Bytes::copy_from_slice(scratch));
                scratch.zeroize();
                body
            })
            .map_err(|_| OktaError::Http("cannot encode the request body".into()))?;
        Ok(Request {
            kind,
            method: Method::POST,
            url,
            uri: None,
            body: Some(body),
            content_type: JSON,
            forwarded_for,
            own_authorization: None,
            username: None,
        })
    }

    /// The call goes to `uri`, the call's URL already parsed for HTTP.
    pub(crate) fn with_uri(self, uri: &http::Uri) -> Request<'a> {
        Request {
            uri: Some(uri.clone()),
            ..self
        }
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
        let uri = match &self.uri {
            Some(uri) => uri.clone(),
            None => http::Uri::try_from(self.url.as_str())
                .map_err(|_| OktaError::Http("the call's URL is not a valid URI".into()))?,
        };
        let mut request = http::Request::new(self.body.clone().unwrap_or_default());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        // Room for every header a call gets, so the map never grows.
        headers.reserve(HEADERS_PER_CALL);
        headers.insert(ACCEPT, json());
        if let Some(body) = &self.body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
            headers.insert(CONTENT_LENGTH, content_length(body.len()));
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

thread_local! {
    /// Where each thread writes a JSON body before copying it into the
    /// request's own buffer.
    static BODY_SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(BODY_CAPACITY));
}

/// `application/json`, for `Accept` and `Content-Type` (a static value: no
/// allocation).
fn json() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// Bodies up to this many bytes get a `Content-Length` that costs nothing
/// to set (HTTP would otherwise write the number into a new value).
const KEPT_LENGTHS: usize = 4096;

/// `Content-Length: len`; up to [`KEPT_LENGTHS`], a value made once and
/// shared.
fn content_length(len: usize) -> HeaderValue {
    /// "0123...4096": every kept length's digits, one after the other.
    static DIGITS: LazyLock<String> =
        LazyLock::new(|| (0..=KEPT_LENGTHS).map(|len| len.to_string()).collect());
    static VALUES: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
        let digits: &'static str = DIGITS.as_str();
        let mut at = 0;
        (0..=KEPT_LENGTHS)
            .map(|len| {
                let width = len.checked_ilog10().map_or(1, |log| log as usize + 1);
                let value = HeaderValue::from_static(&digits[at..at + width]);
                at += width;
                value
            })
            .collect()
    });
    VALUES
        .get(len)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_content_length_reads_as_its_number() {
        for len in [
            0, 1, 9, 10, 99, 100, 512, 999, 1000, 4095, 4096, 4097, 70_000,
        ] {
            assert_eq!(
                content_length(len).to_str().expect("digits"),
                len.to_string()
            );
        }
    }
}
