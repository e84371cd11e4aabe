//! Assembling a running service from a validated config: what start-up
//! derives and checks (`checks`), the Okta client's settings and the online
//! check (`okta`), running and stopping (`run`), re-reading the config on
//! SIGHUP (`reload`) and the signals themselves (`signals`).

mod checks;
mod okta;
mod reload;
mod run;
mod signals;

pub use checks::{Checked, check};
pub use okta::check_online;
pub use run::{run, serve};
