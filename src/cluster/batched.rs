//! Commands that many requests send at about the same time, sent to Redis
//! together: each request adds its commands to the pipeline being
//! gathered and waits for its own replies, and one task sends the
//! pipeline after letting the requests that are ready to run add theirs.
//! While a pipeline is out, the next commands gather behind it. A busy
//! replica so pays one write, one read and one timer for the claims of
//! several logins instead of one each.
//!
//! A pipeline that Redis does not answer within the operation timeout
//! gives each of its callers `None` (the caller falls back, as for any
//! operation); a call gathered behind a pipeline Redis is slow to answer
//! can wait up to twice that timeout. The pipeline needs no bound of its
//! own: every call in it is a request waiting for its replies, and the
//! server bounds those (`max_in_flight`).

use super::operations::Operations;
use redis::{Cmd, Pipeline, Value};
use smallvec::SmallVec;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use tokio::sync::{Notify, oneshot};

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

    fn take(&self) -> Gathered {
        std::mem::take(&mut *self.gathered.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Sends the gathered commands, a pipeline at a time, while the fleet
/// exists.
async fn send(batched: Arc<Batched>, operations: Weak<Operations>, op: &'static str) {
    loop {
        batched.queued.notified().await;
        // The requests ready to run now add their commands first.
        tokio::task::yield_now().await;
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
