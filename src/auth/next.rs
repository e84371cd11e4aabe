//! What a step of the conversation returns: what happens next.
//!
//! A step is a function of the request, its own input and the read-only
//! [`Context`](super::context::Context); it asks Okta at most a few things
//! and says what follows, as a [`Next`]. Only the driver acts on it: it runs
//! the next [`Stage`], routes Okta's answer, seals a challenge, waits for a
//! push or applies the policy. So no step reaches into another step's file,
//! or back into the driver: one step leads to the next only through `Next`.

use super::decision::Decision;
use super::factors::Offer;
use super::okta_call::Failed;
use super::push::PushWatch;
use super::reason::Reason;
use super::state::Step;
use super::typed::InlineFactor;
use crate::config::FactorKind;
use okta_api::authn::{AuthnResponse, AuthnUser};
use secrecy::SecretString;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::time::Instant;

/// What happens next in a conversation.
pub(super) enum Next {
    /// The conversation is over.
    Decided(Decision),
    /// Ask the user something: an Access-Challenge whose State carries the step.
    Challenge(Prompt),
    /// Okta answered inside a transaction: act on its `status`.
    Okta(Transaction),
    /// Okta said yes: apply the client's policy.
    Authorize(Approval),
    /// A push was sent or joined: wait for its outcome.
    HoldForPush(Hold),
    /// End an Okta transaction that will not be finished, then decide.
    Abandon {
        state_token: SecretString,
        decision: Decision,
    },
    /// Ask Okta the next thing.
    Run(Stage),
}

impl Next {
    /// An Access-Challenge showing `prompt`, continued by `step`.
    pub(super) fn challenge(
        reason: Reason,
        prompt: impl Into<Cow<'static, str>>,
        step: Step,
    ) -> Next {
        Next::Challenge(Prompt {
            reason,
            text: prompt.into(),
            step,
            okta_request_id: None,
        })
    }

    /// An Access-Reject whose Reply-Message tells the user why.
    /// The audit line of what follows quotes Okta's `request_id` (a code
    /// Okta refused, say), where it decides or challenges.
    pub(super) fn quoting(self, request_id: Option<String>) -> Next {
        match self {
            Next::Challenge(prompt) => Next::Challenge(Prompt {
                okta_request_id: request_id,
                ..prompt
            }),
            Next::Decided(decision) => Next::Decided(decision.with_okta_request_id(request_id)),
            Next::Abandon {
                state_token,
                decision,
            } => Next::Abandon {
                state_token,
                decision: decision.with_okta_request_id(request_id),
            },
            other => other,
        }
    }

    pub(super) fn reject(reason: Reason, message: &str) -> Next {
        Next::Decided(Decision::reject(reason, message))
    }
}

impl From<Failed> for Next {
    /// An Okta call failed: its decision ends the conversation.
    fn from(failed: Failed) -> Next {
        Next::Decided(failed.decision)
    }
}

/// A challenge to put to the user.
pub(super) struct Prompt {
    pub(super) reason: Reason,
    pub(super) text: Cow<'static, str>,
    /// Where the login continues when the user answers (sealed in the State).
    pub(super) step: Step,
    /// `X-Okta-Request-Id` of the call that led to the challenge, if it matters.
    pub(super) okta_request_id: Option<String>,
}

/// Okta's answer inside an authentication transaction, to act on.
pub(super) struct Transaction {
    pub(super) answer: AuthnResponse,
    /// `X-Okta-Request-Id` of the answer: the one the audit line quotes.
    pub(super) okta_request_id: Option<String>,
    /// The audit reason if the answer is SUCCESS.
    pub(super) success: Reason,
    /// A factor typed after the password (only with Okta's first answer).
    pub(super) inline: Option<InlineFactor>,
    /// A password-expiry warning to show on an Access-Accept.
    pub(super) warning: Option<String>,
}

/// Okta profile fields by name. The names the authentication API shows
/// are fixed strings; those read from the management API are owned.
pub(super) type Profile = HashMap<Cow<'static, str>, String>;

/// Who Okta said the user is: the id the groups are looked up by, and the
/// profile fields a policy may fill into reply attributes.
pub(super) enum Named {
    /// The answer named nobody.
    Nobody,
    /// The user of an `/authn` answer, as Okta embedded it.
    Authn(AuthnUser),
    /// A user id and profile fields from a user look-up or an ID token.
    Listed { id: String, profile: Profile },
}

impl Named {
    /// Okta's user id.
    pub(super) fn id(&self) -> Option<&str> {
        match self {
            Named::Nobody => None,
            Named::Authn(user) => Some(user.id()),
            Named::Listed { id, .. } => Some(id),
        }
    }

    /// A profile field by Okta's name (`firstName`, `email`, ...).
    pub(super) fn profile_field(&self, field: &str) -> Option<&str> {
        match self {
            Named::Nobody => None,
            Named::Authn(user) => user.profile_field(field),
            Named::Listed { profile, .. } => profile.get(field).map(String::as_str),
        }
    }
}

/// A login Okta accepted, before the client's policy is applied.
pub(super) struct Approval {
    pub(super) reason: Reason,
    /// Who Okta said the user is.
    pub(super) user: Named,
    /// A password-expiry warning to show on an Access-Accept.
    pub(super) warning: Option<String>,
    /// `X-Okta-Request-Id` of the call that said yes, when it is the one to quote.
    pub(super) okta_request_id: Option<String>,
    /// The user's groups, when Okta's answer carried them (an ID token's
    /// groups claim): no groups call is made.
    pub(super) groups: Option<Vec<String>>,
}

/// A push this request waits for.
pub(super) struct Hold {
    pub(super) watch: Arc<PushWatch>,
    /// Whether this request sent or joined the push; otherwise it follows
    /// up a push challenge (the user pressed Enter).
    pub(super) first: bool,
    /// `X-Okta-Request-Id` of the call that sent the push (`None` when joined).
    pub(super) okta_request_id: Option<String>,
}

/// A step that asks Okta something, with what it needs. Each runs in its
/// own allocation, freed when it returns, so a login waiting for a push
/// holds none of them.
pub(super) enum Stage {
    /// A new login's password (perhaps with a factor after it).
    Password { password: SecretString },
    /// Okta warned that the password expires soon: skip the warning.
    SkipWarning {
        state_token: SecretString,
        days: Option<u32>,
        inline: Option<InlineFactor>,
    },
    /// Okta asks for a second factor (MFA_REQUIRED): offer one.
    Factors {
        answer: AuthnResponse,
        inline: Option<InlineFactor>,
    },
    /// The user answered the factor menu.
    MenuChoice {
        state_token: SecretString,
        typed: SecretString,
    },
    /// The first step of the chosen factor (boxed: a factor is large,
    /// and every `Next` would otherwise carry its size).
    StartFactor {
        state_token: SecretString,
        offer: Box<Offer>,
    },
    /// Have Okta send an SMS, call or email code, and ask for it.
    SendCode {
        state_token: SecretString,
        verify_href: String,
        kind: FactorKind,
        tries: u8,
        destination: Cow<'static, str>,
    },
    /// Another SMS, call or email code.
    Resend {
        state_token: SecretString,
        verify_path: String,
        kind: FactorKind,
        tries: u8,
    },
    /// Submit a code (or a security answer); `tries` wrong ones so far.
    VerifyCode {
        state_token: SecretString,
        verify_path: String,
        kind: FactorKind,
        tries: u8,
        code: SecretString,
    },
    /// Send a push, or join the one pending for the user.
    StartPush {
        state_token: SecretString,
        verify_href: String,
    },
    /// The user pressed Enter after a push challenge.
    PushFollowUp {
        state_token: SecretString,
        poll_path: String,
    },
    /// MFA-only mode: what the user typed as the password.
    MfaOnly { typed: SecretString },
    /// MFA-only mode: a code typed in answer to a challenge.
    MfaOnlyCode {
        user_id: String,
        factor_id: String,
        kind: FactorKind,
        tries: u8,
        code: SecretString,
    },
    /// Direct Authentication: a new login's password.
    DirectPassword { password: SecretString },
    /// Direct Authentication: Okta asks for a second factor.
    DirectFactors {
        mfa_token: SecretString,
        inline: Option<InlineFactor>,
    },
    /// Direct Authentication: the user answered the factor menu.
    DirectMenuChoice {
        mfa_token: SecretString,
        typed: SecretString,
    },
    /// Direct Authentication: a code from an authenticator (`mfa-otp`).
    DirectOtp {
        mfa_token: SecretString,
        tries: u8,
        code: SecretString,
    },
    /// Direct Authentication: send an SMS or voice code; on `resend`
    /// another one (`previous` is the challenge being replaced, if any).
    DirectSendCode {
        mfa_token: SecretString,
        kind: FactorKind,
        tries: u8,
        resend: bool,
        previous: Option<SecretString>,
    },
    /// Direct Authentication: a sent code (or one Okta Verify shows), typed.
    DirectVerifySentCode {
        mfa_token: SecretString,
        oob_code: SecretString,
        kind: FactorKind,
        tries: u8,
        code: SecretString,
    },
    /// Direct Authentication: send a push, or join the one pending.
    DirectStartPush { mfa_token: SecretString },
    /// Direct Authentication: the user pressed Enter after a push challenge.
    DirectPushFollowUp {
        mfa_token: SecretString,
        oob_code: SecretString,
        interval: u8,
    },
    /// MFA-only mode: poll a push until `until`; at the end, give up (and
    /// cancel it) or ask the user to press Enter again.
    MfaOnlyPoll {
        user_id: String,
        poll_path: String,
        until: Instant,
        give_up_at_end: bool,
        profile: Profile,
    },
}
