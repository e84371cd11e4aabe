//! The budget of a fleet: several bridges in front of one org share its
//! concurrency limit and its rate-limit windows. The client does not know
//! how the fleet shares them; whoever assembles it gives the budget a
//! [`FleetBudget`] that takes and gives back the fleet's in-flight slots
//! (leases that lapse when a bridge dies) and spreads the news of a bucket
//! Okta showed empty, so a 429 seen by one bridge slows all of them.

use okta_api::RateLimit;
use std::future::Future;
use std::pin::Pin;
use tokio::time::Instant;

/// What the fleet says to a call that asks for a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetAnswer {
    /// A slot (give it back with [`FleetBudget::give_back`]); and the
    /// bucket's window as another bridge last saw it empty, if it did.
    Slot {
        id: u64,
        exhausted: Option<RateLimit>,
    },
    /// Every slot of the fleet stayed taken until the deadline.
    Full,
    /// The fleet could not be asked: this bridge's own limits apply alone.
    Alone,
}

/// A fleet's shared budget.
pub trait FleetBudget: Send + Sync + 'static {
    /// Takes one of the fleet's in-flight slots for a call on `bucket`
    /// (its label), waiting at most until `deadline`.
    fn take<'a>(
        &'a self,
        bucket: &'static str,
        deadline: Instant,
    ) -> Pin<Box<dyn Future<Output = FleetAnswer> + Send + 'a>>;

    /// A slot this bridge holds already and may hand to a call at once,
    /// without a round trip (or the allocation of [`FleetBudget::take`]'s
    /// future); `None` when there is none to reuse.
    fn reuse(&self, _deadline: Instant) -> Option<u64> {
        None
    }

    /// Gives a slot back (the call is answered or abandoned).
    fn give_back(&self, id: u64);

    /// Okta answered a call on `bucket` with a 429 showing the window
    /// empty until `rate_limit.reset`.
    fn exhausted(&self, bucket: &'static str, rate_limit: RateLimit);
}

/// A [`FleetBudget`] as the budget holds it.
#[derive(Clone)]
pub(crate) struct FleetHook(pub(crate) std::sync::Arc<dyn FleetBudget>);

impl std::fmt::Debug for FleetHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FleetBudget")
    }
}

/// A slot of the fleet held by one call, given back when dropped.
#[derive(Debug)]
pub(crate) struct FleetSlot {
    pub(crate) hook: FleetHook,
    pub(crate) id: u64,
}

impl Drop for FleetSlot {
    fn drop(&mut self) {
        self.hook.0.give_back(self.id);
    }
}
