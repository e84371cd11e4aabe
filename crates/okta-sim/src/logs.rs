//! `GET /api/v1/logs`, the System Log API as the bridge polls it:
//!
//! - `since` and no `until` make a polling request: the answer always
//!   carries `Link: <...>; rel="next"`, with an `after` cursor past the
//!   last event looked at, the same `filter` and `limit`; following it
//!   later returns the events persisted since, oldest first;
//! - with `until` the query is bounded, and `next` comes only while a page
//!   was full;
//! - `filter` understands `eventType eq "..."` terms joined by `or`
//!   (optionally in parentheses), which is what the bridge sends;
//! - `limit` is 100 by default, at most 1000;
//! - an OAuth access token needs the scope `okta.logs.read` (403 otherwise).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::oauth::GrantedToken;
use super::org::SimOrg;
use super::responses;
use okta_api::error::codes;
use okta_api::time::parse_timestamp;

/// The scope an OAuth app needs to read the System Log.
pub(crate) const LOGS_READ_SCOPE: &str = "okta.logs.read";

/// How far back `since` reaches when a request gives none.
const DEFAULT_LOOKBACK: Duration = Duration::from_secs(7 * 86_400);

/// `GET /api/v1/logs`.
pub(super) async fn logs(
    State(org): State<Arc<SimOrg>>,
    grant: Option<Extension<GrantedToken>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(Extension(grant)) = grant
        && !grant.has_scope(LOGS_READ_SCOPE)
    {
        return responses::okta_error(
            StatusCode::FORBIDDEN,
            codes::FORBIDDEN,
            "You do not have permission to access the feature you are requesting",
        );
    }
    let invalid = |what: &str| {
        responses::okta_error_with_causes(
            StatusCode::BAD_REQUEST,
            codes::VALIDATION_FAILED,
            "Api validation failed",
            &[what],
        )
    };
    let time = |key: &str| match query.get(key) {
        None => Ok(None),
        Some(text) => parse_timestamp(text).map(Some).ok_or(()),
    };
    let Ok(since) = time("since") else {
        return invalid("since: not an ISO 8601 timestamp");
    };
    let Ok(until) = time("until") else {
        return invalid("until: not an ISO 8601 timestamp");
    };
    let limit = match query.get("limit").map(|limit| limit.parse::<usize>()) {
        None => 100,
        Some(Ok(limit)) if (1..=1000).contains(&limit) => limit,
        Some(_) => return invalid("limit: between 1 and 1000"),
    };
    let after = match query.get("after").map(|after| after.parse::<u64>()) {
        None => None,
        Some(Ok(after)) => Some(after),
        Some(Err(_)) => return invalid("after: not a cursor this org gave"),
    };
    let filter = query.get("filter").map(String::as_str).unwrap_or("");
    let Some(types) = parse_filter(filter) else {
        return invalid("filter: the simulated org understands eventType eq \"...\" joined by or");
    };
    let since = since.or_else(|| SystemTime::now().checked_sub(DEFAULT_LOOKBACK));
    let (events, cursor) = org.system_log.read(after, since, until, limit, |event| {
        types.is_empty() || types.contains(&event.event_type)
    });
    let full = events.len() >= limit;
    let mut response = responses::json(
        StatusCode::OK,
        serde_json::to_value(&events).unwrap_or_default(),
    );
    let polling = until.is_none();
    if polling || full {
        let mut next = format!(
            "{}/api/v1/logs?after={cursor}&limit={limit}&sortOrder=ASCENDING",
            org.base_url
        );
        if !filter.is_empty() {
            next.push_str("&filter=");
            next.push_str(&form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>());
        }
        if let Some(until) = query.get("until") {
            next.push_str("&until=");
            next.push_str(&form_urlencoded::byte_serialize(until.as_bytes()).collect::<String>());
        }
        if let Ok(value) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
            response.headers_mut().append(header::LINK, value);
        }
    }
    response
}

/// The event types a filter asks for (empty: every type); `None` when the
/// filter is not one this org understands.
fn parse_filter(filter: &str) -> Option<Vec<String>> {
    let mut text = filter.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        text = inner.trim();
    }
    if text.is_empty() {
        return Some(Vec::new());
    }
    let mut types = Vec::new();
    for term in text.split(" or ") {
        let mut term = term.trim();
        while let Some(inner) = term.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
            term = inner.trim();
        }
        let value = term
            .strip_prefix("eventType")?
            .trim_start()
            .strip_prefix("eq")?
            .trim();
        let value = value.strip_prefix('"')?.strip_suffix('"')?;
        if value.contains('"') {
            return None;
        }
        types.push(value.to_owned());
    }
    Some(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_of_event_types() {
        assert_eq!(parse_filter(""), Some(vec![]));
        assert_eq!(
            parse_filter("eventType eq \"a.b\" or (eventType eq \"c\")"),
            Some(vec!["a.b".to_owned(), "c".to_owned()])
        );
        assert_eq!(parse_filter("actor.id eq \"x\""), None);
        assert_eq!(parse_filter("eventType sw \"user\""), None);
    }
}
