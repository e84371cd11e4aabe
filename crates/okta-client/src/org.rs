//! The org the client serves, as a checked URL: the base every endpoint is
//! built on, and the boundary every link from Okta's answers (`_links`,
//! `Link: rel="next"`) must stay inside, so the API token never leaves the
//! org.

use std::net::IpAddr;

use reqwest::Url;

use super::error::OktaError;

/// The org's base URL (`https://example.okta.com/`), checked.
#[derive(Debug, Clone)]
pub(crate) struct Org {
    url: Url,
    /// `api/v1/authn`, built once: every login calls it.
    authn: Url,
    /// The same as HTTP sends it, parsed once.
    authn_uri: http::Uri,
}

impl Org {
    /// Checks the org URL: `https`, or `http` to a loopback address (the
    /// simulated org), with no path, query or credentials.
    pub(crate) fn parse(raw: &str) -> Result<Org, OktaError> {
        let config = |message: &str| OktaError::Config(message.to_owned());
        let url = Url::parse(raw.trim()).map_err(|error| {
            OktaError::Config(format!("the org URL is not a valid URL: {error}"))
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(config("the org URL must not contain credentials"));
        }
        if url.host().is_none() {
            return Err(config("the org URL has no host"));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(config(
                    "the org URL must use https (http is allowed only for a loopback address)",
                ));
            }
            _ => return Err(config("the org URL must use https")),
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(config(
                "the org URL must be only scheme and host, like https://example.okta.com",
            ));
        }
        let authn = url
            .join("api/v1/authn")
            .map_err(|error| OktaError::Config(format!("cannot build an endpoint URL: {error}")))?;
        let authn_uri = http::Uri::try_from(authn.as_str())
            .map_err(|error| OktaError::Config(format!("cannot build an endpoint URL: {error}")))?;
        Ok(Org {
            url,
            authn,
            authn_uri,
        })
    }

    /// The URL of `/api/v1/authn`.
    pub(crate) fn authn(&self) -> &Url {
        &self.authn
    }

    /// [`Org::authn`] as HTTP sends it.
    pub(crate) fn authn_uri(&self) -> &http::Uri {
        &self.authn_uri
    }

    /// The org's base URL.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// Whether the org is on a loopback address (the simulated org).
    pub(crate) fn is_loopback(&self) -> bool {
        is_loopback(&self.url)
    }

    /// The URL of an endpoint of the org (`api/v1/authn`).
    pub(crate) fn endpoint(&self, path: &str) -> Result<Url, OktaError> {
        self.url
            .join(path)
            .map_err(|error| OktaError::Config(format!("cannot build an endpoint URL: {error}")))
    }

    /// Turns an `href` from Okta's answers into a URL to call, refusing any
    /// that points outside the org (the API token must never leave it).
    pub(crate) fn resolve_link(&self, href: &str) -> Result<Url, OktaError> {
        let url = Url::parse(href).map_err(|error| {
            OktaError::Decode(format!("a link in the answer is not a URL: {error}"))
        })?;
        let org = &self.url;
        let same_origin = url.scheme() == org.scheme()
            && url.host_str() == org.host_str()
            && url.port_or_known_default() == org.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none();
        if same_origin {
            Ok(url)
        } else {
            Err(OktaError::Decode(
                "a link in the answer points outside the Okta org".into(),
            ))
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_url_rules() {
        for good in [
            "https://example.okta.com",
            "https://example.okta.com/",
            "http://127.0.0.1:8080",
            "http://[::1]:8080",
            "http://localhost:8080",
        ] {
            assert!(Org::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "http://example.okta.com",
            "ftp://example.okta.com",
            "https://example.okta.com/oauth2/default",
            "https://example.okta.com/?x=1",
            "https://user:pw@example.okta.com",
            "example.okta.com",
            "",
        ] {
            let error = Org::parse(bad).expect_err(bad);
            assert!(matches!(error, OktaError::Config(_)), "{bad}: {error}");
            assert!(!error.to_string().contains("pw"));
        }
    }

    #[test]
    fn links_stay_inside_the_org() {
        let org = Org::parse("https://example.okta.com").expect("org");
        assert!(
            org.resolve_link("https://example.okta.com/api/v1/authn/factors/x/verify")
                .is_ok()
        );
        assert!(org.resolve_link("https://example.okta.com:443/api").is_ok());
        for outside in [
            "https://evil.example/api/v1/authn",
            "http://example.okta.com/api/v1/authn",
            "https://example.okta.com:8443/api",
            "https://x@example.okta.com/api",
            "/relative",
        ] {
            assert!(org.resolve_link(outside).is_err(), "{outside}");
        }
    }
}
