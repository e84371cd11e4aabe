//! Commands that many requests send at about the same time, sent to Redis
//! together: each request adds its commands to the pipeline being
//! gathered and waits for its own replies, and one task sends the
//! pipeline after letting the requests that are ready to run add theirs.
//! While a pipeline is out, the next commands gather behind it. A busy
//! replica so pays one write, one read and one timer for the claims of
//! several logins instead of one each.
//!
//! Calls that come steadily, less than `GATHER_FOR` apart (a replica
//! taking over a thousand logins a second), are also held until
//! `GATHER_FOR` after the pipeline before them left, unless `FULL` are
//! gathered: the replica then sends a pipeline about every one or two
//! milliseconds (the runtime's timers count whole milliseconds) instead of
//! one for every login or two, each round trip costing it more than the
//! rest of the login's work with Redis. A login so waits a millisecond or
//! two more for its claim, next to the hundreds Okta takes; calls that
//! come further apart go at once, as before.
//!
//! A pipeline that Redis does not answer within the operation timeout
//! gives each of its callers `None` (the caller falls back, as for any
//! operation); a call gathered behind a pipeline Redis is slow to answer
//! can wait up to twice that timeout, and `GATHER_FOR`. The pipeline
//! needs no bound of its own: every call in it is a request waiting for
//! its replies, and the server bounds those (`max_in_flight`).

use super::operations::Operations;
use redis::{Cmd, Pipeline, Value};
use smallvec::SmallVec;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

/// The least time between two pipelines while calls come steadily.
const GATHER_FOR: Duration = Duration::from_millis(1);
/// A pipeline of this many calls leaves without waiting out `GATHER_FOR`.
const FULL: usize = 16;

/// A call's replies, one per command, in order.
pub type Replies = SmallVec<[Value; 2]>;

/// Commands of many calls, gathered.
pub struct Batched {
    gathered: Mutex<Gathered>,
    queued: Notify,
}

/// The pipeline gathered so far and where each call's replies go.
#[derive(Default)]
struct Gathered {
    pipeline: Pipeline,
    calls: Vec<(usize, oneshot::Sender<Replies>)>,
}

impl Batched {
    /// Commands sent by a task that lives as long as the fleet's
    /// `operations`; falls back under `op`. Call within the runtime.
    pub(super) fn start(operations: Weak<Operations>, op: &'static str) -> Arc<Batched> {
        let batched = Arc::new(Batched {
            gathered: Mutex::new(Gathered::default()),
            queued: Notify::new(),
        });
        tokio::spawn(send(batched.clone(), operations, op));
        batched
    }

    /// The replies to `commands`, sent in the next pipeline; `None` when
    /// Redis did not answer in time or failed.
    pub async fn call(&self, commands: impl IntoIterator<Item = Cmd>) -> Option<Replies> {
        let (answer, answered) = oneshot::channel();
        {
            let mut gathered = self.gathered.lock().unwrap_or_else(PoisonError::into_inner);
            let mut count = 0;
            for command in commands {
                gathered.pipeline.add_command(command);
                count += 1;
            }
            gathered.calls.push((count, answer));
            if gathered.calls.len() == 1 {
                self.queued.notify_one();
            }
        }
        answered.await.ok()
    }

    /// How many calls are gathered now.
    fn gathered(&self) -> usize {
        self.gathered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .calls
            .len()
    }

    fn take(&self) -> Gathered {
        std::mem::take(&mut *self.gathered.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Sends the gathered commands, a pipeline at a time, while the fleet
/// exists.
async fn send(batched: Arc<Batched>, operations: Weak<Operations>, op: &'static str) {
    let mut last_left = None;
    loop {
        batched.queued.notified().await;
        match hold_until(last_left, Instant::now(), batched.gathered()) {
            Some(until) => tokio::time::sleep_until(until).await,
            // The requests ready to run now add their commands first.
            None => tokio::task::yield_now().await,
        }
        last_left = Some(Instant::now());
        let Some(operations) = operations.upgrade() else {
            return;
        };
        let Gathered {
            mut pipeline,
            calls,
        } = batched.take();
        if calls.is_empty() {
            continue;
        }
        // A command Redis refuses answers its own caller only.
        pipeline.ignore_errors();
        let replies = operations
            .run(op, |mut connection| async move {
                pipeline.query_async::<Vec<Value>>(&mut connection).await
            })
            .await;
        let Some(replies) = replies else {
            // Dropped senders: every caller gets `None`.
            continue;
        };
        let mut replies = replies.into_iter();
        for (count, answer) in calls {
            let mine: Replies = replies.by_ref().take(count).collect();
            if let Some(Value::ServerError(error)) = mine
                .iter()
                .find(|reply| matches!(reply, Value::ServerError(_)))
            {
                // The caller goes on alone, as when Redis does not answer.
                operations.reach.fell_back(op, &error.to_string());
                continue;
            }
            // The caller may have stopped waiting.
            let _ = answer.send(mine);
        }
    }
}

/// Until when the calls gathered now wait for others (`None`: they leave
/// at once): while calls come steadily, that is less than `GATHER_FOR`
/// after the last pipeline `left`, until `GATHER_FOR` after it, unless
/// `FULL` are gathered.
fn hold_until(left: Option<Instant>, now: Instant, gathered: usize) -> Option<Instant> {
    let until = left? + GATHER_FOR;
    (now < until && gathered < FULL).then_some(until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_calls_wait_for_the_others_of_their_millisecond() {
        let left = Instant::now();
        let soon = left + GATHER_FOR / 4;
        // The first pipeline, and calls after a quiet GATHER_FOR, go at once.
        assert_eq!(hold_until(None, left, 1), None);
        assert_eq!(hold_until(Some(left), left + GATHER_FOR, 1), None);
        assert_eq!(hold_until(Some(left), left + 3 * GATHER_FOR, 1), None);
        // Calls right behind a pipeline wait until GATHER_FOR after it...
        assert_eq!(hold_until(Some(left), soon, 1), Some(left + GATHER_FOR));
        assert_eq!(
            hold_until(Some(left), soon, FULL - 1),
            Some(left + GATHER_FOR)
        );
        // ...unless they fill a pipeline already.
        assert_eq!(hold_until(Some(left), soon, FULL), None);
    }
}
