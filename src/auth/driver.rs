//! The conversation's one loop: it starts a login, or continues one from
//! the State of an Access-Challenge, then runs steps until one decides.
//!
//! Steps ([`login`], [`mfa`], [`code`], [`push_factor`], [`direct_login`],
//! [`direct_mfa`], [`direct_code`], [`direct_push`], [`mfa_only`],
//! [`challenge`]) only say what happens next ([`Next`]); the driver does
//! it: runs the next [`Stage`] in its own allocation, routes Okta's answers
//! by status, seals challenges, waits for pushes, cancels transactions that
//! will not be finished, and applies the client's policy to a login Okta
//! accepted. While a request waits for a push, no step's future is alive:
//! a held login costs the driver's few words and the push's shared watch.

use super::authorize::{self, GroupsCache};
use super::context::{Context, Request};
use super::decision::Decision;
use super::messages;
use super::next::{Next, Prompt, Stage};
use super::okta_call;
use super::push::PushWatch;
use super::reason::Reason;
use super::rules::Rules;
use super::sealing::States;
use super::{access_request, challenge, code, login, mfa, mfa_only, push_factor};
use super::{direct_code, direct_login, direct_mfa, direct_push};
use crate::config::{OktaApi, PushMode};
use crate::live::Live;
use radius_proto::attribute::types;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::time::Instant;

/// What the driver does with a [`Next`].
enum Act<'a> {
    Decide(Decision),
    Continue(Next),
    /// Wait for Okta or for a push, then go on with what follows.
    Wait(Pin<Box<dyn Future<Output = Next> + Send + 'a>>),
}

/// The Okta call an audit line quotes: the first transaction answer (or
/// sent push) of the request, when there is one, whatever follows it; or
/// else the call that decided.
#[derive(Default)]
struct AnsweredBy(Option<Option<String>>);

impl AnsweredBy {
    fn note(&mut self, okta_request_id: Option<String>) {
        self.0.get_or_insert(okta_request_id);
    }

    fn quote_in(self, decision: Decision) -> Decision {
        match self.0 {
            Some(okta_request_id) => decision.with_okta_request_id(okta_request_id),
            None => decision,
        }
    }
}

/// What the driver works with: the steps' context, and what only the
/// driver touches (States, the groups cache, the policies).
pub(super) struct Driver<'a> {
    pub(super) context: &'a Context,
    pub(super) states: &'a States,
    pub(super) groups: &'a GroupsCache,
    pub(super) rules: &'a Live<Rules>,
}

impl Driver<'_> {
    /// Runs the conversation for one request until it is decided.
    pub(super) async fn converse(&self, request: &Request<'_>) -> Decision {
        let mut answered_by = AnsweredBy::default();
        let mut next = self.first(request).await;
        let decision = loop {
            // The wait is taken out of `Act` before it is awaited: nothing
            // else of this loop is kept while a request waits.
            let waiting = match self.act(request, next, &mut answered_by) {
                Act::Decide(decision) => break decision,
                Act::Continue(then) => {
                    next = then;
                    continue;
                }
                Act::Wait(waiting) => waiting,
            };
            next = waiting.await;
        };
        answered_by.quote_in(decision)
    }

    /// Acts on what a step returned: decides, continues at once, or gives
    /// the wait (for Okta, or for a push) to the loop. Each wait runs in
    /// its own allocation, so the loop holds only the current one.
    fn act<'a>(
        &'a self,
        request: &'a Request<'_>,
        next: Next,
        answered_by: &mut AnsweredBy,
    ) -> Act<'a> {
        match next {
            Next::Decided(decision) => Act::Decide(decision),
            Next::Challenge(prompt) => Act::Decide(self.seal(request, prompt)),
            Next::Okta(mut transaction) => {
                answered_by.note(transaction.okta_request_id.take());
                Act::Continue(login::route(request, transaction))
            }
            Next::Authorize(mut approval) => {
                if let Some(id) = approval.okta_request_id.take() {
                    answered_by.note(Some(id));
                }
                let rules = self.rules.get();
                if !authorize::needs_groups(&rules, request) || approval.groups.is_some() {
                    return Act::Decide(authorize::authorize(&rules, request, approval));
                }
                let (context, groups) = (self.context, self.groups);
                Act::Wait(Box::pin(async move {
                    let authorizing =
                        authorize::authorize_with_groups(context, groups, rules, request, approval);
                    Next::Decided(authorizing.await)
                }))
            }
            Next::HoldForPush(hold) => {
                if hold.first {
                    answered_by.note(hold.okta_request_id);
                }
                Act::Wait(Box::pin(
                    self.wait_for_push(request, hold.watch, hold.first),
                ))
            }
            Next::Abandon {
                state_token,
                decision,
            } => {
                let okta = &self.context.okta;
                Act::Wait(Box::pin(async move {
                    okta_call::cancel(okta, &state_token).await;
                    Next::Decided(decision)
                }))
            }
            Next::Run(stage) => self.run(request, stage),
        }
    }

    /// Where a request starts: the answer to a challenge (it carries a
    /// State), or a new login (its password goes to Okta, or in MFA-only
    /// mode it is the second factor).
    async fn first(&self, request: &Request<'_>) -> Next {
        if let Some(sealed) = request.packet.first(types::STATE) {
            // In its own allocation: with a fleet it waits on Redis, and a
            // future held inline would size every request's conversation.
            return match Box::pin(self.states.open_once(request, sealed)).await {
                Ok(step) => challenge::answer(self.context, request, step),
                Err(decision) => Next::Decided(decision),
            };
        }
        let secret = request.client.secret_bytes();
        match access_request::read_pap_login(request.packet, secret) {
            Ok(login) if request.client.okta_primary_auth => match self.context.api {
                OktaApi::Authn => Next::Run(Stage::Password {
                    password: login.password,
                }),
                OktaApi::Direct => Next::Run(Stage::DirectPassword {
                    password: login.password,
                }),
            },
            Ok(login) => Next::Run(Stage::MfaOnly {
                typed: login.password,
            }),
            Err(problem) => Next::reject(Reason::Request(problem), problem.reply_message()),
        }
    }

    /// Starts one stage: those that ask Okta run in their own allocation,
    /// sized for that step alone and freed when it returns.
    fn run<'a>(&'a self, request: &'a Request<'_>, stage: Stage) -> Act<'a> {
        let context = self.context;
        match stage {
            Stage::Factors { answer, inline } => Act::Continue(mfa::begin(request, answer, inline)),
            Stage::StartFactor { state_token, offer } => {
                Act::Continue(mfa::start_factor(state_token, offer))
            }
            Stage::Password { password } => {
                Act::Wait(Box::pin(login::password(context, request, password)))
            }
            Stage::SkipWarning {
                state_token,
                days,
                inline,
            } => Act::Wait(Box::pin(login::skip_warning(
                context,
                request,
                state_token,
                days,
                inline,
            ))),
            Stage::MenuChoice { state_token, typed } => Act::Wait(Box::pin(mfa::menu_choice(
                context,
                request,
                state_token,
                typed,
            ))),
            Stage::SendCode {
                state_token,
                verify_href,
                kind,
                tries,
                destination,
            } => Act::Wait(Box::pin(code::send(
                context,
                request,
                state_token,
                verify_href,
                kind,
                tries,
                destination,
            ))),
            Stage::Resend {
                state_token,
                verify_path,
                kind,
                tries,
            } => Act::Wait(Box::pin(code::resend(
                context,
                request,
                state_token,
                verify_path,
                kind,
                tries,
            ))),
            Stage::VerifyCode {
                state_token,
                verify_path,
                kind,
                tries,
                code,
            } => Act::Wait(Box::pin(code::verify(
                context,
                request,
                state_token,
                verify_path,
                kind,
                tries,
                code,
            ))),
            Stage::StartPush {
                state_token,
                verify_href,
            } => Act::Wait(Box::pin(push_factor::start(
                context,
                request,
                state_token,
                verify_href,
            ))),
            Stage::PushFollowUp {
                state_token,
                poll_path,
            } => Act::Wait(Box::pin(push_factor::follow_up(
                context,
                request,
                state_token,
                poll_path,
            ))),
            Stage::DirectPassword { password } => {
                Act::Wait(Box::pin(direct_login::password(context, request, password)))
            }
            Stage::DirectFactors { mfa_token, inline } => {
                Act::Continue(direct_mfa::begin(request, mfa_token, inline))
            }
            Stage::DirectMenuChoice { mfa_token, typed } => {
                Act::Continue(direct_mfa::menu_choice(request, mfa_token, typed))
            }
            Stage::DirectOtp {
                mfa_token,
                tries,
                code,
            } => Act::Wait(Box::pin(direct_code::otp(
                context, request, mfa_token, tries, code,
            ))),
            Stage::DirectSendCode {
                mfa_token,
                kind,
                tries,
                resend,
                previous,
            } => Act::Wait(Box::pin(direct_code::send(
                context, request, mfa_token, kind, tries, resend, previous,
            ))),
            Stage::DirectVerifySentCode {
                mfa_token,
                oob_code,
                kind,
                tries,
                code,
            } => Act::Wait(Box::pin(direct_code::verify_sent(
                context, request, mfa_token, oob_code, kind, tries, code,
            ))),
            Stage::DirectStartPush { mfa_token } => {
                Act::Wait(Box::pin(direct_push::start(context, request, mfa_token)))
            }
            Stage::DirectPushFollowUp {
                mfa_token,
                oob_code,
                interval,
            } => Act::Wait(Box::pin(direct_push::follow_up(
                context, request, mfa_token, oob_code, interval,
            ))),
            Stage::MfaOnly { typed } => {
                Act::Wait(Box::pin(mfa_only::start(context, request, typed)))
            }
            Stage::MfaOnlyCode {
                user_id,
                factor_id,
                kind,
                tries,
                code,
            } => Act::Wait(Box::pin(mfa_only::verify_code(
                context, request, user_id, factor_id, kind, tries, code,
            ))),
            Stage::MfaOnlyPoll {
                user_id,
                poll_path,
                until,
                give_up_at_end,
                profile,
            } => Act::Wait(Box::pin(mfa_only::poll(
                context,
                request,
                user_id,
                poll_path,
                until,
                give_up_at_end,
                profile,
            ))),
        }
    }

    /// Waits for a push: in wait mode, the request that sent or joined it
    /// waits up to the push timeout; in challenge mode it looks once (to
    /// show a number to tap); a follow-up waits up to its deadline.
    async fn wait_for_push(
        &self,
        request: &Request<'_>,
        watch: Arc<PushWatch>,
        first: bool,
    ) -> Next {
        let mfa = &request.client.mfa;
        let until = match (first, mfa.push_mode) {
            (true, PushMode::Wait) => request.arrived + mfa.push_timeout,
            (true, PushMode::Challenge) => Instant::now(),
            (false, _) => request.deadline,
        };
        // The first answer stops early to show a number-matching challenge; a
        // follow-up waits for the outcome (the number is already on screen).
        // Polls draw on the Okta budget up to this request's own answer time,
        // which in wait mode is the push hold, not the ordinary deadline.
        let waiting = std::time::Instant::now();
        let status = okta_client::budget::with_deadline(until, watch.wait(until, first)).await;
        okta_client::waiting::add(waiting.elapsed());
        // In its own allocation: in a fleet it waits on Redis, and held
        // inline it would size every login waiting for its phone.
        Box::pin(push_factor::outcome(
            self.context,
            request,
            &watch,
            status,
            first,
        ))
        .await
    }

    /// An Access-Challenge carrying `prompt.step` in its State.
    fn seal(&self, request: &Request<'_>, prompt: Prompt) -> Decision {
        match self.states.seal(request, prompt.step) {
            Some(state) => Decision::challenge(prompt.reason, &prompt.text, state)
                .with_okta_request_id(prompt.okta_request_id),
            None => Decision::reject(Reason::StateTooLong, messages::NOT_ALLOWED),
        }
    }
}
