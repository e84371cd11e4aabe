//! Metric handles kept instead of looked up on every update. `counter!`
//! and its kin find their series in the recorder's registry each time they
//! run, hashing the labels and copying them; a login updates about ten
//! series, which made the registry one of the busiest allocators on the
//! request path. A series whose labels are all fixed strings is looked up
//! here once and its handle reused.
//!
//! A handle taken before the exporter is installed updates nothing, so
//! this is for series updated after start-up (the service installs the
//! exporter before it opens a port).

use dashmap::DashMap;
use metrics::{Counter, Gauge, Histogram, Label};
use std::sync::LazyLock;

/// At most this many labels per kept series.
const MAX_LABELS: usize = 3;

/// A series: its name and up to [`MAX_LABELS`] label pairs, unused ones
/// empty.
type SeriesKey = (&'static str, [(&'static str, &'static str); MAX_LABELS]);

static COUNTERS: LazyLock<DashMap<SeriesKey, Counter>> = LazyLock::new(DashMap::new);
static GAUGES: LazyLock<DashMap<SeriesKey, Gauge>> = LazyLock::new(DashMap::new);
static HISTOGRAMS: LazyLock<DashMap<SeriesKey, Histogram>> = LazyLock::new(DashMap::new);

fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> SeriesKey {
    let mut pairs = [("", ""); MAX_LABELS];
    for (slot, pair) in pairs.iter_mut().zip(labels) {
        *slot = *pair;
    }
    debug_assert!(labels.len() <= MAX_LABELS, "{name}: too many labels");
    (name, pairs)
}

fn labels(pairs: &[(&'static str, &'static str)]) -> Vec<Label> {
    pairs
        .iter()
        .map(|(name, value)| Label::from_static_parts(name, value))
        .collect()
}

/// Adds `by` to the counter `name` with `pairs` as its labels.
pub fn count(name: &'static str, pairs: &[(&'static str, &'static str)], by: u64) {
    let key = key(name, pairs);
    if let Some(counter) = COUNTERS.get(&key) {
        counter.increment(by);
        return;
    }
    let counter = metrics::counter!(name, labels(pairs));
    counter.increment(by);
    COUNTERS.insert(key, counter);
}

/// The gauge `name` with `pairs` as its labels.
pub fn gauge(name: &'static str, pairs: &[(&'static str, &'static str)]) -> Gauge {
    GAUGES
        .entry(key(name, pairs))
        .or_insert_with(|| metrics::gauge!(name, labels(pairs)))
        .clone()
}

/// Records `value` in the histogram `name` with `pairs` as its labels.
pub fn record(name: &'static str, pairs: &[(&'static str, &'static str)], value: f64) {
    let key = key(name, pairs);
    if let Some(histogram) = HISTOGRAMS.get(&key) {
        histogram.record(value);
        return;
    }
    let histogram = metrics::histogram!(name, labels(pairs));
    histogram.record(value);
    HISTOGRAMS.insert(key, histogram);
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_exporter_prometheus::PrometheusBuilder;

    #[test]
    fn a_kept_series_counts_under_its_own_labels() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            count("kept_test_total", &[("kind", "a")], 2);
            count("kept_test_total", &[("kind", "a")], 3);
            count("kept_test_total", &[("kind", "b")], 1);
            gauge("kept_test_gauge", &[]).set(7.0);
        });
        let text = handle.render();
        assert!(text.contains("kept_test_total{kind=\"a\"} 5"), "{text}");
        assert!(text.contains("kept_test_total{kind=\"b\"} 1"), "{text}");
        assert!(text.contains("kept_test_gauge 7"), "{text}");
    }
}
