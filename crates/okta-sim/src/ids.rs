//! Identifiers the simulated org hands out, shaped like Okta's: object ids
//! (`00u…` users, `opf…` push factors) that stay the same from one run to the
//! next, and random one-time values (stateTokens, sessionTokens, request ids).

use md5::{Digest, Md5};
use rand::RngExt;
use rand::distr::Alphanumeric;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A 20-character Okta object id: `prefix` then characters derived from `seed`.
pub(crate) fn stable_id(prefix: &str, seed: &str) -> String {
    let first = Md5::digest(seed.as_bytes());
    let second = Md5::digest(first.as_slice());
    let wanted = 20usize.saturating_sub(prefix.len());
    let tail = first
        .iter()
        .chain(second.iter())
        .take(wanted)
        .map(|byte| char::from(BASE62[usize::from(*byte) % BASE62.len()]));
    prefix.chars().chain(tail).collect()
}

/// `len` random letters and digits.
pub(crate) fn random_token(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_ids_are_stable_and_okta_sized() {
        let id = stable_id("00u", "alice@example.com");
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("00u"));
        assert_eq!(id, stable_id("00u", "alice@example.com"));
        assert_ne!(id, stable_id("00u", "bob@example.com"));
        assert_ne!(random_token(20), random_token(20));
    }
}
