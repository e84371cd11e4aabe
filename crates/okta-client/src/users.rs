//! The management calls the bridge makes with its service account, on
//! Okta's Users API: find a user by login, read their groups (for reply
//! attributes) and factors, and verify a factor without a password step
//! (the factors API's "MFA only" mode: OTP, codes sent by SMS/call/email,
//! push with a poll transaction).
//!
//! Every call here is made as `Caller::ServiceAccount`, so when an OAuth
//! service app is configured (`[okta.oauth]`) these calls use its DPoP
//! tokens instead of the `SSWS` token; only the exchange's one
//! `Authorization` decision knows. The answers are `okta_api::users` types:
//! enums keep unknown values, and unknown fields are ignored.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::budget::CallClass;
use super::call::{CallKind, Caller};
use super::error::{OktaError, codes};
use super::exchange::{Exchange, OktaReply, Request};
use super::org::Org;
use okta_api::users::{FactorVerification, Group, User, UserFactor};

/// How every management call is made.
const MANAGEMENT: CallKind = CallKind::new(Caller::ServiceAccount, CallClass::Management);

/// Pages of groups read at most for one user; more is an error, so that a
/// decision is never made on a partial list.
const MAX_GROUP_PAGES: usize = 20;

/// The Users API of one org: [`crate::OktaClient::users`].
#[derive(Clone, Copy)]
pub struct Users<'a> {
    org: &'a Org,
    exchange: &'a Exchange,
}

impl fmt::Debug for Users<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("org", &self.org.url().as_str())
            .finish_non_exhaustive()
    }
}

/// What to send to `POST /api/v1/users/{uid}/factors/{fid}/verify`: a code
/// or an answer, nothing (send an SMS/call/email code, or a push), and for a
/// push whether to ask for number matching.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserFactorVerify<'a> {
    pub pass_code: Option<&'a SecretString>,
    pub answer: Option<&'a SecretString>,
    /// Push only: `useNumberMatchingChallenge`.
    pub use_number_matching: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserFactorVerifyBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pass_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    use_number_matching_challenge: bool,
}

impl<'a> Users<'a> {
    pub(crate) fn new(org: &'a Org, exchange: &'a Exchange) -> Users<'a> {
        Users { org, exchange }
    }

    /// `GET /api/v1/users/{login}` (percent-encoded); a login containing `/`
    /// cannot be a path segment, so it is looked up with
    /// `GET /api/v1/users?search=profile.login eq "..."`. An unknown user is
    /// `OktaError::Api` with `E0000007`, either way.
    pub async fn find(self, login: &str) -> Result<OktaReply<User>, OktaError> {
        if !login.contains('/') {
            let mut url = self.org.endpoint("api/v1/users")?;
            push_segments(&mut url, &[login])?;
            return self.get(MANAGEMENT, url).await;
        }
        let mut url = self.org.endpoint("api/v1/users")?;
        let escaped = login.replace('\\', "\\\\").replace('"', "\\\"");
        url.query_pairs_mut()
            .append_pair("search", &format!("profile.login eq \"{escaped}\""));
        let reply: OktaReply<Vec<User>> = self.get(MANAGEMENT, url).await?;
        let OktaReply {
            body,
            request_id,
            rate_limit,
            http_status,
        } = reply;
        match body
            .into_iter()
            .find(|user| user.profile.login.eq_ignore_ascii_case(login))
        {
            Some(user) => Ok(OktaReply {
                body: user,
                request_id,
                rate_limit,
                http_status,
            }),
            None => Err(OktaError::Api {
                http_status: 404,
                error_code: codes::NOT_FOUND.to_owned(),
                summary: "Not found: no user has this login".to_owned(),
                request_id,
                rate_limit,
            }),
        }
    }

    /// `GET /api/v1/users/{id}/groups`, following `Link: rel="next"` pages
    /// (at most `MAX_GROUP_PAGES`, 20), each checked to stay in the org. The
    /// reply's request id and rate limit are those of the last page.
    pub async fn groups(self, user_id: &str) -> Result<OktaReply<Vec<Group>>, OktaError> {
        let mut url = self.org.endpoint("api/v1/users")?;
        push_segments(&mut url, &[user_id, "groups"])?;
        let mut groups = Vec::new();
        for _ in 0..MAX_GROUP_PAGES {
            let call = Request::new(MANAGEMENT, Method::GET, url);
            let (page, next): (OktaReply<Vec<Group>>, _) =
                self.exchange.send(call).await?.decode_page()?;
            let next = match next {
                Some(href) => Some(self.org.resolve_link(&href)?),
                None => None,
            };
            let OktaReply {
                body,
                request_id,
                rate_limit,
                http_status,
            } = page;
            groups.extend(body);
            match next {
                Some(next) => url = next,
                None => {
                    return Ok(OktaReply {
                        body: groups,
                        request_id,
                        rate_limit,
                        http_status,
                    });
                }
            }
        }
        Err(OktaError::Decode(format!(
            "the user's groups take more than {MAX_GROUP_PAGES} pages"
        )))
    }

    /// `GET /api/v1/users/{id}/factors`: the user's enrolled factors.
    pub async fn factors(self, user_id: &str) -> Result<OktaReply<Vec<UserFactor>>, OktaError> {
        let mut url = self.org.endpoint("api/v1/users")?;
        push_segments(&mut url, &[user_id, "factors"])?;
        self.get(MANAGEMENT, url).await
    }

    /// `POST /api/v1/users/{uid}/factors/{fid}/verify`: an OTP or answer
    /// (`SUCCESS`, or 403 `E0000068`), nothing to send an SMS/call/email code
    /// (`CHALLENGE`), or a push (HTTP 201 `WAITING` with a poll link).
    pub async fn verify_factor(
        self,
        user_id: &str,
        factor_id: &str,
        verify: &UserFactorVerify<'_>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<FactorVerification>, OktaError> {
        let mut url = self.org.endpoint("api/v1/users")?;
        push_segments(&mut url, &[user_id, "factors", factor_id, "verify"])?;
        let body = UserFactorVerifyBody {
            pass_code: verify.pass_code.map(|code| code.expose_secret()),
            answer: verify.answer.map(|answer| answer.expose_secret()),
            use_number_matching_challenge: verify.use_number_matching,
        };
        let secret = verify.pass_code.is_some() || verify.answer.is_some();
        let kind = MANAGEMENT.secret_bearing(secret);
        let call = Request::post_json(kind, Cow::Owned(url), &body, forwarded_for)?;
        self.exchange.send(call).await?.decode()
    }

    /// GETs a push's poll link: `WAITING`, `SUCCESS`, `REJECTED` or `TIMEOUT`.
    pub async fn poll_factor(self, href: &str) -> Result<OktaReply<FactorVerification>, OktaError> {
        let url = self.org.resolve_link(href)?;
        let poll = CallKind::new(Caller::ServiceAccount, CallClass::Poll);
        self.get(poll, url).await
    }

    /// DELETEs a push's transaction: the push can no longer be approved.
    pub async fn cancel_factor(self, href: &str) -> Result<OktaReply<()>, OktaError> {
        let url = self.org.resolve_link(href)?;
        let call = Request::new(MANAGEMENT, Method::DELETE, url);
        self.exchange.send(call).await?.decode()
    }

    async fn get<T: DeserializeOwned>(
        self,
        kind: CallKind,
        url: Url,
    ) -> Result<OktaReply<T>, OktaError> {
        let call = Request::new(kind, Method::GET, url);
        self.exchange.send(call).await?.decode()
    }
}

/// Appends percent-encoded path segments (`/` inside one is encoded too).
fn push_segments(url: &mut Url, segments: &[&str]) -> Result<(), OktaError> {
    let mut path = url
        .path_segments_mut()
        .map_err(|()| OktaError::Config("the org URL cannot take a path".into()))?;
    path.pop_if_empty();
    for segment in segments {
        path.push(segment);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_body_sends_only_what_is_given() {
        let code = SecretString::from("123456");
        let body = UserFactorVerifyBody {
            pass_code: Some(code.expose_secret()),
            answer: None,
            use_number_matching_challenge: false,
        };
        assert_eq!(
            serde_json::to_string(&body).expect("json"),
            r#"{"passCode":"123456"}"#
        );
        let push = UserFactorVerifyBody {
            pass_code: None,
            answer: None,
            use_number_matching_challenge: true,
        };
        assert_eq!(
            serde_json::to_string(&push).expect("json"),
            r#"{"useNumberMatchingChallenge":true}"#
        );
    }

    #[test]
    fn logins_are_one_path_segment() {
        let mut url = Url::parse("https://example.okta.com/api/v1/users").expect("url");
        push_segments(&mut url, &["a/b@example.com", "groups"]).expect("segments");
        assert_eq!(
            url.as_str(),
            "https://example.okta.com/api/v1/users/a%2Fb@example.com/groups"
        );
    }
}
