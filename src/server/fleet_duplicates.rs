//! The duplicate cache across a fleet: the first replica to see a request
//! claims it in Redis and decides it; a replica that receives the same
//! request (a NAS failing over, a load balancer sending a retransmit
//! elsewhere) waits for that decision and answers with it, signed by
//! itself, and any replica answers from the stored decision afterwards. So
//! Okta is asked, and the user's phone pushed, once per request for the
//! whole fleet.
//!
//! A stored decision holds the reply's code and attributes only (the State
//! in it is sealed with the `[state]` key); never a password, a code, a
//! stateToken or the client's secret. When Redis does not answer, the
//! request is decided here, as by a server on its own.
//!
//! The claim carries in its round trip a look at the failed-password sets
//! the login will be checked against (read ahead for the throttle: none
//! exists for nearly every login, so their counts are zero), so a
//! password login costs the fleet one round trip of its own: this claim.
//! Its decision is stored without the reply waiting, with those of the
//! logins decided about the same time, in one write
//! (`cluster/write_behind.rs`).

use crate::cluster::prefetch::{Counts, ReadAhead};
use crate::cluster::{Claimed, Fleet};
use radius_proto::attribute::Attribute;
use radius_proto::packet::Code;
use std::time::Duration;
use tokio::time::Instant;

/// How often a waiting replica looks for the decision.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// The value of a claimed request not decided yet.
const PENDING: &[u8] = b"P";
/// The first byte of a stored decision.
const DECIDED: u8 = b'D';
/// The code byte of a decision to stay silent.
const SILENCE: u8 = 0;

/// What the fleet says about a request.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Claim {
    /// This replica decides, and stores the decision under this key; with
    /// the counts read ahead, if asked.
    Ours(String, Option<Counts>),
    /// Another replica decided: the reply's code and attributes (`None`:
    /// it stayed silent).
    Decided(Option<(Code, Vec<Attribute>)>),
    /// Another replica is still deciding past `wait_until`: no answer
    /// from here (the NAS retransmits or fails over).
    StillPending,
    /// Redis did not answer: this replica decides on its own.
    Alone,
}

/// Claims `key` for this replica, or waits (until `wait_until`) for the
/// replica that claimed it to decide. `pending_for` bounds a claim whose
/// replica dies before deciding. `read_ahead`: sorted sets to count in the
/// claim's round trip.
pub(super) async fn claim(
    fleet: &Fleet,
    key: String,
    pending_for: Duration,
    wait_until: Instant,
    read_ahead: Option<ReadAhead>,
) -> Claim {
    let pending_ms = u64::try_from(pending_for.as_millis()).unwrap_or(u64::MAX);
    loop {
        let value = match fleet
            .claim_request(&key, PENDING, pending_ms, read_ahead.as_ref())
            .await
        {
            None => return Claim::Alone,
            Some(Claimed::Ours(counts)) => {
                // Counts not read (some not zero) are asked for by the
                // throttle itself.
                let counts = read_ahead
                    .zip(counts)
                    .filter(|(read, counts)| read.keys.len() == counts.len())
                    .map(|(read, counts)| Counts::new(read.of, counts));
                return Claim::Ours(key, counts);
            }
            Some(Claimed::Found(value)) => value,
        };
        if let Some(decided) = decode(&value) {
            return Claim::Decided(decided);
        }
        // Pending at another replica: look again until it decides, the
        // claim lapses (then claim it), or this request's time is up.
        loop {
            if Instant::now() + POLL_EVERY > wait_until {
                return Claim::StillPending;
            }
            tokio::time::sleep(POLL_EVERY).await;
            let found = fleet
                .run("duplicate_wait", |mut connection| {
                    let key = key.clone();
                    async move {
                        redis::cmd("GET")
                            .arg(key)
                            .query_async::<Option<Vec<u8>>>(&mut connection)
                            .await
                    }
                })
                .await;
            match found {
                None => return Claim::Alone,
                Some(None) => break,
                Some(Some(value)) => {
                    if let Some(decided) = decode(&value) {
                        return Claim::Decided(decided);
                    }
                }
            }
        }
    }
}

/// Stores this replica's decision under its claimed key for `ttl`, without
/// waiting for Redis.
pub(super) fn store(
    fleet: &Fleet,
    key: String,
    code: Option<Code>,
    attributes: &[Attribute],
    ttl: Duration,
) {
    fleet.store_decision(key, encode(code, attributes), ttl);
}

/// `D`, the code (0 for silence), then each attribute as type, length, value.
fn encode(code: Option<Code>, attributes: &[Attribute]) -> Vec<u8> {
    let mut bytes = vec![DECIDED, code.map_or(SILENCE, Code::as_u8)];
    for attribute in attributes {
        let Ok(len) = u8::try_from(attribute.value.len()) else {
            continue;
        };
        bytes.push(attribute.typ);
        bytes.push(len);
        bytes.extend_from_slice(&attribute.value);
    }
    bytes
}

/// A stored decision; `None` for a pending claim or anything unreadable.
fn decode(bytes: &[u8]) -> Option<Option<(Code, Vec<Attribute>)>> {
    let (&marker, rest) = bytes.split_first()?;
    if marker != DECIDED {
        return None;
    }
    let (&code, mut rest) = rest.split_first()?;
    if code == SILENCE {
        return Some(None);
    }
    let code = Code::from_u8(code)?;
    if !matches!(
        code,
        Code::AccessAccept | Code::AccessReject | Code::AccessChallenge
    ) {
        return None;
    }
    let mut attributes = Vec::new();
    while let [typ, len, tail @ ..] = rest {
        let len = usize::from(*len);
        if tail.len() < len {
            return None;
        }
        attributes.push(Attribute::new(*typ, &tail[..len]));
        rest = &tail[len..];
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Some((code, attributes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use radius_proto::attribute::types;

    #[test]
    fn a_decision_round_trips_and_a_claim_is_no_decision() {
        let attributes = vec![
            Attribute::new(types::REPLY_MESSAGE, b"Welcome".to_vec()),
            Attribute::new(types::STATE, vec![7; 120]),
        ];
        let stored = encode(Some(Code::AccessChallenge), &attributes);
        assert_eq!(
            decode(&stored),
            Some(Some((Code::AccessChallenge, attributes)))
        );
        assert_eq!(decode(&encode(None, &[])), Some(None));
        assert_eq!(decode(PENDING), None);
        assert_eq!(decode(b""), None);
    }

    #[test]
    fn only_replies_to_an_access_request_are_taken() {
        assert_eq!(decode(&[DECIDED, Code::AccessRequest.as_u8()]), None);
        assert_eq!(decode(&[DECIDED, 99]), None);
    }

    proptest! {
        #[test]
        fn truncated_or_padded_decisions_are_refused(
            values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 1..5),
            cut in 1usize..20,
        ) {
            let attributes: Vec<Attribute> = values
                .into_iter()
                .map(|value| Attribute::new(types::CLASS, value))
                .collect();
            let stored = encode(Some(Code::AccessAccept), &attributes);
            prop_assert_eq!(
                decode(&stored),
                Some(Some((Code::AccessAccept, attributes.clone())))
            );
            let cut = cut.min(stored.len() - 2);
            let truncated = &stored[..stored.len() - cut];
            // A truncated list either fails or is a shorter, whole list.
            if let Some(Some((_, shorter))) = decode(truncated) {
                prop_assert!(shorter.len() < attributes.len());
            }
            let mut padded = stored.clone();
            padded.push(types::CLASS);
            prop_assert_eq!(decode(&padded), None);
        }
    }
}
