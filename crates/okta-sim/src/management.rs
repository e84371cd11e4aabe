//! The management API of the simulated org, the calls the bridge makes with
//! its service account:
//!
//! - `GET /api/v1/users/me`: the admin that owns the API token (the cheapest
//!   call that succeeds, used to check and keep alive a token);
//! - `GET /api/v1/users/{id or login}` and `GET /api/v1/users?search=...`
//!   (`profile.login eq "..."`, `profile.email eq "..."`);
//! - `GET /api/v1/users/{id}/groups`, paginated with a `limit` (default
//!   [`super::config::SimConfig::group_page_size`]) and RFC 8288
//!   `Link` headers (`rel="self"`, `rel="next"`), every user in `Everyone`;
//! - `GET /api/v1/users/{id}/factors`, phone numbers and emails unmasked.
//!
//! Factor verification through this API lives in [`super::user_factors`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::org::SimOrg;
use super::user_store::UserView;
use super::{ids, responses, states};
use okta_api::error::codes;
use okta_api::time::okta_timestamp;

/// `GET /api/v1/users/me`.
pub(super) async fn users_me(State(org): State<Arc<SimOrg>>) -> Response {
    let login = org.admin_login.as_str();
    let id = ids::stable_id("00u", login);
    let started = okta_timestamp(org.started);
    responses::json(
        StatusCode::OK,
        json!({
            "id": id,
            "status": "ACTIVE",
            "created": started,
            "activated": started,
            "statusChanged": started,
            "lastLogin": started,
            "passwordChanged": started,
            "type": {"id": ids::stable_id("oty", "default")},
            "profile": {
                "login": login,
                "email": login,
                "firstName": "RADIUS",
                "lastName": "Service",
                "locale": "en_US",
                "timeZone": "UTC"
            },
            "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
            "_links": {"self": {"href": format!("{}/api/v1/users/{id}", org.base_url)}}
        }),
    )
}

/// Whether `key` names the API token's admin (by id or login).
fn is_admin(org: &SimOrg, key: &str) -> bool {
    key == org.admin_login || key == ids::stable_id("00u", &org.admin_login)
}

/// `GET /api/v1/users/{id or login}`.
pub(super) async fn user(State(org): State<Arc<SimOrg>>, Path(key): Path<String>) -> Response {
    match org.users.by_id_or_login(&key) {
        Some(user) => responses::json(StatusCode::OK, user_json(&org, &user)),
        None => responses::not_found(&key, "User"),
    }
}

/// `GET /api/v1/users?search=profile.login eq "..."`.
pub(super) async fn search(
    State(org): State<Arc<SimOrg>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(expression) = query.get("search") else {
        return responses::json(StatusCode::OK, json!([]));
    };
    let Some((attribute, value)) = parse_eq(expression) else {
        return responses::okta_error_with_causes(
            StatusCode::BAD_REQUEST,
            codes::VALIDATION_FAILED,
            "Api validation failed: search",
            &[
                "The simulated org understands only profile.login eq \"...\" and profile.email eq \"...\"",
            ],
        );
    };
    let found = match attribute {
        "profile.login" => org.users.by_login(&value),
        _ => org.users.by_email(&value),
    };
    let users: Vec<Value> = found.iter().map(|user| user_json(&org, user)).collect();
    responses::json(StatusCode::OK, Value::Array(users))
}

/// `attribute eq "value"` (with `\"` and `\\` escapes) -> (attribute, value).
fn parse_eq(expression: &str) -> Option<(&str, String)> {
    let (attribute, rest) = expression.trim().split_once(' ')?;
    let quoted = rest.trim_start().strip_prefix("eq")?.trim();
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut value = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?),
            '"' => return None,
            c => value.push(c),
        }
    }
    matches!(attribute, "profile.login" | "profile.email").then_some((attribute, value))
}

/// `GET /api/v1/users/{id}/groups?limit=&after=`.
pub(super) async fn groups(
    State(org): State<Arc<SimOrg>>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    // The API token's admin is a user of the org too, in Everyone only.
    let (user_id, user_groups) = if is_admin(&org, &key) {
        (ids::stable_id("00u", &org.admin_login), Vec::new())
    } else {
        let Some(user) = org.users.by_id_or_login(&key) else {
            return responses::not_found(&key, "User");
        };
        (user.id.clone(), user.user.groups.clone())
    };
    let limit = match query.get("limit").map(|limit| limit.parse::<usize>()) {
        None => org.group_page_size,
        Some(Ok(limit)) if limit > 0 => limit,
        Some(_) => {
            return responses::okta_error_with_causes(
                StatusCode::BAD_REQUEST,
                codes::VALIDATION_FAILED,
                "Api validation failed: limit",
                &["limit: must be a positive number"],
            );
        }
    };
    let started = okta_timestamp(org.started);
    let mut all = vec![group_json(&org, "Everyone", "BUILT_IN", &started)];
    for name in &user_groups {
        all.push(group_json(&org, name, "OKTA_GROUP", &started));
    }
    let start = match query.get("after") {
        None => 0,
        Some(after) => match all.iter().position(|group| group["id"] == after.as_str()) {
            Some(index) => index + 1,
            None => all.len(),
        },
    };
    let page: Vec<Value> = all.iter().skip(start).take(limit).cloned().collect();
    let base = format!("{}/api/v1/users/{user_id}/groups", org.base_url);
    let mut links = vec![format!("<{base}?limit={limit}>; rel=\"self\"")];
    if start + page.len() < all.len()
        && let Some(last) = page.last().and_then(|group| group["id"].as_str())
    {
        links.push(format!("<{base}?after={last}&limit={limit}>; rel=\"next\""));
    }
    let mut response = responses::json(StatusCode::OK, Value::Array(page));
    for link in links {
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().append(header::LINK, value);
        }
    }
    response
}

/// `GET /api/v1/users/{id}/factors`.
pub(super) async fn factors(State(org): State<Arc<SimOrg>>, Path(key): Path<String>) -> Response {
    if is_admin(&org, &key) {
        // The admin enrolled no factor the bridge could verify.
        return responses::json(StatusCode::OK, json!([]));
    }
    let Some(user) = org.users.by_id_or_login(&key) else {
        return responses::not_found(&key, "User");
    };
    let started = okta_timestamp(org.started);
    let factors: Vec<Value> = user
        .factors
        .iter()
        .map(|(id, factor)| {
            let href = format!("{}/api/v1/users/{}/factors/{id}", org.base_url, user.id);
            json!({
                "id": id,
                "factorType": factor.factor_type.as_str(),
                "provider": factor.provider.as_str(),
                "vendorName": factor.provider.as_str(),
                "status": "ACTIVE",
                "created": started,
                "lastUpdated": started,
                "profile": states::factor_profile(user.login(), factor, false),
                "_links": {
                    "self": {"href": href, "hints": {"allow": ["GET", "DELETE"]}},
                    "verify": {"href": format!("{href}/verify"), "hints": {"allow": ["POST"]}},
                    "user": {"href": format!("{}/api/v1/users/{}", org.base_url, user.id)}
                }
            })
        })
        .collect();
    responses::json(StatusCode::OK, Value::Array(factors))
}

fn user_json(org: &SimOrg, user: &UserView) -> Value {
    let started = okta_timestamp(org.started);
    let sim = &user.user;
    let mut profile = json!({
        "login": sim.login,
        "email": sim.email.as_deref().unwrap_or(&sim.login),
        "firstName": sim.first_name,
        "lastName": sim.last_name,
        "displayName": format!("{} {}", sim.first_name, sim.last_name),
        "locale": "en_US",
        "timeZone": "America/Los_Angeles"
    });
    if let Value::Object(fields) = &mut profile {
        for (name, value) in &sim.profile {
            fields.insert(name.clone(), Value::from(value.as_str()));
        }
    }
    let status = user_status(org, user);
    json!({
        "id": user.id,
        "status": status,
        "created": started,
        "activated": started,
        "statusChanged": started,
        "lastLogin": started,
        "lastUpdated": started,
        "passwordChanged": started,
        "type": {"id": ids::stable_id("oty", "default")},
        "profile": profile,
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": {"self": {"href": format!("{}/api/v1/users/{}", org.base_url, user.id)}}
    })
}

fn user_status(org: &SimOrg, user: &UserView) -> &'static str {
    org.users
        .status(user.login())
        .unwrap_or(user.user.status)
        .as_str()
}

fn group_json(org: &SimOrg, name: &str, group_type: &str, started: &str) -> Value {
    let id = ids::stable_id("00g", name);
    json!({
        "id": id,
        "created": started,
        "lastUpdated": started,
        "lastMembershipUpdated": started,
        "objectClass": ["okta:user_group"],
        "type": group_type,
        "profile": {
            "name": name,
            "description": if group_type == "BUILT_IN" {
                "All users in your organization".to_owned()
            } else {
                format!("The {name} group")
            }
        },
        "_links": {"users": {"href": format!("{}/api/v1/groups/{id}/users", org.base_url)}}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_expressions() {
        assert_eq!(
            parse_eq(r#"profile.login eq "a/b+c@example.com""#),
            Some(("profile.login", "a/b+c@example.com".to_owned()))
        );
        assert_eq!(
            parse_eq(r#"profile.login eq "say \"hi\"""#),
            Some(("profile.login", "say \"hi\"".to_owned()))
        );
        assert_eq!(parse_eq(r#"profile.city eq "x""#), None);
        assert_eq!(parse_eq(r#"profile.login sw "x""#), None);
        assert_eq!(parse_eq("profile.login eq x"), None);
    }
}
