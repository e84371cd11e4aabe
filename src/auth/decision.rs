//! What the conversation decided about one request, with what the audit log
//! needs to explain it. The server turns a decision into reply bytes; nothing
//! here knows about sockets.

use super::push::PushWatch;
use super::reason::Reason;
use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::Code;
use std::sync::Arc;

/// The kind of answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Reject,
    Challenge,
    /// No answer at all: the NAS times out and fails over.
    Silence,
}

impl Verdict {
    /// The reply code, or `None` for silence.
    pub fn code(self) -> Option<Code> {
        match self {
            Verdict::Accept => Some(Code::AccessAccept),
            Verdict::Reject => Some(Code::AccessReject),
            Verdict::Challenge => Some(Code::AccessChallenge),
            Verdict::Silence => None,
        }
    }

    /// The label used in logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Reject => "reject",
            Verdict::Challenge => "challenge",
            Verdict::Silence => "silence",
        }
    }
}

/// A decision and its explanation.
#[derive(Debug, Clone)]
pub struct Decision {
    pub verdict: Verdict,
    /// Reply attributes (Reply-Message, State, Class, vendor attributes...).
    pub attributes: Vec<Attribute>,
    /// Why, for the audit log and metrics (`okta_success`, ...).
    pub reason: Reason,
    /// The Okta login the request was checked as, once known.
    pub login: Option<String>,
    /// `X-Okta-Request-Id` of the call that decided, for Okta's System Log.
    pub okta_request_id: Option<String>,
    /// Not decided yet: a push was sent and the request waits for it. Only
    /// the conversation's entry point waits, once every step that led to
    /// the push has returned, so a held login keeps nothing else in memory.
    pub push: Option<PushHold>,
}

/// The push a request waits for (see [`Decision::push`]).
#[derive(Clone)]
pub struct PushHold(pub Arc<PushWatch>);

impl std::fmt::Debug for PushHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PushHold").field(&self.0.login).finish()
    }
}

impl Decision {
    pub fn accept(reason: Reason) -> Decision {
        Decision {
            verdict: Verdict::Accept,
            attributes: Vec::new(),
            reason,
            login: None,
            okta_request_id: None,
            push: None,
        }
    }

    /// An Access-Reject whose Reply-Message tells the user why.
    pub fn reject(reason: Reason, message: &str) -> Decision {
        Decision {
            verdict: Verdict::Reject,
            attributes: Attribute::reply_messages(message),
            reason,
            login: None,
            okta_request_id: None,
            push: None,
        }
    }

    /// An Access-Challenge with a prompt and a sealed State.
    pub fn challenge(reason: Reason, prompt: &str, state: Vec<u8>) -> Decision {
        let mut attributes = Attribute::reply_messages(prompt);
        attributes.push(Attribute::new(types::STATE, state));
        Decision {
            verdict: Verdict::Challenge,
            attributes,
            reason,
            login: None,
            okta_request_id: None,
            push: None,
        }
    }

    /// The request waits for `watch`, the push it sent or joined.
    pub fn hold_for_push(watch: Arc<PushWatch>) -> Decision {
        Decision {
            push: Some(PushHold(watch)),
            ..Decision::silence(Reason::PushPending)
        }
    }

    /// Adds a Reply-Message (e.g. a password expiry warning on an accept).
    pub fn with_message(mut self, message: &str) -> Decision {
        self.attributes.extend(Attribute::reply_messages(message));
        self
    }

    pub fn silence(reason: Reason) -> Decision {
        Decision {
            verdict: Verdict::Silence,
            attributes: Vec::new(),
            reason,
            login: None,
            okta_request_id: None,
            push: None,
        }
    }

    pub fn with_login(mut self, login: impl Into<String>) -> Decision {
        self.login = Some(login.into());
        self
    }

    pub fn with_okta_request_id(mut self, request_id: Option<String>) -> Decision {
        self.okta_request_id = request_id;
        self
    }
}
