//! One-time codes in an authentication transaction: having Okta send an
//! SMS, call or email code (and another on `resend`), and submitting what
//! the user typed (a code, or the answer to the security question), with
//! a few more tries after a wrong or replayed code.

use super::context::{Context, Request};
use super::decision::Decision;
use super::links::{link_href, link_path};
use super::messages;
use super::next::{Next, Prompt, Stage, Transaction};
use super::okta_call::{Purpose, ask};
use super::reason::Reason;
use super::state::Step;
use crate::config::FactorKind;
use okta_api::authn::FactorResult;
use okta_api::error::codes;
use okta_client::FactorVerify;
use secrecy::SecretString;
use std::borrow::Cow;

/// Whether Okta refused to send another code so soon.
fn is_too_soon(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(codes::SMS_TOO_SOON | codes::CALL_TOO_SOON | codes::EMAIL_TOO_SOON)
    )
}

/// Sends the first SMS, call or email code of a transaction (Okta sends it
/// on a verify without a code) and asks for it; `tries` wrong codes so far.
pub(super) async fn send(
    context: &Context,
    request: &Request<'_>,
    state_token: SecretString,
    verify_href: String,
    kind: FactorKind,
    tries: u8,
    destination: Cow<'static, str>,
) -> Next {
    let verify = FactorVerify {
        state_token: &state_token,
        pass_code: None,
        answer: None,
    };
    let call = context
        .okta
        .authn()
        .verify_factor(&verify_href, &verify, request.forwarded_for);
    match ask(request, Purpose::Transaction, call).await {
        Ok(reply) => {
            let verify_path = match reply.body.next_link() {
                Some(link) => link_path(&link.href),
                None => link_path(&verify_href),
            };
            let step = Step::Code {
                state_token,
                verify_path,
                kind,
                tries,
            };
            Next::Challenge(Prompt {
                reason: Reason::ChallengeCodeSent,
                text: messages::enter_sent_code(&destination).into(),
                step,
                okta_request_id: reply.request_id,
            })
        }
        // Nothing was sent in this transaction: `resend` must send the
        // first code, not ask Okta to resend one it never sent.
        Err(failed) if is_too_soon(failed.code()) => Next::challenge(
            Reason::ResendTooSoon,
            messages::SEND_TOO_SOON,
            Step::SendCode {
                state_token,
                verify_path: link_path(&verify_href),
                kind,
                tries,
            },
        ),
        Err(failed) => failed.into(),
    }
}

/// The user asked for another SMS, call or email.
pub(super) async fn resend(
    context: &Context,
    request: &Request<'_>,
    state_token: SecretString,
    verify_path: String,
    kind: FactorKind,
    tries: u8,
) -> Next {
    let href = format!("{}/resend", link_href(&context.okta, &verify_path));
    let call = context
        .okta
        .authn()
        .resend_factor(&href, &state_token, request.forwarded_for);
    let failed = match ask(request, Purpose::Transaction, call).await {
        Ok(_) => {
            let step = Step::Code {
                state_token,
                verify_path,
                kind,
                tries,
            };
            let prompt = messages::enter_sent_code("you again");
            return Next::challenge(Reason::ChallengeCodeResent, prompt, step);
        }
        Err(failed) => failed,
    };
    if is_too_soon(failed.code()) {
        let step = Step::Code {
            state_token,
            verify_path,
            kind,
            tries,
        };
        return Next::challenge(Reason::ResendTooSoon, messages::RESEND_TOO_SOON, step);
    }
    // The transaction is not waiting for a code (none was sent in it, e.g.
    // a wrong code typed after Okta refused to send one so soon): send the
    // first one instead.
    if failed.code() == Some(codes::ILLEGAL_STATE) {
        return Next::Run(Stage::SendCode {
            state_token,
            verify_href: link_href(&context.okta, &verify_path),
            kind,
            tries,
            destination: Cow::Borrowed("you"),
        });
    }
    failed.into()
}

/// Submits a code (or a security answer) and acts on Okta's answer.
pub(super) async fn verify(
    context: &Context,
    request: &Request<'_>,
    state_token: SecretString,
    verify_path: String,
    kind: FactorKind,
    tries: u8,
    code: SecretString,
) -> Next {
    let href = link_href(&context.okta, &verify_path);
    let verify = if kind == FactorKind::Question {
        FactorVerify {
            state_token: &state_token,
            pass_code: None,
            answer: Some(&code),
        }
    } else {
        FactorVerify {
            state_token: &state_token,
            pass_code: Some(&code),
            answer: None,
        }
    };
    let call = context
        .okta
        .authn()
        .verify_factor(&href, &verify, request.forwarded_for);
    let answer = ask(request, Purpose::Transaction, call).await;
    // Another try, while the client allows one; otherwise the end.
    let retry = |reason: Reason, prompt: &'static str| {
        let tries = tries + 1;
        if tries >= request.client.mfa.max_code_attempts {
            return Next::Abandon {
                state_token,
                decision: Decision::reject(reason, messages::wrong(kind, true)),
            };
        }
        let step = Step::Code {
            state_token,
            verify_path,
            kind,
            tries,
        };
        Next::challenge(reason, prompt, step)
    };
    match answer {
        Ok(reply) if reply.body.factor_result == Some(FactorResult::PasscodeReplayed) => {
            retry(Reason::CodeReplayed, messages::CODE_REPLAYED)
        }
        Ok(reply) => Next::Okta(Transaction {
            answer: reply.body,
            okta_request_id: reply.request_id,
            success: Reason::MfaCodeAccepted,
            inline: None,
            warning: None,
        }),
        Err(failed) => match failed.code() {
            Some(codes::INVALID_PASSCODE) => retry(Reason::WrongCode, messages::wrong(kind, false))
                .quoting(failed.okta_request_id()),
            Some(codes::PASSCODE_REPLAYED | codes::PASSCODE_OUTSIDE_WINDOW) => {
                retry(Reason::CodeReplayed, messages::CODE_REPLAYED)
                    .quoting(failed.okta_request_id())
            }
            _ => failed.into(),
        },
    }
}
