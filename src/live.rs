//! A value the running server reads on every request and a config reload
//! replaces: the client table, the policies. Readers take a snapshot (an
//! `Arc`) and let go of the lock at once, so no lock is ever held across an
//! await and an in-flight login finishes with the settings it started with.

use std::sync::{Arc, RwLock};

/// A swappable shared value.
pub struct Live<T> {
    current: RwLock<Arc<T>>,
}

impl<T> Live<T> {
    pub fn new(value: T) -> Live<T> {
        Live {
            current: RwLock::new(Arc::new(value)),
        }
    }

    /// The current value. A poisoned lock still holds a complete value
    /// (replacing it is a single assignment), so it is read anyway.
    pub fn get(&self) -> Arc<T> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the value for every later reader.
    pub fn set(&self, value: T) {
        let value = Arc::new(value);
        match self.current.write() {
            Ok(mut guard) => *guard = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_outlives_a_replacement() {
        let live = Live::new(String::from("old"));
        let snapshot = live.get();
        live.set(String::from("new"));
        assert_eq!(*snapshot, "old");
        assert_eq!(*live.get(), "new");
    }
}
