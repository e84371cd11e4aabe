//! Okta's links (`_links.next`, a factor's `verify`, a push's `poll`) as a
//! State stores them: a path relative to the org, which keeps States short
//! and lets any replica rebuild the link against its own org URL.

use okta_client::OktaClient;

/// The path of an Okta link relative to the org (what a State stores).
pub(super) fn link_path(href: &str) -> String {
    match href.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(slash) => rest[slash..].to_owned(),
            None => "/".to_owned(),
        },
        None => href.to_owned(),
    }
}

/// The absolute link for a stored path.
pub(super) fn link_href(okta: &OktaClient, path: &str) -> String {
    let org = okta.org_url().as_str().trim_end_matches('/');
    format!("{org}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_org() {
        assert_eq!(
            link_path("https://example.okta.com/api/v1/authn/factors/f1/verify"),
            "/api/v1/authn/factors/f1/verify"
        );
        assert_eq!(link_path("https://example.okta.com"), "/");
        assert_eq!(link_path("/already/a/path"), "/already/a/path");
    }
}
