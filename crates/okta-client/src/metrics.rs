//! The names of the metrics the Okta client records (through the `metrics`
//! facade; the service installs the exporter). Prometheus conventions:
//! `_total` for counters, base units, small fixed label sets.

/// Okta calls, by `endpoint` (authn, authn_verify, users_me, user, user_groups, ...) and HTTP `status` ("error" without an answer).
pub const OKTA_CALLS: &str = "okta_calls_total";
/// Time of one Okta HTTP exchange, by `endpoint`.
pub const OKTA_CALL_DURATION: &str = "okta_call_duration_seconds";
/// Calls left in the current rate-limit window, by `bucket` (authn, user, api, token).
pub const OKTA_RATE_LIMIT_REMAINING: &str = "okta_rate_limit_remaining";
/// Calls the rate-limit budget delayed, by `class` and `bucket`.
pub const OKTA_BUDGET_WAITS: &str = "okta_budget_waits_total";
/// Calls the rate-limit budget refused (the wait would pass the deadline), by `class` and `bucket`.
pub const OKTA_BUDGET_REJECTIONS: &str = "okta_budget_rejections_total";
/// Okta requests in flight (capped by `okta.max_concurrent`).
pub const OKTA_CONCURRENT: &str = "okta_requests_in_flight";
/// -1 until Okta has accepted or refused the API token (also without one), 1 while it works, 0 once Okta refused it (401 E0000011).
pub const OKTA_CREDENTIAL_VALID: &str = "okta_credential_valid";
/// 1 while Okta answered the last call, 0 while it does not answer.
pub const OKTA_UP: &str = "okta_up";
/// Last successful call with the API token, as a Unix timestamp.
pub const OKTA_TOKEN_LAST_USE: &str = "okta_api_token_last_use_timestamp_seconds";
/// When the API token expires if not used again (last use + 30 days), Unix timestamp.
pub const OKTA_TOKEN_PREDICTED_EXPIRY: &str = "okta_api_token_predicted_expiry_timestamp_seconds";
/// Keep-alive and credential-probe calls, by `result` (ok, error).
pub const OKTA_KEEPALIVE_CALLS: &str = "okta_keepalive_calls_total";
/// Age of the authorization server's key set (`/keys`) at its last use or fetch, in seconds.
pub const OKTA_JWKS_AGE: &str = "okta_jwks_age_seconds";
/// Fetches of `/keys`, by `result` (ok, unreachable, invalid).
pub const OKTA_JWKS_FETCHES: &str = "okta_jwks_fetches_total";
/// ID tokens refused, by `reason` (id_token_bad_signature, id_token_expired, ...).
pub const OKTA_ID_TOKENS_REJECTED: &str = "okta_id_tokens_rejected_total";
