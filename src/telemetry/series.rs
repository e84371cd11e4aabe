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
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::LazyLock;

/// At most this many labels per kept series.
const MAX_LABELS: usize = 3;

/// A fixed string known by its address. Comparing and hashing the text of
/// every label on each update cost more than the look-up it replaced; the
/// literals a call site passes keep their address, so the address is the
/// key. Two call sites with the same text may get two entries: both hold
/// a handle to the same series, which the recorder names by its text.
#[derive(Clone, Copy, Debug)]
pub struct Fixed(pub &'static str);

impl PartialEq for Fixed {
    fn eq(&self, other: &Fixed) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Fixed {}

impl Hash for Fixed {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.as_ptr() as usize);
        state.write_usize(self.0.len());
    }
}

/// Hashes the words of a [`Fixed`] key by multiplying and rotating (the
/// keys are addresses the process chose, nothing a peer controls, so no
/// keyed hash is needed).
#[derive(Default)]
pub struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.write_u64(u64::from(*byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by [`Fixed`] strings.
pub type FixedMap<K, V> = DashMap<K, V, BuildHasherDefault<AddressHasher>>;

/// A series: its name and up to [`MAX_LABELS`] label pairs, unused ones
/// empty.
type SeriesKey = (Fixed, [(Fixed, Fixed); MAX_LABELS]);

static COUNTERS: LazyLock<FixedMap<SeriesKey, Counter>> = LazyLock::new(FixedMap::default);
static GAUGES: LazyLock<FixedMap<SeriesKey, Gauge>> = LazyLock::new(FixedMap::default);
static HISTOGRAMS: LazyLock<FixedMap<SeriesKey, Histogram>> = LazyLock::new(FixedMap::default);

fn key(name: &'static str, labels: &[(&'static str, &'static str)]) -> SeriesKey {
    let mut pairs = [(Fixed(""), Fixed("")); MAX_LABELS];
    for (slot, (label, value)) in pairs.iter_mut().zip(labels) {
        *slot = (Fixed(label), Fixed(value));
    }
    debug_assert!(labels.len() <= MAX_LABELS, "{name}: too many labels");
    (Fixed(name), pairs)
}

fn labels(pairs: &[(&'static str, &'static str)]) -> Vec<Label> {
    pairs
        .iter()
        .map(|(name, value)| Label::from_static_parts(name, value))
        .collect()
}

/// The handle of the series `name` with `pairs` as its labels in `kept`,
/// registered by `register` the first time.
fn kept<H: Clone>(
    kept: &FixedMap<SeriesKey, H>,
    name: &'static str,
    pairs: &[(&'static str, &'static str)],
    register: impl FnOnce(Vec<Label>) -> H,
) -> H {
    let key = key(name, pairs);
    if let Some(handle) = kept.get(&key) {
        return handle.clone();
    }
    kept.entry(key)
        .or_insert_with(|| register(labels(pairs)))
        .clone()
}

/// Adds `by` to the counter `name` with `pairs` as its labels.
pub fn count(name: &'static str, pairs: &[(&'static str, &'static str)], by: u64) {
    kept(&COUNTERS, name, pairs, |labels| {
        metrics::counter!(name, labels)
    })
    .increment(by);
}

/// The gauge `name` with `pairs` as its labels.
pub fn gauge(name: &'static str, pairs: &[(&'static str, &'static str)]) -> Gauge {
    kept(&GAUGES, name, pairs, |labels| metrics::gauge!(name, labels))
}

/// Records `value` in the histogram `name` with `pairs` as its labels.
pub fn record(name: &'static str, pairs: &[(&'static str, &'static str)], value: f64) {
    kept(&HISTOGRAMS, name, pairs, |labels| {
        metrics::histogram!(name, labels)
    })
    .record(value);
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
