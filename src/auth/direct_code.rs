//! One-time codes with Direct Authentication: a code from an authenticator
//! (the `mfa-otp` grant), and a code sent by SMS or voice call (or shown by
//! Okta Verify when the binding method is `prompt`), sent by `/challenge`
//! and given back as the `binding_code` of an `mfa-oob` grant; `resend`
//! asks `/challenge` again. A wrong code gets a few more tries.
//!
//! The `mfa_token` and the challenge's `oob_code` travel sealed in the
//! State, like the stateToken of the authentication API.

use super::context::{Context, Request};
use super::decision::Decision;
use super::direct_login::{completed, user};
use super::direct_mfa::menu_again;
use super::messages;
use super::next::{Next, Prompt};
use super::okta_call::{Purpose, ask};
use super::reason::Reason;
use super::state::Step;
use crate::config::FactorKind;
use okta_api::direct::{BindingMethod, Channel, errors};
use okta_client::{ChallengeOutcome, Grant};
use secrecy::SecretString;

/// Submits a code from an authenticator.
pub(super) async fn otp(
    context: &Context,
    request: &Request<'_>,
    mfa_token: SecretString,
    tries: u8,
    code: SecretString,
) -> Next {
    let Ok(direct) = context.okta.direct() else {
        return Next::reject(Reason::OktaError, messages::UNAVAILABLE);
    };
    let call = direct.otp(user(request), &mfa_token, &code);
    let reply = match ask(request, Purpose::Transaction, call).await {
        Ok(reply) => reply,
        Err(failed) => return failed.into(),
    };
    match reply.body {
        Grant::Refused(refusal) if refusal.is(errors::INVALID_GRANT) => {
            retry(request, tries, |tries| Step::DirectCode {
                mfa_token,
                tries,
            })
        }
        outcome => completed(
            context,
            request,
            outcome,
            Reason::MfaCodeAccepted,
            reply.request_id,
        ),
    }
}

/// Has Okta send an SMS or voice code (`resend`: another one) and asks for it.
pub(super) async fn send(
    context: &Context,
    request: &Request<'_>,
    mfa_token: SecretString,
    kind: FactorKind,
    tries: u8,
    resend: bool,
    previous: Option<SecretString>,
) -> Next {
    let Ok(direct) = context.okta.direct() else {
        return Next::reject(Reason::OktaError, messages::UNAVAILABLE);
    };
    let channel = if kind == FactorKind::Call {
        Channel::Voice
    } else {
        Channel::Sms
    };
    let call = direct.challenge(user(request), &mfa_token, channel);
    let reply = match ask(request, Purpose::Transaction, call).await {
        Ok(reply) => reply,
        // Okta sends at most one code per phone every 30 s.
        Err(failed)
            if failed
                .error()
                .is_some_and(|error| error.http_status() == Some(429)) =>
        {
            // The code sent before (if any) still counts; `resend` later
            // sends a new one.
            let text = match previous {
                Some(_) => messages::RESEND_TOO_SOON,
                None => messages::SEND_TOO_SOON_DIRECT,
            };
            let step = Step::DirectSentCode {
                mfa_token,
                oob_code: previous.unwrap_or_else(|| SecretString::from(String::new())),
                kind,
                tries,
            };
            return Next::challenge(Reason::ResendTooSoon, text, step);
        }
        Err(failed) => return failed.into(),
    };
    match reply.body {
        ChallengeOutcome::Sent(answer) => {
            let step = Step::DirectSentCode {
                mfa_token,
                oob_code: answer.oob_code,
                kind,
                tries,
            };
            let (reason, text) = if resend {
                (
                    Reason::ChallengeCodeResent,
                    messages::enter_sent_code("you again"),
                )
            } else {
                (
                    Reason::ChallengeCodeSent,
                    messages::enter_sent_code("your phone"),
                )
            };
            Next::Challenge(Prompt {
                reason,
                text: text.into(),
                step,
                okta_request_id: reply.request_id,
            })
        }
        ChallengeOutcome::Refused(refusal)
            if refusal.is_app_problem() || refusal.is(errors::ACCESS_DENIED) =>
        {
            Next::Decided(super::direct_login::refused(request, &refusal))
        }
        // The user has no such factor: another one, perhaps.
        ChallengeOutcome::Refused(_) => menu_again(request, mfa_token, messages::FACTOR_NOT_SET_UP),
    }
}

/// Gives Okta the code the user typed for a challenge.
pub(super) async fn verify_sent(
    context: &Context,
    request: &Request<'_>,
    mfa_token: SecretString,
    oob_code: SecretString,
    kind: FactorKind,
    tries: u8,
    code: SecretString,
) -> Next {
    let Ok(direct) = context.okta.direct() else {
        return Next::reject(Reason::OktaError, messages::UNAVAILABLE);
    };
    let call = direct.poll_oob(user(request), &mfa_token, &oob_code, Some(&code));
    let reply = match ask(request, Purpose::Transaction, call).await {
        Ok(reply) => reply,
        Err(failed) => return failed.into(),
    };
    let step = |tries| Step::DirectSentCode {
        mfa_token,
        oob_code,
        kind,
        tries,
    };
    match reply.body {
        Grant::Refused(refusal) if refusal.is(errors::INVALID_GRANT) => {
            retry(request, tries, step).quoting(reply.request_id)
        }
        // A push whose code was typed, not approved yet.
        Grant::Pending | Grant::SlowDown => Next::challenge(
            Reason::ChallengePush,
            messages::PUSH_STILL_WAITING,
            step(tries),
        ),
        outcome => completed(
            context,
            request,
            outcome,
            Reason::MfaCodeAccepted,
            reply.request_id,
        ),
    }
}

/// After a wrong code: another try while the client allows one.
fn retry(request: &Request<'_>, tries: u8, step: impl FnOnce(u8) -> Step) -> Next {
    let tries = tries + 1;
    if tries >= request.client.mfa.max_code_attempts {
        return Next::Decided(Decision::reject(
            Reason::WrongCode,
            messages::WRONG_CODE_FINAL,
        ));
    }
    Next::challenge(Reason::WrongCode, messages::WRONG_CODE_RETRY, step(tries))
}

/// What a push challenge whose binding method is `prompt` asks for: the
/// code Okta Verify shows, typed at the NAS.
pub(super) fn prompt_for_push_code(
    mfa_token: SecretString,
    oob_code: SecretString,
    method: &BindingMethod,
) -> Option<Next> {
    (*method == BindingMethod::Prompt).then(|| {
        Next::challenge(
            Reason::ChallengeCode,
            messages::ENTER_PUSH_CODE,
            Step::DirectSentCode {
                mfa_token,
                oob_code,
                kind: FactorKind::Push,
                tries: 0,
            },
        )
    })
}
