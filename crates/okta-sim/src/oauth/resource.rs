//! The resource-server side of the simulated org: deciding whether a
//! management API request carries a valid access token, and for a
//! DPoP-bound token a valid proof (RFC 9449 §7): the key the token is bound
//! to, `htm`, `htu`, `ath`, a fresh `jti` and the current nonce.
//!
//! A refusal answers `401` with a `WWW-Authenticate` challenge, and a
//! `dpop-nonce` header when the nonce was stale, so the client can retry.

use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use url::Url;

use super::apps::SimOAuthApps;
use okta_api::error::codes;
use okta_api::oauth::{DPOP_NONCE_HEADER, USE_DPOP_NONCE, access_token_hash};
use okta_api::oauth::{TOKEN_PATH, TokenType};

/// What an accepted access token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedToken {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub token_type: TokenType,
}

impl GrantedToken {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }
}

/// Why a resource request was refused; answers as Okta's resource server
/// does. Its description never holds the token or the proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The `error` of the `WWW-Authenticate` challenge: `invalid_token`,
    /// `invalid_dpop_proof` or `use_dpop_nonce`.
    pub error: &'static str,
    pub description: String,
    /// The scheme of the challenge (`DPoP` or `Bearer`).
    pub scheme: &'static str,
    /// The nonce to use from now on (with `use_dpop_nonce`).
    pub nonce: Option<String>,
}

impl Rejection {
    fn new(scheme: &'static str, error: &'static str, description: impl Into<String>) -> Rejection {
        Rejection {
            error,
            description: description.into(),
            scheme,
            nonce: None,
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = json!({
            "errorCode": codes::INVALID_TOKEN,
            "errorSummary": "Invalid token provided",
            "errorLink": codes::INVALID_TOKEN,
            "errorId": "oae-sim",
            "errorCauses": [],
        });
        let mut response = (StatusCode::UNAUTHORIZED, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let challenge = format!(
            r#"{} error="{}", error_description="{}""#,
            self.scheme,
            self.error,
            self.description.replace('"', "'")
        );
        if let Ok(challenge) = HeaderValue::from_str(&challenge) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(nonce) = self
            .nonce
            .and_then(|nonce| HeaderValue::from_str(&nonce).ok())
        {
            headers.insert(DPOP_NONCE_HEADER, nonce);
        }
        response
    }
}

impl SimOAuthApps {
    /// Checks the access token (and DPoP proof) of a management request.
    /// `uri` may be absolute or, as axum hands it to a handler, a path with
    /// query: it is then taken relative to the org URL.
    pub fn check_resource_request(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<GrantedToken, Rejection> {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        let (scheme, presented) = match authorization.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("dpop") => ("DPoP", token.trim()),
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                ("Bearer", token.trim())
            }
            _ => {
                return Err(Rejection::new(
                    "DPoP",
                    "invalid_token",
                    "The access token is missing.",
                ));
            }
        };
        let Some(issued) = self.issued_token(presented) else {
            return Err(Rejection::new(
                scheme,
                "invalid_token",
                "The access token is invalid.",
            ));
        };
        if issued.expires_at <= Instant::now() {
            return Err(Rejection::new(
                scheme,
                "invalid_token",
                "The access token is expired.",
            ));
        }
        let granted = |token_type| GrantedToken {
            client_id: issued.client_id.clone(),
            scopes: issued.scopes.clone(),
            token_type,
        };
        let Some(jkt) = issued.jkt.as_deref() else {
            return if scheme == "Bearer" {
                Ok(granted(TokenType::Bearer))
            } else {
                Err(Rejection::new(
                    "DPoP",
                    "invalid_token",
                    "A bearer token was presented with the DPoP scheme.",
                ))
            };
        };
        if scheme != "DPoP" {
            return Err(Rejection::new(
                "DPoP",
                "invalid_token",
                "The access token is DPoP-bound and must be presented with the DPoP scheme.",
            ));
        }
        let proof = single_proof(headers)?;
        let url = self.absolute_url(uri).ok_or_else(|| {
            Rejection::new(
                "DPoP",
                "invalid_dpop_proof",
                "The request URL is not valid.",
            )
        })?;
        let checked =
            super::proofs::check_proof(proof, method.as_str(), &url, self.settings().proof_max_age)
                .map_err(|description| Rejection::new("DPoP", "invalid_dpop_proof", description))?;
        if checked.jkt != jkt {
            return Err(Rejection::new(
                "DPoP",
                "invalid_dpop_proof",
                "The DPoP proof key is not the key the access token is bound to.",
            ));
        }
        if checked.ath.as_deref() != Some(access_token_hash(presented).as_str()) {
            return Err(Rejection::new(
                "DPoP",
                "invalid_dpop_proof",
                "The DPoP proof ath does not match the access token.",
            ));
        }
        let current = self.current_dpop_nonce();
        if checked.nonce.as_deref() != Some(current.as_str()) {
            let mut rejection = Rejection::new(
                "DPoP",
                USE_DPOP_NONCE,
                "Resource server requires nonce in DPoP proof.",
            );
            rejection.nonce = Some(current);
            return Err(rejection);
        }
        if !self.first_use_of_proof(&checked.jti) {
            return Err(Rejection::new(
                "DPoP",
                "invalid_dpop_proof",
                "The DPoP proof jti was used before.",
            ));
        }
        self.with_record(&issued.client_id, |record| record.resource_requests += 1);
        Ok(granted(TokenType::DPoP))
    }

    fn absolute_url(&self, uri: &Uri) -> Option<Url> {
        if uri.scheme().is_some() {
            return Url::parse(&uri.to_string()).ok();
        }
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let token_url = self.token_url();
        let org = token_url.strip_suffix(TOKEN_PATH).unwrap_or(token_url);
        Url::parse(&format!("{org}{path}")).ok()
    }
}

fn single_proof(headers: &HeaderMap) -> Result<&str, Rejection> {
    let mut proofs = headers.get_all("dpop").iter();
    match (proofs.next(), proofs.next()) {
        (Some(proof), None) => proof.to_str().map_err(|_| {
            Rejection::new("DPoP", "invalid_dpop_proof", "The DPoP proof is not text.")
        }),
        (None, _) => Err(Rejection::new(
            "DPoP",
            "invalid_dpop_proof",
            "The DPoP proof header is missing.",
        )),
        (Some(_), Some(_)) => Err(Rejection::new(
            "DPoP",
            "invalid_dpop_proof",
            "More than one DPoP header was sent.",
        )),
    }
}
