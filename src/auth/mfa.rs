//! The second factor after Okta accepted the password (MFA_REQUIRED):
//! which factors to offer, the numbered menu, and each factor's first step
//! (send a push, send an SMS, ask for a code or the security question).
//!
//! Only factors RADIUS can carry are offered; a single usable factor is used
//! without a menu; with auto-push, a push goes out right after the password.

use super::deadline;
use super::factors::{Offer, kind_of, offer_for_code, render_label};
use super::push::{PushRefusal, PushStatus, PushWatch};
use super::reason::Reason;
use super::state::Step;
use super::typed::InlineFactor;
use super::{Authenticator, Decision, Request, failure, login, messages};
use crate::config::FactorKind;
use crate::config::PushMode;
use okta_api::authn::{AuthnResponse, FactorResult};
use okta_client::client::{FactorVerify, OktaReply};
use okta_client::error::OktaError;
use secrecy::SecretString;
use std::sync::Arc;

/// The factors of an MFA_REQUIRED answer that this client may offer, in menu order.
pub fn offers(request: &Request<'_>, body: &AuthnResponse) -> Vec<Offer> {
    let settings = &request.client.mfa;
    let mut offers: Vec<Offer> = body
        .factors()
        .iter()
        .filter_map(|factor| {
            let kind = kind_of(&factor.factor_type)?;
            if !settings.allowed.contains(&kind) || factor.verify_href().is_none() {
                return None;
            }
            let template = settings
                .labels
                .get(&kind)
                .map(String::as_str)
                .unwrap_or("{provider}");
            Some(Offer {
                kind,
                factor: factor.clone(),
                label: render_label(template, factor),
            })
        })
        .collect();
    offers.sort_by_key(|offer| FactorKind::ALL.iter().position(|k| *k == offer.kind));
    offers
}

/// The menu text: a title and one numbered line per factor.
pub fn menu(request: &Request<'_>, offers: &[Offer]) -> String {
    let mut text = request.client.mfa.menu_title.clone();
    for (i, offer) in offers.iter().enumerate() {
        text.push('\n');
        text.push_str(&format!("{} - {}", i + 1, offer.label));
    }
    text
}

/// The path of an Okta link relative to the org (what a State stores).
pub fn link_path(href: &str) -> String {
    match href.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(slash) => rest[slash..].to_owned(),
            None => "/".to_owned(),
        },
        None => href.to_owned(),
    }
}

/// The absolute link for a stored path.
pub fn link_href(auth: &Authenticator, path: &str) -> String {
    let org = auth.okta.org_url().as_str().trim_end_matches('/');
    format!("{org}{path}")
}

/// Starts the second factor after MFA_REQUIRED.
///
/// Okta's answer (every factor, the user's profile) is let go as soon as the
/// factor is chosen, and only that factor is kept: a login then holds little
/// memory while its push waits.
pub async fn begin(
    auth: &Authenticator,
    request: &Request<'_>,
    body: AuthnResponse,
    inline: Option<InlineFactor>,
) -> Decision {
    let Some(state_token) = body.state_token.clone() else {
        return Decision::reject(Reason::OktaStatusUnexpected, messages::NOT_ALLOWED);
    };
    let offers = offers(request, &body);
    drop(body);
    if offers.is_empty() {
        auth.cancel(&state_token).await;
        return Decision::reject(Reason::NoUsableFactor, messages::NO_USABLE_FACTOR);
    }
    match inline {
        Some(InlineFactor::Code(code)) => {
            let factor = offer_for_code(&offers, &code).map(|offer| {
                let path = offer.factor.verify_href().map(link_path);
                (path.unwrap_or_default(), offer.kind)
            });
            drop(offers);
            match factor {
                Some((verify_path, kind)) => {
                    let code = SecretString::from(code);
                    Box::pin(verify_code(
                        auth,
                        request,
                        &state_token,
                        &verify_path,
                        kind,
                        0,
                        &code,
                    ))
                    .await
                }
                None => {
                    auth.cancel(&state_token).await;
                    Decision::reject(Reason::NoCodeFactor, messages::FACTOR_NOT_ALLOWED)
                }
            }
        }
        Some(InlineFactor::Kind(kind)) => {
            let chosen = offers.into_iter().find(|offer| offer.kind == kind);
            match chosen {
                Some(offer) => Box::pin(start_factor(auth, request, &state_token, offer)).await,
                None => {
                    auth.cancel(&state_token).await;
                    Decision::reject(Reason::FactorNotOffered, messages::FACTOR_NOT_ALLOWED)
                }
            }
        }
        None => {
            let auto_push = request.client.mfa.auto_push
                && offers.iter().any(|offer| offer.kind == FactorKind::Push);
            if auto_push || offers.len() == 1 {
                let chosen = offers
                    .into_iter()
                    .find(|offer| !auto_push || offer.kind == FactorKind::Push);
                return match chosen {
                    Some(offer) => Box::pin(start_factor(auth, request, &state_token, offer)).await,
                    None => Decision::reject(Reason::NoUsableFactor, messages::NO_USABLE_FACTOR),
                };
            }
            auth.challenge(
                request,
                Reason::ChallengeMenu,
                &menu(request, &offers),
                Step::Menu { state_token },
            )
        }
    }
}

/// The first step of one factor.
pub async fn start_factor(
    auth: &Authenticator,
    request: &Request<'_>,
    state_token: &SecretString,
    offer: Offer,
) -> Decision {
    let Some(verify_href) = offer.factor.verify_href() else {
        return Decision::reject(Reason::FactorNotOffered, messages::FACTOR_NOT_ALLOWED);
    };
    let verify_path = link_path(verify_href);
    let code_step = |kind| Step::Code {
        state_token: state_token.clone(),
        verify_path: verify_path.clone(),
        kind,
        tries: 0,
    };
    match offer.kind {
        FactorKind::Push => {
            // Only the link is kept while the push waits, not the factor.
            let href = verify_href.to_owned();
            drop(offer);
            Box::pin(start_push(auth, request, state_token, &href)).await
        }
        FactorKind::YubiKey => auth.challenge(
            request,
            Reason::ChallengeCode,
            messages::ENTER_YUBIKEY,
            code_step(FactorKind::YubiKey),
        ),
        kind if kind.is_passcode() => auth.challenge(
            request,
            Reason::ChallengeCode,
            messages::ENTER_CODE,
            code_step(kind),
        ),
        FactorKind::Question => {
            let text = offer
                .factor
                .profile
                .question_text
                .clone()
                .unwrap_or_else(|| "your security question".to_owned());
            auth.challenge(
                request,
                Reason::ChallengeQuestion,
                &messages::question(&text),
                code_step(FactorKind::Question),
            )
        }
        kind => {
            let destination = offer
                .factor
                .profile
                .phone_number
                .clone()
                .or_else(|| offer.factor.profile.email.clone())
                .unwrap_or_else(|| "you".to_owned());
            send_code(
                auth,
                request,
                state_token,
                verify_href,
                kind,
                0,
                &destination,
            )
            .await
        }
    }
}

/// Sends the first SMS, call or email code of a transaction (Okta sends it
/// on a verify without a code) and asks for it; `tries` wrong codes so far.
pub async fn send_code(
    auth: &Authenticator,
    request: &Request<'_>,
    state_token: &SecretString,
    verify_href: &str,
    kind: FactorKind,
    tries: u8,
    destination: &str,
) -> Decision {
    let verify_path = link_path(verify_href);
    let verify = FactorVerify {
        state_token,
        pass_code: None,
        answer: None,
    };
    let sent = deadline::within(
        request.deadline,
        auth.okta
            .verify_factor(verify_href, &verify, request.forwarded_for),
    )
    .await;
    match sent {
        Ok(Ok(reply)) => {
            let path = reply
                .body
                .next_link()
                .map(|link| link_path(&link.href))
                .unwrap_or(verify_path);
            let step = Step::Code {
                state_token: state_token.clone(),
                verify_path: path,
                kind,
                tries,
            };
            auth.challenge(
                request,
                Reason::ChallengeCodeSent,
                &messages::enter_sent_code(destination),
                step,
            )
            .with_okta_request_id(reply.request_id)
        }
        // Nothing was sent in this transaction: `resend` must send the
        // first code, not ask Okta to resend one it never sent.
        Ok(Err(error)) if is_resend_too_soon(&error) => auth.challenge(
            request,
            Reason::ResendTooSoon,
            messages::SEND_TOO_SOON,
            Step::SendCode {
                state_token: state_token.clone(),
                verify_path,
                kind,
                tries,
            },
        ),
        Ok(Err(error)) => failure::decide_step_failure(&error, request.client.on_okta_failure),
        Err(_) => failure::decide_timeout(request.client.on_okta_failure),
    }
}

/// Whether Okta refused to send another code so soon.
pub fn is_resend_too_soon(error: &OktaError) -> bool {
    matches!(
        error.code(),
        Some("E0000109") | Some("E0000133") | Some("E0000118")
    )
}

/// Submits a code (or a security answer) and acts on Okta's answer.
pub async fn verify_code(
    auth: &Authenticator,
    request: &Request<'_>,
    state_token: &SecretString,
    verify_path: &str,
    kind: FactorKind,
    tries: u8,
    code: &SecretString,
) -> Decision {
    let href = link_href(auth, verify_path);
    let verify = if kind == FactorKind::Question {
        FactorVerify {
            state_token,
            pass_code: None,
            answer: Some(code),
        }
    } else {
        FactorVerify {
            state_token,
            pass_code: Some(code),
            answer: None,
        }
    };
    let retry = |tries: u8, reason: Reason, prompt: &str| {
        if tries >= request.client.mfa.max_code_attempts {
            return None;
        }
        Some(auth.challenge(
            request,
            reason,
            prompt,
            Step::Code {
                state_token: state_token.clone(),
                verify_path: verify_path.to_owned(),
                kind,
                tries,
            },
        ))
    };
    match deadline::within(
        request.deadline,
        auth.okta
            .verify_factor(&href, &verify, request.forwarded_for),
    )
    .await
    {
        Ok(Ok(reply)) => {
            if reply.body.factor_result == Some(FactorResult::PasscodeReplayed) {
                return match retry(tries + 1, Reason::CodeReplayed, messages::CODE_REPLAYED) {
                    Some(decision) => decision,
                    None => {
                        auth.cancel(state_token).await;
                        Decision::reject(Reason::CodeReplayed, messages::WRONG_CODE_FINAL)
                    }
                };
            }
            Box::pin(finish(auth, request, reply, Reason::MfaCodeAccepted)).await
        }
        Ok(Err(error)) => match error.code() {
            Some("E0000068") => {
                match retry(tries + 1, Reason::WrongCode, messages::WRONG_CODE_RETRY) {
                    Some(decision) => decision,
                    None => {
                        auth.cancel(state_token).await;
                        Decision::reject(Reason::WrongCode, messages::WRONG_CODE_FINAL)
                    }
                }
            }
            Some("E0000082") | Some("E0000083") => {
                match retry(tries + 1, Reason::CodeReplayed, messages::CODE_REPLAYED) {
                    Some(decision) => decision,
                    None => {
                        auth.cancel(state_token).await;
                        Decision::reject(Reason::CodeReplayed, messages::WRONG_CODE_FINAL)
                    }
                }
            }
            _ => failure::decide_step_failure(&error, request.client.on_okta_failure),
        },
        Err(_) => failure::decide_timeout(request.client.on_okta_failure),
    }
}

/// After a factor was verified: SUCCESS, or a post-MFA state (password
/// expired, password warning) handled like after the password.
pub async fn finish(
    auth: &Authenticator,
    request: &Request<'_>,
    reply: OktaReply<AuthnResponse>,
    reason: Reason,
) -> Decision {
    let request_id = reply.request_id.clone();
    let decision = if reply.body.status == okta_api::authn::AuthnStatus::Success {
        login::success(auth, request, &reply.body, reason).await
    } else {
        // Boxed: routing may lead back here (a post-MFA state with a new factor).
        Box::pin(login::route(auth, request, reply, None, None)).await
    };
    decision.with_okta_request_id(request_id)
}

/// Sends a push (or joins the one already pending for the user) and answers
/// according to the client's push mode.
pub async fn start_push(
    auth: &Authenticator,
    request: &Request<'_>,
    state_token: &SecretString,
    verify_href: &str,
) -> Decision {
    let settings = &request.client.mfa;
    let user = auth.identities.key(&request.login);
    if let Some(pending) = auth.pushes.pending(&user)
        && !pending.status().is_done()
    {
        // A second login while a push is pending joins it: no second push.
        auth.cancel(state_token).await;
        tracing::info!(user = %request.login, "joining the push already pending for this user");
        return Decision::hold_for_push(pending);
    }
    match auth.pushes.admit(&user) {
        Ok(()) => {}
        Err(refusal) => {
            auth.cancel(state_token).await;
            tracing::info!(user = %request.login, refusal = ?refusal, "push refused by the push-fatigue limits");
            return match refusal {
                PushRefusal::Cooldown => {
                    Decision::reject(Reason::PushCooldown, messages::PUSH_COOLDOWN)
                }
                PushRefusal::TooMany => {
                    Decision::reject(Reason::PushRateLimited, messages::PUSH_TOO_MANY)
                }
            };
        }
    }
    let verify = FactorVerify {
        state_token,
        pass_code: None,
        answer: None,
    };
    let first = match deadline::within(
        request.deadline,
        auth.okta
            .verify_factor(verify_href, &verify, request.forwarded_for),
    )
    .await
    {
        Ok(Ok(reply)) => reply,
        Ok(Err(error)) => {
            return failure::decide_step_failure(&error, request.client.on_okta_failure);
        }
        Err(_) => return failure::decide_timeout(request.client.on_okta_failure),
    };
    let poll_href = first
        .body
        .next_link()
        .map(|link| link.href.clone())
        .unwrap_or_else(|| verify_href.to_owned());
    let watch = auth.pushes.start(
        auth.okta.clone(),
        &user,
        &request.login,
        state_token.clone(),
        poll_href,
        &first.body,
        request.forwarded_for,
        settings.push_timeout,
    );
    Decision::hold_for_push(watch).with_okta_request_id(first.request_id)
}

/// Answers a request about a pending push: waits for it (wait mode, or a
/// follow-up) or challenges at once (challenge mode).
pub async fn answer_push(
    auth: &Authenticator,
    request: &Request<'_>,
    watch: &Arc<PushWatch>,
    mode: PushMode,
    first_request: bool,
) -> Decision {
    let until = if first_request && mode == PushMode::Wait {
        request.arrived + request.client.mfa.push_timeout
    } else if first_request {
        tokio::time::Instant::now()
    } else {
        request.deadline
    };
    // The first answer stops early to show a number-matching challenge; a
    // follow-up waits for the outcome (the number is already on screen).
    // Polls draw on the Okta budget up to this request's own answer time,
    // which in wait mode is the push hold, not the ordinary deadline.
    let status = Box::pin(okta_client::budget::with_deadline(
        until,
        watch.wait(until, first_request),
    ))
    .await;
    match status {
        PushStatus::Approved(body) => {
            let reply = OktaReply {
                body: (*body).clone(),
                request_id: None,
                rate_limit: None,
                http_status: 200,
            };
            Box::pin(finish(auth, request, reply, Reason::MfaPushApproved)).await
        }
        PushStatus::Rejected => {
            auth.pushes
                .note_rejected(&auth.identities.key(&request.login));
            Decision::reject(Reason::PushRejected, messages::PUSH_REJECTED)
        }
        PushStatus::TimedOut => Decision::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT),
        PushStatus::Failed(error) => {
            failure::decide_step_failure(&error, request.client.on_okta_failure)
        }
        PushStatus::Waiting { number } => {
            if first_request && mode == PushMode::Wait && number.is_none() {
                // The hold ran out before the push did: end the transaction
                // so that a late approval opens nothing.
                let (state_token, _) = watch.transaction();
                auth.cancel(&state_token).await;
                return Decision::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT);
            }
            let prompt = match &number {
                Some(number) => messages::number_challenge(number),
                None if first_request => messages::PUSH_APPROVE.to_owned(),
                None => messages::PUSH_STILL_WAITING.to_owned(),
            };
            let (state_token, poll_path) = watch.transaction();
            auth.challenge(
                request,
                if number.is_some() {
                    Reason::ChallengeNumber
                } else {
                    Reason::ChallengePush
                },
                &prompt,
                Step::Push {
                    state_token,
                    poll_path,
                },
            )
        }
    }
}
