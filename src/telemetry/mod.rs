//! What an operator sees of the server: logs (human or JSON, with one audit
//! line per decision) and Prometheus metrics on their own HTTP listener,
//! away from the RADIUS port.

mod json_line;
pub mod log_writer;
pub mod logging;
pub mod metrics;
pub mod series;
mod timestamp;
