//! Counts read ahead with a request's claim: whether the failed-password
//! sets a new password login is checked against exist at all travels to
//! Redis in the same round trip as the claim of the request
//! (`server/fleet_duplicates.rs`); when none does, their counts are known
//! to be zero and wait here, in the request task, for the throttle to find
//! them. A login whose counts were not read ahead (a user or source with
//! failures, a challenge answer, EAP, Redis not answering) asks Redis
//! itself, as before.

use redis::{RedisWrite, ToRedisArgs};
use smallvec::SmallVec;
use std::cell::RefCell;
use std::future::Future;

/// What to read ahead: the count of each key's sorted set from `since` to
/// `+inf` (all zero when none of the keys exists), found again
/// by `of` (a hash of what the counts are of, as their reader names it:
/// cheaper to make and compare than the keys are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAhead {
    pub of: u64,
    pub keys: KeyList,
    pub since: u64,
}

/// Key names written one after another in one buffer (a login's read
/// ahead has up to six): one allocation instead of one per key. As a
/// Redis argument, each key is an argument of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyList {
    text: String,
    ends: SmallVec<[usize; 6]>,
}

impl KeyList {
    /// Room for keys of `bytes` in all.
    pub fn with_capacity(bytes: usize) -> KeyList {
        KeyList {
            text: String::with_capacity(bytes),
            ends: SmallVec::new(),
        }
    }

    /// Adds the key that `write` appends to the buffer.
    pub fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        write(&mut self.text);
        self.ends.push(self.text.len());
    }

    /// Adds the key at `index` once more (nothing if there is none).
    pub fn push_again(&mut self, index: usize) {
        let start = index
            .checked_sub(1)
            .and_then(|before| self.ends.get(before).copied())
            .unwrap_or(0);
        if let Some(&end) = self.ends.get(index) {
            self.text.extend_from_within(start..end);
            self.ends.push(self.text.len());
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The keys' length in all.
    pub fn bytes(&self) -> usize {
        self.text.len()
    }

    /// The keys, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| self.text.get(start..end).unwrap_or_default())
    }
}

impl ToRedisArgs for KeyList {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        for key in self.iter() {
            out.write_arg(key.as_bytes());
        }
    }

    fn num_of_args(&self) -> usize {
        self.len()
    }
}

/// Sorted-set counts read ahead, in the order of their keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    of: u64,
    counts: Vec<u64>,
}

tokio::task_local! {
    static READ_AHEAD: RefCell<Option<Counts>>;
}

impl Counts {
    /// The counts read for `of`.
    pub fn new(of: u64, counts: Vec<u64>) -> Counts {
        Counts { of, counts }
    }
}

/// Runs `work` with `counts` (if any) where [`lookup`] finds them. A plain
/// function, not an `async` one: that would hold `work` twice (the future
/// it was given and the one it awaits), in every request's task.
pub fn with<F: Future>(counts: Option<Counts>, work: F) -> impl Future<Output = F::Output> {
    READ_AHEAD.scope(RefCell::new(counts), work)
}

/// The counts read ahead for this request, when they are those of `of`;
/// handed over once (a second look, if any, asks Redis).
pub fn lookup(of: u64) -> Option<Vec<u64>> {
    READ_AHEAD
        .try_with(|read| {
            let mut read = read.borrow_mut();
            if read.as_ref().is_some_and(|read| read.of == of) {
                read.take().map(|read| read.counts)
            } else {
                None
            }
        })
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_are_found_once_only_for_what_they_are_of_and_within_the_request() {
        assert_eq!(lookup(1), None);
        let found = with(Some(Counts::new(1, vec![2, 5])), async {
            (lookup(2), lookup(1), lookup(1))
        })
        .await;
        // Not for another login; handed over once.
        assert_eq!(found, (None, Some(vec![2, 5]), None));
        assert_eq!(lookup(1), None);
    }

    #[test]
    fn a_key_list_gives_back_each_key_and_one_redis_argument_per_key() {
        let mut keys = KeyList::default();
        assert!(keys.is_empty());
        for key in ["p:fail:aa", "", "p:fail:bbbb"] {
            keys.push_with(|out| out.push_str(key));
        }
        keys.push_again(2);
        keys.push_again(0);
        keys.push_again(9);
        assert_eq!(keys.len(), 5);
        assert_eq!(
            keys.iter().collect::<Vec<_>>(),
            ["p:fail:aa", "", "p:fail:bbbb", "p:fail:bbbb", "p:fail:aa"]
        );
        let mut keys = KeyList::default();
        for key in ["p:fail:aa", "", "p:fail:bbbb"] {
            keys.push_with(|out| out.push_str(key));
        }
        assert_eq!(
            keys.to_redis_args(),
            [b"p:fail:aa".to_vec(), Vec::new(), b"p:fail:bbbb".to_vec()]
        );
    }
}
