//! What the conversation decided about one request, with what the audit log
//! needs to explain it. The server turns a decision into reply bytes; nothing
//! here knows about sockets.

use super::reason::Reason;
use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::Code;

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
    pub(crate) fn code(self) -> Option<Code> {
        match self {
            Verdict::Accept => Some(Code::AccessAccept),
            Verdict::Reject => Some(Code::AccessReject),
            Verdict::Challenge => Some(Code::AccessChallenge),
            Verdict::Silence => None,
        }
    }

    /// The label used in logs and metrics.
    pub(crate) fn label(self) -> &'static str {
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
    pub(crate) verdict: Verdict,
    /// Reply attributes (Reply-Message, State, Class, vendor attributes...).
    pub(crate) attributes: Vec<Attribute>,
    /// Why, for the audit log and metrics (`okta_success`, ...).
    pub(crate) reason: Reason,
    /// The Okta login the request was checked as, once known.
    pub(crate) login: Option<String>,
    /// `X-Okta-Request-Id` of the call that decided, for Okta's System Log.
    pub(crate) okta_request_id: Option<String>,
    /// The login's id, the same in every Access-Challenge round of it
    /// (None before the request was read).
    pub(crate) login_id: Option<u32>,
    /// How long the request waited on Okta (the budget, HTTP exchanges, a
    /// push's outcome): the rest of its time is the server's own.
    pub(crate) okta_wait: std::time::Duration,
}

impl Decision {
    pub(crate) fn accept(reason: Reason) -> Decision {
        Decision {
            verdict: Verdict::Accept,
            attributes: Vec::new(),
            reason,
            login: None,
            okta_request_id: None,
            login_id: None,
            okta_wait: std::time::Duration::ZERO,
        }
    }

    /// An Access-Reject whose Reply-Message tells the user why.
    pub(crate) fn reject(reason: Reason, message: &str) -> Decision {
        Decision {
            verdict: Verdict::Reject,
            attributes: Attribute::reply_messages(message),
            reason,
            login: None,
            okta_request_id: None,
            login_id: None,
            okta_wait: std::time::Duration::ZERO,
        }
    }

    /// An Access-Challenge with a prompt and a sealed State.
    pub(super) fn challenge(reason: Reason, prompt: &str, state: Vec<u8>) -> Decision {
        let mut attributes = Attribute::reply_messages(prompt);
        attributes.push(Attribute::new(types::STATE, state));
        Decision {
            verdict: Verdict::Challenge,
            attributes,
            reason,
            login: None,
            okta_request_id: None,
            login_id: None,
            okta_wait: std::time::Duration::ZERO,
        }
    }

    /// Adds a Reply-Message (e.g. a password expiry warning on an accept).
    pub(crate) fn with_message(mut self, message: &str) -> Decision {
        self.attributes.extend(Attribute::reply_messages(message));
        self
    }

    pub(crate) fn silence(reason: Reason) -> Decision {
        Decision {
            verdict: Verdict::Silence,
            attributes: Vec::new(),
            reason,
            login: None,
            okta_request_id: None,
            login_id: None,
            okta_wait: std::time::Duration::ZERO,
        }
    }

    pub(super) fn with_login(mut self, login: impl Into<String>) -> Decision {
        self.login = Some(login.into());
        self
    }

    pub(super) fn with_login_id(mut self, login_id: u32) -> Decision {
        self.login_id = Some(login_id);
        self
    }

    pub(super) fn with_okta_request_id(mut self, request_id: Option<String>) -> Decision {
        self.okta_request_id = request_id;
        self
    }
}
