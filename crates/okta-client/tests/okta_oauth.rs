//! OAuth service-app credentials against the simulated org's authorization
//! server, over real HTTP on loopback: the DPoP nonce dance, caching and
//! refresh, invalidation, key rotation, the org's refusals (unknown kid,
//! replayed assertion, wrong audience, bad proof), the resource check, key
//! files, and that no secret ever shows in `Debug` output or errors.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use okta_api::jose::jws::CompactJws;
use okta_api::oauth::CLIENT_ASSERTION_TYPE;
use okta_client::oauth::{
    AccessTokenSource, ClientAssertion, ClientAssertionClaims, DpopKey, OAuthCredentials,
    OAuthError, SigningKey, TokenType, demands_new_nonce, generate_key_file,
};
use okta_sim::oauth::{self, SimOAuthServer, SimOAuthSettings, SimServiceApp};
use reqwest::header::{AUTHORIZATION, HeaderMap};
use reqwest::{Method, StatusCode, Url};
use secrecy::SecretString;

const CLIENT_ID: &str = "0oa-radius-bridge";
const SCOPES: [&str; 2] = ["okta.users.read", "okta.users.manage"];

fn scopes() -> Vec<String> {
    SCOPES.iter().map(|scope| (*scope).to_owned()).collect()
}

async fn org(settings: SimOAuthSettings, keys: &[&SigningKey]) -> SimOAuthServer {
    let server = oauth::start_for_tests(settings)
        .await
        .expect("the sim starts");
    server.apps().register(SimServiceApp {
        client_id: CLIENT_ID.to_owned(),
        keys: keys.iter().map(|key| key.public_jwk()).collect(),
        scopes: scopes(),
        require_dpop: true,
    });
    server
}

fn source(server: &SimOAuthServer, keys: Vec<SigningKey>, refresh: Duration) -> AccessTokenSource {
    let mut credentials = OAuthCredentials::new(
        Url::parse(&server.base_url()).unwrap(),
        CLIENT_ID,
        scopes(),
        keys,
    );
    credentials.refresh_margin = refresh;
    AccessTokenSource::new(reqwest::Client::new(), credentials).expect("valid credentials")
}

fn users_me(server: &SimOAuthServer) -> Url {
    Url::parse(&format!(
        "{}/api/v1/users/me?expand=none",
        server.base_url()
    ))
    .unwrap()
}

/// One management call the way the client will make it: retry once on a
/// nonce challenge, or after invalidating the token on another 401.
async fn get_users_me(server: &SimOAuthServer, tokens: &AccessTokenSource) -> StatusCode {
    let http = reqwest::Client::new();
    let url = users_me(server);
    let mut retried = false;
    loop {
        let headers = tokens.authorization(&Method::GET, &url).await.unwrap();
        let response = headers.apply(http.get(url.clone())).send().await.unwrap();
        tokens.note_response(response.headers());
        if response.status() == StatusCode::UNAUTHORIZED && !retried {
            retried = true;
            if !demands_new_nonce(response.status(), response.headers()) {
                tokens.invalidate();
            }
            continue;
        }
        return response.status();
    }
}

fn record(server: &SimOAuthServer) -> oauth::SimAppRecord {
    server.apps().record(CLIENT_ID).unwrap()
}

#[tokio::test]
async fn token_comes_after_the_nonce_dance_and_is_cached() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let server = org(SimOAuthSettings::default(), &[&key]).await;
    let tokens = source(&server, vec![key], Duration::from_secs(300));

    let token = tokens.access_token().await.unwrap();
    assert_eq!(token.token_type(), TokenType::DPoP);
    assert_eq!(token.scope(), "okta.users.read okta.users.manage");
    let after_first = record(&server);
    assert_eq!(
        after_first.token_requests, 2,
        "one refused for the nonce, one granted"
    );
    assert_eq!(after_first.tokens_issued, 1);

    let headers = tokens
        .authorization(&Method::GET, &users_me(&server))
        .await
        .unwrap();
    assert!(
        headers
            .authorization()
            .to_str()
            .unwrap()
            .starts_with("DPoP ")
    );
    assert!(headers.dpop().is_some());
    assert_eq!(
        record(&server),
        after_first,
        "the second call uses the cache"
    );

    assert_eq!(get_users_me(&server, &tokens).await, StatusCode::OK);
    assert_eq!(record(&server).tokens_issued, 1);
    assert_eq!(record(&server).resource_requests, 1);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let server = org(SimOAuthSettings::default(), &[&key]).await;
    let tokens = Arc::new(source(&server, vec![key], Duration::from_secs(300)));
    let url = users_me(&server);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let tokens = tokens.clone();
            let url = url.clone();
            tokio::spawn(async move { tokens.authorization(&Method::GET, &url).await.is_ok() })
        })
        .collect();
    for call in calls {
        assert!(call.await.unwrap());
    }
    assert_eq!(record(&server).tokens_issued, 1);
}

#[tokio::test]
async fn a_token_is_replaced_before_it_expires() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let settings = SimOAuthSettings {
        token_lifetime: Duration::from_secs(60),
        ..SimOAuthSettings::default()
    };
    let server = org(settings, &[&key]).await;
    // 60 s tokens with a 5 min margin are due for refresh as soon as received.
    let tokens = source(&server, vec![key.clone()], Duration::from_secs(300));
    let first = tokens.access_token().await.unwrap();
    let second = tokens.access_token().await.unwrap();
    assert_ne!(first.expose(), second.expose());
    let seen = record(&server);
    assert_eq!(seen.tokens_issued, 2);
    assert_eq!(
        seen.token_requests, 3,
        "the nonce is remembered after the first dance"
    );

    // The same lifetime with a 10 s margin stays cached.
    let tokens = source(&server, vec![key], Duration::from_secs(10));
    tokens.access_token().await.unwrap();
    tokens.access_token().await.unwrap();
    assert_eq!(record(&server).tokens_issued, 3);
}

#[tokio::test]
async fn invalidate_after_a_401_gets_a_new_token() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let server = org(SimOAuthSettings::default(), &[&key]).await;
    let tokens = source(&server, vec![key], Duration::from_secs(300));
    assert_eq!(get_users_me(&server, &tokens).await, StatusCode::OK);
    server.apps().revoke_all_tokens();
    assert_eq!(get_users_me(&server, &tokens).await, StatusCode::OK);
    assert_eq!(record(&server).tokens_issued, 2);

    tokens.invalidate();
    tokens.access_token().await.unwrap();
    assert_eq!(record(&server).tokens_issued, 3);
}

#[tokio::test]
async fn an_unregistered_kid_is_a_clear_invalid_client() {
    let registered = SigningKey::generate(Some("k1")).unwrap();
    let server = org(SimOAuthSettings::default(), &[&registered]).await;
    let stranger = SigningKey::generate(Some("k-removed")).unwrap();
    let tokens = source(&server, vec![stranger], Duration::from_secs(300));
    let error = tokens.access_token().await.unwrap_err();
    assert!(
        matches!(error, OAuthError::InvalidClient { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("invalid_client"), "{message}");
    assert!(message.contains("k-removed"), "{message}");
}

#[tokio::test]
async fn scopes_not_granted_are_refused() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let server = org(SimOAuthSettings::default(), &[&key]).await;
    let mut credentials = OAuthCredentials::new(
        Url::parse(&server.base_url()).unwrap(),
        CLIENT_ID,
        vec!["okta.users.read".into(), "okta.apps.manage".into()],
        vec![key],
    );
    credentials.refresh_margin = Duration::from_secs(300);
    let tokens = AccessTokenSource::new(reqwest::Client::new(), credentials).unwrap();
    let error = tokens.access_token().await.unwrap_err();
    assert!(
        matches!(error, OAuthError::InvalidScope { .. }),
        "{error:?}"
    );
}

/// Posts a token request by hand, with a proof carrying the org's nonce.
async fn post_assertion(
    server: &SimOAuthServer,
    assertion: &ClientAssertion,
) -> (StatusCode, String) {
    let token_url = Url::parse(server.apps().token_url()).unwrap();
    let nonce = server.apps().current_dpop_nonce();
    let proof = DpopKey::generate().proof(
        &Method::POST,
        &token_url,
        Some(&nonce),
        None,
        SystemTime::now(),
    );
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("scope", "okta.users.read")
        .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
        .append_pair("client_assertion", assertion.expose())
        .finish();
    let response = reqwest::Client::new()
        .post(token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("DPoP", proof.expose())
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_org_refuses_a_replayed_assertion_and_a_wrong_audience() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let server = org(SimOAuthSettings::default(), &[&key]).await;
    let token_url = Url::parse(server.apps().token_url()).unwrap();

    let assertion = ClientAssertion::sign(&key, CLIENT_ID, &token_url, SystemTime::now());
    let (status, _) = post_assertion(&server, &assertion).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post_assertion(&server, &assertion).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("invalid_client"), "{body}");
    assert!(body.contains("client_assertion_already_used"), "{body}");

    let elsewhere = Url::parse("https://example.okta.com/oauth2/v1/token").unwrap();
    let assertion = ClientAssertion::sign(&key, CLIENT_ID, &elsewhere, SystemTime::now());
    let (status, body) = post_assertion(&server, &assertion).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body.contains("invalid_client") && body.contains("aud"),
        "{body}"
    );

    let expired = SystemTime::now() - Duration::from_secs(600);
    let assertion = ClientAssertion::sign(&key, CLIENT_ID, &token_url, expired);
    let (status, body) = post_assertion(&server, &assertion).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("expired"), "{body}");
}

#[tokio::test]
async fn keys_rotate_without_downtime() {
    let old = SigningKey::generate(Some("k-2025")).unwrap();
    let new = SigningKey::generate(Some("k-2026")).unwrap();
    let server = org(SimOAuthSettings::default(), &[&old]).await;
    let tokens = source(&server, vec![old.clone()], Duration::from_secs(300));
    assert_eq!(get_users_me(&server, &tokens).await, StatusCode::OK);

    // 1. publish the new public key; 2. sign with it.
    assert!(server.apps().add_key(CLIENT_ID, new.public_jwk()));
    tokens
        .set_keys(vec![old.clone(), new.clone()], "k-2026")
        .unwrap();
    assert_eq!(tokens.active_kid(), "k-2026");
    assert_eq!(get_users_me(&server, &tokens).await, StatusCode::OK);
    assert_eq!(
        record(&server).tokens_issued,
        1,
        "the cached token stays in use"
    );
    tokens.invalidate();
    assert_eq!(get_users_me(&server, &tokens).await, StatusCode::OK);

    // 3. remove the old key from the app and from the bridge.
    assert!(server.apps().remove_key(CLIENT_ID, "k-2025"));
    tokens.set_keys(vec![new], "k-2026").unwrap();
    tokens.invalidate();
    assert_eq!(get_users_me(&server, &tokens).await, StatusCode::OK);

    let seen = record(&server);
    assert_eq!(seen.tokens_issued, 3);
    assert_eq!(seen.kids_used.first().map(String::as_str), Some("k-2025"));
    assert_eq!(seen.kids_used.last().map(String::as_str), Some("k-2026"));
    assert!(matches!(
        tokens.set_keys(vec![old], "k-2026"),
        Err(OAuthError::Keys(_))
    ));
}

/// Gets a DPoP-bound token by hand, with a key the test holds.
async fn token_by_hand(server: &SimOAuthServer, key: &SigningKey, dpop: &DpopKey) -> String {
    let token_url = Url::parse(server.apps().token_url()).unwrap();
    let nonce = server.apps().current_dpop_nonce();
    let proof = dpop.proof(
        &Method::POST,
        &token_url,
        Some(&nonce),
        None,
        SystemTime::now(),
    );
    let assertion = ClientAssertion::sign(key, CLIENT_ID, &token_url, SystemTime::now());
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("scope", "okta.users.read")
        .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
        .append_pair("client_assertion", assertion.expose())
        .finish();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("DPoP", proof.expose())
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["token_type"], "DPoP");
    answer["access_token"].as_str().unwrap().to_owned()
}

fn resource_headers(token: &str, proof: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", format!("DPoP {token}").parse().unwrap());
    headers.insert("dpop", proof.parse().unwrap());
    headers
}

#[tokio::test]
async fn the_resource_check_accepts_a_bound_request_and_refuses_bad_proofs() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let server = org(SimOAuthSettings::default(), &[&key]).await;
    let apps = server.apps();
    let dpop = DpopKey::generate();
    let token = token_by_hand(&server, &key, &dpop).await;
    let secret = SecretString::from(token.clone());
    let url = users_me(&server);
    let uri: http::Uri = "/api/v1/users/me?expand=none".parse().unwrap();
    let nonce = apps.current_dpop_nonce();
    let proof = |ath: Option<&SecretString>, nonce: &str| {
        dpop.proof(&Method::GET, &url, Some(nonce), ath, SystemTime::now())
    };

    let good = proof(Some(&secret), &nonce);
    let granted = apps
        .check_resource_request(&Method::GET, &uri, &resource_headers(&token, good.expose()))
        .unwrap();
    assert_eq!(granted.client_id, CLIENT_ID);
    assert!(granted.has_scope("okta.users.read"));
    let replay = apps
        .check_resource_request(&Method::GET, &uri, &resource_headers(&token, good.expose()))
        .unwrap_err();
    assert_eq!(replay.error, "invalid_dpop_proof");

    let other = SecretString::from("some-other-token".to_owned());
    let wrong_ath = proof(Some(&other), &nonce);
    let rejection = apps
        .check_resource_request(
            &Method::GET,
            &uri,
            &resource_headers(&token, wrong_ath.expose()),
        )
        .unwrap_err();
    assert_eq!(rejection.error, "invalid_dpop_proof");
    assert!(rejection.description.contains("ath"));

    let wrong_method = proof(Some(&secret), &nonce);
    let rejection = apps
        .check_resource_request(
            &Method::POST,
            &uri,
            &resource_headers(&token, wrong_method.expose()),
        )
        .unwrap_err();
    assert_eq!(rejection.error, "invalid_dpop_proof");

    let stranger = DpopKey::generate().proof(
        &Method::GET,
        &url,
        Some(&nonce),
        Some(&secret),
        SystemTime::now(),
    );
    let rejection = apps
        .check_resource_request(
            &Method::GET,
            &uri,
            &resource_headers(&token, stranger.expose()),
        )
        .unwrap_err();
    assert!(rejection.description.contains("bound"), "{rejection:?}");

    let mut bearer = resource_headers(&token, good.expose());
    bearer.insert("authorization", format!("Bearer {token}").parse().unwrap());
    let rejection = apps
        .check_resource_request(&Method::GET, &uri, &bearer)
        .unwrap_err();
    assert_eq!(rejection.error, "invalid_token");

    apps.rotate_dpop_nonce();
    let stale = proof(Some(&secret), &nonce);
    let rejection = apps
        .check_resource_request(
            &Method::GET,
            &uri,
            &resource_headers(&token, stale.expose()),
        )
        .unwrap_err();
    assert_eq!(rejection.error, "use_dpop_nonce");
    assert_eq!(rejection.nonce, Some(apps.current_dpop_nonce()));
    for text in [format!("{rejection:?}"), rejection.description.clone()] {
        assert!(!text.contains(&token));
    }
}

#[tokio::test]
async fn a_rotated_nonce_costs_one_retry_over_http() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let settings = SimOAuthSettings {
        nonce_period: Duration::from_secs(1),
        ..SimOAuthSettings::default()
    };
    let server = org(settings, &[&key]).await;
    let tokens = source(&server, vec![key], Duration::from_secs(300));
    assert_eq!(get_users_me(&server, &tokens).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1200)).await;

    // The raw answer is a nonce challenge the helper recognises...
    let url = users_me(&server);
    let headers = tokens.authorization(&Method::GET, &url).await.unwrap();
    let response = headers
        .apply(reqwest::Client::new().get(url.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(demands_new_nonce(response.status(), response.headers()));
    assert!(response.headers().contains_key("dpop-nonce"));
    tokens.note_response(response.headers());
    // ...and the retry with the new nonce passes, on the same token.
    let headers = tokens.authorization(&Method::GET, &url).await.unwrap();
    let response = headers
        .apply(reqwest::Client::new().get(url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(record(&server).tokens_issued, 1);
}

#[tokio::test]
async fn a_token_request_without_dpop_is_refused_when_required() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let server = org(SimOAuthSettings::default(), &[&key]).await;
    let token_url = Url::parse(server.apps().token_url()).unwrap();
    let assertion = ClientAssertion::sign(&key, CLIENT_ID, &token_url, SystemTime::now());
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("scope", "okta.users.read")
        .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
        .append_pair("client_assertion", assertion.expose())
        .finish();
    let response = reqwest::Client::new()
        .post(token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("invalid_dpop_proof")
    );
}

#[test]
fn generated_key_files_are_private_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("okta-app.pem");
    let jwk = generate_key_file(&path, Some("k1")).unwrap();
    assert_eq!(jwk.kid.as_deref(), Some("k1"));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let before = std::fs::read(&path).unwrap();
    assert!(generate_key_file(&path, None).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let key = SigningKey::from_pem_file(&path, Some("k1")).unwrap();
    assert_eq!(key.public_jwk(), jwk);
    let json = serde_json::to_value(&jwk).unwrap();
    assert_eq!(json["kty"], "EC");
    assert_eq!(json["crv"], "P-256");
    assert_eq!(json["use"], "sig");
    assert_eq!(json["alg"], "ES256");
    assert!(json.get("d").is_none());
}

#[test]
fn assertion_claims_are_what_okta_demands() {
    let key = SigningKey::generate(Some("k1")).unwrap();
    let token_url = Url::parse("https://example.okta.com/oauth2/v1/token").unwrap();
    let assertion = ClientAssertion::sign(&key, CLIENT_ID, &token_url, SystemTime::now());
    let jws = CompactJws::decode(assertion.expose()).unwrap();
    assert_eq!(jws.header_str("alg"), Some("ES256"));
    assert_eq!(jws.header_str("kid"), Some("k1"));
    jws.verify_es256(&key.public_jwk().verifying_key().unwrap())
        .unwrap();
    let claims: ClientAssertionClaims =
        serde_json::from_value(serde_json::Value::Object(jws.claims.clone())).unwrap();
    assert_eq!(claims.iss, CLIENT_ID);
    assert_eq!(claims.sub, CLIENT_ID);
    assert_eq!(claims.aud, token_url.as_str());
    assert!(claims.exp > claims.iat && claims.exp - claims.iat <= 3600);
    assert!(!claims.jti.is_empty());
}

#[tokio::test]
async fn no_debug_output_or_error_shows_secret_material() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("okta-app.pem");
    generate_key_file(&path, Some("k1")).unwrap();
    let pem = std::fs::read_to_string(&path).unwrap();
    let pem_body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let key = SigningKey::from_pem_file(&path, Some("k1")).unwrap();

    let server = org(SimOAuthSettings::default(), &[&key]).await;
    let credentials = OAuthCredentials::new(
        Url::parse(&server.base_url()).unwrap(),
        CLIENT_ID,
        scopes(),
        vec![key.clone()],
    );
    let credentials_debug = format!("{credentials:?}");
    let tokens = source(&server, vec![key.clone()], Duration::from_secs(300));
    let token = tokens.access_token().await.unwrap();
    let url = users_me(&server);
    let headers = tokens.authorization(&Method::GET, &url).await.unwrap();
    let proof_text = headers.dpop().unwrap().to_str().unwrap().to_owned();
    let authorization = headers.authorization().to_str().unwrap().to_owned();
    let token_url = Url::parse(server.apps().token_url()).unwrap();
    let assertion = ClientAssertion::sign(&key, CLIENT_ID, &token_url, SystemTime::now());
    let dpop = DpopKey::generate();
    let proof = dpop.proof(&Method::GET, &url, None, None, SystemTime::now());
    let mut request_headers = HeaderMap::new();
    request_headers.insert(AUTHORIZATION, headers.authorization().clone());
    let stranger = SigningKey::generate(Some("nope")).unwrap();
    let failing = source(&server, vec![stranger], Duration::from_secs(300));
    let error = failing.access_token().await.unwrap_err();

    let printed = [
        credentials_debug,
        format!("{key:?} {key:#?}"),
        format!("{tokens:?} {tokens:#?}"),
        format!("{token:?}"),
        format!("{headers:?}"),
        format!("{request_headers:?}"),
        format!("{assertion:?}"),
        format!("{dpop:?}"),
        format!("{proof:?}"),
        format!("{:?}", server.apps()),
        format!("{error:?} {error}"),
    ]
    .join("\n");
    let secrets = [
        pem_body.clone(),
        pem_body[pem_body.len() - 40..].to_owned(),
        token.expose().to_owned(),
        authorization,
        proof_text.clone(),
        proof_text.rsplit('.').next().unwrap().to_owned(),
        assertion.expose().to_owned(),
        proof.expose().to_owned(),
    ];
    for secret in &secrets {
        assert!(
            !printed.contains(secret.as_str()),
            "secret material in debug output"
        );
    }
    // The raw private scalar, in the encodings a careless Debug might use.
    let der = base64::engine::general_purpose::STANDARD
        .decode(&pem_body)
        .unwrap();
    // SEC1 ECPrivateKey inside the PKCS#8: version 1, then OCTET STRING (32).
    let marker = [0x02, 0x01, 0x01, 0x04, 0x20];
    let at = der
        .windows(marker.len())
        .position(|window| window == marker)
        .unwrap()
        + marker.len();
    let scalar = &der[at..at + 32];
    for encoded in [
        hex::encode(scalar),
        hex::encode_upper(scalar),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(scalar),
        base64::engine::general_purpose::STANDARD.encode(scalar),
        format!("{scalar:?}"),
    ] {
        assert!(
            !printed.contains(&encoded),
            "the private scalar in debug output"
        );
    }
}
