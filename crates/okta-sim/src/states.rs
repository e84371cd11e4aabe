//! The transaction states the simulated org answers with, in Okta's shapes:
//! `SUCCESS`, `MFA_REQUIRED`, `MFA_ENROLL`, `MFA_CHALLENGE`,
//! `PASSWORD_EXPIRED`, `PASSWORD_WARN`, `LOCKED_OUT`. Enrolment details are
//! masked as Okta masks them (`+1 XXX-XXX-1234`, `e...n@example.com`).
//!
//! The builders return the answer without `stateToken` and `expiresAt`: the
//! transaction store stamps those.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::config::FactorListSpelling;
use super::ids;
use super::org::SimOrg;
use super::user_store::UserView;
use super::users::SimFactor;
use okta_api::authn::FactorType;

/// How long a sessionToken may be exchanged for a session.
const SESSION_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// The `factorResult` and next step of an `MFA_CHALLENGE`.
pub(crate) struct Challenge<'a> {
    pub factor_id: &'a str,
    pub factor: &'a SimFactor,
    pub factor_result: &'a str,
    /// `poll` while a push is pending, `verify` otherwise.
    pub next: &'a str,
    pub correct_answer: Option<u32>,
}

/// `SUCCESS` with a one-time sessionToken (the transaction ends).
pub(crate) fn success(org: &SimOrg, user: &UserView) -> Value {
    let expires_at = okta_api::time::okta_timestamp(SystemTime::now() + SESSION_TOKEN_LIFETIME);
    json!({
        "expiresAt": expires_at,
        "status": "SUCCESS",
        "sessionToken": format!("20111{}", ids::random_token(37)),
        "_embedded": {"user": embedded_user(org, user)}
    })
}

/// `LOCKED_OUT`, when the org reveals lockouts.
pub(crate) fn locked_out(org: &SimOrg) -> Value {
    json!({
        "status": "LOCKED_OUT",
        "_links": {"next": link(org, "unlock", "/api/v1/authn/recovery/unlock")}
    })
}

/// `MFA_REQUIRED` listing the user's factors.
pub(crate) fn mfa_required(org: &SimOrg, user: &UserView) -> Value {
    let factors: Vec<Value> = user
        .factors
        .iter()
        .map(|(id, factor)| factor_json(org, id, user.login(), factor))
        .collect();
    let list_key = match org.factor_list_spelling {
        FactorListSpelling::Factors => "factors",
        FactorListSpelling::Factor => "factor",
    };
    json!({
        "status": "MFA_REQUIRED",
        "_embedded": {
            "user": embedded_user(org, user),
            list_key: factors,
            "policy": policy()
        },
        "_links": {"cancel": link(org, "cancel", "/api/v1/authn/cancel")}
    })
}

/// `MFA_ENROLL`: the factors the org lets the user enrol (none has an id yet).
pub(crate) fn mfa_enroll(org: &SimOrg, user: &UserView) -> Value {
    let enrol = |factor_type: &str, provider: &str| {
        json!({
            "factorType": factor_type,
            "provider": provider,
            "vendorName": provider,
            "status": "NOT_SETUP",
            "enrollment": "REQUIRED",
            "_links": {"enroll": link(org, "enroll", "/api/v1/authn/factors")}
        })
    };
    json!({
        "status": "MFA_ENROLL",
        "_embedded": {
            "user": embedded_user(org, user),
            "factors": [
                enrol("push", "OKTA"),
                enrol("token:software:totp", "OKTA"),
                enrol("token:software:totp", "GOOGLE"),
                enrol("sms", "OKTA")
            ]
        },
        "_links": {"cancel": link(org, "cancel", "/api/v1/authn/cancel")}
    })
}

/// `MFA_CHALLENGE` for one factor.
pub(crate) fn mfa_challenge(org: &SimOrg, user: &UserView, challenge: &Challenge<'_>) -> Value {
    let mut factor = factor_json(org, challenge.factor_id, user.login(), challenge.factor);
    if let Value::Object(fields) = &mut factor {
        fields.remove("_links");
        if let Some(number) = challenge.correct_answer {
            fields.insert(
                "_embedded".into(),
                json!({"challenge": {"correctAnswer": number}}),
            );
        }
    }
    let verify = format!("/api/v1/authn/factors/{}/verify", challenge.factor_id);
    let mut links = json!({
        "next": link(org, challenge.next, &verify),
        "cancel": link(org, "cancel", "/api/v1/authn/cancel"),
        "prev": link(org, "prev", "/api/v1/authn/previous")
    });
    let resend_name = match challenge.factor.factor_type {
        FactorType::Sms => Some("sms"),
        FactorType::Call => Some("call"),
        FactorType::Email => Some("email"),
        FactorType::Push => Some("push"),
        _ => None,
    };
    if let (Some(name), Value::Object(fields)) = (resend_name, &mut links) {
        fields.insert(
            "resend".into(),
            json!([link(org, name, &format!("{verify}/resend"))]),
        );
    }
    json!({
        "status": "MFA_CHALLENGE",
        "factorResult": challenge.factor_result,
        "_embedded": {
            "user": embedded_user(org, user),
            "factor": factor,
            "policy": policy()
        },
        "_links": links
    })
}

/// `PASSWORD_EXPIRED`: the password must be changed before signing in.
pub(crate) fn password_expired(org: &SimOrg, user: &UserView) -> Value {
    json!({
        "status": "PASSWORD_EXPIRED",
        "_embedded": {
            "user": embedded_user(org, user),
            "policy": {"complexity": complexity()}
        },
        "_links": {
            "next": link(org, "changePassword", "/api/v1/authn/credentials/change_password"),
            "cancel": link(org, "cancel", "/api/v1/authn/cancel")
        }
    })
}

/// `PASSWORD_WARN`: the password expires soon; `skip` continues.
pub(crate) fn password_warn(org: &SimOrg, user: &UserView) -> Value {
    json!({
        "status": "PASSWORD_WARN",
        "_embedded": {
            "user": embedded_user(org, user),
            "policy": {"expiration": {"passwordExpireDays": 4}, "complexity": complexity()}
        },
        "_links": {
            "next": link(org, "changePassword", "/api/v1/authn/credentials/change_password"),
            "skip": link(org, "skip", "/api/v1/authn/skip"),
            "cancel": link(org, "cancel", "/api/v1/authn/cancel")
        }
    })
}

fn complexity() -> Value {
    json!({"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 0})
}

fn policy() -> Value {
    json!({
        "allowRememberDevice": false,
        "rememberDeviceLifetimeInMinutes": 0,
        "rememberDeviceByDefault": false,
        "factorsPolicyInfo": {}
    })
}

fn embedded_user(org: &SimOrg, user: &UserView) -> Value {
    json!({
        "id": user.id,
        "passwordChanged": okta_api::time::okta_timestamp(org.started),
        "profile": {
            "login": user.login(),
            "firstName": user.user.first_name,
            "lastName": user.user.last_name,
            "locale": "en_US",
            "timeZone": "America/Los_Angeles"
        }
    })
}

/// A factor as `MFA_REQUIRED` lists it: enrolment details masked.
fn factor_json(org: &SimOrg, id: &str, login: &str, factor: &SimFactor) -> Value {
    let profile = factor_profile(login, factor, true);
    json!({
        "id": id,
        "factorType": factor.factor_type.as_str(),
        "provider": factor.provider.as_str(),
        "vendorName": factor.provider.as_str(),
        "profile": profile,
        "_links": {
            "verify": link(org, "verify", &format!("/api/v1/authn/factors/{id}/verify"))
        }
    })
}

/// A factor's `profile`; the authentication API masks phone numbers and
/// email addresses, the factors API shows them.
pub(crate) fn factor_profile(login: &str, factor: &SimFactor, masked: bool) -> Value {
    let shown = |text: &Option<String>, mask: fn(&str) -> String| {
        text.as_deref()
            .map(|text| if masked { mask(text) } else { text.to_owned() })
    };
    match factor.factor_type {
        FactorType::Sms | FactorType::Call => {
            json!({"phoneNumber": shown(&factor.phone_number, mask_phone)})
        }
        FactorType::Email => json!({"email": shown(&factor.email, mask_email)}),
        FactorType::Question => json!({
            "question": factor.question,
            "questionText": factor.question_text.as_deref().or(factor.question.as_deref())
        }),
        FactorType::Push => json!({
            "credentialId": login,
            "deviceType": "SmartPhone_Android",
            "name": "Simulated phone",
            "platform": "ANDROID",
            "version": "14"
        }),
        _ => json!({"credentialId": login}),
    }
}

fn link(org: &SimOrg, name: &str, path: &str) -> Value {
    json!({
        "name": name,
        "href": format!("{}{path}", org.base_url),
        "hints": {"allow": ["POST"]}
    })
}

/// `+1 555 0100 1234` -> `+1 XXX-XXX-1234`, as Okta masks phone numbers.
fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let last: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("+1 XXX-XXX-{last}")
}

/// `erin@example.com` -> `e...n@example.com`.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('x');
            let last = local.chars().last().unwrap_or('x');
            format!("{first}...{last}@{domain}")
        }
        None => "...".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        assert_eq!(mask_phone("+1 555 0100 1234"), "+1 XXX-XXX-1234");
        assert_eq!(mask_phone("12"), "+1 XXX-XXX-12");
        assert_eq!(mask_email("erin@example.com"), "e...n@example.com");
    }
}
