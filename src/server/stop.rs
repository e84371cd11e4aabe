//! Ending the requests in flight at once, when the operator will not wait
//! for the drain (a second SIGTERM or Ctrl-C).
//!
//! A request learns of the order through a watch channel it selects on
//! beside its Okta work: nothing is checked or locked on the normal path,
//! and the request then answers as for an Okta outage.

use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::watch;

/// The order to end the requests in flight now, and how many it ended.
pub(super) struct StopNow {
    pub(super) order: watch::Sender<bool>,
    pub(super) ended: AtomicUsize,
}

impl StopNow {
    pub(super) fn new() -> StopNow {
        StopNow {
            order: watch::Sender::new(false),
            ended: AtomicUsize::new(0),
        }
    }

    /// Completes once the order is given (never, until then).
    pub(super) async fn given(&self) {
        let mut order = self.order.subscribe();
        if order.wait_for(|now| *now).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Counts a request the order ended before it had its answer.
    pub(super) fn note_ended(&self) {
        self.ended.fetch_add(1, Ordering::Relaxed);
    }
}
