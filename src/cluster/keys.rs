//! The names of the fleet's keys in Redis, in one place: the operator's
//! prefix (so several fleets can share one Redis), the kind of record, and
//! a digest of what identifies it. Digests keep every key short and of one
//! shape whatever a NAS or a user sends, and keep user names and request
//! bytes out of `KEYS *`.

use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// Bytes of the SHA-256 digest kept in a key (128 bits: collisions are not
/// a concern for records that live minutes).
const DIGEST_BYTES: usize = 16;

/// Makes the fleet's key names under one prefix.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Keys {
        Keys {
            prefix: prefix.to_owned(),
        }
    }

    /// A request seen by some replica: the NAS (client name and address),
    /// its Identifier and its Request Authenticator. The receiving socket is
    /// not part of it, so the same request sent to another replica (a NAS
    /// failing over, a load balancer) has the same key.
    pub fn request(
        &self,
        client: &str,
        nas: IpAddr,
        identifier: u8,
        authenticator: &[u8; 16],
    ) -> String {
        let nas = match nas {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            IpAddr::V6(v6) => v6.octets(),
        };
        self.named(
            "req",
            &[client.as_bytes(), &nas, &[identifier], authenticator],
        )
    }

    /// A sealed State already answered (its single use), by its id.
    pub fn answered_state(&self, state_id: &[u8]) -> String {
        self.named("state", &[state_id])
    }

    /// Failed passwords of one throttle (`pair`: a user and source, `user`,
    /// `source`), by what it counts.
    pub fn failures(&self, throttle: &str, parts: &[&[u8]]) -> String {
        let mut key = String::new();
        self.failures_into(&mut key, throttle, parts);
        key
    }

    /// The length of every [`Keys::failures`] key.
    pub fn failures_len(&self) -> usize {
        self.prefix.len() + "fail:".len() + 2 * DIGEST_BYTES
    }

    /// [`Keys::failures`], appended to `out`.
    pub fn failures_into(&self, out: &mut String, throttle: &str, parts: &[&[u8]]) {
        self.digested_into(out, "fail", |digest| {
            add_part(digest, throttle.as_bytes());
            for part in parts {
                add_part(digest, part);
            }
        });
    }

    /// The fleet's Okta budget: `leases`, or a bucket's exhaustion by its
    /// label.
    pub fn okta(&self, what: &str) -> String {
        format!("{}okta:{what}", self.prefix)
    }

    /// A record of one user (`kind`: `push-cooldown`, `push-sent`), by
    /// the user's canonical key.
    pub fn per_user(&self, kind: &str, user: &str) -> String {
        self.named(kind, &[user.as_bytes()])
    }

    /// The outcome of one push, by its transaction's token (a stateToken
    /// or an `oob_code`): only its digest is in the key, and nothing in
    /// Redis holds the token itself.
    pub fn push_outcome(&self, transaction: &[u8]) -> String {
        self.named("push-outcome", &[transaction])
    }

    /// `prefix` `kind` `:` hex digest of the parts, each length-prefixed so
    /// that no two lists of parts give the same bytes.
    fn named(&self, kind: &str, parts: &[&[u8]]) -> String {
        self.digested(kind, |digest| {
            for part in parts {
                add_part(digest, part);
            }
        })
    }

    /// The key of `kind` whose digest `add` writes the parts of; built in
    /// one allocation (keys are made on every login).
    fn digested(&self, kind: &str, add: impl FnOnce(&mut Sha256)) -> String {
        let mut key = String::new();
        self.digested_into(&mut key, kind, add);
        key
    }

    /// [`Keys::digested`], appended to `key`; reserves the key's length
    /// first, so that it is written in at most one allocation.
    fn digested_into(&self, key: &mut String, kind: &str, add: impl FnOnce(&mut Sha256)) {
        let mut digest = Sha256::new();
        digest.update(kind.as_bytes());
        add(&mut digest);
        let digest = digest.finalize();
        let mut hex = [0u8; 2 * DIGEST_BYTES];
        key.reserve(self.prefix.len() + kind.len() + 1 + hex.len());
        key.push_str(&self.prefix);
        key.push_str(kind);
        key.push(':');
        if hex::encode_to_slice(&digest[..DIGEST_BYTES], &mut hex).is_ok()
            && let Ok(hex) = std::str::from_utf8(&hex)
        {
            key.push_str(hex);
        }
    }
}

/// One part of a digest, length first, so that no two lists of parts give
/// the same bytes.
fn add_part(digest: &mut Sha256, part: &[u8]) {
    digest.update((part.len() as u64).to_be_bytes());
    digest.update(part);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_carry_the_prefix_and_kind_and_a_fixed_length_digest() {
        let keys = Keys::new("vpn-fleet:");
        let key = keys.request("asa", "192.0.2.1".parse().expect("ip"), 7, &[1; 16]);
        assert!(key.starts_with("vpn-fleet:req:"), "{key}");
        assert_eq!(key.len(), "vpn-fleet:req:".len() + 2 * DIGEST_BYTES);
        let failures = keys.failures("pair", &[b"bob", b"10.0.0.1"]);
        assert!(failures.starts_with("vpn-fleet:fail:"), "{failures}");
        assert_eq!(failures.len(), keys.failures_len());
        let state = keys.answered_state(b"state-id");
        assert!(state.starts_with("vpn-fleet:state:"), "{state}");
        let outcome = keys.push_outcome(b"00state-token");
        assert!(outcome.starts_with("vpn-fleet:push-outcome:"), "{outcome}");
        assert!(!outcome.contains("state-token"), "{outcome}");
        assert_eq!(
            outcome.len(),
            "vpn-fleet:push-outcome:".len() + 2 * DIGEST_BYTES
        );
    }

    /// Replicas of two versions share a fleet during a rolling upgrade:
    /// they must name every record alike. These names are the ones the
    /// released versions make; a change to one is a change of the fleet's
    /// format, for the upgrade notes.
    #[test]
    fn key_names_stay_those_older_replicas_use() {
        let keys = Keys::new("okta-radius:");
        let golden = [
            (
                keys.request("asa", "192.0.2.1".parse().expect("ip"), 7, &[1; 16]),
                "okta-radius:req:8cba391aea244913b2d1faa0dc2cc33d",
            ),
            (
                keys.failures("pair", &[b"alice@example.com", b"10.0.0.1"]),
                "okta-radius:fail:a0615acd900ea4d95c6341240a749c34",
            ),
            (
                keys.failures("source", &[b""]),
                "okta-radius:fail:32168e66f8a9371815e94535fa4942e2",
            ),
            (
                keys.per_user("push-cooldown", "00u1abcdefghijklmnop"),
                "okta-radius:push-cooldown:1fff939acea994c7c08da48bc49beef2",
            ),
            (
                keys.answered_state(&[9; 24]),
                "okta-radius:state:f334f36a04ce8a043de710134ed4a3d9",
            ),
        ];
        for (made, expected) in golden {
            assert_eq!(made, expected);
        }
    }

    #[test]
    fn an_ipv4_nas_is_the_same_nas_as_its_mapped_form() {
        let keys = Keys::new("p:");
        assert_eq!(
            keys.request("c", "192.0.2.1".parse().expect("ip"), 1, &[0; 16]),
            keys.request("c", "::ffff:192.0.2.1".parse().expect("ip"), 1, &[0; 16])
        );
    }

    proptest! {
        #[test]
        fn any_field_that_differs_gives_another_request_key(
            client in "[a-z]{1,8}",
            other_client in "[a-z]{1,8}",
            ip in any::<[u8; 4]>(),
            identifier in any::<u8>(),
            authenticator in any::<[u8; 16]>(),
            flip in 0usize..16,
        ) {
            let keys = Keys::new("okta-radius:");
            let nas = IpAddr::from(ip);
            let key = keys.request(&client, nas, identifier, &authenticator);
            prop_assert_eq!(&key, &keys.request(&client, nas, identifier, &authenticator));
            let mut changed = authenticator;
            changed[flip] ^= 1;
            prop_assert_ne!(&key, &keys.request(&client, nas, identifier, &changed));
            prop_assert_ne!(&key, &keys.request(&client, nas, identifier.wrapping_add(1), &authenticator));
            if other_client != client {
                prop_assert_ne!(&key, &keys.request(&other_client, nas, identifier, &authenticator));
            }
            let other_ip = IpAddr::from([ip[0], ip[1], ip[2], ip[3].wrapping_add(1)]);
            prop_assert_ne!(&key, &keys.request(&client, other_ip, identifier, &authenticator));
            // Another fleet's prefix never names the same record.
            prop_assert_ne!(key, Keys::new("other:").request(&client, nas, identifier, &authenticator));
        }
    }
}
