//! The claim of a request in Redis, in one script call that many requests
//! share a round trip for (`batched`): the first replica to see a request
//! marks it pending, and learns in the same call the sorted-set counts the
//! login will be checked against; a replica that comes second finds the
//! value the first left (pending, or its decision).

use super::batched::Batched;
use super::prefetch::{KeyList, ReadAhead};
use redis::{Script, Value};

/// Claims `KEYS[1]` unless some replica did: returns the value found
/// there (a bulk string), or (claimed now) the count of each further key's
/// sorted set from `ARGV[3]` to `+inf`, separated by spaces, as a status
/// reply (one value to parse rather than one per count). ARGV: the pending
/// value, the claim's life (ms), the oldest score counted.
const CLAIM: &str = r"local found = redis.call('GET', KEYS[1])
if found then return found end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local counts = {}
for i = 2, #KEYS do counts[i - 1] = redis.call('ZCOUNT', KEYS[i], ARGV[3], '+inf') end
return redis.status_reply(table.concat(counts, ' '))";

/// The script, for the fleet's batch of claims.
pub(super) fn script() -> Script {
    Script::new(CLAIM)
}

/// What a claim found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claimed {
    /// This replica claimed the request; the counts read ahead, in the
    /// order of their keys.
    Ours(Vec<u64>),
    /// Another replica had: the value it left.
    Found(Vec<u8>),
}

/// Claims the request `key` with `pending` for `pending_ms`, reading
/// `read_ahead`'s counts if this replica claims it, in the batch of
/// `claims`; `None` when Redis does not answer.
pub(super) async fn claim(
    claims: &Batched,
    key: &str,
    pending: &[u8],
    pending_ms: u64,
    read_ahead: Option<&ReadAhead>,
) -> Option<Claimed> {
    let counted = read_ahead
        .map(|read| &read.keys)
        .filter(|keys| !keys.is_empty());
    let since = read_ahead.map_or(0, |read| read.since);
    let reply = claims
        .call(1 + counted.map_or(0, KeyList::len), |command| {
            command.arg(key);
            if let Some(counted) = counted {
                command.arg(counted);
            }
            command.arg(pending).arg(pending_ms).arg(since);
        })
        .await?;
    match reply {
        Value::SimpleString(counts) => counts
            .split_ascii_whitespace()
            .map(str::parse::<u64>)
            .collect::<Result<Vec<u64>, _>>()
            .ok()
            .map(Claimed::Ours),
        Value::BulkString(found) => Some(Claimed::Found(found)),
        _ => None,
    }
}
