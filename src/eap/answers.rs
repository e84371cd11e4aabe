//! The RADIUS answers of an EAP conversation: an Access-Challenge carrying
//! the next EAP-Request and the conversation's State; an Access-Accept
//! with EAP-Success and the MPPE keys the access point encrypts the link
//! with; an Access-Reject with EAP-Failure.

use super::conversations::StateKey;
use crate::auth::{Decision, Reason, Verdict};
use radius_proto::attribute::{Attribute, types};
use radius_proto::eap::{EapCode, EapPacket, eap_message_attributes};
use radius_proto::mppe::mppe_key_attributes;
use radius_proto::packet::Packet;

/// What a peer on inner PAP is told when Okta wants a factor it could
/// only be asked for interactively.
const INLINE_FACTOR_HINT: &str = "Okta asks for a second factor: type your password, a comma and the code (password,123456), or approve the push";

fn eap_attributes(eap: &EapPacket) -> Vec<Attribute> {
    // A Request, Success or Failure this server builds always fits.
    eap.encode()
        .map(|bytes| eap_message_attributes(&bytes))
        .unwrap_or_default()
}

/// The next Request, under the conversation's State.
pub(super) fn challenge(request: &EapPacket, state: &StateKey, login: String) -> Decision {
    let mut attributes = eap_attributes(request);
    attributes.push(Attribute::new(types::STATE, state.to_vec()));
    Decision {
        verdict: Verdict::Challenge,
        attributes,
        reason: Reason::EapRound,
        login: Some(login),
        okta_request_id: None,
        login_id: None,
        okta_wait: std::time::Duration::ZERO,
    }
}

/// The text and the State of the conversation's challenge, to show at an
/// EAP-GTC prompt and to send back with the answer.
pub(super) fn prompt_and_state(decision: &Decision) -> (String, Vec<u8>) {
    let mut prompt = String::new();
    let mut state = Vec::new();
    for attribute in &decision.attributes {
        match attribute.typ {
            types::REPLY_MESSAGE => prompt.push_str(&String::from_utf8_lossy(&attribute.value)),
            types::STATE => state.clone_from(&attribute.value),
            _ => {}
        }
    }
    (prompt, state)
}

/// EAP-Failure in an Access-Reject.
pub(super) fn failure(identifier: u8, reason: Reason, login: Option<String>) -> Decision {
    let mut decision = Decision::reject(reason, "");
    decision.attributes.clear();
    decision.login = login;
    with_failure(decision, identifier)
}

/// The conversation's reject, with EAP-Failure added.
pub(super) fn with_failure(mut decision: Decision, identifier: u8) -> Decision {
    decision
        .attributes
        .retain(|a| a.typ == types::REPLY_MESSAGE);
    decision
        .attributes
        .extend(eap_attributes(&EapPacket::outcome(
            EapCode::Failure,
            identifier,
        )));
    decision
}

/// Okta asked for more than a PAP login can answer: a reject that tells
/// the user how to give the factor inline.
pub(super) fn inner_challenge(decision: Decision, identifier: u8) -> Decision {
    let mut reject = Decision::reject(Reason::EapInnerChallenge, INLINE_FACTOR_HINT);
    reject.login = decision.login;
    reject.okta_request_id = decision.okta_request_id;
    with_failure(reject, identifier)
}

/// The conversation's accept, with EAP-Success and the keys derived from
/// `msk` hidden for the NAS that sent `request`.
pub(super) fn success(
    mut decision: Decision,
    identifier: u8,
    msk: &[u8; 64],
    request: &Packet,
    secret: &[u8],
) -> Decision {
    let keys = match mppe_key_attributes(msk, secret, request.authenticator()) {
        Ok(keys) => keys,
        Err(_) => return failure(identifier, Reason::EapTlsFailed, decision.login),
    };
    decision.attributes.extend(keys);
    decision
        .attributes
        .extend(eap_attributes(&EapPacket::outcome(
            EapCode::Success,
            identifier,
        )));
    decision
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_proto::eap::joined_eap_message;
    use radius_proto::packet::{Code, RequestBuilder, encode_reply};

    fn request() -> Packet {
        let (bytes, _) = RequestBuilder::new(Code::AccessRequest, 3)
            .encode(b"secret")
            .expect("fits");
        Packet::decode(&bytes).expect("valid")
    }

    fn eap_of(decision: &Decision) -> EapPacket {
        let reply = encode_reply(
            decision.verdict.code().expect("a reply"),
            &request(),
            &decision.attributes,
            b"secret",
        )
        .expect("fits");
        let reply = Packet::decode(&reply).expect("valid");
        EapPacket::decode(&joined_eap_message(&reply).expect("EAP")).expect("valid")
    }

    #[test]
    fn a_reject_carries_eap_failure_and_only_its_message() {
        let mut decision = Decision::reject(Reason::OktaAuthenticationFailed, "no");
        decision.attributes.push(Attribute::integer(27, 5));
        let decision = with_failure(decision, 9);
        let eap = eap_of(&decision);
        assert_eq!((eap.code, eap.identifier), (EapCode::Failure, 9));
        assert!(decision.attributes.iter().all(|a| a.typ != 27));
    }

    #[test]
    fn an_accept_carries_eap_success_and_both_keys() {
        let decision = success(
            Decision::accept(Reason::OktaSuccess),
            4,
            &[7; 64],
            &request(),
            b"secret",
        );
        assert_eq!(decision.verdict, Verdict::Accept);
        assert_eq!(eap_of(&decision).code, EapCode::Success);
        let vendor = decision
            .attributes
            .iter()
            .filter(|a| a.typ == types::VENDOR_SPECIFIC)
            .count();
        assert_eq!(vendor, 2);
    }

    #[test]
    fn a_challenge_names_its_conversation() {
        let request = EapPacket::request(2, 21, vec![0x20]);
        let decision = challenge(&request, &[1; 16], "anonymous".to_owned());
        assert!(
            decision
                .attributes
                .iter()
                .any(|a| a.typ == types::STATE && a.value == [1; 16])
        );
        assert_eq!(eap_of(&decision), request);
    }
}
