//! Calls of one Lua script that many requests make at about the same
//! time, sent to Redis together: each request queues its `EVALSHA` and
//! waits for its own answer, and one task sends what is queued as one
//! pipeline, after letting the requests that are ready to run queue
//! theirs. While a pipeline is out, the next calls gather behind it. A
//! busy replica so pays one write, one read and one timer for the claims
//! of several logins instead of one each.
//!
//! A call that Redis does not answer within the operation timeout gets
//! `None` (the caller falls back, as for any operation); one queued behind
//! a pipeline Redis is slow to answer can wait up to twice that timeout.
//! The queue needs no bound of its own: every call in it is a request
//! waiting for its answer, and the server bounds those (`max_in_flight`).

use super::operations::Operations;
use redis::{Cmd, Script, Value};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use tokio::sync::{Notify, oneshot};

/// Calls of one script, queued.
pub struct Batched {
    script: Script,
    queue: Mutex<Vec<Call>>,
    queued: Notify,
}

/// One queued call and where its answer goes.
struct Call {
    command: Cmd,
    answer: oneshot::Sender<Value>,
}

impl Batched {
    /// Calls of `script`, sent by a task that lives as long as the fleet's
    /// `operations`; falls back under `op`. Call within the runtime.
    pub(super) fn start(
        script: Script,
        operations: Weak<Operations>,
        op: &'static str,
    ) -> Arc<Batched> {
        let batched = Arc::new(Batched {
            script,
            queue: Mutex::new(Vec::new()),
            queued: Notify::new(),
        });
        tokio::spawn(send(batched.clone(), operations, op));
        batched
    }

    /// The script's answer for `key_count` keys and the arguments that
    /// `add` writes after them; `None` when Redis did not answer in time,
    /// failed, or the script failed.
    pub async fn call(&self, key_count: usize, add: impl FnOnce(&mut Cmd)) -> Option<Value> {
        // Sized for the keys (prefix, kind and digest) and a few numbers,
        // so that it is not grown argument by argument.
        let mut command = Cmd::with_capacity(key_count + 8, 64 * (key_count + 2));
        command
            .arg("EVALSHA")
            .arg(self.script.get_hash())
            .arg(key_count);
        add(&mut command);
        let (answer, answered) = oneshot::channel();
        {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.push(Call { command, answer });
            if queue.len() == 1 {
                self.queued.notify_one();
            }
        }
        answered.await.ok()
    }

    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Sends the queued calls, a pipeline at a time, while the fleet exists.
async fn send(batched: Arc<Batched>, operations: Weak<Operations>, op: &'static str) {
    loop {
        batched.queued.notified().await;
        // The requests ready to run now queue their calls first.
        tokio::task::yield_now().await;
        let Some(operations) = operations.upgrade() else {
            return;
        };
        let calls = batched.take();
        if calls.is_empty() {
            continue;
        }
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        let mut answers = Vec::with_capacity(calls.len());
        for call in calls {
            pipe.add_command(call.command);
            answers.push(call.answer);
        }
        let script = &batched.script;
        let replies = operations
            .run(op, |mut connection| async move {
                let mut replies: Vec<Value> = pipe.query_async(&mut connection).await?;
                // Redis restarted, or another fleet flushed its scripts:
                // load it and send the pipeline again (a script that was
                // not loaded did not run).
                if replies.iter().any(no_script) {
                    script.load_async(&mut connection).await?;
                    replies = pipe.query_async(&mut connection).await?;
                }
                Ok(replies)
            })
            .await;
        let Some(replies) = replies else {
            // Dropped senders: every caller gets `None`.
            continue;
        };
        for (answer, reply) in answers.into_iter().zip(replies) {
            if let Value::ServerError(error) = &reply {
                // The caller goes on alone, as when Redis does not answer.
                operations.reach.fell_back(op, &error.to_string());
                continue;
            }
            // The caller may have stopped waiting.
            let _ = answer.send(reply);
        }
    }
}

/// Whether Redis did not know the script.
fn no_script(reply: &Value) -> bool {
    matches!(reply, Value::ServerError(error) if error.code() == "NOSCRIPT")
}
