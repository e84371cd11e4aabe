//! Reading the System Log (`GET /api/v1/logs`) as a polling client: the
//! first request names `since` and a `filter` on the event types wanted,
//! with no `until`, and every answer carries the `next` link to follow for
//! the events persisted after it. The link is Okta's cursor: it is kept
//! whole (and checked to stay in the org), never rebuilt.
//!
//! Calls are made as the service account (the API token, or the OAuth
//! service app with `okta.logs.read`), in the System Log's own rate-limit
//! bucket and a class that gives way to logins when the bucket runs short.

use std::fmt;
use std::time::SystemTime;

use reqwest::{Method, Url};

use super::budget::CallClass;
use super::call::{CallKind, Caller};
use super::error::OktaError;
use super::exchange::{Exchange, OktaReply, Request};
use super::org::Org;
use okta_api::system_log::{LogEvent, event_type_filter};
use okta_api::time::okta_timestamp;

/// How the System Log is read.
const SYSTEM_LOG: CallKind = CallKind::new(Caller::ServiceAccount, CallClass::SystemLog);

/// Events asked for per page.
pub const PAGE_LIMIT: usize = 100;

/// Where a poll starts: from a time (the first poll ever), or from the
/// `next` link of the previous answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogCursor {
    Since {
        since: SystemTime,
        event_types: Vec<String>,
    },
    Next(String),
}

/// One page of events and the link to poll next.
#[derive(Debug, Clone)]
pub struct LogPage {
    pub events: Vec<LogEvent>,
    /// Okta always gives one to a polling request; `None` only if it did not.
    pub next: Option<String>,
}

/// The System Log API of one org: [`crate::OktaClient::system_log`].
#[derive(Clone, Copy)]
pub struct SystemLog<'a> {
    org: &'a Org,
    exchange: &'a Exchange,
}

impl fmt::Debug for SystemLog<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemLog")
            .field("org", &self.org.url().as_str())
            .finish_non_exhaustive()
    }
}

impl<'a> SystemLog<'a> {
    pub(crate) fn new(org: &'a Org, exchange: &'a Exchange) -> SystemLog<'a> {
        SystemLog { org, exchange }
    }

    /// One polling request from `cursor`.
    pub async fn poll(self, cursor: &LogCursor) -> Result<OktaReply<LogPage>, OktaError> {
        let url = match cursor {
            LogCursor::Since { since, event_types } => {
                let mut url = self.org.endpoint("api/v1/logs")?;
                url.query_pairs_mut()
                    .append_pair("since", &okta_timestamp(*since))
                    .append_pair(
                        "filter",
                        &event_type_filter(event_types.iter().map(String::as_str)),
                    )
                    .append_pair("limit", &PAGE_LIMIT.to_string())
                    .append_pair("sortOrder", "ASCENDING");
                url
            }
            LogCursor::Next(href) => self.follow(href)?,
        };
        let call = Request::new(SYSTEM_LOG, Method::GET, url);
        let (reply, next): (OktaReply<Vec<LogEvent>>, _) =
            self.exchange.send(call).await?.decode_page()?;
        if let Some(href) = &next {
            // A link out of the org is refused now, not when it is followed.
            self.follow(href)?;
        }
        let OktaReply {
            body,
            request_id,
            rate_limit,
            http_status,
        } = reply;
        Ok(OktaReply {
            body: LogPage { events: body, next },
            request_id,
            rate_limit,
            http_status,
        })
    }

    fn follow(self, href: &str) -> Result<Url, OktaError> {
        self.org.resolve_link(href)
    }
}
