//! Counts read ahead with a request's claim: the failed-password counts a
//! new password login is checked against travel to Redis in the same round
//! trip as the claim of the request (`server/fleet_duplicates.rs`), and
//! wait here, in the request task, for the throttle to find them. A login
//! whose counts were not read ahead (a challenge answer, EAP, Redis not
//! answering) asks Redis itself, as before.

use std::future::Future;

/// What to read ahead: `ZCOUNT key since +inf` for each key, found again
/// by `of` (what the counts are of, as their reader names it: cheaper to
/// compare than the keys are to make).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAhead {
    pub of: String,
    pub keys: Vec<String>,
    pub since: u64,
}

/// Sorted-set counts read ahead, in the order of their keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    of: String,
    counts: Vec<u64>,
}

tokio::task_local! {
    static READ_AHEAD: Counts;
}

impl Counts {
    /// The counts read for `of`.
    pub fn new(of: String, counts: Vec<u64>) -> Counts {
        Counts { of, counts }
    }
}

/// Runs `work` with `counts` (if any) where [`lookup`] finds them.
pub async fn with<F: Future>(counts: Option<Counts>, work: F) -> F::Output {
    match counts {
        Some(counts) => READ_AHEAD.scope(counts, work).await,
        None => work.await,
    }
}

/// The counts read ahead for this request, when they are those of `of`.
pub fn lookup(of: &str) -> Option<Vec<u64>> {
    READ_AHEAD
        .try_with(|read| (read.of == of).then(|| read.counts.clone()))
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_are_found_only_for_what_they_are_of_and_within_the_request() {
        assert_eq!(lookup("alice"), None);
        let found = with(Some(Counts::new("alice".into(), vec![2, 5])), async {
            (lookup("alice"), lookup("bob"))
        })
        .await;
        assert_eq!(found, (Some(vec![2, 5]), None));
        assert_eq!(lookup("alice"), None);
    }
}
