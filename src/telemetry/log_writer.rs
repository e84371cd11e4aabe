//! Log lines leave the process from a thread of their own, so that a slow
//! log destination never holds up a RADIUS reply. A `write(2)` to standard
//! error blocks whenever the destination does: a file whose dirty pages the
//! kernel is throttling (several milliseconds per line), a journald that is
//! behind, a full pipe. Written from the request path, every login waiting
//! on that worker waits too.
//!
//! Events are appended to a bounded buffer in memory; the writer thread
//! takes the whole buffer at once and writes it with one call, at most
//! [`LINGER`] after the first line of a burst. When the destination stops
//! taking lines and the buffer reaches [`MAX_PENDING`] bytes, further lines
//! are dropped, counted in `okta_radius_log_lines_dropped_total`, and
//! reported by one warning once lines flow again: a stuck log destination
//! costs log lines, never logins.

use super::metrics::LOG_LINES_DROPPED;
use metrics::counter;
use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

/// How long the writer waits after a burst's first line for more lines to
/// write with it.
const LINGER: Duration = Duration::from_millis(5);

/// Pending bytes at which the writer is woken before its linger is over.
const HIGH_WATER: usize = 1 << 20;

/// Pending bytes past which lines are dropped (about 35,000 audit lines).
const MAX_PENDING: usize = 16 << 20;

/// What the writer keeps of its largest batch once written.
const KEPT_CAPACITY: usize = 256 << 10;

/// The lines waiting for the writer thread.
#[derive(Default)]
struct Pending {
    /// Whole lines, in the order their events were written.
    bytes: Vec<u8>,
    /// Lines dropped since the last warning about them.
    dropped: u64,
    /// Bytes appended since the start, and bytes written: a flush waits
    /// for the second to reach the first.
    appended: u64,
    written: u64,
    /// The writer waits for a first line (rather than lingering).
    idle: bool,
}

/// The buffer shared by the events' writers and the writer thread.
struct Shared {
    pending: Mutex<Pending>,
    /// Wakes the writer: a first line after a quiet spell, the high-water
    /// mark, a flush.
    wake: Condvar,
    /// Wakes flushes when a batch has been written.
    written: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

static SHARED: OnceLock<&'static Shared> = OnceLock::new();

/// Starts the writer thread (once per process). Until it runs, and if it
/// cannot be started, events are written directly.
pub fn start() {
    if SHARED.get().is_some() {
        return;
    }
    let shared: &'static Shared = Box::leak(Box::new(Shared {
        pending: Mutex::new(Pending::default()),
        wake: Condvar::new(),
        written: Condvar::new(),
    }));
    let spawned = std::thread::Builder::new()
        .name("log-writer".to_owned())
        .spawn(move || write_lines(shared, &mut std::io::stderr(), report_dropped));
    if spawned.is_ok() && SHARED.set(shared).is_ok() {
        // A panic's message goes straight to standard error: the lines
        // before it should be there first.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |panic| {
            flush(Duration::from_secs(1));
            previous(panic);
        }));
    }
}

/// Counts lines the destination did not take, and says so in the log.
fn report_dropped(dropped: u64) {
    counter!(LOG_LINES_DROPPED).increment(dropped);
    tracing::warn!(
        dropped,
        "log lines were dropped: the log destination did not take them fast enough"
    );
}

/// The writer thread: takes every pending line and writes them at once.
fn write_lines(shared: &'static Shared, out: &mut impl Write, report: fn(u64)) {
    let mut batch = Vec::new();
    loop {
        let dropped = {
            let mut pending = shared.lock();
            while pending.bytes.is_empty() {
                pending.idle = true;
                pending = shared
                    .wake
                    .wait(pending)
                    .unwrap_or_else(PoisonError::into_inner);
                pending.idle = false;
                // A burst has started: let more of it arrive.
                pending = shared
                    .wake
                    .wait_timeout_while(pending, LINGER, |p| p.bytes.len() < HIGH_WATER)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            std::mem::swap(&mut pending.bytes, &mut batch);
            std::mem::take(&mut pending.dropped)
        };
        // The destination's errors (a closed pipe) cannot be logged; the
        // lines are lost either way.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        let done = batch.len() as u64;
        batch.clear();
        batch.shrink_to(KEPT_CAPACITY);
        {
            let mut pending = shared.lock();
            pending.written += done;
        }
        shared.written.notify_all();
        if dropped > 0 {
            report(dropped);
        }
    }
}

/// Appends one event's line; returns false when it was dropped.
fn append(shared: &Shared, line: &[u8]) -> bool {
    let mut pending = shared.lock();
    if pending.bytes.len() + line.len() > MAX_PENDING {
        pending.dropped += 1;
        return false;
    }
    pending.bytes.extend_from_slice(line);
    pending.appended += line.len() as u64;
    let wake = pending.idle || pending.bytes.len() >= HIGH_WATER;
    pending.idle = false;
    drop(pending);
    if wake {
        shared.wake.notify_one();
    }
    true
}

/// Waits until every line appended so far is written, for at most
/// `deadline` (the destination may be stuck). Called before the process
/// exits.
pub fn flush(deadline: Duration) {
    let Some(shared) = SHARED.get() else {
        return;
    };
    let pending = shared.lock();
    let target = pending.appended;
    shared.wake.notify_one();
    let _written = shared
        .written
        .wait_timeout_while(pending, deadline, |p| p.written < target)
        .unwrap_or_else(PoisonError::into_inner);
}

/// The `tracing` writer of one event: the whole line goes to the buffer.
pub struct LineWriter;

impl Write for LineWriter {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        match SHARED.get() {
            Some(shared) => {
                append(shared, line);
                Ok(line.len())
            }
            None => std::io::stderr().write(line),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The `MakeWriter` given to the subscriber.
pub fn make_writer() -> LineWriter {
    LineWriter
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    /// A destination that holds every write until released.
    #[derive(Clone, Default)]
    struct Gate {
        open: Arc<(Mutex<bool>, Condvar)>,
        lines: Arc<Mutex<Vec<u8>>>,
        writes: Arc<Mutex<usize>>,
    }

    impl Write for Gate {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let (open, opened) = &*self.open;
            let mut open = open.lock().unwrap_or_else(PoisonError::into_inner);
            while !*open {
                open = opened.wait(open).unwrap_or_else(PoisonError::into_inner);
            }
            *self.writes.lock().unwrap_or_else(PoisonError::into_inner) += 1;
            self.lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Gate {
        fn release(&self) {
            *self.open.0.lock().unwrap_or_else(PoisonError::into_inner) = true;
            self.open.1.notify_all();
        }
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.lines.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned()
        }
    }

    /// Lines reported dropped by the writer threads of these tests.
    static REPORTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    fn record(dropped: u64) {
        REPORTED.fetch_add(dropped, std::sync::atomic::Ordering::SeqCst);
    }

    fn started(gate: &Gate) -> &'static Shared {
        let shared: &'static Shared = Box::leak(Box::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            written: Condvar::new(),
        }));
        let mut out = gate.clone();
        std::thread::spawn(move || write_lines(shared, &mut out, record));
        shared
    }

    fn wait_written(shared: &Shared, bytes: u64) {
        let until = Instant::now() + Duration::from_secs(10);
        while shared.lock().written < bytes {
            assert!(Instant::now() < until, "the lines were never written");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_stuck_destination_holds_up_no_caller_and_its_overflow_is_reported() {
        let gate = Gate::default();
        let shared = started(&gate);
        let line = [vec![b'x'; 1023].as_slice(), b"\n"].concat();
        // The destination takes nothing, yet appending goes on (a caller
        // that waited on it would hang here): past the bound, lines are
        // dropped rather than queued.
        let mut kept = 0u64;
        for _ in 0..4 * (MAX_PENDING / line.len()) {
            if append(shared, &line) {
                kept += 1;
            }
            if shared.lock().dropped >= 100 {
                break;
            }
        }
        assert_eq!(shared.lock().dropped, 100);
        assert!(kept * line.len() as u64 >= MAX_PENDING as u64 - line.len() as u64);
        // Released, it writes every kept line, then reports the dropped.
        let before = REPORTED.load(std::sync::atomic::Ordering::SeqCst);
        gate.release();
        wait_written(shared, kept * line.len() as u64);
        assert_eq!(gate.text().len() as u64, kept * line.len() as u64);
        let until = Instant::now() + Duration::from_secs(10);
        while REPORTED.load(std::sync::atomic::Ordering::SeqCst) < before + 100 {
            assert!(
                Instant::now() < until,
                "the dropped lines were not reported"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn lines_that_wait_for_a_slow_destination_leave_together_and_in_order() {
        // The destination holds the first write until the 1,000 lines are
        // in: however many the writer took before it, every other line
        // leaves in one more write.
        let gate = Gate::default();
        let shared = started(&gate);
        let mut total = 0u64;
        for n in 0..1000 {
            let line = format!("line {n}\n");
            assert!(append(shared, line.as_bytes()));
            total += line.len() as u64;
        }
        gate.release();
        wait_written(shared, total);
        let expected: String = (0..1000).map(|n| format!("line {n}\n")).collect();
        assert_eq!(gate.text(), expected);
        let writes = *gate.writes.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(writes <= 2, "{writes} writes for 1,000 lines");
    }
}
