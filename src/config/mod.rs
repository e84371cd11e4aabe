//! One typed configuration, loaded once and validated once.
//!
//! The TOML file (see `config/okta-radius.toml` for every key) is read with
//! the line of every key, every key can be overridden by an environment
//! variable `OKTA_RADIUS__SECTION__KEY`, and secrets are resolved from
//! inline values, files or environment variables. The check collects every
//! problem (unknown keys, invalid values, warnings), each naming its key,
//! its line and the fix, so an operator fixes a config in one pass.

pub mod abuse;
mod accounting;
pub mod cluster;
mod direct;
mod disconnect;
mod document;
mod eap;
mod environment;
mod factor_kind;
pub mod file;
mod load;
pub mod log_level;
pub mod mfa;
mod model;
mod okta;
pub mod policy;
mod problem;
mod report;
pub mod secret;
mod shape;
mod stream;
mod suggest;
mod transport;
mod tree;
mod validate;

pub use accounting::{AccountingConfig, AccountingOutput};
pub use disconnect::{DisconnectConfig, DisconnectOn, EventHookConfig};
pub use eap::{EapConfig, EapMethod};
pub use environment::ENV_PREFIX;
pub use factor_kind::FactorKind;
pub use load::ConfigCheck;
pub use mfa::{MfaSettings, PushLimits, PushMode};
pub use model::{
    ClientConfig, Config, DirectClientAuth, DirectConfig, LogConfig, LogFormat, OAuthConfig,
    OAuthKeyFile, OktaApi, OktaConfig, OnOktaFailure, ServerConfig, UserNameRules,
};
pub use policy::{Policy, ReplyRule};
pub use problem::{ConfigErrors, ConfigProblem};
pub use report::{ConfigReport, Finding, Place, Severity};
pub use stream::{ConnectionLimits, StreamConfig, TlsConfig};
pub use transport::{CertificateIdentity, ClientTransport, RADSEC_SECRET, TlsClient};

#[cfg(test)]
mod tests;
