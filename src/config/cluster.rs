//! `[cluster]`: where the replicas of one fleet share their state (a Redis
//! server, or a Redis master found through Sentinel), how its keys are
//! prefixed and how long one operation may take before a replica carries on
//! with its own state. Without the section every replica keeps its state in
//! its own memory, exactly as a single server does.
//!
//! The Redis password comes from a file or an environment variable, never
//! from the config alone, and a URL carrying one is refused.

use super::file::ClusterSection;
use super::secret::SecretSpec;
use secrecy::SecretString;
use std::path::PathBuf;
use std::time::Duration;

/// The per-operation timeout when `op_timeout_ms` is not set.
pub const DEFAULT_OP_TIMEOUT: Duration = Duration::from_millis(50);
/// The key prefix when `key_prefix` is not set.
pub const DEFAULT_KEY_PREFIX: &str = "okta-radius:";
/// The longest key prefix accepted.
const MAX_PREFIX_LEN: usize = 64;

/// Where the shared state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// One Redis server: `redis://host:port/db` or `rediss://` for TLS.
    Url(String),
    /// A Redis master found through Sentinel (each sentinel a `redis://`
    /// or `rediss://` URL; the master is reached with the same scheme).
    Sentinel {
        sentinels: Vec<String>,
        master_name: String,
    },
}

/// The validated `[cluster]`.
#[derive(Clone)]
pub struct ClusterConfig {
    pub target: RedisTarget,
    /// CA certificates (PEM) that sign the Redis server's certificate, for
    /// `rediss://`; the system's roots when `None`.
    pub ca_file: Option<PathBuf>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub key_prefix: String,
    pub op_timeout: Duration,
}

impl ClusterConfig {
    /// Whether the connection to Redis (or the sentinels) uses TLS.
    pub fn tls(&self) -> bool {
        match &self.target {
            RedisTarget::Url(url) => url.starts_with("rediss://"),
            RedisTarget::Sentinel { sentinels, .. } => {
                sentinels.iter().any(|url| url.starts_with("rediss://"))
            }
        }
    }

    /// Where Redis is, for logs and `check-config --online` (never a secret:
    /// URLs with a password are refused).
    pub fn describe(&self) -> String {
        match &self.target {
            RedisTarget::Url(url) => url.clone(),
            RedisTarget::Sentinel {
                sentinels,
                master_name,
            } => format!(
                "master `{master_name}` of sentinels {}",
                sentinels.join(", ")
            ),
        }
    }
}

impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("target", &self.target)
            .field("ca_file", &self.ca_file)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("key_prefix", &self.key_prefix)
            .field("op_timeout", &self.op_timeout)
            .finish()
    }
}

impl ClusterConfig {
    /// Whether both configs log in to Redis with the same password (or
    /// both without one).
    pub fn same_password(&self, other: &ClusterConfig) -> bool {
        use secrecy::ExposeSecret;
        match (&self.password, &other.password) {
            (Some(a), Some(b)) => a.expose_secret() == b.expose_secret(),
            (None, None) => true,
            _ => false,
        }
    }
}

/// Checks `[cluster]`; `None` when the section is absent. Problems come back
/// as (key, message).
pub fn validate(
    section: Option<&ClusterSection>,
) -> Result<Option<ClusterConfig>, Vec<(String, String)>> {
    let Some(section) = section else {
        return Ok(None);
    };
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut add = |key: &str, message: String| problems.push((format!("cluster.{key}"), message));

    let target = match (&section.redis_url, section.sentinels.is_empty()) {
        (Some(_), false) => {
            add(
                "sentinels",
                "give either cluster.redis_url (one Redis server) or cluster.sentinels with cluster.master_name (Redis Sentinel), not both".to_owned(),
            );
            None
        }
        (Some(url), true) => {
            if let Err(why) = check_url(url) {
                add("redis_url", why);
            }
            if section.master_name.is_some() {
                add(
                    "master_name",
                    "only used with cluster.sentinels: remove it, or list the sentinels instead of cluster.redis_url".to_owned(),
                );
            }
            Some(RedisTarget::Url(url.clone()))
        }
        (None, false) => {
            for (i, url) in section.sentinels.iter().enumerate() {
                if let Err(why) = check_url(url) {
                    add(&format!("sentinels[{i}]"), why);
                }
            }
            let schemes: std::collections::BTreeSet<bool> = section
                .sentinels
                .iter()
                .map(|url| url.starts_with("rediss://"))
                .collect();
            if schemes.len() > 1 {
                add(
                    "sentinels",
                    "mixes redis:// and rediss://: the sentinels and the master are reached with one scheme".to_owned(),
                );
            }
            match section.master_name.as_deref().map(str::trim) {
                Some(name) if !name.is_empty() => Some(RedisTarget::Sentinel {
                    sentinels: section.sentinels.clone(),
                    master_name: name.to_owned(),
                }),
                _ => {
                    add(
                        "master_name",
                        "the name the sentinels monitor the master under (`sentinel monitor NAME ...`) is needed with cluster.sentinels".to_owned(),
                    );
                    None
                }
            }
        }
        (None, true) => {
            add(
                "redis_url",
                "[cluster] needs cluster.redis_url (e.g. \"redis://10.0.0.5:6379\", or \"rediss://\" for TLS) or cluster.sentinels with cluster.master_name; remove the section to keep every replica's state in its own memory".to_owned(),
            );
            None
        }
    };

    let password = if section.password_file.is_some() || section.password_env.is_some() {
        let spec = SecretSpec {
            inline: None,
            file: section.password_file.clone(),
            env: section.password_env.clone(),
        };
        match spec.resolve() {
            Ok(password) => Some(password),
            Err(problem) => {
                add(
                    "password",
                    SecretSpec::explain(&problem, "cluster.password"),
                );
                None
            }
        }
    } else {
        None
    };

    if let Some(username) = &section.username
        && (username.trim().is_empty() || username.chars().any(char::is_whitespace))
    {
        add(
            "username",
            "must be a Redis ACL user name without spaces; remove it to log in as the default user"
                .to_owned(),
        );
    }

    let tls = match &target {
        Some(RedisTarget::Url(url)) => url.starts_with("rediss://"),
        Some(RedisTarget::Sentinel { sentinels, .. }) => {
            sentinels.iter().any(|url| url.starts_with("rediss://"))
        }
        None => false,
    };
    if section.ca_file.is_some() && !tls && target.is_some() {
        add(
            "ca_file",
            "only used with TLS: write the URL as rediss://, or remove cluster.ca_file".to_owned(),
        );
    }
    if let Some(path) = &section.ca_file
        && let Err(error) = std::fs::metadata(path)
    {
        add(
            "ca_file",
            format!(
                "{} cannot be read ({}): give the PEM file of the CA that signs the Redis server's certificate",
                path.display(),
                error.kind()
            ),
        );
    }

    let key_prefix = section
        .key_prefix
        .clone()
        .unwrap_or_else(|| DEFAULT_KEY_PREFIX.to_owned());
    if let Err(why) = check_prefix(&key_prefix) {
        add("key_prefix", why);
    }

    let op_timeout = match section.op_timeout_ms {
        None => DEFAULT_OP_TIMEOUT,
        Some(ms) if (1..=5000).contains(&ms) => Duration::from_millis(ms),
        Some(_) => {
            add(
                "op_timeout_ms",
                "must be between 1 and 5000 milliseconds (50 is the default): a Redis operation that takes longer falls back to the replica's own state".to_owned(),
            );
            DEFAULT_OP_TIMEOUT
        }
    };

    if !problems.is_empty() {
        return Err(problems);
    }
    let Some(target) = target else {
        return Err(vec![(
            "cluster.redis_url".to_owned(),
            "no Redis server given".to_owned(),
        )]);
    };
    Ok(Some(ClusterConfig {
        target,
        ca_file: section.ca_file.clone(),
        username: section.username.clone(),
        password,
        key_prefix,
        op_timeout,
    }))
}

/// A Redis URL: `redis://` or `rediss://`, a host, and no password.
fn check_url(text: &str) -> Result<(), String> {
    let Ok(url) = url::Url::parse(text) else {
        return Err(
            "is not a URL: write it as redis://HOST:PORT (or rediss://HOST:PORT for TLS)"
                .to_owned(),
        );
    };
    if url.scheme() != "redis" && url.scheme() != "rediss" {
        return Err(format!(
            "has the scheme `{}`: use redis:// (or rediss:// for TLS)",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("names no host: write it as redis://HOST:PORT".to_owned());
    }
    if url.password().is_some() {
        return Err(
            "carries a password: remove it from the URL and give it in cluster.password_file or cluster.password_env"
                .to_owned(),
        );
    }
    if !url.username().is_empty() {
        return Err("carries a user name: give it as cluster.username instead".to_owned());
    }
    Ok(())
}

/// A key prefix: printable ASCII without spaces, at most 64 bytes.
fn check_prefix(prefix: &str) -> Result<(), String> {
    if prefix.is_empty() {
        return Err(format!(
            "must not be empty: fleets sharing one Redis are told apart by it (\"{DEFAULT_KEY_PREFIX}\" is the default)"
        ));
    }
    if prefix.len() > MAX_PREFIX_LEN || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "must be at most {MAX_PREFIX_LEN} printable ASCII characters without spaces, e.g. \"vpn-fleet:\""
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(url: &str) -> ClusterSection {
        ClusterSection {
            redis_url: Some(url.to_owned()),
            ..ClusterSection::default()
        }
    }

    fn keys(problems: &[(String, String)]) -> Vec<&str> {
        problems.iter().map(|(key, _)| key.as_str()).collect()
    }

    #[test]
    fn no_section_means_no_cluster() {
        assert!(validate(None).expect("valid").is_none());
    }

    #[test]
    fn a_plain_url_takes_the_defaults() {
        let config = validate(Some(&section("redis://127.0.0.1:6379/2")))
            .expect("valid")
            .expect("a cluster");
        assert_eq!(
            config.target,
            RedisTarget::Url("redis://127.0.0.1:6379/2".to_owned())
        );
        assert_eq!(config.op_timeout, Duration::from_millis(50));
        assert_eq!(config.key_prefix, "okta-radius:");
        assert!(!config.tls());
    }

    #[test]
    fn a_password_in_the_url_is_refused_and_not_repeated() {
        let problems =
            validate(Some(&section("redis://:hunter2-secret@10.0.0.5:6379"))).expect_err("refused");
        assert_eq!(keys(&problems), ["cluster.redis_url"]);
        assert!(problems[0].1.contains("password_file"));
        assert!(!problems[0].1.contains("hunter2-secret"));
    }

    #[test]
    fn wrong_schemes_and_missing_hosts_are_named() {
        for url in ["http://10.0.0.5:6379", "redis://", "10.0.0.5:6379"] {
            let problems = validate(Some(&section(url))).expect_err(url);
            assert_eq!(keys(&problems), ["cluster.redis_url"], "{url}");
        }
    }

    #[test]
    fn sentinels_need_a_master_name_and_exclude_a_url() {
        let mut only_sentinels = ClusterSection {
            sentinels: vec!["redis://10.0.0.1:26379".to_owned()],
            ..ClusterSection::default()
        };
        let problems = validate(Some(&only_sentinels)).expect_err("no master name");
        assert_eq!(keys(&problems), ["cluster.master_name"]);
        only_sentinels.master_name = Some("radius".to_owned());
        let config = validate(Some(&only_sentinels))
            .expect("valid")
            .expect("a cluster");
        assert!(matches!(config.target, RedisTarget::Sentinel { .. }));
        only_sentinels.redis_url = Some("redis://10.0.0.5:6379".to_owned());
        let problems = validate(Some(&only_sentinels)).expect_err("both");
        assert_eq!(keys(&problems), ["cluster.sentinels"]);
    }

    #[test]
    fn the_password_comes_from_a_file_or_the_environment() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("redis-password");
        std::fs::write(&file, "s3cret\n").expect("write");
        let mut with_file = section("rediss://redis.example.net:6380");
        with_file.password_file = Some(file);
        let config = validate(Some(&with_file))
            .expect("valid")
            .expect("a cluster");
        assert!(config.password.is_some());
        assert!(config.tls());
        assert!(!format!("{config:?}").contains("s3cret"));

        let mut unset = section("redis://10.0.0.5:6379");
        unset.password_env = Some("OKTA_RADIUS_TEST_SURELY_UNSET_REDIS_PASSWORD".to_owned());
        let problems = validate(Some(&unset)).expect_err("unset");
        assert_eq!(keys(&problems), ["cluster.password"]);
    }

    #[test]
    fn a_ca_file_needs_tls_and_must_exist() {
        let mut plain = section("redis://10.0.0.5:6379");
        plain.ca_file = Some("/nonexistent/ca.pem".into());
        let problems = validate(Some(&plain)).expect_err("refused");
        assert_eq!(keys(&problems), ["cluster.ca_file", "cluster.ca_file"]);
    }

    #[test]
    fn prefixes_and_timeouts_are_bounded() {
        for prefix in ["", "has space:", &"x".repeat(65)] {
            let mut bad = section("redis://10.0.0.5:6379");
            bad.key_prefix = Some(prefix.to_owned());
            assert_eq!(
                keys(&validate(Some(&bad)).expect_err("prefix")),
                ["cluster.key_prefix"]
            );
        }
        for ms in [0, 5001] {
            let mut bad = section("redis://10.0.0.5:6379");
            bad.op_timeout_ms = Some(ms);
            assert_eq!(
                keys(&validate(Some(&bad)).expect_err("timeout")),
                ["cluster.op_timeout_ms"]
            );
        }
    }
}
