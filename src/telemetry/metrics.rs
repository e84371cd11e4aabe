//! Metric names, and the HTTP listener that serves `/metrics` (Prometheus
//! text format) and `/health` (for load balancers).
//!
//! Names follow Prometheus conventions: `_total` for counters, base units
//! (seconds) for durations, labels with small fixed value sets.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::{counter, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Packets received on a RADIUS port, by `transport` (udp, tls, tcp).
pub const PACKETS_RECEIVED: &str = "radius_packets_received_total";
/// Datagrams dropped without an answer, by `reason`.
pub const DROPS: &str = "radius_drops_total";
/// Access-Requests decided, by `client`, `outcome` (accept, reject,
/// challenge, silence) and `transport`.
pub const REQUESTS: &str = "radius_requests_total";
/// Replies sent, by `code` and `transport`.
pub const REPLIES: &str = "radius_replies_total";
/// Retransmits absorbed by the duplicate cache, by `kind` (resent,
/// in_progress; in a fleet also fleet, answered with another replica's
/// decision, and fleet_unanswered, still undecided there in time).
pub const DUPLICATES: &str = "radius_duplicates_total";
/// Access-Requests being worked on.
pub const IN_FLIGHT: &str = "radius_requests_in_flight";
/// `server.max_in_flight`: past it new requests are dropped as `overload`.
/// Each push held in `push_mode = "wait"` keeps one of these.
pub const IN_FLIGHT_LIMIT: &str = "radius_requests_in_flight_limit";
/// 1 while `/health` answers 200 (the credentials work and Okta answered
/// the last call), 0 while it answers 503; read at each scrape.
pub const HEALTHY: &str = "okta_healthy";
/// Okta Verify pushes sent and not answered yet.
pub const PENDING_PUSHES: &str = "okta_pushes_pending";
/// Access-Requests decided, by `outcome` and `reason` (the audit log's
/// reason label, e.g. `okta_success`, `password_malformed`, `throttled`).
pub const DECISIONS: &str = "radius_decisions_total";
/// Replies that would pass 4096 bytes, by `action` (minimal_reject, dropped).
pub const OVERSIZED_REPLIES: &str = "radius_oversized_replies_total";
/// Access-Requests refused by the password-spraying throttles without asking
/// Okta, by `kind` (user, source).
pub const THROTTLED: &str = "radius_throttled_total";
/// Config reloads, by `result` (applied, rejected).
pub const RELOADS: &str = "okta_radius_config_reloads_total";
/// RADIUS/TLS and RADIUS/TCP connections established (handshake done,
/// client known), by `transport`.
pub const CONNECTIONS_OPENED: &str = "radius_connections_opened_total";
/// RADIUS/TLS and RADIUS/TCP connections open now, by `transport`.
pub const CONNECTIONS_OPEN: &str = "radius_connections_open";
/// Connections refused before they carried a request, by `transport` and
/// `reason` (unknown_client, connection_limit, client_connection_limit,
/// handshake_timeout, untrusted_certificate, expired_certificate,
/// identity_mismatch, no_certificate, handshake_failed).
pub const CONNECTIONS_REFUSED: &str = "radius_connections_refused_total";
/// Established connections closed, by `transport` and `reason` (peer_closed,
/// idle_timeout, malformed, bad_message_authenticator, write_stalled,
/// buffer_full, client_removed, server_stopping, read_error).
pub const CONNECTIONS_CLOSED: &str = "radius_connections_closed_total";
/// Accounting records, by `result`: written (stored, then acknowledged),
/// write_failed (not stored, so not acknowledged: the NAS sends it again).
pub const ACCOUNTING_RECORDS: &str = "radius_accounting_records_total";
/// Failed writes of the accounting file (a full disk, a file that cannot be
/// opened); each leaves a batch of records unacknowledged.
pub const ACCOUNTING_WRITE_ERRORS: &str = "radius_accounting_write_errors_total";
/// Sessions in the session table (from accounting Start to Stop).
pub const ACCOUNTING_SESSIONS: &str = "radius_accounting_sessions";
/// Disconnect-Requests (RFC 5176) that ended, by `outcome` (ack, nak,
/// no_answer, failed).
pub const DISCONNECTS: &str = "radius_disconnects_total";
/// Polls of Okta's System Log, by `result` (ok, error).
pub const SYSTEM_LOG_POLLS: &str = "okta_system_log_polls_total";
/// Time from receiving an Access-Request to sending its reply (reject delay included).
pub const REQUEST_DURATION: &str = "radius_request_duration_seconds";
/// Operations on the fleet's Redis that fell back to the replica's own
/// state (Redis down, slow or refusing), by `op`.
pub const CLUSTER_FALLBACKS: &str = "okta_radius_cluster_fallbacks_total";
/// 1 while the fleet's Redis answers, 0 while it does not (only with
/// `[cluster]`).
pub const CLUSTER_REACHABLE: &str = "okta_radius_cluster_reachable";
/// Time spent waiting for Okta within one request.
pub const OKTA_DURATION: &str = "okta_request_duration_seconds";
/// The server's own share of a request's time: from receiving it to its
/// reply being ready, less the waits on Okta (the rate-limit budget, HTTP
/// exchanges, a push's outcome) and before any reject delay.
pub const SERVER_OWN: &str = "radius_server_own_seconds";
/// Log lines dropped because their destination did not take them as fast
/// as they came ([`super::log_writer`]).
pub const LOG_LINES_DROPPED: &str = "okta_radius_log_lines_dropped_total";
/// Gauge: EAP conversations held in this process (their TLS tunnels).
pub const EAP_CONVERSATIONS: &str = "radius_eap_conversations";

pub use okta_client::metrics::*;

/// Latency buckets in seconds, from sub-millisecond to past a NAS timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0,
];

/// Buckets of the server's own share, from 25 µs.
const OWN_BUCKETS: &[f64] = &[
    0.000_025, 0.000_05, 0.000_1, 0.000_2, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.05,
];

/// Installs the global metrics recorder. Call once per process.
pub fn install_recorder() -> Result<PrometheusHandle, String> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(SERVER_OWN.to_owned()), OWN_BUCKETS)
        .map_err(|e| e.to_string())?
        .set_buckets_for_metric(
            Matcher::Suffix("duration_seconds".to_owned()),
            LATENCY_BUCKETS,
        )
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| e.to_string())
        .inspect(|_| {
            // Exported from the start, so that an alert on it has a series.
            counter!(LOG_LINES_DROPPED).increment(0);
        })
}

/// Exports `server.max_in_flight` (bound at start), so that alerts can
/// compare what is held against it.
pub fn set_in_flight_limit(max_in_flight: usize) {
    gauge!(IN_FLIGHT_LIMIT).set(max_in_flight as f64);
}

/// What `/health` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// Serving, without something that makes it better (the fleet's Redis):
    /// a load balancer keeps sending to it.
    Degraded(String),
    /// Not able to decide logins (Okta unreachable, credentials refused).
    Unhealthy(String),
}

/// What `/health` asks.
pub type HealthCheck = Arc<dyn Fn() -> Health + Send + Sync>;

/// Serves `/metrics` and `/health` on `listener` until the process ends;
/// `/health` always answers `ok`.
pub fn serve(listener: tokio::net::TcpListener, handle: PrometheusHandle) {
    serve_with_health(listener, handle, Arc::new(|| Health::Ok), Router::new());
}

/// Serves `/metrics` and `/health` on `listener` until the process ends:
/// `/health` answers 200 `ok` when `health` says so, 200 with
/// `{"status":"degraded","reason":"..."}` when degraded, else 503 with
/// `{"status":"unhealthy","reason":"..."}`. `more` adds routes of the
/// service's own (the admin commands); handlers may read the peer's
/// address as `ConnectInfo<SocketAddr>`.
pub fn serve_with_health(
    listener: tokio::net::TcpListener,
    handle: PrometheusHandle,
    health: HealthCheck,
    more: Router,
) {
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let scrape_health = health.clone();
    let scrape = move || {
        let healthy = match scrape_health() {
            Health::Ok | Health::Degraded(_) => 1.0,
            Health::Unhealthy(_) => 0.0,
        };
        gauge!(HEALTHY).set(healthy);
        std::future::ready(handle.render())
    };
    let app = Router::new()
        .route("/metrics", get(scrape))
        .route(
            "/health",
            get(move || std::future::ready(health_answer(&health))),
        )
        .merge(more);
    tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        if let Err(error) = axum::serve(listener, service).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
}

fn health_answer(health: &HealthCheck) -> Response {
    match health() {
        Health::Ok => (StatusCode::OK, "ok\n").into_response(),
        Health::Degraded(reason) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            format!(
                "{}\n",
                serde_json::json!({"status": "degraded", "reason": reason})
            ),
        )
            .into_response(),
        Health::Unhealthy(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            format!(
                "{}\n",
                serde_json::json!({"status": "unhealthy", "reason": reason})
            ),
        )
            .into_response(),
    }
}

/// Binds the metrics listener.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}
