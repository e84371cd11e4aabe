//! Standard error for a server's log, written in batches.
//!
//! A server writes an audit line for every decision. Written one `write`
//! call each, the lines cost a system call per login on the request's own
//! path (about a tenth of a password login's CPU against a fast Okta). Here
//! a line is appended to a buffer in memory, and a thread of its own writes
//! what gathered at most [`GATHER`] after the first line of a batch, in one
//! call: the lines reach journald or the file a few milliseconds later, in
//! the order they were made.
//!
//! Nothing is dropped. Past [`MOST_HELD`] bytes (standard error blocked: a
//! full pipe, a stalled journald), the line that finds the buffer full
//! writes the batch itself and waits for it, as an unbuffered write would.
//! [`flush`] writes what is held before the process ends, and a panic writes
//! it before its own message.

use std::io::Write as _;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer waits after the first line of a batch for others.
pub const GATHER: Duration = Duration::from_millis(2);

/// The most held in memory before a line waits for the write.
pub const MOST_HELD: usize = 4 * 1024 * 1024;

/// The most room a batch's buffer keeps for the next one.
const KEPT_CAPACITY: usize = 256 * 1024;

/// The process's batched standard error, once a server installed it.
static SINK: OnceLock<LogSink> = OnceLock::new();

/// The batched standard error (cheap to clone; every clone is the same).
#[derive(Clone)]
pub struct LogSink {
    shared: Arc<Shared>,
}

struct Shared {
    held: Mutex<Held>,
    /// Told when the first line of a batch arrives.
    arrived: Condvar,
    /// Held while a batch is written: batches reach standard error one
    /// whole batch at a time, in order.
    output: Mutex<()>,
}

#[derive(Default)]
struct Held {
    lines: Vec<u8>,
    /// The last batch's buffer, emptied, to gather the next one in.
    spare: Vec<u8>,
    /// The writer thread waits for a first line.
    writer_idle: bool,
    /// No writer thread could start: each line is written as it comes.
    unbatched: bool,
}

impl LogSink {
    /// The process's sink, its writer thread started at the first call.
    pub fn process() -> LogSink {
        SINK.get_or_init(|| {
            let sink = LogSink {
                shared: Arc::new(Shared {
                    held: Mutex::new(Held::default()),
                    arrived: Condvar::new(),
                    output: Mutex::new(()),
                }),
            };
            let writer = sink.clone();
            let started = std::thread::Builder::new()
                .name("log-writer".into())
                .spawn(move || writer.write_batches());
            if started.is_err() {
                // No thread: every line is written at once by its maker.
                sink.lock_held().unbatched = true;
            }
            std::panic::set_hook({
                let previous = std::panic::take_hook();
                Box::new(move |info| {
                    flush();
                    previous(info);
                })
            });
            sink
        })
        .clone()
    }

    fn lock_held(&self) -> MutexGuard<'_, Held> {
        // A poisoned lock held a buffer of bytes: still a buffer.
        self.shared
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds one formatted line (or lines) to the batch.
    fn append(&self, line: &[u8]) {
        let mut held = self.lock_held();
        held.lines.extend_from_slice(line);
        if held.writer_idle {
            held.writer_idle = false;
            self.shared.arrived.notify_one();
        }
        let full = held.unbatched || held.lines.len() >= MOST_HELD;
        drop(held);
        if full {
            self.write_held();
        }
    }

    /// Writes what is held now, in one call, after any batch being written.
    fn write_held(&self) {
        let _output = self
            .shared
            .output
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut batch = {
            let mut held = self.lock_held();
            let spare = std::mem::take(&mut held.spare);
            std::mem::replace(&mut held.lines, spare)
        };
        if batch.is_empty() {
            return;
        }
        // Standard error gone: nowhere is left to say so.
        let _ = std::io::stderr().lock().write_all(&batch);
        batch.clear();
        batch.shrink_to(KEPT_CAPACITY);
        self.lock_held().spare = batch;
    }

    /// The writer thread: waits for a first line, lets others gather for
    /// [`GATHER`], writes them all.
    fn write_batches(&self) {
        loop {
            let mut held = self.lock_held();
            while held.lines.is_empty() {
                held.writer_idle = true;
                held = self
                    .shared
                    .arrived
                    .wait(held)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            held.writer_idle = false;
            drop(held);
            std::thread::sleep(GATHER);
            self.write_held();
        }
    }
}

/// Writes every line held so far; call before the process ends.
pub fn flush() {
    if let Some(sink) = SINK.get() {
        sink.write_held();
    }
}

/// One event's writer: its line goes to the batch.
pub struct LineWriter<'a> {
    sink: &'a LogSink,
}

impl std::io::Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.sink.append(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        LineWriter { sink: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_held_until_written_in_one_batch_in_order() {
        let sink = LogSink {
            shared: Arc::new(Shared {
                held: Mutex::new(Held::default()),
                arrived: Condvar::new(),
                output: Mutex::new(()),
            }),
        };
        let mut writer = sink.make_writer();
        writer.write_all(b"first\n").expect("held");
        writer.write_all(b"second\n").expect("held");
        assert_eq!(sink.lock_held().lines, b"first\nsecond\n");
        sink.write_held();
        assert!(sink.lock_held().lines.is_empty());
    }
}
