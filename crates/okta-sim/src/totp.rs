//! One-time passwords computed the way authenticator apps compute them: HOTP
//! (RFC 4226) and TOTP (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits), and
//! the base32 secrets (RFC 4648) they are enrolled with.
//!
//! The simulated org checks codes with this real arithmetic, so a real
//! authenticator app (or `oathtool --totp -b SECRET`) works against the demo,
//! and tests compute the current code with [`code`].

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Seconds per TOTP step.
pub(crate) const STEP_SECONDS: u64 = 30;
/// Digits of the codes Okta's OTP factors use.
pub(crate) const DIGITS: u32 = 6;

const BASE32_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The 6-digit TOTP code of a base32 secret at `unix_time` (seconds); an
/// empty string when the secret is not base32.
pub fn code(secret_base32: &str, unix_time: u64) -> String {
    match decode_base32(secret_base32) {
        Some(key) => totp(&key, unix_time, DIGITS),
        None => String::new(),
    }
}

/// The RFC 6238 code (HMAC-SHA1, 30-second steps from the epoch) of `key` at `unix_time`.
pub(crate) fn totp(key: &[u8], unix_time: u64, digits: u32) -> String {
    hotp(key, unix_time / STEP_SECONDS, digits)
}

/// The RFC 4226 code of `key` for `counter`.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    // HMAC takes keys of any length, so this never fails.
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    let modulus = 10u64.pow(digits);
    let width = usize::try_from(digits).unwrap_or(6);
    format!("{:0width$}", u64::from(binary) % modulus)
}

/// Decodes RFC 4648 base32, ignoring case, spaces and `=` padding; `None`
/// for any other character or an empty secret.
pub(crate) fn decode_base32(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0u32;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let upper = u8::try_from(c.to_ascii_uppercase()).ok()?;
        let value = BASE32_ALPHABET.iter().position(|&a| a == upper)?;
        bits = (bits << 5) | u32::try_from(value).ok()?;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
        bits &= (1 << count) - 1;
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &[u8] = b"12345678901234567890";

    #[test]
    fn hotp_matches_rfc_4226_appendix_d() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_KEY, counter as u64, 6), *code, "counter {counter}");
        }
    }

    #[test]
    fn totp_matches_rfc_6238_appendix_b_sha1() {
        for (time, code) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp(RFC_KEY, time, 8), code, "time {time}");
        }
    }

    #[test]
    fn base32_decodes_authenticator_secrets() {
        assert_eq!(
            decode_base32("JBSWY3DPEHPK3PXP").expect("base32"),
            b"Hello!\xde\xad\xbe\xef"
        );
        assert_eq!(
            decode_base32("jbsw y3dp ehpk 3pxp"),
            decode_base32("JBSWY3DPEHPK3PXP")
        );
        // The RFC key in base32.
        assert_eq!(
            decode_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").expect("base32"),
            RFC_KEY
        );
        assert!(decode_base32("not base32!").is_none());
        assert!(decode_base32("").is_none());
        assert_eq!(code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59), "287082");
        assert_eq!(code("!!", 59), "");
    }
}
