//! Assembling a running service from a validated config: what start-up
//! derives and checks (`checks`), where the shipped dictionaries are read
//! from (`dictionaries`), the Okta client's settings and the online
//! check (`okta`), running and stopping (`run`), re-reading the config on
//! SIGHUP (`reload`) and the signals themselves (`signals`).

pub mod admin;
mod checks;
pub mod dictionaries;
mod okta;
mod reload;
mod run;
mod signals;

pub use checks::{Checked, check};
pub use okta::check_online;
pub use run::{run, serve};

/// Reaches the fleet's Redis once (`check-config --online`): what answered
/// or why not; `None` without `[cluster]`.
pub async fn check_cluster(config: &crate::config::Config) -> Option<Result<String, String>> {
    let cluster = config.cluster.as_ref()?;
    Some(crate::cluster::check(cluster).await)
}
