//! The token endpoint of the simulated org's authorization servers:
//! Direct Authentication's grants (a password, a one-time code, an
//! out-of-band poll), answered as Okta answers them, and the service apps'
//! client credentials grant handed to [`crate::oauth`].
//!
//! - password: wrong, unknown, locked or inactive is 400 `invalid_grant`;
//!   right with factors enrolled is 403 `mfa_required` and an `mfa_token`;
//!   right without factors is tokens (an expired password is 403
//!   `access_denied`);
//! - `mfa-otp`: the code of the user's authenticator (TOTP, HOTP, token,
//!   YubiKey): tokens, or 400 `invalid_grant`;
//! - `mfa-oob`: 400 `authorization_pending` until the push is answered (or
//!   the SMS code is given as `binding_code`), 400 `slow_down` when polled
//!   sooner than the interval, 400 `invalid_grant` for a rejected push;
//! - an expired or unknown `mfa_token` or `oob_code` is 403 `access_denied`;
//!   a grant the app has not enabled is 400 `unauthorized_client`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::answers::{self, access_denied, invalid_grant, mfa_required, oauth_error};
use super::client_auth::authenticate;
use super::state::SimOidcApp;
use crate::factors::{Outcome, Proof};
use crate::org::SimOrg;
use crate::push::PushStatus;
use crate::records::SimEvent;
use crate::user_store::{UserView, Verdict};
use crate::users::{SimFactor, SimUserStatus};
use okta_api::authn::FactorType;
use okta_api::direct::{Channel, MFA_OOB_GRANT, MFA_OTP_GRANT, PASSWORD_GRANT, errors, paths};
use secrecy::SecretString;

/// `POST /oauth2/v1/token` (the org authorization server).
pub(crate) async fn org_server(
    State(org): State<Arc<SimOrg>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    token(&org, None, headers, body).await
}

/// `POST /oauth2/{server}/v1/token` (a custom authorization server).
pub(crate) async fn custom_server(
    State(org): State<Arc<SimOrg>>,
    Path(server): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    token(&org, Some(server), headers, body).await
}

async fn token(
    org: &Arc<SimOrg>,
    server: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let grant_type = form.get("grant_type").map(String::as_str).unwrap_or("");
    if grant_type == "client_credentials" && server.is_none() {
        return crate::oauth::client_credentials(State(org.oauth.clone()), headers, body).await;
    }
    let server = server.as_deref();
    let url = format!("{}{}", org.base_url, paths::token(server));
    let app = match authenticate(&org.direct, &headers, &form, &url) {
        Ok(app) => app,
        Err(why) => return answers::invalid_client(why),
    };
    if ![PASSWORD_GRANT, MFA_OTP_GRANT, MFA_OOB_GRANT].contains(&grant_type) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            errors::UNSUPPORTED_GRANT_TYPE,
            "The authorization grant type is not supported by the authorization server.",
        );
    }
    if !app.grants.iter().any(|grant| grant == grant_type) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            errors::UNAUTHORIZED_CLIENT,
            "The client is not authorized to use the provided grant type.",
        );
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let login = Login {
        org,
        app: &app,
        issuer: paths::issuer(&org.base_url, server),
    };
    match grant_type {
        PASSWORD_GRANT => login.password(field("username"), field("password")),
        MFA_OTP_GRANT => login.otp(field("mfa_token"), field("otp")),
        _ => login.oob(
            field("mfa_token"),
            field("oob_code"),
            form.get("binding_code").map(String::as_str),
        ),
    }
}

/// One request's view of the org, the app and the issuer.
struct Login<'a> {
    org: &'a SimOrg,
    app: &'a SimOidcApp,
    issuer: String,
}

impl Login<'_> {
    fn password(&self, username: &str, password: &str) -> Response {
        self.org.records.note(SimEvent::DirectPassword, username);
        let user = match self
            .org
            .users
            .authenticate(username, &SecretString::from(password))
        {
            Verdict::Authenticated(user) => user,
            _ => return invalid_grant("The credentials provided were invalid."),
        };
        if user.user.mfa_enroll {
            return access_denied("The user must enroll an authenticator before signing in.");
        }
        if !user.factors.is_empty() {
            return mfa_required(&self.org.direct.flows.open(user.login()));
        }
        self.complete(&user, None)
    }

    fn otp(&self, mfa_token: &str, otp: &str) -> Response {
        let Some(user) = self.user_of(mfa_token) else {
            return access_denied("The mfa_token is invalid or has expired.");
        };
        let code = otp.trim();
        let yubikey = code.len() == 44;
        let factor = user
            .factors
            .iter()
            .find(|(_, factor)| match factor.factor_type {
                FactorType::TokenHardware => yubikey,
                FactorType::TokenSoftwareTotp | FactorType::TokenHotp | FactorType::Token => {
                    !yubikey
                }
                _ => false,
            });
        let Some((factor_id, factor)) = factor else {
            return invalid_grant("The user has no authenticator for a one-time code.");
        };
        self.verify_code(&user, mfa_token, factor_id, factor, code)
    }

    fn oob(&self, mfa_token: &str, oob_code: &str, binding_code: Option<&str>) -> Response {
        let Some(user) = self.user_of(mfa_token) else {
            return access_denied("The mfa_token is invalid or has expired.");
        };
        let challenge = match self.org.direct.flows.poll(oob_code, mfa_token) {
            None => return access_denied("The oob_code is invalid or has expired."),
            Some(Err(())) => return slow_down(),
            Some(Ok(challenge)) => challenge,
        };
        if self.org.direct.take_slow_down() {
            return slow_down();
        }
        self.org.records.note(SimEvent::FactorVerify, user.login());
        match challenge.channel {
            Channel::Push => match self.org.pushes.poll(oob_code) {
                Some(PushStatus::Waiting { .. }) => pending(),
                Some(PushStatus::Approved) => self.complete(&user, Some(mfa_token)),
                Some(PushStatus::Rejected) => invalid_grant("The user rejected the push."),
                Some(PushStatus::TimedOut) | None => access_denied("The push has expired."),
            },
            Channel::Sms | Channel::Voice => {
                let Some(code) = binding_code else {
                    return pending();
                };
                let Some(factor) = user.factor(&challenge.factor_id).cloned() else {
                    return access_denied("The oob_code is invalid or has expired.");
                };
                self.verify_code(&user, mfa_token, &challenge.factor_id, &factor, code)
            }
        }
    }

    fn verify_code(
        &self,
        user: &UserView,
        mfa_token: &str,
        factor_id: &str,
        factor: &SimFactor,
        code: &str,
    ) -> Response {
        self.org.records.note(SimEvent::FactorVerify, user.login());
        let proof = Proof {
            pass_code: Some(code),
            answer: None,
        };
        match self
            .org
            .factors
            .verify(&self.org.users, user, factor_id, factor, proof)
        {
            Outcome::Verified => self.complete(user, Some(mfa_token)),
            _ => invalid_grant("The one-time code is invalid."),
        }
    }

    /// The user of a live `mfa_token`.
    fn user_of(&self, mfa_token: &str) -> Option<UserView> {
        let transaction = self.org.direct.flows.transaction(mfa_token)?;
        self.org.users.by_login(&transaction.login)
    }

    /// The login is complete (the transaction, if any, ends): tokens, unless
    /// the password has expired.
    fn complete(&self, user: &UserView, mfa_token: Option<&str>) -> Response {
        if let Some(token) = mfa_token {
            self.org.direct.flows.end(token);
        }
        if self.org.users.status(user.login()) == Some(SimUserStatus::PasswordExpired) {
            return access_denied("The password has expired.");
        }
        answers::tokens(&self.org.direct, self.app, user, &self.issuer)
    }
}

fn pending() -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        errors::AUTHORIZATION_PENDING,
        "The authorization request is still pending.",
    )
}

fn slow_down() -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        errors::SLOW_DOWN,
        "The client is polling too frequently.",
    )
}
