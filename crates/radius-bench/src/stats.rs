//! The benchmark sim's call counters, published as JSON at `/stats`: every
//! call the org received, and per flow the primary authentications, factor
//! verifies and pushes its benchmark users caused. `okta-radius sim` writes
//! them; `okta-radius bench --okta-stats` reads them before and after a run
//! and reports the difference.

use super::users::{self, Flow};
use okta_sim::SimHandle;
use serde_json::json;

/// The org's call counters: every call, and per flow the calls its
/// benchmark users caused.
pub(crate) fn counters(org: &SimHandle, per_flow: u32) -> serde_json::Value {
    let records = org.records();
    let total = records.total_calls();
    let mut flows = serde_json::Map::new();
    for flow in Flow::ALL {
        let (mut authn, mut verifies, mut pushes) = (0, 0, 0);
        for index in 0..per_flow {
            let login = users::login(flow, index);
            authn += records.authn_calls(&login);
            verifies += records.factor_verifies(&login);
            pushes += records.pushes_sent(&login);
        }
        flows.insert(
            flow.name().to_owned(),
            json!({"authn_calls": authn, "factor_verifies": verifies, "pushes_sent": pushes}),
        );
    }
    json!({"total_calls": total, "flows": flows})
}

/// One reading of the benchmark sim's `/stats`.
pub(crate) async fn fetch(url: &str) -> anyhow::Result<serde_json::Value> {
    Ok(reqwest::get(url).await?.error_for_status()?.json().await?)
}

/// The calls made between two `/stats` readings, and per completed unit.
pub(crate) fn delta(
    before: &serde_json::Value,
    after: &serde_json::Value,
    completed: u64,
) -> serde_json::Value {
    let number = |value: &serde_json::Value, path: &[&str]| -> i64 {
        path.iter()
            .try_fold(value, |v, key| v.get(key))
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0)
    };
    let total = number(after, &["total_calls"]) - number(before, &["total_calls"]);
    let mut flows = serde_json::Map::new();
    for flow in Flow::ALL {
        let mut counters = serde_json::Map::new();
        for key in ["authn_calls", "factor_verifies", "pushes_sent"] {
            let path = ["flows", flow.name(), key];
            counters.insert(
                key.to_owned(),
                (number(after, &path) - number(before, &path)).into(),
            );
        }
        flows.insert(flow.name().to_owned(), counters.into());
    }
    let per_unit = if completed > 0 {
        total as f64 / completed as f64
    } else {
        0.0
    };
    serde_json::json!({
        "total_calls": total,
        "calls_per_completed": per_unit,
        "flows": flows,
    })
}
