//! One Redis operation of the fleet, run within `cluster.op_timeout_ms`:
//! the connection it goes out on, and what Redis's answer (or silence)
//! means for `/health` and the fallback counts. Everything a replica asks
//! of Redis goes through here, whether one request waits for it or a task
//! sends many requests' calls together.

use super::link::Link;
use super::reach::Reach;
use redis::RedisResult;
use redis::aio::ConnectionManager;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The connection, its reachability and the operations' timeout.
pub(super) struct Operations {
    pub(super) link: Arc<Link>,
    pub(super) reach: Reach,
    pub(super) op_timeout: Duration,
}

impl Operations {
    /// Runs one operation within the timeout; `None` (counted under `op`)
    /// when Redis did not answer in time or failed.
    pub(super) async fn run<T, F, Fut>(&self, op: &'static str, operation: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        if !self.reach.worth_asking() {
            self.reach.did_not_ask(op);
            return None;
        }
        let Some(connection) = self.link.connection() else {
            self.reach
                .fell_back(op, "no connection to the Redis master yet");
            return None;
        };
        let error = match tokio::time::timeout(self.op_timeout, operation(connection)).await {
            Ok(Ok(value)) => {
                self.reach.answered();
                return Some(value);
            }
            Ok(Err(error)) => {
                self.link.failed();
                Some(error)
            }
            // No answer in time.
            Err(_) => None,
        };
        let why = error.as_ref().map_or_else(
            || "no answer within cluster.op_timeout_ms".to_owned(),
            ToString::to_string,
        );
        self.reach.failed(&why, error.as_ref());
        self.reach.count_fallback(op, &why);
        None
    }
}
