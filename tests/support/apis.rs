//! Running the MFA tests with either Okta API: the OIDC app every test org
//! registers for Direct Authentication, a test config for each API, Okta's
//! count of logins either way, and [`with_both_apis!`], which turns one
//! test body into `name::authn` and `name::direct`.

use super::{config_for, start_mfa_org, with_okta_keys};
use okta_sim::{SimConfig, SimHandle};
use std::time::Duration;

/// The Okta API a test server logs in through: every MFA test runs with both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// The Classic Authentication API (`okta.api = "authn"`, the default).
    Authn,
    /// Identity Engine's Direct Authentication (`okta.api = "direct"`).
    Direct,
}

/// The OIDC app every test org registers for Direct Authentication.
pub const DIRECT_CLIENT_ID: &str = "0oa-test-radius";
pub const DIRECT_CLIENT_SECRET: &str = "a-test-client-secret";

/// Starts a simulated org with the MFA users and the OIDC app (polls
/// every second, so pushes finish quickly); `adjust` may change it.
pub async fn start_mfa_org_with_app(adjust: impl FnOnce(&mut SimConfig)) -> SimHandle {
    start_mfa_org(|config| {
        let mut app = okta_sim::direct::SimOidcApp::new(DIRECT_CLIENT_ID);
        app.client_secret = Some(DIRECT_CLIENT_SECRET.to_owned());
        app.groups_claim = Some("groups".to_owned());
        config.oidc_apps.push(app);
        config.direct_poll_interval = Duration::from_secs(1);
        adjust(config);
    })
    .await
}

/// [`config_for`] logging in through `api`.
pub fn config_for_api(org_url: &str, api: Api) -> String {
    let config = config_for(org_url);
    match api {
        Api::Authn => config,
        Api::Direct => with_okta_keys(
            &config,
            &format!(
                "api = \"direct\"\n\n[okta.direct]\nclient_id = \"{DIRECT_CLIENT_ID}\"\nclient_secret_env = \"TEST_DIRECT_SECRET\"\ngroups_claim = \"groups\"\n"
            ),
        ),
    }
}

/// Logins Okta received for `login` through `api` (`/api/v1/authn` calls,
/// or password grants).
pub fn logins(org: &SimHandle, api: Api, login: &str) -> usize {
    match api {
        Api::Authn => org.records().authn_calls(login),
        Api::Direct => org.records().password_grants(login),
    }
}

/// Runs one MFA test body with each API, as two tests: `name::authn` and
/// `name::direct`.
#[macro_export]
macro_rules! with_both_apis {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn authn() {
                super::$name($crate::support::Api::Authn).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn direct() {
                super::$name($crate::support::Api::Direct).await
            }
        }
    };
}
