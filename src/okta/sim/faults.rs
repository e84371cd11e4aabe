//! Failure injection for the simulated org: added latency and the ways a real
//! org misbehaves (internal errors, read-only mode, a call that never
//! answers), switchable while the org runs so a test can break Okta mid-flow.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use super::SimOrg;
use super::responses;
use crate::okta::error::codes;

/// How the org answers every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimFaultMode {
    /// As a healthy org would.
    #[default]
    Normal,
    /// HTTP 500 `E0000009` "Internal Server Error".
    InternalError,
    /// HTTP 503 `E0000010`: the org is in read-only mode.
    ReadOnly,
    /// Never answers, until the org shuts down.
    Hang,
}

impl SimFaultMode {
    fn to_u8(self) -> u8 {
        match self {
            SimFaultMode::Normal => 0,
            SimFaultMode::InternalError => 1,
            SimFaultMode::ReadOnly => 2,
            SimFaultMode::Hang => 3,
        }
    }

    fn from_u8(value: u8) -> SimFaultMode {
        match value {
            1 => SimFaultMode::InternalError,
            2 => SimFaultMode::ReadOnly,
            3 => SimFaultMode::Hang,
            _ => SimFaultMode::Normal,
        }
    }
}

/// The org's current faults; every setter takes effect on the next request.
#[derive(Debug, Default)]
pub struct SimFaults {
    latency_ms: AtomicU64,
    mode: AtomicU8,
}

impl SimFaults {
    /// Delay added before every answer.
    pub fn set_latency(&self, latency: Duration) {
        let millis = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(millis, Ordering::Relaxed);
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    pub fn set_mode(&self, mode: SimFaultMode) {
        self.mode.store(mode.to_u8(), Ordering::Relaxed);
    }

    pub fn mode(&self) -> SimFaultMode {
        SimFaultMode::from_u8(self.mode.load(Ordering::Relaxed))
    }

    /// Back to a healthy org with no added latency.
    pub fn clear(&self) {
        self.set_latency(Duration::ZERO);
        self.set_mode(SimFaultMode::Normal);
    }
}

/// Middleware: applies the latency, then the fault mode.
pub(super) async fn inject(
    State(org): State<Arc<SimOrg>>,
    request: Request,
    next: Next,
) -> Response {
    let latency = org.faults.latency();
    if !latency.is_zero() {
        tokio::select! {
            () = tokio::time::sleep(latency) => {}
            () = org.stopped() => return shutting_down(),
        }
    }
    match org.faults.mode() {
        SimFaultMode::Normal => next.run(request).await,
        SimFaultMode::InternalError => responses::okta_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL_ERROR,
            "Internal Server Error",
        ),
        SimFaultMode::ReadOnly => responses::okta_error(
            StatusCode::SERVICE_UNAVAILABLE,
            codes::READ_ONLY,
            "Service is in read only mode",
        ),
        SimFaultMode::Hang => {
            org.stopped().await;
            shutting_down()
        }
    }
}

fn shutting_down() -> Response {
    responses::okta_error(
        StatusCode::SERVICE_UNAVAILABLE,
        codes::INTERNAL_ERROR,
        "The simulated org is shutting down",
    )
}
