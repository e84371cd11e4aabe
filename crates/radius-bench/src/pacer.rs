//! When an open-loop generator starts its next unit of work.
//!
//! Arrivals are a Poisson process, as logins from many independent users
//! are: each socket waits an exponentially distributed gap, whose mean is
//! the socket's share of the rate, and the sockets together offer the whole
//! rate. The waits themselves are kept on a `timerfd`, not on tokio's
//! timer: tokio's has a 1 ms grain, so every socket would wake at the same
//! millisecond tick and the server would see the load as bursts (about five
//! logins at once every millisecond at 5,000/s), which measures its queue,
//! not its latency.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;
use tokio::time::Instant;

/// The gaps between one socket's arrivals.
pub(crate) struct Arrivals {
    mean: Duration,
}

impl Arrivals {
    /// Arrivals at `rate` per second on average.
    pub(crate) fn at_rate(rate: f64) -> Arrivals {
        Arrivals {
            mean: Duration::from_secs_f64(1.0 / rate),
        }
    }

    /// The wait before the next arrival: exponential, of the mean gap.
    pub(crate) fn next_gap(&self) -> Duration {
        // 1 - U is in (0, 1]: its logarithm is finite.
        let uniform: f64 = 1.0 - rand::random::<f64>();
        self.mean.mul_f64(-uniform.ln())
    }
}

/// A timer with the kernel's high-resolution grain, awaited in tokio.
pub(crate) struct Pacer {
    timer: AsyncFd<Timer>,
    /// When the timer is set to fire, if it is set: a wait for the same
    /// time (the loop woke for a reply) does not set it again.
    armed: Option<Instant>,
}

struct Timer(TimerFd);

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Pacer {
    pub(crate) fn new() -> io::Result<Pacer> {
        let timer = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        // SAFETY: `Timer` owns the descriptor (an `OwnedFd` inside the
        // `TimerFd`) and gives the same one for as long as it lives, which
        // is as long as the `AsyncFd` that owns it: the descriptor stays
        // open and the same while registered.
        let timer = unsafe { AsyncFd::register(Timer(timer)) }.map_err(io::Error::from)?;
        Ok(Pacer { timer, armed: None })
    }

    /// Returns at `at` (within the kernel's timer slack, tens of
    /// microseconds), or at once when it has passed.
    pub(crate) async fn sleep_until(&mut self, at: Instant) -> io::Result<()> {
        let now = Instant::now();
        if at <= now {
            return Ok(());
        }
        if self.armed != Some(at) {
            // Arming the timer forgets an expiry left from an earlier wait
            // that ended another way.
            self.timer.get_ref().0.set(
                Expiration::OneShot(TimeSpec::from_duration(at - now)),
                TimerSetTimeFlags::empty(),
            )?;
            self.armed = Some(at);
        }
        loop {
            let mut ready = self.timer.readable().await?;
            // Reading the expiry count succeeds once the timer has fired;
            // before that it would block, and the readiness is cleared.
            match ready.try_io(|timer| timer.get_ref().0.wait().map_err(io::Error::from)) {
                Ok(result) => {
                    self.armed = None;
                    return result;
                }
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_average_the_rate_and_vary() {
        let arrivals = Arrivals::at_rate(1000.0);
        let gaps: Vec<Duration> = (0..20_000).map(|_| arrivals.next_gap()).collect();
        let mean = gaps.iter().sum::<Duration>() / gaps.len() as u32;
        assert!(
            (Duration::from_micros(950)..Duration::from_micros(1050)).contains(&mean),
            "{mean:?}"
        );
        // Exponential: about 37% of gaps are longer than the mean.
        let longer = gaps
            .iter()
            .filter(|gap| **gap > Duration::from_millis(1))
            .count();
        assert!((6_800..8_000).contains(&longer), "{longer}");
    }

    #[tokio::test]
    async fn a_wait_ends_no_sooner_than_its_time() {
        let mut pacer = Pacer::new().expect("timerfd");
        for wait in [150, 400, 1_300] {
            let start = Instant::now();
            pacer
                .sleep_until(start + Duration::from_micros(wait))
                .await
                .expect("waited");
            assert!(start.elapsed() >= Duration::from_micros(wait));
        }
        // A time already past returns at once.
        pacer
            .sleep_until(Instant::now() - Duration::from_millis(1))
            .await
            .expect("at once");
    }
}
