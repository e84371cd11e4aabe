//! The management calls the bridge makes with its service account: find a
//! user by login, read their groups (for reply attributes) and factors, and
//! verify a factor without a password step (the factors API's "MFA only"
//! mode: OTP, codes sent by SMS/call/email, push with a poll transaction).
//!
//! Every call here is made as `Caller::ServiceAccount`, so when an OAuth
//! service app is configured (`[okta.oauth]`) these calls use its DPoP
//! tokens instead of the `SSWS` token; only the exchange's one
//! `Authorization` decision knows. Types follow the Okta management
//! API; enums keep unknown values, and unknown fields are ignored.

use std::net::IpAddr;

use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::budget::CallClass;
use super::client::{CallKind, Caller, OktaClient, OktaReply};

/// How every management call is made.
const MANAGEMENT: CallKind = CallKind::new(Caller::ServiceAccount, CallClass::Management);
use super::error::OktaError;
pub use okta_api::users::*;

/// Pages of groups read at most for one user; more is an error, so that a
/// decision is never made on a partial list.
pub const MAX_GROUP_PAGES: usize = 20;

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

impl OktaClient {
    /// `GET /api/v1/users/{login}` (percent-encoded); a login containing `/`
    /// cannot be a path segment, so it is looked up with
    /// `GET /api/v1/users?search=profile.login eq "..."`. An unknown user is
    /// `OktaError::Api` with `E0000007`, either way.
    pub async fn find_user(&self, login: &str) -> Result<OktaReply<User>, OktaError> {
        if !login.contains('/') {
            let mut url = self.endpoint("api/v1/users")?;
            push_segments(&mut url, &[login])?;
            return self.call(MANAGEMENT, Method::GET, url).await;
        }
        let mut url = self.endpoint("api/v1/users")?;
        let escaped = login.replace('\\', "\\\\").replace('"', "\\\"");
        url.query_pairs_mut()
            .append_pair("search", &format!("profile.login eq \"{escaped}\""));
        let reply: OktaReply<Vec<User>> = self.call(MANAGEMENT, Method::GET, url).await?;
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
                error_code: super::error::codes::NOT_FOUND.to_owned(),
                summary: "Not found: no user has this login".to_owned(),
                request_id,
                rate_limit,
            }),
        }
    }

    /// `GET /api/v1/users/{id}/groups`, following `Link: rel="next"` pages
    /// (at most [`MAX_GROUP_PAGES`]). The reply's request id and rate limit
    /// are those of the last page.
    pub async fn user_groups(&self, user_id: &str) -> Result<OktaReply<Vec<Group>>, OktaError> {
        let mut url = self.endpoint("api/v1/users")?;
        push_segments(&mut url, &[user_id, "groups"])?;
        let mut groups = Vec::new();
        for _ in 0..MAX_GROUP_PAGES {
            let (page, next): (OktaReply<Vec<Group>>, _) = self.get_page(MANAGEMENT, url).await?;
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
    pub async fn user_factors(
        &self,
        user_id: &str,
    ) -> Result<OktaReply<Vec<UserFactor>>, OktaError> {
        let mut url = self.endpoint("api/v1/users")?;
        push_segments(&mut url, &[user_id, "factors"])?;
        self.call(MANAGEMENT, Method::GET, url).await
    }

    /// `POST /api/v1/users/{uid}/factors/{fid}/verify`: an OTP or answer
    /// (`SUCCESS`, or 403 `E0000068`), nothing to send an SMS/call/email code
    /// (`CHALLENGE`), or a push (HTTP 201 `WAITING` with a poll link).
    pub async fn verify_user_factor(
        &self,
        user_id: &str,
        factor_id: &str,
        verify: &UserFactorVerify<'_>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<FactorVerification>, OktaError> {
        let mut url = self.endpoint("api/v1/users")?;
        push_segments(&mut url, &[user_id, "factors", factor_id, "verify"])?;
        let body = UserFactorVerifyBody {
            pass_code: verify.pass_code.map(|code| code.expose_secret()),
            answer: verify.answer.map(|answer| answer.expose_secret()),
            use_number_matching_challenge: verify.use_number_matching,
        };
        let secret = verify.pass_code.is_some() || verify.answer.is_some();
        self.post_json(MANAGEMENT.secret_bearing(secret), url, &body, forwarded_for)
            .await
    }

    /// GETs a push's poll link: `WAITING`, `SUCCESS`, `REJECTED` or `TIMEOUT`.
    pub async fn poll_user_factor(
        &self,
        href: &str,
    ) -> Result<OktaReply<FactorVerification>, OktaError> {
        let url = self.resolve_link(href)?;
        let poll = CallKind::new(Caller::ServiceAccount, CallClass::Poll);
        self.call(poll, Method::GET, url).await
    }

    /// DELETEs a push's transaction: the push can no longer be approved.
    pub async fn cancel_user_factor(&self, href: &str) -> Result<OktaReply<()>, OktaError> {
        let url = self.resolve_link(href)?;
        self.call(MANAGEMENT, Method::DELETE, url).await
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
}
