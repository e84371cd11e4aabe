//! The connection to the fleet's Redis: one multiplexed connection that
//! every request shares, reconnecting by itself after Redis restarts. With
//! Sentinel the master is asked of the sentinels, and asked again after an
//! operation fails (the master may have moved). Nothing here waits for
//! Redis at start: a replica whose Redis is down starts and serves logins.

use crate::config::cluster::{ClusterConfig, RedisTarget};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{Client, IntoConnectionInfo, TlsCertificates};
use secrecy::ExposeSecret;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The connection, or the way to (re)make it.
pub struct Link {
    kind: Kind,
    current: RwLock<Option<ConnectionManager>>,
    resolving: AtomicBool,
}

enum Kind {
    Direct,
    Sentinel(Box<tokio::sync::Mutex<SentinelClient>>),
}

impl Link {
    /// Prepares the connection described by `config` (reads the CA file);
    /// connects lazily. The error names the config key at fault.
    pub fn open(config: &ClusterConfig) -> Result<Link, String> {
        let root_cert = match &config.ca_file {
            Some(path) => Some(std::fs::read(path).map_err(|error| {
                format!(
                    "cluster.ca_file: cannot read {}: {}",
                    path.display(),
                    error.kind()
                )
            })?),
            None => None,
        };
        match &config.target {
            RedisTarget::Url(url) => {
                let mut info = url
                    .as_str()
                    .into_connection_info()
                    .map_err(|error| format!("cluster.redis_url: {error}"))?;
                let mut redis = info.redis_settings().clone();
                if let Some(username) = &config.username {
                    redis = redis.set_username(username);
                }
                if let Some(password) = &config.password {
                    redis = redis.set_password(password.expose_secret());
                }
                info = info.set_redis_settings(redis);
                let client = if root_cert.is_some() {
                    Client::build_with_tls(
                        info,
                        TlsCertificates {
                            client_tls: None,
                            root_cert,
                        },
                    )
                } else {
                    Client::open(info)
                }
                .map_err(|error| format!("cluster.redis_url: {error}"))?;
                let manager = ConnectionManager::new_lazy_with_config(client, manager_config())
                    .map_err(|error| format!("cluster.redis_url: {error}"))?;
                Ok(Link {
                    kind: Kind::Direct,
                    current: RwLock::new(Some(manager)),
                    resolving: AtomicBool::new(false),
                })
            }
            RedisTarget::Sentinel {
                sentinels,
                master_name,
            } => {
                let mut addrs = Vec::new();
                for (i, url) in sentinels.iter().enumerate() {
                    let info = url
                        .as_str()
                        .into_connection_info()
                        .map_err(|error| format!("cluster.sentinels[{i}]: {error}"))?;
                    addrs.push(info.addr().clone());
                }
                let mut builder =
                    SentinelClientBuilder::new(addrs, master_name, SentinelServerType::Master)
                        .map_err(|error| format!("cluster.sentinels: {error}"))?;
                if config.tls() {
                    builder = builder
                        .set_client_to_redis_tls_mode(redis::TlsMode::Secure)
                        .set_client_to_sentinel_tls_mode(redis::TlsMode::Secure);
                    if let Some(root) = root_cert {
                        let certificates = || TlsCertificates {
                            client_tls: None,
                            root_cert: Some(root.clone()),
                        };
                        builder = builder
                            .set_client_to_redis_certificates(certificates())
                            .set_client_to_sentinel_certificates(certificates());
                    }
                }
                if let Some(username) = &config.username {
                    builder = builder.set_client_to_redis_username(username);
                }
                if let Some(password) = &config.password {
                    builder = builder.set_client_to_redis_password(password.expose_secret());
                }
                let client = builder
                    .build()
                    .map_err(|error| format!("cluster.sentinels: {error}"))?;
                Ok(Link {
                    kind: Kind::Sentinel(Box::new(tokio::sync::Mutex::new(client))),
                    current: RwLock::new(None),
                    resolving: AtomicBool::new(false),
                })
            }
        }
    }

    /// The connection to use now; `None` while the master is being asked of
    /// the sentinels (the caller falls back).
    pub fn connection(self: &Arc<Self>) -> Option<ConnectionManager> {
        let current = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if current.is_none() {
            self.resolve();
        }
        current
    }

    /// An operation failed: with Sentinel, ask for the master again (it may
    /// have moved); a direct connection reconnects by itself.
    pub fn failed(self: &Arc<Self>) {
        if matches!(self.kind, Kind::Sentinel(_)) {
            self.resolve();
        }
    }

    /// Asks the sentinels for the master, once at a time, in the background.
    fn resolve(self: &Arc<Self>) {
        if !matches!(self.kind, Kind::Sentinel(_)) || self.resolving.swap(true, Ordering::AcqRel) {
            return;
        }
        let link = self.clone();
        tokio::spawn(async move {
            let Kind::Sentinel(client) = &link.kind else {
                return;
            };
            let resolved = async {
                let master = client.lock().await.async_get_client().await?;
                ConnectionManager::new_with_config(master, manager_config()).await
            };
            match tokio::time::timeout(CONNECT_TIMEOUT * 3, resolved).await {
                Ok(Ok(manager)) => {
                    *link
                        .current
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(manager);
                }
                Ok(Err(error)) => {
                    tracing::debug!(%error, "cannot reach the Redis master through the sentinels");
                }
                Err(_) => tracing::debug!("the sentinels did not name a reachable master in time"),
            }
            link.resolving.store(false, Ordering::Release);
        });
    }
}

/// Reconnecting: quickly at first, then every second at most, for ever.
/// No response timeout of the connection's own: every operation runs
/// within `cluster.op_timeout_ms` already (`Fleet::run`), and a second
/// timer per command is a cost on every login.
fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(None)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(1))
        .set_number_of_retries(2)
}
