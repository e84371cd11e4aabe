//! The claim of a request in Redis, in a pipeline that the requests of the
//! same moment share (`batched`): the first replica to see a request marks
//! it pending, and learns in the same round trip whether the login it
//! carries has failed passwords to count; a replica that comes second
//! finds the value the first left (pending, or its decision).
//!
//! Plain commands, no script: `SET key pending NX GET PX life` claims the
//! request and returns what another replica left there in one atomic step
//! (Redis 7.0 and later), and `EXISTS` of the login's failed-password
//! sets tells, in one look, that their counts are all zero, as they are
//! for nearly every login. A login with failures counts them in a second
//! round trip (the throttle asks Redis itself).

use super::batched::{Batched, Replies};
use super::prefetch::ReadAhead;
use redis::{Cmd, Value};
use smallvec::SmallVec;

/// What a claim found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// This replica claimed the request; the counts read ahead, in the
    /// order of their keys (`None`: some are not zero, and were not read).
    Ours(Option<Vec<u64>>),
    /// Another replica had: the value it left.
    Found(Vec<u8>),
}

/// Claims the request `key` with `pending` for `pending_ms`, looking in
/// the same round trip for `read_ahead`'s failed-password sets, in the
/// pipeline of `claims`; `None` when Redis does not answer.
pub(super) async fn claim(
    claims: &Batched,
    key: &str,
    pending: &[u8],
    pending_ms: u64,
    read_ahead: Option<&ReadAhead>,
) -> Option<Claimed> {
    let mut commands: SmallVec<[Cmd; 2]> = SmallVec::new();
    let mut set = Cmd::with_capacity(7, key.len() + pending.len() + 32);
    set.arg("SET")
        .arg(key)
        .arg(pending)
        .arg("NX")
        .arg("GET")
        .arg("PX")
        .arg(pending_ms.max(1));
    commands.push(set);
    let counted = read_ahead.map_or(0, |read| read.keys.len());
    if let Some(read) = read_ahead.filter(|read| !read.keys.is_empty()) {
        let mut exists = Cmd::with_capacity(1 + counted, read.keys.bytes() + 8);
        exists.arg("EXISTS").arg(&read.keys);
        commands.push(exists);
    }
    claimed(claims.call(commands).await?, counted)
}

/// What the replies to a claim say: `SET ... NX GET`'s, then `EXISTS`'s
/// of `counted` sets (when there are any). `None` for replies a claim
/// cannot have (the caller goes on alone).
fn claimed(replies: Replies, counted: usize) -> Option<Claimed> {
    let mut replies = replies.into_iter();
    match replies.next()? {
        Value::Nil => {
            let counts = match replies.next() {
                None => Some(Vec::new()),
                Some(Value::Int(0)) => Some(vec![0; counted]),
                Some(_) => None,
            };
            Some(Claimed::Ours(counts))
        }
        Value::BulkString(found) => Some(Claimed::Found(found)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smallvec::smallvec;

    #[test]
    fn a_claim_is_ours_with_counts_only_when_no_set_exists() {
        // Claimed; none of the 5 sets exists: their counts are zero.
        assert_eq!(
            claimed(smallvec![Value::Nil, Value::Int(0)], 5),
            Some(Claimed::Ours(Some(vec![0; 5])))
        );
        // Claimed; 2 sets exist: their counts are not known here.
        assert_eq!(
            claimed(smallvec![Value::Nil, Value::Int(2)], 5),
            Some(Claimed::Ours(None))
        );
        // Claimed, nothing to count.
        assert_eq!(
            claimed(smallvec![Value::Nil], 0),
            Some(Claimed::Ours(Some(Vec::new())))
        );
    }

    #[test]
    fn a_claim_made_by_another_replica_gives_what_it_left() {
        assert_eq!(
            claimed(
                smallvec![Value::BulkString(b"P".to_vec()), Value::Int(0)],
                5
            ),
            Some(Claimed::Found(b"P".to_vec()))
        );
        assert_eq!(claimed(smallvec![Value::Okay], 0), None);
        assert_eq!(claimed(smallvec![], 0), None);
    }
}
