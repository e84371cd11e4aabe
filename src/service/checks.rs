//! What start-up (and a reload) derives from a validated config before
//! anything runs: the dictionaries, the forwarded-for attribute, the
//! compiled policies, the OAuth service app's keys, the Direct
//! Authentication app's and the RADIUS/TLS certificates, each problem
//! reported under the key it concerns.

use super::dictionaries;
use crate::auth::{CompiledPolicy, ForwardedFor, compile_policies};
use crate::config::{
    Config, ConfigErrors, ConfigProblem, DirectClientAuth, DirectConfig, OAuthConfig, OAuthKeyFile,
};
use crate::server::{TlsMaterial, load_tls};
use okta_client::ClientAuth;
use okta_client::oauth::SigningKey;
use radius_proto::dictionary::Dictionary;
use radius_proto::value::DataType;
use std::collections::HashMap;

/// Loads the shipped dictionaries (installed beside the binary, or built
/// in: see `dictionaries.rs`) and the operator's extra ones.
pub fn load_dictionary(config: &Config) -> Result<Dictionary, ConfigErrors> {
    let source = dictionaries::source();
    let mut dictionary = dictionaries::load(&source).map_err(|e| {
        ConfigErrors(vec![ConfigProblem {
            key: "dictionaries".to_owned(),
            message: format!("the shipped dictionaries ({source}) do not load: {e}"),
        }])
    })?;
    let mut problems = Vec::new();
    for (i, path) in config.server.dictionaries.iter().enumerate() {
        if let Err(error) = dictionary.merge_file(path) {
            problems.push(ConfigProblem {
                key: format!("server.dictionaries[{i}]"),
                message: error.to_string(),
            });
        }
    }
    if problems.is_empty() {
        Ok(dictionary)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Checks what can only be checked with the dictionaries loaded.
pub fn resolve_forwarded_for(
    config: &Config,
    dictionary: &Dictionary,
) -> Result<Option<ForwardedFor>, ConfigErrors> {
    let Some(name) = &config.okta.forwarded_for_attribute else {
        return Ok(None);
    };
    let problem = |message: String| {
        ConfigErrors(vec![ConfigProblem {
            key: "okta.forwarded_for_attribute".to_owned(),
            message,
        }])
    };
    let Some(def) = dictionary.attribute_by_name(name) else {
        return Err(problem(format!(
            "`{name}` is not an attribute in the dictionaries: use e.g. \"Calling-Station-Id\", or \"\" to send no X-Forwarded-For"
        )));
    };
    let standard = def.vendor == 0 && def.parents.is_empty() && def.evs.is_none();
    let attribute = u8::try_from(def.code).ok().filter(|_| standard);
    let binary = match def.data_type {
        DataType::IpAddr | DataType::Ipv6Addr => true,
        DataType::String | DataType::Octets => false,
        _ => {
            return Err(problem(format!(
                "`{name}` holds neither text nor an IP address"
            )));
        }
    };
    match attribute {
        Some(attribute) => Ok(Some(ForwardedFor { attribute, binary })),
        None => Err(problem(format!(
            "`{name}` is not a standard (non-vendor) attribute"
        ))),
    }
}

/// Reads the OAuth service app's private keys (at start-up, on reload, and
/// when a config is checked); a key file that does not load is reported by
/// its key, `okta.oauth.keys[i]`.
pub fn load_oauth_keys(oauth: &OAuthConfig) -> Result<Vec<SigningKey>, ConfigErrors> {
    load_keys(&oauth.keys, "okta.oauth.keys")
}

/// The Direct Authentication app's client authentication, its key files
/// read (at start-up, on reload, when a config is checked); a key file
/// that does not load is reported as `okta.direct.keys[i]`.
pub fn direct_client_auth(direct: &DirectConfig) -> Result<ClientAuth, ConfigErrors> {
    match &direct.auth {
        DirectClientAuth::ClientSecret(secret) => Ok(ClientAuth::ClientSecret(secret.clone())),
        DirectClientAuth::PrivateKeyJwt { keys, active_kid } => Ok(ClientAuth::PrivateKeyJwt {
            keys: load_keys(keys, "okta.direct.keys")?,
            active_kid: active_kid.clone(),
        }),
    }
}

fn load_keys(files: &[OAuthKeyFile], name: &str) -> Result<Vec<SigningKey>, ConfigErrors> {
    let mut keys = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    for (i, key) in files.iter().enumerate() {
        match SigningKey::from_pem_file(&key.file, Some(&key.kid)) {
            Ok(loaded) => keys.push(loaded),
            Err(error) => problems.push(ConfigProblem {
                key: format!("{name}[{i}]"),
                message: error.to_string(),
            }),
        }
    }
    if problems.is_empty() {
        Ok(keys)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// What start-up derives from the config and the dictionaries.
pub struct Checked {
    pub dictionary: Dictionary,
    pub forwarded_for: Option<ForwardedFor>,
    pub policies: HashMap<String, CompiledPolicy>,
    /// The RADIUS/TLS certificate and trust anchors, with their warnings
    /// (expiry, key file mode) for the caller to report.
    pub tls: TlsMaterial,
}

/// Validates everything that needs more than the config file itself.
pub fn check(config: &Config) -> Result<Checked, ConfigErrors> {
    if let Some(oauth) = &config.okta.oauth {
        load_oauth_keys(oauth)?;
    }
    if let Some(direct) = &config.okta.direct {
        direct_client_auth(direct)?;
    }
    let dictionary = load_dictionary(config)?;
    let forwarded_for = resolve_forwarded_for(config, &dictionary)?;
    let policies = compile_policies(config, &dictionary)?;
    let tls = load_tls(config)?;
    Ok(Checked {
        dictionary,
        forwarded_for,
        policies,
        tls,
    })
}
