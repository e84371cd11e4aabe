//! HMAC-MD5 states already keyed with a shared secret. Keying an HMAC
//! costs two MD5 blocks (the secret XORed with each pad), as much as the
//! Message-Authenticator of a short packet itself; a server checks and
//! signs with the same few client secrets all day. Each thread keeps the
//! keyed states of the secrets it used last and starts every HMAC from a
//! copy, so a login's two Message-Authenticators skip four of their MD5
//! blocks.
//!
//! A state is found again only by the secret's bytes (compared in constant
//! time), never by where they lie in memory: a reloaded configuration can
//! put another secret at the same address. The copies of the secrets kept
//! for that comparison, and the keyed states (with the `zeroize` feature of
//! the `hmac` and `md-5` crates), are wiped when they leave the table, as
//! every copy of a state made from them is when it is dropped.

use hmac::{Hmac, KeyInit};
use md5::Md5;
use std::cell::RefCell;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Secrets remembered per thread: a server with more clients than this,
/// all busy at once, keys some HMACs afresh, as before.
const REMEMBERED: usize = 8;

/// The keyed states of one thread, the most recently used first.
#[derive(Default)]
struct Keyed {
    entries: Vec<(Zeroizing<Vec<u8>>, Hmac<Md5>)>,
}

thread_local! {
    static KEYED: RefCell<Keyed> = RefCell::new(Keyed::default());
}

/// An HMAC-MD5 keyed with `secret`, ready for the message.
pub(crate) fn keyed(secret: &[u8]) -> Option<Hmac<Md5>> {
    KEYED
        .try_with(|keyed| keyed.borrow_mut().get(secret))
        .ok()
        .flatten()
        // Only while the thread is being torn down.
        .or_else(|| <Hmac<Md5> as KeyInit>::new_from_slice(secret).ok())
}

impl Keyed {
    fn get(&mut self, secret: &[u8]) -> Option<Hmac<Md5>> {
        let found = self.entries.iter().position(|(known, _)| {
            known.len() == secret.len() && bool::from(known.as_slice().ct_eq(secret))
        });
        match found {
            Some(0) => {}
            Some(index) => self.entries[..=index].rotate_right(1),
            None => {
                let mac = <Hmac<Md5> as KeyInit>::new_from_slice(secret).ok()?;
                self.entries.truncate(REMEMBERED - 1);
                self.entries
                    .insert(0, (Zeroizing::new(secret.to_vec()), mac));
            }
        }
        self.entries.first().map(|(_, mac)| mac.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Mac;

    fn fresh(secret: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(secret).expect("any key length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    fn from_table(secret: &[u8], message: &[u8]) -> Vec<u8> {
        let mut mac = keyed(secret).expect("any key length");
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn a_remembered_state_signs_as_a_freshly_keyed_one() {
        // More secrets than the table holds, two of each length, of
        // lengths on both sides of MD5's block, used in turn and again:
        // every answer is the fresh one.
        let secrets: Vec<Vec<u8>> = (0..REMEMBERED + 3)
            .map(|i| vec![u8::try_from(i).expect("few secrets"); 5 + i / 2 * 9])
            .collect();
        for round in 0..3 {
            for secret in secrets.iter().chain(secrets.iter().rev().take(2)) {
                let message = [round, secret.len() as u8, 1, 2, 3];
                assert_eq!(from_table(secret, &message), fresh(secret, &message));
            }
        }
    }

    #[test]
    fn secrets_that_share_a_prefix_are_told_apart() {
        let message = b"Access-Request bytes";
        let short = from_table(b"secret", message);
        let long = from_table(b"secret-2", message);
        assert_ne!(short, long);
        assert_eq!(from_table(b"secret", message), fresh(b"secret", message));
        assert_eq!(
            from_table(b"secret-2", message),
            fresh(b"secret-2", message)
        );
    }

    #[test]
    fn the_table_keeps_at_most_its_size() {
        for i in 0..3 * REMEMBERED {
            let _ = keyed(format!("secret number {i}").as_bytes());
        }
        let remembered = KEYED.with(|keyed| keyed.borrow().entries.len());
        assert_eq!(remembered, REMEMBERED);
    }
}
