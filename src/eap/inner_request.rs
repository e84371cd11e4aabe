//! The login found inside a tunnel, as the Access-Request the conversation
//! already knows how to decide: the outer request's attributes (NAS,
//! Calling-Station-Id, ...) with the inner User-Name and the inner password
//! as a User-Password hidden with the client's secret.
//!
//! So a login over EAP-TTLS/PAP is decided by the very steps a PAP login
//! is: `password,CODE` typed inline, auto-push, throttles, policies. What
//! a user types at an EAP-GTC prompt after a challenge goes back with the
//! challenge's State, as a PAP NAS would send it.

use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::{Code, Packet, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};

/// Attributes of the outer request that do not belong in the inner one.
const NOT_COPIED: [u8; 6] = [
    types::USER_NAME,
    types::USER_PASSWORD,
    types::CHAP_PASSWORD,
    types::STATE,
    types::EAP_MESSAGE,
    types::MESSAGE_AUTHENTICATOR,
];

/// Why the inner request could not be built (a password past 128 bytes,
/// or a request that no longer fits in 4096 bytes).
pub(super) struct TooLarge;

/// The Access-Request of the inner login.
pub(super) fn inner_request(
    outer: &Packet,
    user_name: &str,
    password: &SecretString,
    challenge: Option<Vec<u8>>,
    secret: &[u8],
) -> Result<Packet, TooLarge> {
    let mut builder = RequestBuilder::new(Code::AccessRequest, outer.identifier());
    for (typ, value) in outer.attributes() {
        if !NOT_COPIED.contains(&typ) {
            builder = builder.attribute(Attribute::new(typ, value));
        }
    }
    if let Some(state) = challenge {
        builder = builder.attribute(Attribute::new(types::STATE, state));
    }
    let builder = builder
        .text(types::USER_NAME, user_name)
        .user_password(password.expose_secret().as_bytes(), secret)
        .map_err(|_| TooLarge)?;
    let (bytes, _) = builder.encode(secret).map_err(|_| TooLarge)?;
    Packet::decode(&bytes).map_err(|_| TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_proto::crypto::reveal_user_password;

    #[test]
    fn carries_the_nas_and_the_inner_login() {
        let (bytes, _) = RequestBuilder::new(Code::AccessRequest, 5)
            .text(types::USER_NAME, "anonymous")
            .text(types::NAS_IDENTIFIER, "ap-1")
            .text(types::CALLING_STATION_ID, "02-00-00-00-00-01")
            .attribute(Attribute::new(types::EAP_MESSAGE, vec![2, 1, 0, 5, 21]))
            .attribute(Attribute::new(types::STATE, vec![7; 16]))
            .encode(b"secret")
            .expect("fits");
        let outer = Packet::decode(&bytes).expect("valid");
        let password = SecretString::from("hunter2,123456".to_owned());
        let inner = inner_request(&outer, "alice", &password, None, b"secret")
            .ok()
            .expect("fits");
        assert_eq!(inner.text(types::USER_NAME), Some("alice"));
        assert_eq!(inner.text(types::NAS_IDENTIFIER), Some("ap-1"));
        assert!(inner.has(types::CALLING_STATION_ID));
        assert!(!inner.has(types::EAP_MESSAGE) && !inner.has(types::STATE));
        let hidden = inner.first(types::USER_PASSWORD).expect("password");
        let revealed =
            reveal_user_password(hidden, b"secret", inner.authenticator()).expect("valid");
        assert_eq!(&revealed[..], b"hunter2,123456");
    }
}
