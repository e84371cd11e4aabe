//! MFA-only clients: Okta does not check the password (another server did,
//! or the NAS does none), and the password field carries the second factor
//! itself: a one-time code, or `push`, `sms`, `call`, `email`.
//!
//! This is Okta's "Okta performs primary authentication" switched off. There
//! is no authentication transaction, so the user is looked up and the factor
//! verified through the management API with the service-account credentials.

use super::deadline;
use super::factors::{Offer, kind_of, offer_for_code, render_label};
use super::push::poll_interval;
use super::reason::Reason;
use super::state::Step;
use super::typed;
use super::{Authenticator, Decision, Request, failure, messages, mfa};
use crate::config::FactorKind;
use crate::config::PushMode;
use okta_api::authn::FactorResult;
use okta_client::management::{FactorStatus, UserFactorVerify, UserStatus};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;

/// Starts an MFA-only login with what the user typed as the password.
pub async fn start(auth: &Authenticator, request: &Request<'_>, typed: &SecretString) -> Decision {
    let typed = typed.expose_secret().trim().to_owned();
    let user = match deadline::within(request.deadline, auth.okta.find_user(&request.login)).await {
        Ok(Ok(reply)) => reply.body,
        Ok(Err(error)) if error.code() == Some("E0000007") => {
            return Decision::reject(Reason::UnknownUser, messages::WRONG_PASSWORD);
        }
        Ok(Err(error)) => return failure::decide_failure(&error, request.client.on_okta_failure),
        Err(_) => return failure::decide_timeout(request.client.on_okta_failure),
    };
    if !matches!(
        user.status,
        UserStatus::Active | UserStatus::PasswordExpired
    ) {
        return Decision::reject(Reason::UserNotActive, messages::LOCKED_OUT);
    }
    let factors = match deadline::within(request.deadline, auth.okta.user_factors(&user.id)).await {
        Ok(Ok(reply)) => reply.body,
        Ok(Err(error)) => return failure::decide_failure(&error, request.client.on_okta_failure),
        Err(_) => return failure::decide_timeout(request.client.on_okta_failure),
    };
    let settings = &request.client.mfa;
    let offers: Vec<Offer> = factors
        .iter()
        .filter(|factor| factor.status == FactorStatus::Active)
        .filter_map(|factor| {
            let kind = kind_of(&factor.factor_type)?;
            if !settings.allowed.contains(&kind) {
                return None;
            }
            let as_factor = factor.as_authn_factor();
            let template = settings
                .labels
                .get(&kind)
                .map(String::as_str)
                .unwrap_or("{provider}");
            Some(Offer {
                kind,
                label: render_label(template, &as_factor),
                factor: as_factor,
            })
        })
        .collect();
    if offers.is_empty() {
        return Decision::reject(Reason::NoUsableFactor, messages::NO_USABLE_FACTOR);
    }
    let offer = if typed::is_code(&typed) {
        offer_for_code(&offers, &typed)
    } else {
        typed::keyword(&typed).and_then(|kind| offers.iter().find(|offer| offer.kind == kind))
    };
    let Some(offer) = offer else {
        let kinds: Vec<&str> = offers.iter().map(|o| o.kind.config_name()).collect();
        let text = format!(
            "Type a code from your authenticator, or one of: {}.",
            kinds.join(", ")
        );
        return Decision::reject(Reason::MfaOnlyUnknownInput, &text);
    };
    let profile = user.profile_strings();
    match offer.kind {
        FactorKind::Push => start_push(auth, request, &user.id, &offer.factor.id, &profile).await,
        kind if kind.is_sent() => {
            let verify = UserFactorVerify::default();
            match deadline::within(
                request.deadline,
                auth.okta.verify_user_factor(
                    &user.id,
                    &offer.factor.id,
                    &verify,
                    request.forwarded_for,
                ),
            )
            .await
            {
                Ok(Ok(_)) => {
                    let destination = offer
                        .factor
                        .profile
                        .phone_number
                        .clone()
                        .or_else(|| offer.factor.profile.email.clone())
                        .unwrap_or_else(|| "you".to_owned());
                    auth.challenge(
                        request,
                        Reason::ChallengeCodeSent,
                        &messages::enter_sent_code(&destination),
                        Step::DirectCode {
                            user_id: user.id.clone(),
                            factor_id: offer.factor.id.clone(),
                            kind,
                            tries: 0,
                        },
                    )
                }
                Ok(Err(error)) => {
                    failure::decide_step_failure(&error, request.client.on_okta_failure)
                }
                Err(_) => failure::decide_timeout(request.client.on_okta_failure),
            }
        }
        kind => {
            verify_with_profile(
                auth,
                request,
                &user.id,
                &offer.factor.id,
                kind,
                0,
                &typed,
                &profile,
            )
            .await
        }
    }
}

/// Verifies a code typed in answer to an MFA-only challenge.
pub async fn verify_code(
    auth: &Authenticator,
    request: &Request<'_>,
    user_id: &str,
    factor_id: &str,
    kind: FactorKind,
    tries: u8,
    typed: &str,
) -> Decision {
    verify_with_profile(
        auth,
        request,
        user_id,
        factor_id,
        kind,
        tries,
        typed.trim(),
        &HashMap::new(),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn verify_with_profile(
    auth: &Authenticator,
    request: &Request<'_>,
    user_id: &str,
    factor_id: &str,
    kind: FactorKind,
    tries: u8,
    code: &str,
    profile: &HashMap<String, String>,
) -> Decision {
    let secret = SecretString::from(code.to_owned());
    let verify = if kind == FactorKind::Question {
        UserFactorVerify {
            answer: Some(&secret),
            ..UserFactorVerify::default()
        }
    } else {
        UserFactorVerify {
            pass_code: Some(&secret),
            ..UserFactorVerify::default()
        }
    };
    match deadline::within(
        request.deadline,
        auth.okta
            .verify_user_factor(user_id, factor_id, &verify, request.forwarded_for),
    )
    .await
    {
        Ok(Ok(reply)) if reply.body.factor_result == FactorResult::Success => auth
            .authorize(request, Reason::MfaOnlyCodeAccepted, Some(user_id), profile)
            .await
            .with_okta_request_id(reply.request_id),
        Ok(Ok(_)) => Decision::reject(Reason::WrongCode, messages::WRONG_CODE_FINAL),
        Ok(Err(error))
            if matches!(
                error.code(),
                Some("E0000068") | Some("E0000082") | Some("E0000083")
            ) =>
        {
            let tries = tries + 1;
            if tries >= request.client.mfa.max_code_attempts {
                return Decision::reject(Reason::WrongCode, messages::WRONG_CODE_FINAL);
            }
            let prompt = if error.code() == Some("E0000068") {
                messages::WRONG_CODE_RETRY
            } else {
                messages::CODE_REPLAYED
            };
            auth.challenge(
                request,
                Reason::WrongCode,
                prompt,
                Step::DirectCode {
                    user_id: user_id.to_owned(),
                    factor_id: factor_id.to_owned(),
                    kind,
                    tries,
                },
            )
        }
        Ok(Err(error)) => failure::decide_step_failure(&error, request.client.on_okta_failure),
        Err(_) => failure::decide_timeout(request.client.on_okta_failure),
    }
}

async fn start_push(
    auth: &Authenticator,
    request: &Request<'_>,
    user_id: &str,
    factor_id: &str,
    profile: &HashMap<String, String>,
) -> Decision {
    let user = auth.identities.learn(&request.login, user_id);
    if let Err(refusal) = auth.pushes.admit(&user) {
        return match refusal {
            super::push::PushRefusal::Cooldown => {
                Decision::reject(Reason::PushCooldown, messages::PUSH_COOLDOWN)
            }
            super::push::PushRefusal::TooMany => {
                Decision::reject(Reason::PushRateLimited, messages::PUSH_TOO_MANY)
            }
        };
    }
    let verify = UserFactorVerify::default();
    let sent = match deadline::within(
        request.deadline,
        auth.okta
            .verify_user_factor(user_id, factor_id, &verify, request.forwarded_for),
    )
    .await
    {
        Ok(Ok(reply)) => reply,
        Ok(Err(error)) => {
            return failure::decide_step_failure(&error, request.client.on_okta_failure);
        }
        Err(_) => return failure::decide_timeout(request.client.on_okta_failure),
    };
    let Some(poll_href) = sent.body.poll_href() else {
        return Decision::reject(Reason::OktaStatusUnexpected, messages::NOT_ALLOWED);
    };
    let poll_path = mfa::link_path(poll_href);
    match request.client.mfa.push_mode {
        PushMode::Wait => {
            let until = request.arrived + request.client.mfa.push_timeout;
            poll_until(auth, request, user_id, &poll_path, until, true, profile).await
        }
        PushMode::Challenge => auth.challenge(
            request,
            Reason::ChallengePush,
            messages::PUSH_APPROVE,
            Step::DirectPush {
                user_id: user_id.to_owned(),
                poll_path,
            },
        ),
    }
}

/// The follow-up of an MFA-only push challenge.
pub async fn push_follow_up(
    auth: &Authenticator,
    request: &Request<'_>,
    user_id: &str,
    poll_path: &str,
) -> Decision {
    poll_until(
        auth,
        request,
        user_id,
        poll_path,
        request.deadline,
        false,
        &HashMap::new(),
    )
    .await
}

async fn poll_until(
    auth: &Authenticator,
    request: &Request<'_>,
    user_id: &str,
    poll_path: &str,
    until: tokio::time::Instant,
    give_up_at_end: bool,
    profile: &HashMap<String, String>,
) -> Decision {
    let href = mfa::link_href(auth, poll_path);
    let started = tokio::time::Instant::now();
    loop {
        match deadline::within(until, auth.okta.poll_user_factor(&href)).await {
            Ok(Ok(reply)) => match reply.body.factor_result {
                FactorResult::Success => {
                    return auth
                        .authorize(request, Reason::MfaOnlyPushApproved, Some(user_id), profile)
                        .await;
                }
                FactorResult::Waiting => {}
                FactorResult::Rejected => {
                    auth.pushes
                        .note_rejected(&auth.identities.learn(&request.login, user_id));
                    return Decision::reject(Reason::PushRejected, messages::PUSH_REJECTED);
                }
                _ => return Decision::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT),
            },
            Ok(Err(error)) => {
                return failure::decide_step_failure(&error, request.client.on_okta_failure);
            }
            Err(_) => break,
        }
        let pause = poll_interval(started.elapsed());
        if tokio::time::Instant::now() + pause >= until {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    if give_up_at_end {
        let _ = auth.okta.cancel_user_factor(&href).await;
        return Decision::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT);
    }
    auth.challenge(
        request,
        Reason::ChallengePush,
        messages::PUSH_STILL_WAITING,
        Step::DirectPush {
            user_id: user_id.to_owned(),
            poll_path: poll_path.to_owned(),
        },
    )
}
