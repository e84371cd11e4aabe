//! Writes no request waits for, gathered: a request's decision, stored for
//! the retransmits other replicas may receive, and the user id Okta named
//! for a login, shared for the administrator's commands at other
//! replicas. Neither need hold up a reply. Each is queued here and one task
//! per queue sends it as one pipeline about 5 ms later, so a busy
//! replica pays one round trip for the writes of many logins instead of
//! one each. A write lands in Redis at most one operation timeout after
//! its reply left; a replica that receives a retransmit before then finds
//! the request still pending and waits for it, as for a login in progress.

use super::operations::Operations;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::Notify;

/// How long the first write of a batch waits for others to join it.
const GATHER_FOR: Duration = Duration::from_millis(5);
/// A batch this large goes at once.
const FULL_BATCH: usize = 512;
/// Writes queued beyond this many (Redis answering more slowly than the
/// replica decides) are dropped, and counted as fallbacks.
const MOST_QUEUED: usize = 50_000;

/// The queue of writes and the task that sends them.
#[derive(Default)]
pub struct WriteBehind {
    queue: Mutex<Vec<Set>>,
    queued: Notify,
}

/// `SET key value PX ttl_ms`.
struct Set {
    key: String,
    value: Vec<u8>,
    ttl_ms: u64,
}

impl WriteBehind {
    /// Queues `SET key value PX ttl`; false when the queue is full (the
    /// write is dropped).
    pub fn set(&self, key: String, value: Vec<u8>, ttl: Duration) -> bool {
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        if queue.len() >= MOST_QUEUED {
            return false;
        }
        queue.push(Set { key, value, ttl_ms });
        if queue.len() == 1 {
            self.queued.notify_one();
        }
        true
    }

    /// The writes queued now, taken off the queue.
    fn take(&self) -> Vec<Set> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn len(&self) -> usize {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Sends the queued writes, a batch at a time, while the fleet exists.
pub(super) async fn run(writes: Arc<WriteBehind>, operations: Weak<Operations>, op: &'static str) {
    loop {
        writes.queued.notified().await;
        if writes.len() < FULL_BATCH {
            tokio::time::sleep(GATHER_FOR).await;
        }
        let Some(operations) = operations.upgrade() else {
            return;
        };
        send(&operations, writes.take(), op).await;
    }
}

/// Sends what is queued now, without gathering more (the server stops:
/// what other replicas may still be asked about goes before it).
pub(super) async fn flush(writes: &WriteBehind, operations: &Operations, op: &'static str) {
    send(operations, writes.take(), op).await;
}

/// Sends `batch` as one pipeline.
async fn send(operations: &Operations, batch: Vec<Set>, op: &'static str) {
    if batch.is_empty() {
        return;
    }
    let mut pipe = redis::pipe();
    for set in batch {
        let mut command = redis::Cmd::with_capacity(5, set.key.len() + set.value.len() + 32);
        command
            .arg("SET")
            .arg(set.key)
            .arg(set.value)
            .arg("PX")
            .arg(set.ttl_ms);
        // Not `ignore()`d: that records each command in a set, and the
        // answers are not read either way.
        pipe.add_command(command);
    }
    operations
        .run(op, |mut connection| async move {
            pipe.query_async::<()>(&mut connection).await
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_is_bounded_and_taken_whole() {
        let writes = WriteBehind::default();
        for i in 0..MOST_QUEUED {
            assert!(writes.set(format!("k{i}"), vec![1], Duration::from_secs(1)));
        }
        assert!(!writes.set("one too many".into(), vec![1], Duration::from_secs(1)));
        assert_eq!(writes.take().len(), MOST_QUEUED);
        assert_eq!(writes.len(), 0);
        assert!(writes.set("again".into(), vec![1], Duration::ZERO));
        assert_eq!(writes.take()[0].ttl_ms, 1);
    }
}
