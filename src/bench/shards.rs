//! Several simulated Okta orgs behind one address, for benchmarks that hold
//! more transactions at once than one simulated org keeps (it keeps 10,000
//! open transactions and 10,000 pushes, evicting the oldest).
//!
//! A primary `/api/v1/authn` call goes to the shard chosen by a hash of its
//! `username`; every later call of the transaction follows its `stateToken`
//! to the same shard. Links in answers are rewritten to this address, so the
//! client's same-origin check on links holds. Bodies are passed through
//! untouched otherwise and never logged (they hold passwords and tokens).

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use dashmap::DashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Largest request body passed on.
const MAX_BODY: usize = 64 * 1024;

/// Request headers passed to the shard.
const FORWARDED_REQUEST_HEADERS: [&str; 5] = [
    "authorization",
    "content-type",
    "accept",
    "user-agent",
    "x-forwarded-for",
];

/// The router's state: the shards' base URLs and which shard holds each
/// transaction.
pub struct ShardRouter {
    shards: Vec<String>,
    public_url: String,
    transactions: DashMap<String, usize>,
    http: reqwest::Client,
}

impl ShardRouter {
    pub fn new(shards: Vec<String>, public_url: String) -> reqwest::Result<ShardRouter> {
        Ok(ShardRouter {
            shards,
            public_url,
            transactions: DashMap::new(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()?,
        })
    }

    fn shard_for(&self, body: &serde_json::Value) -> usize {
        if let Some(token) = body.get("stateToken").and_then(|t| t.as_str())
            && let Some(shard) = self.transactions.get(token)
        {
            return *shard;
        }
        match body.get("username").and_then(|u| u.as_str()) {
            Some(username) => {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                username.to_lowercase().hash(&mut hasher);
                (hasher.finish() % self.shards.len().max(1) as u64) as usize
            }
            None => 0,
        }
    }
}

/// The axum app of the router.
pub fn app(router: Arc<ShardRouter>) -> axum::Router {
    axum::Router::new().fallback(forward).with_state(router)
}

async fn forward(State(router): State<Arc<ShardRouter>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let shard = router.shard_for(&json);
    let Some(base) = router.shards.get(shard) else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut outgoing = router
        .http
        .request(parts.method.clone(), format!("{base}{path}"))
        .body(body);
    for name in FORWARDED_REQUEST_HEADERS {
        if let Some(value) = parts.headers.get(name) {
            outgoing = outgoing.header(name, value);
        }
    }
    let Ok(answer) = outgoing.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let Ok(bytes) = answer.bytes().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let text = String::from_utf8_lossy(&bytes).replace(base.as_str(), &router.public_url);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(token) = value.get("stateToken").and_then(|t| t.as_str())
    {
        router.transactions.insert(token.to_owned(), shard);
    }
    let mut response = Response::new(Body::from(Bytes::from(text)));
    *response.status_mut() = status;
    for (name, value) in headers.iter() {
        let name: &HeaderName = name;
        if name.as_str().starts_with("x-") || name == "content-type" {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}
