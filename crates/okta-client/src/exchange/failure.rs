//! How a failed exchange reads as an [`OktaError`]: a transport failure
//! (timeout, connection, anything else), Okta's refusal as its error body
//! says it (`errorCode`, a bounded `errorSummary`), and JSON that does not
//! decode. Nothing here quotes a body: answers may hold tokens.

use okta_api::RateLimit;
use okta_api::error::{OktaErrorBody, codes};

use crate::error::OktaError;

/// Longest `errorSummary` kept in an error message.
const MAX_SUMMARY_CHARS: usize = 300;

/// The error for a 4xx/5xx answer: Okta's own refusal when the body is
/// Okta's error body, the bare status otherwise (a proxy or load balancer
/// answered).
pub(crate) fn refusal(
    http_status: u16,
    request_id: &Option<String>,
    rate_limit: Option<RateLimit>,
    body: &[u8],
) -> OktaError {
    match serde_json::from_slice::<OktaErrorBody>(body) {
        Ok(error) if !error.error_code.is_empty() => OktaError::Api {
            http_status,
            error_code: error.error_code,
            summary: error
                .error_summary
                .chars()
                .take(MAX_SUMMARY_CHARS)
                .collect(),
            request_id: request_id.clone(),
            rate_limit,
        },
        _ => OktaError::Status {
            http_status,
            request_id: request_id.clone(),
        },
    }
}

/// Whether an answer says the rate-limit bucket refused the call, for the
/// budget to read. A 429 for a code sent too soon (SMS, call, email) is
/// about one factor, not the bucket.
pub(crate) fn bucket_refused(http_status: u16, body: &Result<Vec<u8>, OktaError>) -> bool {
    http_status == 429
        && body.as_ref().map_or(true, |bytes| {
            serde_json::from_slice::<OktaErrorBody>(bytes).map_or(true, |body| {
                !matches!(
                    body.error_code.as_str(),
                    codes::SMS_TOO_SOON | codes::CALL_TOO_SOON | codes::EMAIL_TOO_SOON
                )
            })
        })
}

/// Whether a refusal is an OAuth error answer (RFC 6749 §5.2, with Okta's
/// 403 for `mfa_required` and `access_denied`): a body with an `error`.
pub(crate) fn is_oauth_answer(http_status: u16, body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct OAuthError {
        error: String,
    }
    matches!(http_status, 400 | 401 | 403)
        && serde_json::from_slice::<OAuthError>(body).is_ok_and(|answer| !answer.error.is_empty())
}

/// The error for a request that got no (complete) answer.
pub(crate) fn transport_error(error: reqwest::Error) -> OktaError {
    if error.is_timeout() {
        OktaError::Timeout
    } else if error.is_connect() {
        OktaError::Connect(describe(&error))
    } else {
        OktaError::Http(describe(&error))
    }
}

/// The error and its causes on one line. reqwest errors name the URL (which
/// holds no secret) and never the request body.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Where JSON decoding failed, without quoting the answer (it may hold tokens).
pub(crate) fn describe_json(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Io => "read error",
        Category::Syntax => "not valid JSON",
        Category::Data => "unexpected JSON content",
        Category::Eof => "truncated JSON",
    };
    format!("{what} at line {}, column {}", error.line(), error.column())
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_api::authn::AuthnResponse;

    #[test]
    fn json_errors_do_not_quote_the_answer() {
        let error =
            serde_json::from_str::<AuthnResponse>(r#"{"status": 5, "sessionToken": "tok-SECRET"}"#)
                .expect_err("bad");
        let text = describe_json(&error);
        assert!(!text.contains("SECRET"));
        assert!(text.starts_with("unexpected JSON content"));
    }

    #[test]
    fn refusals_read_okta_error_bodies_only() {
        let id = Some("req1".to_owned());
        let body = br#"{"errorCode":"E0000004","errorSummary":"Authentication failed"}"#;
        let error = refusal(401, &id, None, body);
        assert_eq!(error.code(), Some(codes::AUTHENTICATION_FAILED));
        assert_eq!(error.request_id(), Some("req1"));
        let proxy = refusal(502, &id, None, b"<html>Bad Gateway</html>");
        assert!(matches!(
            proxy,
            OktaError::Status {
                http_status: 502,
                ..
            }
        ));
    }

    #[test]
    fn a_code_sent_too_soon_leaves_the_bucket_alone() {
        let too_soon =
            br#"{"errorCode":"E0000109","errorSummary":"An SMS message was recently sent"}"#;
        assert!(!bucket_refused(429, &Ok(too_soon.to_vec())));
        let limited = br#"{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit"}"#;
        assert!(bucket_refused(429, &Ok(limited.to_vec())));
        assert!(bucket_refused(429, &Err(OktaError::Timeout)));
        assert!(!bucket_refused(200, &Ok(limited.to_vec())));
    }
}
