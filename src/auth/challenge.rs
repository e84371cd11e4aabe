//! The answer to an Access-Challenge: the NAS sends what the user typed in
//! User-Password, with the State it received. The driver has opened the
//! State (same client, same user, unexpired, first answer); here the login
//! continues where it stopped: a menu choice, a code or `resend`, a push
//! follow-up, with the authentication API or Direct Authentication.
//!
//! Any replica holding the same State key can continue the login: what is
//! not in the State is asked of Okta again (the factor list, a push's status).

use super::access_request::RequestProblem;
use super::context::{Context, Request};
use super::links::link_href;
use super::next::{Next, Stage};
use super::reason::Reason;
use super::state::Step;
use super::typed::is_resend;
use radius_proto::attribute::types;
use radius_proto::crypto::reveal_user_password;
use radius_proto::packet::Packet;
use secrecy::{ExposeSecret, SecretString};
use std::borrow::Cow;
use std::collections::HashMap;

/// Continues a login at `step`, the one its State carried.
pub(super) fn answer(context: &Context, request: &Request<'_>, step: Step) -> Next {
    let Some(typed) = typed_answer(request.packet, request.client.secret_bytes()) else {
        return Next::reject(
            Reason::Request(RequestProblem::PasswordMalformed),
            "The answer could not be read.",
        );
    };
    let code = || SecretString::from(typed.trim().to_owned());
    let stage = match step {
        Step::Menu { state_token } => Stage::MenuChoice {
            state_token,
            typed: SecretString::from(typed),
        },
        Step::Code {
            state_token,
            verify_path,
            kind,
            tries,
        } if kind.is_sent() && is_resend(&typed) => Stage::Resend {
            state_token,
            verify_path,
            kind,
            tries,
        },
        Step::SendCode {
            state_token,
            verify_path,
            kind,
            tries,
        } if is_resend(&typed) => Stage::SendCode {
            state_token,
            verify_href: link_href(&context.okta, &verify_path),
            kind,
            tries,
            destination: Cow::Borrowed("you"),
        },
        Step::Code {
            state_token,
            verify_path,
            kind,
            tries,
        }
        | Step::SendCode {
            state_token,
            verify_path,
            kind,
            tries,
        } => Stage::VerifyCode {
            state_token,
            verify_path,
            kind,
            tries,
            code: code(),
        },
        Step::Push {
            state_token,
            poll_path,
        } => Stage::PushFollowUp {
            state_token,
            poll_path,
        },
        Step::MfaOnlyCode {
            user_id,
            factor_id,
            kind,
            tries,
        } => Stage::MfaOnlyCode {
            user_id,
            factor_id,
            kind,
            tries,
            code: SecretString::from(typed),
        },
        Step::DirectMenu { mfa_token } => Stage::DirectMenuChoice {
            mfa_token,
            typed: SecretString::from(typed),
        },
        Step::DirectCode { mfa_token, tries } => Stage::DirectOtp {
            mfa_token,
            tries,
            code: code(),
        },
        // `resend` (or anything, when no code was sent yet) sends a new code.
        Step::DirectSentCode {
            mfa_token,
            oob_code,
            kind,
            tries,
        } if kind.is_sent() && (is_resend(&typed) || oob_code.expose_secret().is_empty()) => {
            Stage::DirectSendCode {
                mfa_token,
                kind,
                tries,
                resend: true,
                previous: Some(oob_code).filter(|code| !code.expose_secret().is_empty()),
            }
        }
        Step::DirectSentCode {
            mfa_token,
            oob_code,
            kind,
            tries,
        } => Stage::DirectVerifySentCode {
            mfa_token,
            oob_code,
            kind,
            tries,
            code: code(),
        },
        Step::DirectPush {
            mfa_token,
            oob_code,
            interval,
        } => Stage::DirectPushFollowUp {
            mfa_token,
            oob_code,
            interval,
        },
        Step::MfaOnlyPush { user_id, poll_path } => Stage::MfaOnlyPoll {
            user_id,
            poll_path,
            until: request.deadline,
            give_up_at_end: false,
            profile: HashMap::new(),
        },
    };
    Next::Run(stage)
}

/// What the user typed in reply to the prompt (sent as User-Password).
/// An empty answer (the user pressed Enter) is allowed.
fn typed_answer(packet: &Packet, secret: &[u8]) -> Option<String> {
    let Some(hidden) = packet.first(types::USER_PASSWORD) else {
        return Some(String::new());
    };
    let revealed = reveal_user_password(hidden, secret, packet.authenticator()).ok()?;
    String::from_utf8(revealed.to_vec()).ok()
}
