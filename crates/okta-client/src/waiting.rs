//! How long one task waited on Okta: the rate-limit budget's delays and
//! each HTTP exchange, summed in a task-local meter. The server subtracts
//! it from a request's time to tell its own share of the latency from
//! Okta's. Calls made outside a meter are not counted anywhere.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

tokio::task_local! {
    static WAITED: Cell<Duration>;
}

/// Runs `work` with a fresh meter; returns its output and the time it
/// spent waiting on Okta.
pub async fn measured<F: Future>(work: F) -> (F::Output, Duration) {
    WAITED
        .scope(Cell::new(Duration::ZERO), async {
            let output = work.await;
            (output, WAITED.with(Cell::get))
        })
        .await
}

/// Adds `waited` to the meter of the task, if it has one (a wait for a
/// push's outcome counts as Okta's too).
pub fn add(waited: Duration) {
    let _ = WAITED.try_with(|meter| meter.set(meter.get() + waited));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_add_up_inside_a_meter_and_nowhere_outside() {
        add(Duration::from_secs(9));
        let ((), waited) = measured(async {
            add(Duration::from_millis(30));
            add(Duration::from_millis(12));
        })
        .await;
        assert_eq!(waited, Duration::from_millis(42));
    }
}
