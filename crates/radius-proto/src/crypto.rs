//! The cryptography RADIUS builds on: MD5 authenticators, the hiding of
//! User-Password (RFC 2865 §5.2) and the HMAC-MD5 Message-Authenticator
//! (RFC 3579 §3.2).
//!
//! These are the functions an attacker probes first, so every comparison here
//! is constant-time and nothing here ever formats a secret or a password.

use crate::keyed_hmac;
use hmac::Mac;
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Length of the Request and Response Authenticators and of an MD5 digest.
pub const AUTHENTICATOR_LEN: usize = 16;

/// Offset of the authenticator field in the packet header.
const AUTHENTICATOR_OFFSET: usize = 4;

/// Shortest and longest ciphertext RFC 2865 §5.2 allows for User-Password.
const USER_PASSWORD_MIN: usize = 16;
const USER_PASSWORD_MAX: usize = 128;

/// Why a User-Password could not be hidden or revealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("User-Password must be 16 to 128 bytes and a multiple of 16 on the wire")]
    BadCiphertextLength,
    #[error("password longer than the 128 bytes User-Password can carry")]
    TooLong,
}

/// MD5 over the concatenation of `parts`.
fn md5(parts: &[&[u8]]) -> [u8; AUTHENTICATOR_LEN] {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Compares two byte strings in constant time (for equal lengths).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The Response Authenticator of RFC 2865 §3:
/// MD5(Code | Identifier | Length | Request Authenticator | Attributes | Secret).
///
/// `reply` is the whole encoded reply; its authenticator field is ignored and
/// `request_authenticator` is used in its place.
pub(crate) fn response_authenticator(
    reply: &[u8],
    request_authenticator: &[u8; AUTHENTICATOR_LEN],
    secret: &[u8],
) -> [u8; AUTHENTICATOR_LEN] {
    let head = &reply[..AUTHENTICATOR_OFFSET.min(reply.len())];
    let attributes = reply
        .get(AUTHENTICATOR_OFFSET + AUTHENTICATOR_LEN..)
        .unwrap_or(&[]);
    md5(&[head, request_authenticator, attributes, secret])
}

/// Checks the Response Authenticator of a reply to a request we sent.
pub(crate) fn verify_response_authenticator(
    reply: &[u8],
    request_authenticator: &[u8; AUTHENTICATOR_LEN],
    secret: &[u8],
) -> bool {
    let Some(received) = reply.get(AUTHENTICATOR_OFFSET..AUTHENTICATOR_OFFSET + AUTHENTICATOR_LEN)
    else {
        return false;
    };
    let expected = response_authenticator(reply, request_authenticator, secret);
    constant_time_eq(received, &expected)
}

/// The Request Authenticator of an Accounting-Request (RFC 2866 §3), and of
/// the other request codes whose authenticator is a digest rather than random:
/// MD5 over the packet with 16 zero bytes in the authenticator field, then the secret.
pub(crate) fn accounting_request_authenticator(
    packet: &[u8],
    secret: &[u8],
) -> [u8; AUTHENTICATOR_LEN] {
    let head = &packet[..AUTHENTICATOR_OFFSET.min(packet.len())];
    let attributes = packet
        .get(AUTHENTICATOR_OFFSET + AUTHENTICATOR_LEN..)
        .unwrap_or(&[]);
    md5(&[head, &[0; AUTHENTICATOR_LEN], attributes, secret])
}

/// Checks the Request Authenticator of an Accounting-Request (and of the
/// other codes whose authenticator is a digest), in constant time.
pub(crate) fn verify_accounting_request(packet: &[u8], secret: &[u8]) -> bool {
    let Some(received) = packet.get(AUTHENTICATOR_OFFSET..AUTHENTICATOR_OFFSET + AUTHENTICATOR_LEN)
    else {
        return false;
    };
    constant_time_eq(received, &accounting_request_authenticator(packet, secret))
}

/// The Message-Authenticator value (RFC 3579 §3.2): HMAC-MD5 over the whole
/// packet with the Message-Authenticator value zeroed.
///
/// `packet` must already hold the authenticator that the RFC prescribes for the
/// packet's code (the Request Authenticator, in a reply too); `ma_value_offset`
/// is where the 16-byte value starts. The value bytes in `packet` are ignored.
pub fn message_authenticator(
    packet: &[u8],
    ma_value_offset: usize,
    secret: &[u8],
) -> [u8; AUTHENTICATOR_LEN] {
    let end = ma_value_offset + AUTHENTICATOR_LEN;
    if end > packet.len() {
        return [0; AUTHENTICATOR_LEN];
    }
    let Some(mut mac) = keyed_hmac::keyed(secret) else {
        return [0; AUTHENTICATOR_LEN];
    };
    mac.update(&packet[..ma_value_offset]);
    mac.update(&[0; AUTHENTICATOR_LEN]);
    mac.update(&packet[end..]);
    mac.finalize().into_bytes().into()
}

/// Verifies a received Message-Authenticator in constant time.
///
/// For a request, `packet` is the packet as received. For a reply, pass the
/// reply with the Request Authenticator of the matching request written into
/// the authenticator field (see [`verify_reply_message_authenticator`]).
pub(crate) fn verify_message_authenticator(
    packet: &[u8],
    ma_value_offset: usize,
    secret: &[u8],
) -> bool {
    let Some(received) = packet.get(ma_value_offset..ma_value_offset + AUTHENTICATOR_LEN) else {
        return false;
    };
    let expected = message_authenticator(packet, ma_value_offset, secret);
    constant_time_eq(received, &expected)
}

/// Verifies the Message-Authenticator of a reply to a request we sent: the
/// HMAC is computed with the Request Authenticator in the authenticator field.
pub(crate) fn verify_reply_message_authenticator(
    reply: &[u8],
    ma_value_offset: usize,
    request_authenticator: &[u8; AUTHENTICATOR_LEN],
    secret: &[u8],
) -> bool {
    if reply.len() < AUTHENTICATOR_OFFSET + AUTHENTICATOR_LEN {
        return false;
    }
    let mut copy = reply.to_vec();
    copy[AUTHENTICATOR_OFFSET..AUTHENTICATOR_OFFSET + AUTHENTICATOR_LEN]
        .copy_from_slice(request_authenticator);
    verify_message_authenticator(&copy, ma_value_offset, secret)
}

/// Hides a User-Password as RFC 2865 §5.2 prescribes: pad with NULs to a
/// multiple of 16 (at least 16), then XOR each block with
/// MD5(secret | previous ciphertext block), starting from the Request Authenticator.
pub fn hide_user_password(
    password: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; AUTHENTICATOR_LEN],
) -> Result<Vec<u8>, PasswordError> {
    if password.len() > USER_PASSWORD_MAX {
        return Err(PasswordError::TooLong);
    }
    let padded_len = password.len().div_ceil(16).max(1) * 16;
    let mut out = vec![0u8; padded_len];
    out[..password.len()].copy_from_slice(password);
    let mut previous: [u8; AUTHENTICATOR_LEN] = *request_authenticator;
    for block in out.chunks_mut(16) {
        let key = md5(&[secret, &previous]);
        for (byte, k) in block.iter_mut().zip(key) {
            *byte ^= k;
        }
        previous.copy_from_slice(block);
    }
    Ok(out)
}

/// Reveals a hidden User-Password and strips the trailing NUL padding.
///
/// The result is wiped from memory when dropped. The bytes are returned as
/// they are: whether they are valid UTF-8 is for the caller to judge.
pub fn reveal_user_password(
    hidden: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; AUTHENTICATOR_LEN],
) -> Result<Zeroizing<Vec<u8>>, PasswordError> {
    if hidden.len() < USER_PASSWORD_MIN
        || hidden.len() > USER_PASSWORD_MAX
        || !hidden.len().is_multiple_of(16)
    {
        return Err(PasswordError::BadCiphertextLength);
    }
    // Revealed on the stack (wiped when it goes), then copied once at its
    // length: the caller may keep the bytes without a second copy.
    let mut padded = Zeroizing::new([0u8; USER_PASSWORD_MAX]);
    let mut previous: &[u8] = request_authenticator;
    for (i, block) in hidden.chunks(16).enumerate() {
        let key = md5(&[secret, previous]);
        for (j, (c, k)) in block.iter().zip(key).enumerate() {
            padded[i * 16 + j] = c ^ k;
        }
        previous = block;
    }
    let len = padded[..hidden.len()]
        .iter()
        .rposition(|byte| *byte != 0)
        .map_or(0, |last| last + 1);
    Ok(Zeroizing::new(padded[..len].to_vec()))
}

/// Fills a fresh Request Authenticator (or any nonce) from the operating
/// system's cryptographically secure generator.
pub fn random_authenticator() -> [u8; AUTHENTICATOR_LEN] {
    let mut bytes = [0u8; AUTHENTICATOR_LEN];
    rand::fill(&mut bytes[..]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"xyzzy5461";

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).expect("test vector is hex")
    }

    fn request_authenticator(packet: &[u8]) -> [u8; 16] {
        packet[4..20].try_into().expect("16 bytes")
    }

    #[test]
    fn rfc2865_user_password_round_trip() {
        let request = unhex(
            "010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110050600000003",
        );
        let auth = request_authenticator(&request);
        let hidden = &request[28..44];
        let revealed = reveal_user_password(hidden, SECRET, &auth).expect("valid length");
        assert_eq!(&revealed[..], b"arctangent");
        assert_eq!(
            hide_user_password(b"arctangent", SECRET, &auth).expect("fits"),
            hidden
        );
    }

    #[test]
    fn multi_block_password() {
        let auth = [7u8; 16];
        let password = b"correct horse battery staple 0123456789";
        let hidden = hide_user_password(password, SECRET, &auth).expect("fits");
        assert_eq!(hidden.len(), 48);
        let revealed = reveal_user_password(&hidden, SECRET, &auth).expect("valid");
        assert_eq!(&revealed[..], password);
    }

    #[test]
    fn password_lengths_are_enforced() {
        let auth = [1u8; 16];
        assert_eq!(
            reveal_user_password(&[0; 15], SECRET, &auth),
            Err(PasswordError::BadCiphertextLength)
        );
        assert_eq!(
            reveal_user_password(&[0; 17], SECRET, &auth),
            Err(PasswordError::BadCiphertextLength)
        );
        assert_eq!(
            reveal_user_password(&[0; 144], SECRET, &auth),
            Err(PasswordError::BadCiphertextLength)
        );
        assert!(reveal_user_password(&[0; 128], SECRET, &auth).is_ok());
        assert_eq!(
            hide_user_password(&[b'a'; 129], SECRET, &auth),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            hide_user_password(b"", SECRET, &auth)
                .expect("empty pads")
                .len(),
            16
        );
        assert_eq!(
            hide_user_password(&[b'a'; 128], SECRET, &auth)
                .expect("max")
                .len(),
            128
        );
    }

    #[test]
    fn rfc2865_access_accept_authenticator() {
        let request = unhex(
            "010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110050600000003",
        );
        let accept =
            unhex("0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f06000000000e06c0a80103");
        let auth = request_authenticator(&request);
        assert_eq!(
            response_authenticator(&accept, &auth, SECRET)[..],
            accept[4..20]
        );
        assert!(verify_response_authenticator(&accept, &auth, SECRET));
        assert!(!verify_response_authenticator(&accept, &auth, b"wrong"));
    }

    #[test]
    fn message_authenticator_vectors() {
        // MA last (id 7) and MA first (id 8) versions of the RFC 2865 request.
        let last = unhex(
            "0107004a0f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a801100506000000035012e1cee40380653df915d7fe6b85453cd2",
        );
        assert!(verify_message_authenticator(&last, last.len() - 16, SECRET));
        let first = unhex(
            "0108004a0f403f9473978057bd83d5cb98f4227a50127b94292a06b1869889f8ffb7173d73ab01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110050600000003",
        );
        assert!(verify_message_authenticator(&first, 22, SECRET));
        assert!(!verify_message_authenticator(&first, 22, b"xyzzy5462"));
        let mut corrupted = first.clone();
        corrupted[30] ^= 1;
        assert!(!verify_message_authenticator(&corrupted, 22, SECRET));
    }

    #[test]
    fn accounting_vector() {
        let request = unhex(
            "041100327410939ebf5740ca16654c79f0239f3901066e656d6f2806000000012c0c303132333435363738390406c0a80110",
        );
        assert!(verify_accounting_request(&request, SECRET));
        assert!(!verify_accounting_request(&request, b"other"));
        let response = unhex("05110014a392514e443d4c49c29a2ae6aa354e20");
        assert!(verify_response_authenticator(
            &response,
            &request_authenticator(&request),
            SECRET
        ));
    }

    #[test]
    fn status_server_reply_vectors() {
        let request =
            unhex("0cda00268a54f4686fb394c52866e302185d062350125a665e2e1e8411f3e243822097c84fa3");
        assert!(verify_message_authenticator(&request, 22, SECRET));
        let auth = request_authenticator(&request);
        let plain = unhex("02da0014ef0d552a4bf2d693ec2b6fe8b5411d66");
        assert!(verify_response_authenticator(&plain, &auth, SECRET));
        let with_ma =
            unhex("02da00267e6d7a5f5dfa87b519bef260a6f15081501257566a4a4a4c690f8e18b73ae7a7f65f");
        assert!(verify_response_authenticator(&with_ma, &auth, SECRET));
        assert!(verify_reply_message_authenticator(
            &with_ma, 22, &auth, SECRET
        ));
    }

    #[test]
    fn constant_time_eq_needs_equal_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn random_authenticators_differ() {
        assert_ne!(random_authenticator(), random_authenticator());
    }
}
