//! Counts read ahead with a request's claim: the failed-password counts a
//! new password login is checked against travel to Redis in the same round
//! trip as the claim of the request (`server/fleet_duplicates.rs`), and
//! wait here, in the request task, for the throttle to find them. A login
//! whose counts were not read ahead (a challenge answer, EAP, Redis not
//! answering) asks Redis itself, as before.

use std::future::Future;

/// What to read ahead: `ZCOUNT key since +inf` for each key, found again
/// by `of` (a hash of what the counts are of, as their reader names it:
/// cheaper to make and compare than the keys are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAhead {
    pub of: u64,
    pub keys: Vec<String>,
    pub since: u64,
}

/// Sorted-set counts read ahead, in the order of their keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    of: u64,
    counts: Vec<u64>,
}

tokio::task_local! {
    static READ_AHEAD: Option<Counts>;
}

impl Counts {
    /// The counts read for `of`.
    pub fn new(of: u64, counts: Vec<u64>) -> Counts {
        Counts { of, counts }
    }
}

/// Runs `work` with `counts` (if any) where [`lookup`] finds them. A plain
/// function, not an `async` one: that would hold `work` twice (the future
/// it was given and the one it awaits), in every request's task.
pub fn with<F: Future>(counts: Option<Counts>, work: F) -> impl Future<Output = F::Output> {
    READ_AHEAD.scope(counts, work)
}

/// The counts read ahead for this request, when they are those of `of`.
pub fn lookup(of: u64) -> Option<Vec<u64>> {
    READ_AHEAD
        .try_with(|read| {
            read.as_ref()
                .filter(|read| read.of == of)
                .map(|read| read.counts.clone())
        })
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_are_found_only_for_what_they_are_of_and_within_the_request() {
        assert_eq!(lookup(1), None);
        let found = with(Some(Counts::new(1, vec![2, 5])), async {
            (lookup(1), lookup(2))
        })
        .await;
        assert_eq!(found, (Some(vec![2, 5]), None));
        assert_eq!(lookup(1), None);
    }
}
