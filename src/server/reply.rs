//! Turning a decision into reply bytes, including the one case where the
//! decided reply cannot be sent as decided: it would pass the 4096 bytes
//! RFC 2865 §3 allows (a request stuffed with Proxy-State, which every reply
//! must echo in full, plus a long Reply-Message or many policy attributes).
//!
//! Truncating Proxy-State would break the proxies that rely on it, and an
//! Access-Accept without its authorisation attributes would grant more than
//! the policy meant. So the safest answer is a minimal Access-Reject (only
//! Message-Authenticator and the Proxy-States), which always fits when the
//! request carried a Message-Authenticator; when even that does not fit, the
//! request goes unanswered and is counted as `reply_too_large`.

use crate::auth::{Decision, Reason, Verdict};
use crate::telemetry::metrics as m;
use metrics::counter;
use radius_proto::attribute::Attribute;
use radius_proto::packet::{Code, EncodeError, Packet, encode_reply_into};
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// Where each thread writes its replies before copying each, once, into
    /// the buffer that is sent and kept for retransmissions.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(4096));
}

/// The reply in one allocation, at its length.
fn encode_shared(
    code: Code,
    packet: &Packet,
    attributes: &[Attribute],
    secret: &[u8],
) -> Result<Arc<[u8]>, EncodeError> {
    SCRATCH.with_borrow_mut(|out| {
        encode_reply_into(out, code, packet, attributes, secret)?;
        Ok(Arc::from(out.as_slice()))
    })
}

/// The label under which oversized replies are counted.
pub const REPLY_TOO_LARGE: &str = "reply_too_large";

/// Encodes `decision` as the reply to `packet`. Returns the decision that was
/// actually carried out (a minimal reject, or silence, when the decided reply
/// did not fit) and the bytes to send, if any.
pub fn encode(decision: Decision, packet: &Packet, secret: &[u8]) -> (Decision, Option<Arc<[u8]>>) {
    let Some(code) = decision.verdict.code() else {
        return (decision, None);
    };
    match encode_shared(code, packet, &decision.attributes, secret) {
        Ok(bytes) => (decision, Some(bytes)),
        Err(EncodeError::TooLarge) => oversized(decision, packet, secret),
        Err(error) => {
            tracing::error!(%error, "cannot encode the reply; the request goes unanswered");
            counter!(m::DROPS, "reason" => "reply_unencodable").increment(1);
            (silenced(decision, Reason::ReplyUnencodable), None)
        }
    }
}

fn oversized(decision: Decision, packet: &Packet, secret: &[u8]) -> (Decision, Option<Arc<[u8]>>) {
    match encode_shared(Code::AccessReject, packet, &[], secret) {
        Ok(bytes) => {
            counter!(m::OVERSIZED_REPLIES, "action" => "minimal_reject").increment(1);
            let mut reject = Decision::reject(Reason::ReplyTooLarge, "");
            reject.attributes.clear();
            reject.login = decision.login;
            reject.okta_request_id = decision.okta_request_id;
            (reject, Some(bytes))
        }
        Err(_) => {
            counter!(m::OVERSIZED_REPLIES, "action" => "dropped").increment(1);
            counter!(m::DROPS, "reason" => REPLY_TOO_LARGE).increment(1);
            (silenced(decision, Reason::ReplyTooLarge), None)
        }
    }
}

fn silenced(decision: Decision, reason: Reason) -> Decision {
    let mut silence = Decision::silence(reason);
    silence.login = decision.login;
    silence.okta_request_id = decision.okta_request_id;
    debug_assert!(silence.verdict == Verdict::Silence);
    silence
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_proto::attribute::{Attribute, types};
    use radius_proto::packet::RequestBuilder;

    const SECRET: &[u8] = b"a-secret-for-the-reply-tests";

    fn stuffed_request(proxy_states: usize, with_ma: bool) -> Packet {
        let mut builder = RequestBuilder::new(Code::AccessRequest, 9)
            .message_authenticator(with_ma)
            .text(types::USER_NAME, "alice");
        for i in 0..proxy_states {
            builder = builder.attribute(Attribute::new(types::PROXY_STATE, vec![i as u8; 253]));
        }
        let (bytes, _) = builder.encode(SECRET).expect("the request fits");
        Packet::decode(&bytes).expect("decodes")
    }

    #[test]
    fn an_accept_that_does_not_fit_becomes_a_minimal_reject_with_every_proxy_state() {
        let request = stuffed_request(15, true);
        let decision = Decision::accept(Reason::OktaSuccess).with_message(&"x".repeat(600));
        let (done, bytes) = encode(decision, &request, SECRET);
        assert_eq!(done.verdict, Verdict::Reject);
        assert_eq!(done.reason, Reason::ReplyTooLarge);
        let reply = Packet::decode(&bytes.expect("a reply is sent")).expect("decodes");
        assert_eq!(reply.code(), Code::AccessReject);
        assert!(reply.verify_reply(request.authenticator(), SECRET));
        let sent: Vec<&[u8]> = request.all(types::PROXY_STATE).collect();
        let echoed: Vec<&[u8]> = reply.all(types::PROXY_STATE).collect();
        assert_eq!(sent, echoed);
        assert!(!reply.has(types::REPLY_MESSAGE));
    }

    #[test]
    fn a_reply_that_fits_is_sent_as_decided() {
        let request = stuffed_request(1, true);
        let (done, bytes) = encode(Decision::accept(Reason::OktaSuccess), &request, SECRET);
        assert_eq!(done.verdict, Verdict::Accept);
        let reply = Packet::decode(&bytes.expect("sent")).expect("decodes");
        assert_eq!(reply.code(), Code::AccessAccept);
    }
}
