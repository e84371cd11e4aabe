//! Checking the org and the credentials before going live: is the org
//! reachable, does the API token work and whose is it, when does it expire
//! if unused, may the credentials make the calls the configured features
//! need, and, for Direct Authentication, does the token endpoint answer,
//! does the OIDC app authenticate, are its grants enabled (read from the
//! refusal Okta gives a made-up user or `mfa_token`), and can the
//! authorization server's keys be fetched. `okta-radius check-config --online` prints the result and
//! `serve` logs it at start-up (without refusing to start).
//!
//! Permission checks read a real resource: the token owner's groups or
//! factors when the API token is there, otherwise (only when asked, as
//! `check-config --online` does) a user id that does not exist: a 404 means
//! the call is permitted, a 403 that it is not. `serve` does not make those
//! calls, so no 404 lands in the call counters at every start.

use std::time::SystemTime;

use super::client::OktaClient;
use super::credential::API_TOKEN_LIFETIME;
use super::direct::{ChallengeOutcome, Grant, Refusal};
use super::error::{OktaError, codes};
use okta_api::direct::{MFA_OOB_GRANT, MFA_OTP_GRANT, PASSWORD_GRANT, errors};

/// A user id no org has, for permission checks without a known user.
const PLACEHOLDER_USER: &str = "okta-radius-permission-check";

/// What the configured features need from Okta.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// Some client uses Okta primary authentication (`/api/v1/authn`).
    pub primary_auth: bool,
    /// Some client's policy needs the user's groups.
    pub groups: bool,
    /// Some client runs MFA-only mode (`okta_primary_auth = false`).
    pub factors: bool,
    /// Logins go through Direct Authentication (`okta.api = "direct"`).
    pub direct: bool,
    /// Permissions may be checked on a made-up user id when the API
    /// token's own is not known (each such check is a 404 at Okta).
    pub made_up_ids: bool,
    /// Sessions end on System Log events (`[disconnect]`).
    pub system_log: bool,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub ok: bool,
    pub text: String,
}

/// The result of the checks.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// The login of the API token's admin, when the token works.
    pub token_owner: Option<String>,
    pub predicted_expiry: Option<SystemTime>,
}

impl Report {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.findings.iter().all(|finding| finding.ok)
    }

    fn pass(&mut self, text: String) {
        self.findings.push(Finding { ok: true, text });
    }

    fn fail(&mut self, text: String) {
        self.findings.push(Finding { ok: false, text });
    }
}

/// Runs the checks against the org.
pub async fn check(client: &OktaClient, needs: Needs) -> Report {
    let mut report = Report::default();
    let mut user_id: Option<String> = None;
    if client.has_api_token() {
        match client.token_owner().await {
            Ok(reply) => {
                let expiry = SystemTime::now() + API_TOKEN_LIFETIME;
                report.pass(format!(
                    "the API token works: it belongs to {} (GET /api/v1/users/me)",
                    reply.body.login()
                ));
                report.pass(format!(
                    "the API token's predicted expiry is {} (30 days after its last use, now; the keep-alive keeps it fresh)",
                    okta_api::time::utc_seconds(expiry)
                ));
                report.token_owner = Some(reply.body.login().to_owned());
                report.predicted_expiry = Some(expiry);
                user_id = Some(reply.body.id().to_owned());
            }
            Err(error) => {
                report.fail(explain_token_failure(&error));
                return report;
            }
        }
    } else if needs.direct && !needs.primary_auth {
        report.pass(
            "no API token (SSWS): logins use Direct Authentication, and there is no token to keep alive"
                .to_owned(),
        );
    } else {
        let text = "no API token (SSWS): primary authentication (/api/v1/authn) is impossible, and there is no token to keep alive".to_owned();
        if needs.primary_auth {
            report.fail(format!(
                "{text}; a client uses okta_primary_auth, which needs the API token"
            ));
        } else {
            report.pass(text);
        }
    }
    if client.uses_oauth() && needs.made_up_ids {
        match client.users().find(PLACEHOLDER_USER).await {
            Ok(_) => report
                .pass("the OAuth service app gets DPoP access tokens and may read users".into()),
            Err(error) if error.code() == Some(codes::NOT_FOUND) => {
                report.pass(
                    "the OAuth service app gets DPoP access tokens and may read users".into(),
                );
            }
            Err(error) => report.fail(format!(
                "the OAuth service app cannot read users (GET /api/v1/users/{{login}}): {error}"
            )),
        }
    }
    if needs.direct {
        check_direct(client, &mut report).await;
    }
    let id = match user_id {
        Some(id) => id,
        None if needs.made_up_ids => PLACEHOLDER_USER.to_owned(),
        None => {
            if needs.groups || needs.factors || client.uses_oauth() {
                report.pass(
                    "the management permissions are checked by `okta-radius check-config --online`"
                        .to_owned(),
                );
            }
            return report;
        }
    };
    if needs.groups {
        let result = client.users().groups(&id).await.map(|_| ());
        permission(
            &mut report,
            "GET /api/v1/users/{id}/groups (policies with groups)",
            result,
        );
    }
    if needs.factors {
        let result = client.users().factors(&id).await.map(|_| ());
        permission(
            &mut report,
            "GET /api/v1/users/{id}/factors (MFA-only mode)",
            result,
        );
    }
    if needs.system_log {
        let cursor = crate::LogCursor::Since {
            since: SystemTime::now(),
            event_types: vec![okta_api::system_log::event_types::USER_DEACTIVATE.to_owned()],
        };
        let result = client.system_log().poll(&cursor).await.map(|_| ());
        permission(
            &mut report,
            "GET /api/v1/logs (the System Log, scope okta.logs.read, for disconnects)",
            result,
        );
    }
    report
}

/// The Direct Authentication checks.
async fn check_direct(client: &OktaClient, report: &mut Report) {
    let direct = match client.direct() {
        Ok(direct) => direct,
        Err(error) => {
            report.fail(error.to_string());
            return;
        }
    };
    let token_url = direct.token_url().to_string();
    match direct.probe(PASSWORD_GRANT).await {
        Ok(reply) => match reply.body {
            Grant::Refused(refusal) if refusal.is(errors::INVALID_CLIENT) => {
                report.fail(format!(
                    "the OIDC app does not authenticate at {token_url} (invalid_client): check okta.direct.client_id and the public key registered with the app (or the client secret)"
                ));
                return;
            }
            Grant::Refused(refusal)
                if refusal.is(errors::INVALID_GRANT) || refusal.is(errors::ACCESS_DENIED) =>
            {
                report.pass(format!(
                    "the token endpoint answers ({token_url}), the OIDC app authenticates, and the password grant is enabled"
                ));
            }
            Grant::Refused(refusal) => report.fail(grant_refused(
                "password (Resource Owner Password)",
                &refusal,
            )),
            _ => report.fail(
                "the token endpoint accepted a made-up user's password: is this an Okta org?"
                    .to_owned(),
            ),
        },
        Err(error) => {
            report.fail(format!(
                "cannot reach the token endpoint {token_url}: {error}"
            ));
            return;
        }
    }
    for (grant, name) in [(MFA_OTP_GRANT, "MFA OTP"), (MFA_OOB_GRANT, "MFA OOB")] {
        match direct.probe(grant).await {
            Ok(reply) => match reply.body {
                Grant::Refused(refusal) if enabled(&refusal) => {
                    report.pass(format!("the {name} grant is enabled"));
                }
                Grant::Refused(refusal) => report.fail(grant_refused(name, &refusal)),
                _ => report.fail(format!("the {name} grant accepted a made-up mfa_token")),
            },
            Err(error) => report.fail(format!("cannot check the {name} grant: {error}")),
        }
    }
    match direct.probe_challenge().await {
        Ok(reply) => match reply.body {
            ChallengeOutcome::Refused(refusal) if enabled(&refusal) => {
                report.pass("the challenge endpoint answers (push, SMS, voice)".to_owned());
            }
            ChallengeOutcome::Refused(refusal) => {
                report.fail(grant_refused("challenge (MFA OOB)", &refusal));
            }
            ChallengeOutcome::Sent(_) => report.fail(
                "the challenge endpoint accepted a made-up mfa_token: is this an Okta org?"
                    .to_owned(),
            ),
        },
        Err(error) => report.fail(format!("cannot check the challenge endpoint: {error}")),
    }
    let keys_url = direct.keys_url().to_string();
    match direct.prefetch_keys().await {
        Ok(count) => report.pass(format!(
            "the authorization server's signing keys are reachable ({keys_url}: {count} RS256 key{})",
            if count == 1 { "" } else { "s" }
        )),
        Err(why) => report.fail(format!("cannot use {keys_url}: {why}")),
    }
}

/// Whether a refusal of a made-up `mfa_token` shows the grant enabled:
/// Okta judged the token, not the grant.
fn enabled(refusal: &Refusal) -> bool {
    !refusal.is_app_problem() && !refusal.is(errors::UNSUPPORTED_GRANT_TYPE)
}

fn grant_refused(name: &str, refusal: &Refusal) -> String {
    if refusal.is(errors::UNAUTHORIZED_CLIENT) || refusal.is(errors::UNSUPPORTED_GRANT_TYPE) {
        format!(
            "the {name} grant is not enabled for the OIDC app ({}): enable it in the app's General settings, under Grant type",
            refusal.error
        )
    } else {
        format!("the {name} grant was refused: {}", refusal.error)
    }
}

fn permission(report: &mut Report, call: &str, result: Result<(), OktaError>) {
    match result {
        Ok(()) => report.pass(format!("permitted: {call}")),
        Err(error) if error.code() == Some(codes::NOT_FOUND) => {
            report.pass(format!("permitted: {call}"));
        }
        Err(error) if error.code() == Some(codes::FORBIDDEN) => report.fail(format!(
            "not permitted: {call} (403 E0000006): give the token's admin role or the service app's scopes this permission"
        )),
        Err(error) => report.fail(format!("cannot check {call}: {error}")),
    }
}

fn explain_token_failure(error: &OktaError) -> String {
    if error.code() == Some(codes::INVALID_TOKEN) || error.is_credential_invalid() {
        "Okta refuses the API token (401 E0000011): it expired after 30 days unused, was revoked, or its admin was deactivated or lost roles; create a new token as the service account".to_owned()
    } else if error.code() == Some(codes::FORBIDDEN) {
        "the API token may not read its own admin (403 E0000006 on /api/v1/users/me)".to_owned()
    } else {
        format!("cannot check the API token: {error}")
    }
}
