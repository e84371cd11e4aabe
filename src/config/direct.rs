//! Validating `okta.api` and `[okta.direct]`: which API logins go through
//! (`authn` by default, so existing configs do not change), and for
//! Direct Authentication the OIDC app: its client id, one client
//! authentication (`private_key_jwt` keys named like `[okta.oauth]`'s, or a
//! client secret from the file, the environment or inline), the
//! authorization server, the scopes and the groups claim. Key files are
//! read where the service is assembled (`crate::service`).

use super::file::{DirectSection, OAuthKeySection};
use super::model::{DirectClientAuth, DirectConfig, OAuthKeyFile, OktaApi};
use super::problem::Problems;
use super::secret::SecretSpec;
use secrecy::SecretString;

/// `okta.api`.
pub(super) fn validate_api(api: Option<&str>, problems: &mut Problems) -> OktaApi {
    match api.unwrap_or("authn") {
        "authn" => OktaApi::Authn,
        "direct" => OktaApi::Direct,
        other => {
            problems.add(
                "okta.api",
                format!("`{other}` is not an Okta API here: use \"authn\" (the Classic Authentication API, the default) or \"direct\" (Identity Engine's Direct Authentication, with [okta.direct])"),
            );
            OktaApi::Authn
        }
    }
}

/// `[okta.direct]`, required with `okta.api = "direct"`; `None` (with
/// problems added) when invalid, or when not used.
pub(super) fn validate_direct(
    api: OktaApi,
    section: Option<DirectSection>,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<DirectConfig> {
    let Some(section) = section else {
        if api == OktaApi::Direct {
            problems.add(
                "okta.direct",
                "okta.api = \"direct\" needs an [okta.direct] section: the OIDC app's client_id and its client authentication (keys for private_key_jwt, or client_secret_file)",
            );
        }
        return None;
    };
    if api == OktaApi::Authn {
        warnings.push(
            "[okta.direct] is set but okta.api is \"authn\": the OIDC app is not used; set okta.api = \"direct\" to use it".to_owned(),
        );
        return None;
    }
    let before = problems.0.len();
    let client_id = section.client_id.unwrap_or_default().trim().to_owned();
    if client_id.is_empty() {
        problems.add(
            "okta.direct.client_id",
            "give the OIDC app's client id (Applications > the app > General > Client ID)",
        );
    }
    let auth = client_auth(
        section.keys,
        section.active_kid,
        SecretSpec {
            inline: section.client_secret.map(SecretString::from),
            file: section.client_secret_file,
            env: section.client_secret_env,
        },
        problems,
    );
    let authorization_server = section
        .authorization_server
        .map(|id| id.trim().to_owned())
        .filter(|id| !id.is_empty());
    if let Some(id) = &authorization_server
        && !id.chars().all(|c| c.is_ascii_alphanumeric())
    {
        problems.add(
            "okta.direct.authorization_server",
            format!("`{id}` is not an authorization server id: give its id (\"default\", or aus... from Security > API), or \"\" for the org authorization server"),
        );
    }
    let groups_claim = section
        .groups_claim
        .map(|claim| claim.trim().to_owned())
        .filter(|claim| !claim.is_empty());
    let scopes = section.scopes.unwrap_or_else(|| {
        let mut scopes = vec!["openid".to_owned(), "profile".to_owned()];
        if groups_claim.is_some() {
            scopes.push("groups".to_owned());
        }
        scopes
    });
    if !scopes.iter().any(|scope| scope == "openid") {
        problems.add(
            "okta.direct.scopes",
            "must include \"openid\": the ID token is what proves the login",
        );
    }
    if problems.0.len() > before {
        return None;
    }
    Some(DirectConfig {
        client_id,
        auth: auth?,
        authorization_server,
        scopes,
        groups_claim,
    })
}

/// Exactly one client authentication: keys (`private_key_jwt`) or a
/// client secret.
fn client_auth(
    keys: Vec<OAuthKeySection>,
    active_kid: Option<String>,
    secret: SecretSpec,
    problems: &mut Problems,
) -> Option<DirectClientAuth> {
    let secret_given = secret.inline.is_some() || secret.file.is_some() || secret.env.is_some();
    match (keys.is_empty(), secret_given) {
        (false, true) => {
            problems.add(
                "okta.direct.keys",
                "give either keys (private_key_jwt) or a client secret, not both: the app in Okta has one client authentication",
            );
            None
        }
        (true, false) => {
            problems.add(
                "okta.direct.keys",
                "give the app's client authentication: keys = [{ kid = \"...\", file = \"/etc/okta-radius/direct-key-1.pem\" }] for private_key_jwt (make one with `okta-radius keys generate`), or client_secret_file",
            );
            None
        }
        (true, true) => match secret.resolve() {
            Ok(secret) => Some(DirectClientAuth::ClientSecret(secret)),
            Err(problem) => {
                problems.add(
                    SecretSpec::key_for(&problem, "okta.direct.client_secret"),
                    SecretSpec::explain(&problem, "okta.direct.client_secret"),
                );
                None
            }
        },
        (false, false) => {
            let mut files: Vec<OAuthKeyFile> = Vec::new();
            for (i, key) in keys.into_iter().enumerate() {
                let name = format!("okta.direct.keys[{i}]");
                let (Some(kid), Some(file)) = (key.kid.filter(|kid| !kid.is_empty()), key.file)
                else {
                    problems.add(name, "each key needs a kid and a file");
                    continue;
                };
                if files.iter().any(|other| other.kid == kid) {
                    problems.add(name, format!("kid `{kid}` appears twice"));
                    continue;
                }
                files.push(OAuthKeyFile { kid, file });
            }
            let active_kid = active_kid
                .or_else(|| files.first().map(|key| key.kid.clone()))
                .unwrap_or_default();
            if !files.is_empty() && !files.iter().any(|key| key.kid == active_kid) {
                problems.add(
                    "okta.direct.active_kid",
                    format!("no key in okta.direct.keys has kid `{active_kid}`"),
                );
                return None;
            }
            Some(DirectClientAuth::PrivateKeyJwt {
                keys: files,
                active_kid,
            })
        }
    }
}
