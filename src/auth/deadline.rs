//! Okta calls made for a RADIUS request, bounded by the time the request
//! may take.
//!
//! Each call runs in its own allocation, freed when the call returns. A
//! login's future otherwise carries, at every step, room for the largest
//! call any of its branches could make; thousands of logins held open for a
//! push would each pay for calls they are not making.

use std::future::Future;
use std::pin::Pin;
use tokio::time::{Instant, Timeout};

/// Runs `call` until it finishes or `until` passes (an `Elapsed` error).
///
/// Not an `async fn`: that would keep `call` unboxed inside its own future.
pub fn within<F: Future>(until: Instant, call: F) -> Timeout<Pin<Box<F>>> {
    tokio::time::timeout_at(until, Box::pin(call))
}
