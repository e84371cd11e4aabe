//! What a load-generator run measured, and how it is shown: counts of
//! requests, replies by code, timeouts, throughput, latency percentiles
//! (nearest-rank over every completed unit of work), and optional figures
//! read outside the generator (the server socket's kernel drops, the
//! simulated Okta org's call counters). Human-readable text by default,
//! one JSON object with `--json` for scripts.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// Latencies in microseconds, from first send to the final reply.
#[derive(Debug, Default, Clone)]
pub(crate) struct Latencies {
    micros: Vec<u32>,
}

impl Latencies {
    pub fn record(&mut self, elapsed: Duration) {
        self.micros
            .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn merge(&mut self, other: Latencies) {
        self.micros.extend(other.micros);
    }

    /// Sorts once; the summary reads from the sorted samples.
    pub fn summary(mut self) -> LatencySummary {
        self.micros.sort_unstable();
        let ms = |micros: u32| f64::from(micros) / 1000.0;
        let at = |quantile: f64| -> f64 {
            if self.micros.is_empty() {
                return 0.0;
            }
            // Nearest rank: the smallest sample with at least `quantile` of
            // the samples at or below it.
            let rank = (quantile * self.micros.len() as f64).ceil() as usize;
            ms(self.micros[rank.clamp(1, self.micros.len()) - 1])
        };
        let mean = if self.micros.is_empty() {
            0.0
        } else {
            self.micros.iter().map(|&m| f64::from(m)).sum::<f64>()
                / self.micros.len() as f64
                / 1000.0
        };
        LatencySummary {
            samples: self.micros.len(),
            mean_ms: mean,
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            p999_ms: at(0.999),
            max_ms: self.micros.last().copied().map(ms).unwrap_or(0.0),
        }
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct LatencySummary {
    pub samples: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

/// The outcome of one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Report {
    /// What was asked: mode, rate, in flight, sockets, mix.
    pub settings: BTreeMap<&'static str, Value>,
    /// Units of work started (logins or Status-Server probes).
    pub started: u64,
    /// Units of work that ended with a reply.
    pub completed: u64,
    /// Requests sent, first transmissions only (a TOTP login sends two).
    pub requests_sent: u64,
    pub retransmits: u64,
    /// Replies by code name (every reply, challenges included).
    pub replies: BTreeMap<&'static str, u64>,
    /// Final outcomes by work label and code name, e.g. `push` -> `Access-Accept`.
    pub outcomes: BTreeMap<String, u64>,
    /// Units of work that got no final reply in time.
    pub timeouts: u64,
    /// Datagrams that were not an authentic reply to an outstanding request
    /// (late replies after a timeout, wrong authenticator, undecodable).
    pub unmatched_replies: u64,
    /// Starts skipped because all 256 identifiers of a socket were in use.
    pub identifier_exhausted: u64,
    /// From the first send to the last final reply.
    pub elapsed: Duration,
    pub latency: LatencySummary,
    /// Kernel receive-buffer drops on the server's port during the run.
    pub server_socket_drops: Option<u64>,
    /// Okta org call counters during the run (from the benchmark sim).
    pub okta: Option<Value>,
}

impl Report {
    /// Completed units of work per second.
    pub fn throughput(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.completed as f64 / seconds
        } else {
            0.0
        }
    }

    pub fn to_json(&self) -> Value {
        let l = &self.latency;
        json!({
            "settings": self.settings,
            "started": self.started,
            "completed": self.completed,
            "requests_sent": self.requests_sent,
            "retransmits": self.retransmits,
            "replies": self.replies,
            "outcomes": self.outcomes,
            "timeouts": self.timeouts,
            "unmatched_replies": self.unmatched_replies,
            "identifier_exhausted": self.identifier_exhausted,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "throughput_per_s": self.throughput(),
            "latency_ms": {
                "samples": l.samples, "mean": l.mean_ms, "p50": l.p50_ms, "p90": l.p90_ms,
                "p99": l.p99_ms, "p99.9": l.p999_ms, "max": l.max_ms,
            },
            "server_socket_drops": self.server_socket_drops,
            "okta": self.okta,
        })
    }

    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let settings: Vec<String> = self
            .settings
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        let _ = writeln!(out, "settings:   {}", settings.join(" "));
        let _ = writeln!(
            out,
            "work:       {} started, {} completed, {} timed out in {:.2} s",
            self.started,
            self.completed,
            self.timeouts,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "requests:   {} sent, {} retransmitted, {} unmatched replies, {} starts waited for an identifier",
            self.requests_sent, self.retransmits, self.unmatched_replies, self.identifier_exhausted
        );
        let replies: Vec<String> = self
            .replies
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        let _ = writeln!(out, "replies:    {}", replies.join(", "));
        let outcomes: Vec<String> = self
            .outcomes
            .iter()
            .map(|(what, n)| format!("{what} {n}"))
            .collect();
        let _ = writeln!(out, "outcomes:   {}", outcomes.join(", "));
        let _ = writeln!(out, "throughput: {:.0}/s", self.throughput());
        let l = &self.latency;
        let _ = writeln!(
            out,
            "latency:    p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms (mean {:.3} ms)",
            l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, l.mean_ms
        );
        if let Some(drops) = self.server_socket_drops {
            let _ = writeln!(out, "server socket drops (kernel): {drops}");
        }
        if let Some(okta) = &self.okta {
            let _ = writeln!(out, "okta calls: {okta}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut latencies = Latencies::default();
        for ms in 1..=1000u64 {
            latencies.record(Duration::from_millis(ms));
        }
        let summary = latencies.summary();
        assert_eq!(summary.samples, 1000);
        assert_eq!(summary.p50_ms, 500.0);
        assert_eq!(summary.p99_ms, 990.0);
        assert_eq!(summary.p999_ms, 999.0);
        assert_eq!(summary.max_ms, 1000.0);
    }

    #[test]
    fn no_samples_give_zeros() {
        let summary = Latencies::default().summary();
        assert_eq!(summary, LatencySummary::default());
    }
}
