//! What the load generator sends for each kind of work, and what a reply
//! means for it: a Status-Server probe, one step of a login (the password
//! Access-Request, and for TOTP users the answer to the Access-Challenge),
//! or an accounting Start.
//!
//! A login ends on Access-Accept or Access-Reject; an Access-Challenge with a
//! State continues it with the user's TOTP code, computed the way the
//! authenticator app would ([`okta_sim::totp::code`]).

use super::users::{self, Flow, TOTP_SECRET};
use okta_sim::totp;
use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::{Code, EncodeError, Packet, RequestBuilder};
use std::time::{SystemTime, UNIX_EPOCH};

/// One unit of work the generator starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    /// A Status-Server probe (RFC 5997), answered with Access-Accept.
    Status,
    /// A login of user `user` of `flow`.
    Login { flow: Flow, user: u32 },
    /// An accounting Start (RFC 2866) of user `user`'s session `session`,
    /// answered with Accounting-Response once stored.
    Accounting { user: u32, session: u64 },
}

impl Work {
    /// The label used in reports.
    pub fn label(self) -> &'static str {
        match self {
            Work::Status => "status",
            Work::Login { flow, .. } => flow.name(),
            Work::Accounting { .. } => "accounting",
        }
    }
}

/// What a reply means for the work it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// The work is over with this reply code.
    Done(Code),
    /// Send the next step: the answer to an Access-Challenge with its State.
    Answer { state: Vec<u8> },
}

/// The NAS-Identifier every generated request carries.
const NAS_IDENTIFIER: &str = "okta-radius-bench";

/// The first request of a unit of work, with Message-Authenticator first.
pub(crate) fn first_request(
    work: Work,
    identifier: u8,
    secret: &[u8],
) -> Result<RequestBuilder, EncodeError> {
    match work {
        Work::Status => Ok(RequestBuilder::new(Code::StatusServer, identifier)),
        Work::Login { flow, user } => {
            let builder = RequestBuilder::new(Code::AccessRequest, identifier)
                .text(types::USER_NAME, &users::login(flow, user))
                .user_password(users::password(flow, user).as_bytes(), secret)?;
            Ok(builder
                .text(types::NAS_IDENTIFIER, NAS_IDENTIFIER)
                .attribute(Attribute::integer(types::NAS_PORT, user)))
        }
        Work::Accounting { user, session } => {
            let [_, b, c, d] = user.to_be_bytes();
            Ok(RequestBuilder::new(Code::AccountingRequest, identifier)
                .message_authenticator(false)
                .attribute(Attribute::integer(ACCT_STATUS_TYPE, ACCT_START))
                .text(ACCT_SESSION_ID, &format!("{session:016x}"))
                .text(types::USER_NAME, &users::login(Flow::Password, user))
                .text(types::NAS_IDENTIFIER, NAS_IDENTIFIER)
                .attribute(Attribute::integer(types::NAS_PORT, user))
                .attribute(Attribute::new(FRAMED_IP_ADDRESS, vec![10, b, c, d]))
                .text(types::CALLING_STATION_ID, "198.51.100.23"))
        }
    }
}

/// Acct-Status-Type (RFC 2866 §5.1) and its Start value.
const ACCT_STATUS_TYPE: u8 = 40;
const ACCT_START: u32 = 1;
/// Acct-Session-Id (RFC 2866 §5.5).
const ACCT_SESSION_ID: u8 = 44;
/// Framed-IP-Address (RFC 2865 §5.8).
const FRAMED_IP_ADDRESS: u8 = 8;

/// The answer to an Access-Challenge: the TOTP code of the user now.
pub(crate) fn answer_request(
    work: Work,
    identifier: u8,
    secret: &[u8],
    state: &[u8],
) -> Result<RequestBuilder, EncodeError> {
    let Work::Login { flow, user } = work else {
        return first_request(work, identifier, secret);
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    let code = totp::code(TOTP_SECRET, now);
    let builder = RequestBuilder::new(Code::AccessRequest, identifier)
        .text(types::USER_NAME, &users::login(flow, user))
        .user_password(code.as_bytes(), secret)?;
    Ok(builder
        .text(types::NAS_IDENTIFIER, NAS_IDENTIFIER)
        .attribute(Attribute::new(types::STATE, state.to_vec())))
}

/// What `reply` means for `work`. A challenge without a State, or a second
/// challenge after the answer, ends the work (counted by its code).
pub(crate) fn on_reply(reply: &Packet, answered: bool) -> Next {
    match reply.code() {
        Code::AccessChallenge if !answered => match reply.first(types::STATE) {
            Some(state) => Next::Answer {
                state: state.to_vec(),
            },
            None => Next::Done(Code::AccessChallenge),
        },
        code => Next::Done(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_continues_once_and_other_codes_end() {
        let secret = b"bench-secret";
        let request = first_request(
            Work::Login {
                flow: Flow::Totp,
                user: 3,
            },
            9,
            secret,
        )
        .and_then(|builder| builder.encode(secret))
        .map(|(bytes, _)| bytes)
        .unwrap_or_default();
        let request = Packet::decode(&request).ok();
        assert_eq!(
            request.as_ref().and_then(|p| p.text(types::USER_NAME)),
            Some("totp-3@bench.example")
        );
        let Some(request) = request else { return };
        let challenge = radius_proto::packet::encode_reply(
            Code::AccessChallenge,
            &request,
            &[Attribute::new(types::STATE, b"s1".to_vec())],
            secret,
        )
        .ok()
        .and_then(|bytes| Packet::decode(&bytes).ok());
        let Some(challenge) = challenge else {
            panic!("the challenge encodes")
        };
        assert_eq!(
            on_reply(&challenge, false),
            Next::Answer {
                state: b"s1".to_vec()
            }
        );
        assert_eq!(
            on_reply(&challenge, true),
            Next::Done(Code::AccessChallenge)
        );
    }
}
