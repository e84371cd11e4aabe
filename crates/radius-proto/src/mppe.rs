//! MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548 §2.4.2-2.4.3): how the
//! keys an EAP method derived reach the access point, hidden with the
//! shared secret and the Request Authenticator.
//!
//! The plaintext is a key-length octet, the key, and zero padding to a
//! multiple of 16; it is XORed block by block with MD5(secret | Request
//! Authenticator | Salt), then MD5(secret | previous ciphertext block). The
//! Salt's high bit is set and each attribute of one packet has its own.

use crate::attribute::{Attribute, VendorAttributeError, vendors};
use md5::{Digest, Md5};
use zeroize::Zeroizing;

/// Microsoft vendor types of the two key attributes.
pub const MS_MPPE_SEND_KEY: u8 = 16;
pub const MS_MPPE_RECV_KEY: u8 = 17;

/// Why a key could not be hidden or revealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MppeError {
    #[error("MPPE key longer than one attribute can carry")]
    KeyTooLong,
    #[error("MPPE key attribute with a bad length or salt")]
    Malformed,
    #[error("MPPE key length octet larger than the decrypted data")]
    BadKeyLength,
}

fn keystream_block(secret: &[u8], first: &[u8], second: &[u8]) -> [u8; 16] {
    let mut hasher = Md5::new();
    hasher.update(secret);
    hasher.update(first);
    hasher.update(second);
    hasher.finalize().into()
}

/// Hides `key` under `salt` (its high bit is set here). Returns the
/// attribute value: Salt, then the encrypted String.
pub fn hide_mppe_key(
    key: &[u8],
    salt: [u8; 2],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<Vec<u8>, MppeError> {
    // The sub-attribute carries at most 247 octets: the salt and a multiple of 16.
    if key.len() > 224 {
        return Err(MppeError::KeyTooLong);
    }
    let salt = [salt[0] | 0x80, salt[1]];
    let padded = (1 + key.len()).div_ceil(16) * 16;
    let mut plain = Zeroizing::new(vec![0u8; padded]);
    // Bounded by the check above.
    plain[0] = key.len() as u8;
    plain[1..=key.len()].copy_from_slice(key);
    let mut out = Vec::with_capacity(2 + padded);
    out.extend_from_slice(&salt);
    let mut stream = keystream_block(secret, request_authenticator, &salt);
    for block in plain.chunks(16) {
        let start = out.len();
        out.extend(block.iter().zip(stream).map(|(p, k)| p ^ k));
        stream = keystream_block(secret, &out[start..], &[]);
    }
    Ok(out)
}

/// Reveals a key hidden by [`hide_mppe_key`] (the attribute value).
pub fn reveal_mppe_key(
    value: &[u8],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<Zeroizing<Vec<u8>>, MppeError> {
    let (salt, cipher) = value.split_at_checked(2).ok_or(MppeError::Malformed)?;
    if cipher.is_empty() || !cipher.len().is_multiple_of(16) || salt[0] & 0x80 == 0 {
        return Err(MppeError::Malformed);
    }
    let mut plain = Zeroizing::new(Vec::with_capacity(cipher.len()));
    let mut stream = keystream_block(secret, request_authenticator, salt);
    for block in cipher.chunks(16) {
        plain.extend(block.iter().zip(stream).map(|(c, k)| c ^ k));
        stream = keystream_block(secret, block, &[]);
    }
    let len = usize::from(plain[0]);
    if len + 1 > plain.len() {
        return Err(MppeError::BadKeyLength);
    }
    Ok(Zeroizing::new(plain[1..=len].to_vec()))
}

/// The two Vendor-Specific attributes for an Access-Accept that ends an EAP
/// method with the Master Session Key `msk` (64 octets): MS-MPPE-Recv-Key
/// is its first half, MS-MPPE-Send-Key its second (RFC 5216 §2.3), each
/// with its own random salt.
pub fn mppe_key_attributes(
    msk: &[u8; 64],
    secret: &[u8],
    request_authenticator: &[u8; 16],
) -> Result<Vec<Attribute>, MppeError> {
    let mut salt: [u8; 2] = rand::random();
    let recv = hide_mppe_key(&msk[..32], salt, secret, request_authenticator)?;
    // A second salt that differs from the first (RFC 2548 §2.4.2).
    salt[1] = salt[1].wrapping_add(1);
    let send = hide_mppe_key(&msk[32..], salt, secret, request_authenticator)?;
    let attribute = |typ, value: Vec<u8>| {
        Attribute::vendor(vendors::MICROSOFT, typ, &value)
            .map_err(|_: VendorAttributeError| MppeError::KeyTooLong)
    };
    Ok(vec![
        attribute(MS_MPPE_RECV_KEY, recv)?,
        attribute(MS_MPPE_SEND_KEY, send)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::decode_vendor_specific;

    const SECRET: &[u8] = b"xyzzy5461";
    const AUTHENTICATOR: [u8; 16] = [
        0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22,
        0x7a,
    ];
    /// Key 00..1f under salt 0x8001, computed with an independent
    /// implementation of RFC 2548 §2.4.2.
    const VECTOR: &str = "8001e74fd77a66159af1c00e2603ed8f8a2d775b72924f399d2c98d1909d856dfa8608c3baf92fc0c0313d7dd2b3bb1fe1e7";

    fn key() -> Vec<u8> {
        (0u8..32).collect()
    }

    #[test]
    fn hides_as_the_vector_says() {
        let hidden = hide_mppe_key(&key(), [0x00, 0x01], SECRET, &AUTHENTICATOR).expect("fits");
        assert_eq!(hex::encode(hidden), VECTOR);
    }

    #[test]
    fn reveals_the_vector() {
        let value = hex::decode(VECTOR).expect("hex");
        let key_back = reveal_mppe_key(&value, SECRET, &AUTHENTICATOR).expect("valid");
        assert_eq!(*key_back, key());
        let wrong = reveal_mppe_key(&value, b"another", &AUTHENTICATOR);
        assert!(wrong.map(|k| *k != key()).unwrap_or(true));
    }

    #[test]
    fn malformed_values_are_errors() {
        assert_eq!(
            reveal_mppe_key(&[0x80], SECRET, &AUTHENTICATOR).err(),
            Some(MppeError::Malformed)
        );
        assert_eq!(
            reveal_mppe_key(&[0x80, 1, 2, 3], SECRET, &AUTHENTICATOR).err(),
            Some(MppeError::Malformed)
        );
        assert_eq!(
            reveal_mppe_key(&[0x00; 18], SECRET, &AUTHENTICATOR).err(),
            Some(MppeError::Malformed)
        );
    }

    #[test]
    fn accept_attributes_carry_both_halves_with_distinct_salts() {
        let mut msk = [0u8; 64];
        for (i, byte) in msk.iter_mut().enumerate() {
            *byte = i as u8;
        }
        let attributes = mppe_key_attributes(&msk, SECRET, &AUTHENTICATOR).expect("fits");
        let subs: Vec<_> = attributes
            .iter()
            .map(|a| decode_vendor_specific(&a.value).expect("vsa").remove(0))
            .collect();
        assert_eq!(subs[0].vendor_type, MS_MPPE_RECV_KEY);
        assert_eq!(subs[1].vendor_type, MS_MPPE_SEND_KEY);
        assert_ne!(subs[0].value[..2], subs[1].value[..2]);
        let recv = reveal_mppe_key(&subs[0].value, SECRET, &AUTHENTICATOR).expect("valid");
        let send = reveal_mppe_key(&subs[1].value, SECRET, &AUTHENTICATOR).expect("valid");
        assert_eq!(*recv, msk[..32]);
        assert_eq!(*send, msk[32..]);
    }
}
