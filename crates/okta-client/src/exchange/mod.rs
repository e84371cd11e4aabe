//! The one place that talks HTTP to Okta. It owns the connection pool, the
//! rate-limit budget, the credentials (API token, OAuth service app) and
//! their state, and knows nothing of the calls it carries: every call
//! arrives as a [`Request`] and leaves as a [`RawAnswer`] or an
//! [`OktaError`]. Each call goes through these steps:
//!
//! - refused without being sent when it needs the API token and Okta is
//!   known to refuse it ([`OktaError::CredentialInvalid`]);
//! - admitted by the budget (class, bucket, per-user limit, concurrency
//!   cap, the request's deadline);
//! - authorized for its caller (`SSWS`, or an OAuth DPoP token and proof,
//!   retried once on a nonce demand or a 401), with the `User-Agent`, JSON
//!   and `X-Forwarded-For` headers;
//! - its answer read: `X-Okta-Request-Id`, `X-Rate-Limit-*` and `Date` (the
//!   clock the reset is on), the body within its size bound; the budget,
//!   the credential state and the metrics told;
//! - a refusal classified into [`OktaError`];
//! - a 429 retried after the window's reset when the call may be repeated
//!   (never a password or a code) and the deadline allows, with
//!   `X-Okta-Retry-For` and `X-Okta-Retry-Count` ([`retry`]).

mod answer;
mod authorization;
mod call_metrics;
mod failure;
mod org_connections;
mod org_tls;
mod pool;
mod request;
mod retry;
mod transport;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use secrecy::SecretString;

use answer::Head;
pub use answer::OktaReply;
pub(crate) use answer::RawAnswer;
use authorization::{Authorization, Credential, api_token_header};
use call_metrics::CallMetrics;
pub(crate) use request::Request;
use retry::Attempt;
use transport::{Answer, Transport};

use crate::budget::{Budget, OktaBucket, Permit};
use crate::call::{CallKind, endpoint_label};
use crate::credential::CredentialState;
use crate::error::{OktaError, codes};
use crate::oauth::{AccessTokenSource, SigningKey};
use crate::settings::OktaSettings;

/// The HTTP exchange with one org.
pub(crate) struct Exchange {
    transport: Transport,
    /// The most one call may take, its answer read.
    request_timeout: Duration,
    budget: Budget,
    credential: CredentialState,
    authorization: Authorization,
    metrics: CallMetrics,
}

/// What the steps of one call share.
struct Target<'c> {
    /// The URL's path, for logs: links may carry query parameters.
    path: &'c str,
    /// The endpoint label of metrics and logs.
    endpoint: &'static str,
    bucket: OktaBucket,
    credential: Credential,
}

impl Exchange {
    /// Makes the budget one of a fleet's.
    pub(crate) fn join_fleet_budget(&self, fleet: std::sync::Arc<dyn crate::budget::FleetBudget>) {
        self.budget.join_fleet(fleet);
    }

    /// Checks the credentials in `settings` and builds the connection pool;
    /// the OAuth service app's token endpoint is at `org`. The API token may
    /// be empty only when an OAuth service app is configured.
    pub(crate) fn new(
        settings: OktaSettings,
        org: &Url,
        loopback_org: bool,
        direct: bool,
    ) -> Result<Exchange, OktaError> {
        let api_token = api_token_header(&settings.api_token)?;
        if api_token.is_none() && settings.oauth.is_none() && !direct {
            return Err(OktaError::Config("the API token is empty".into()));
        }
        let tls = org_tls::client_config(settings.ca_bundle.as_deref())?;
        let http = pool::build(&settings, loopback_org, &tls)?;
        // The general client speaks to proxies, set in the config or in the
        // environment; loopback never goes through one.
        let proxied = !loopback_org && (settings.proxy.is_some() || pool::environment_proxies(org));
        let transport = if proxied {
            Transport::Proxied(http.clone())
        } else {
            Transport::Direct(Box::new(org_connections::OrgConnections::new(
                org,
                Arc::new(tls),
                settings.connect_timeout,
                settings.max_concurrent,
            )?))
        };
        let oauth = match settings.oauth {
            Some(mut credentials) => {
                credentials.org_url = org.clone();
                let source = AccessTokenSource::new(http.clone(), credentials)
                    .map_err(|error| OktaError::Config(format!("OAuth service app: {error}")))?;
                Some(source)
            }
            None => None,
        };
        Ok(Exchange {
            transport,
            request_timeout: settings.request_timeout,
            budget: Budget::new(settings.max_concurrent, settings.request_timeout),
            credential: CredentialState::new(),
            authorization: Authorization::new(api_token, oauth),
            metrics: CallMetrics::default(),
        })
    }

    /// The state of the credentials, as every call reports it.
    pub(crate) fn credential(&self) -> &CredentialState {
        &self.credential
    }

    /// Whether an API token (SSWS) is configured.
    pub(crate) fn has_api_token(&self) -> bool {
        self.authorization.has_api_token()
    }

    /// Whether management calls use an OAuth service app.
    pub(crate) fn uses_oauth(&self) -> bool {
        self.authorization.uses_oauth()
    }

    /// Puts `token` in use when it differs from the one in use; the old
    /// one's refusal is then forgotten. Returns whether it did.
    pub(crate) fn replace_api_token(&self, token: &SecretString) -> Result<bool, OktaError> {
        let replaced = self.authorization.replace_api_token(token)?;
        if replaced {
            self.credential.reset_api_token();
        }
        Ok(replaced)
    }

    /// Replaces the OAuth service app's signing keys (key rollover).
    pub(crate) fn set_oauth_keys(
        &self,
        keys: Vec<SigningKey>,
        active_kid: &str,
    ) -> Result<(), OktaError> {
        self.authorization.set_oauth_keys(keys, active_kid)
    }

    /// Sends `call` and reads its answer (see the module documentation).
    ///
    /// The call waits for the budget in a small allocation of its own (a
    /// few hundred bytes), then runs the exchange in another, freed when
    /// it ends: a login waiting between calls (a held push) costs only its
    /// own state, and a call queued for the budget (a held push's poll
    /// while the pushes' share of Okta is in use) does not hold the
    /// exchange's kilobytes while it waits.
    pub(crate) async fn send(&self, call: Request<'_>) -> Result<RawAnswer, OktaError> {
        let path = call.url.path();
        let target = Target {
            path,
            endpoint: endpoint_label(&call.method, path),
            bucket: OktaBucket::for_request(&call.method, path),
            credential: self.authorization.credential_for(call.kind.caller),
        };
        self.refuse_with_invalid_token(&call.kind, &target)?;
        let permit = self.admit(&call, &target).await?;
        Box::pin(self.send_and_read(&call, &target, permit)).await
    }

    /// Waits until the budget lets `call` go.
    async fn admit(
        &self,
        call: &Request<'_>,
        target: &Target<'_>,
    ) -> Result<Permit<'_>, OktaError> {
        let admitting = Instant::now();
        let permit = Box::pin(
            self.budget
                .admit(target.bucket, call.kind.class, call.username),
        )
        .await;
        crate::waiting::add(admitting.elapsed());
        permit
    }

    /// The exchange of an admitted call, with its retries (each admitted
    /// again).
    async fn send_and_read(
        &self,
        call: &Request<'_>,
        target: &Target<'_>,
        permit: Permit<'_>,
    ) -> Result<RawAnswer, OktaError> {
        let mut attempt = Attempt::default();
        let mut admitted = Some(permit);
        loop {
            let permit = match admitted.take() {
                Some(permit) => permit,
                None => self.admit(call, target).await?,
            };
            let request = self.authorize(call, target, &attempt).await?;
            let started = Instant::now();
            // In its own allocation: the exchange's holds what every call
            // needs, not the size of a connection's setup.
            let answer = Box::pin(self.transport.send(request, self.request_timeout)).await;
            crate::waiting::add(started.elapsed());
            let Answer {
                status,
                headers,
                body,
            } = match answer {
                Ok(answer) => answer,
                Err(error) => return Err(self.unanswered(error, permit, &call.method, target)),
            };
            let head = self.read_head(status, &headers, &call.method, target);
            self.settle(permit, &head, &body, target, started);
            let body = match body {
                Ok(body) => body,
                Err(error) => {
                    self.credential.note_unreachable(error.to_string());
                    return Err(error);
                }
            };
            if target.credential == Credential::OAuth
                && head.http_status == 401
                && attempt.retry_oauth_once()
            {
                // A stale DPoP nonce, or an access token expired or revoked
                // early: once more with fresh headers.
                self.authorization.after_unauthorized(status, &headers);
                continue;
            }
            if status.is_success()
                || (call.kind.oauth_answers && failure::is_oauth_answer(head.http_status, &body))
            {
                return Ok(self.accepted(head, &headers, body, target));
            }
            let error = self.classify(&head, &body, &call.kind, target);
            if head.http_status == 429
                && let Some(wait) = attempt.rate_limit_wait(
                    &call.kind,
                    &call.method,
                    &self.budget,
                    target.bucket,
                    target.endpoint,
                    head.request_id.as_deref(),
                )
            {
                tokio::time::sleep(wait).await;
                attempt.after_rate_limit(head.request_id);
                continue;
            }
            return Err(error);
        }
    }

    /// A call that needs the API token is not sent while Okta refuses the
    /// token, except the probe that notices it works again and calls in a
    /// transaction (their 401 is about the stateToken).
    fn refuse_with_invalid_token(&self, kind: &CallKind, target: &Target) -> Result<(), OktaError> {
        if target.credential == Credential::ApiToken
            && self.credential.is_invalid()
            && !kind.probe
            && !kind.state_token
        {
            tracing::debug!(
                endpoint = target.endpoint,
                "the API token is invalid: the call is not sent"
            );
            return Err(OktaError::CredentialInvalid);
        }
        Ok(())
    }

    /// Builds one attempt of the call: `Accept`, the credential's
    /// `Authorization` (and `DPoP`), the body, `X-Forwarded-For` and, on a
    /// retry, `X-Okta-Retry-For` and `X-Okta-Retry-Count`.
    async fn authorize(
        &self,
        call: &Request<'_>,
        target: &Target<'_>,
        attempt: &Attempt,
    ) -> Result<http::Request<bytes::Bytes>, OktaError> {
        let mut request = call.to_http()?;
        self.authorization
            .authorize(
                target.credential,
                request.headers_mut(),
                &call.method,
                &call.url,
                &self.credential,
            )
            .await?;
        attempt.mark(request.headers_mut());
        Ok(request)
    }

    /// The call got no answer: its slot is freed, the failure counted,
    /// logged and reported to the credential state.
    fn unanswered(
        &self,
        error: OktaError,
        permit: Permit<'_>,
        method: &Method,
        target: &Target,
    ) -> OktaError {
        drop(permit);
        self.metrics.unanswered(target.endpoint);
        tracing::debug!(%method, path = target.path, %error, "Okta call failed");
        self.credential.note_unreachable(error.to_string());
        error
    }

    /// Reads the answer's status and headers, and hands a new DPoP nonce to
    /// the OAuth service app.
    fn read_head(
        &self,
        status: reqwest::StatusCode,
        headers: &HeaderMap,
        method: &Method,
        target: &Target,
    ) -> Head {
        let head = Head::of(status, headers);
        self.authorization.note_answer(target.credential, headers);
        tracing::debug!(
            %method,
            path = target.path,
            http_status = head.http_status,
            request_id = head.request_id.as_deref().unwrap_or("-"),
            rate_limit_remaining = head.rate_limit.map(|limit| limit.remaining),
            "Okta answered"
        );
        head
    }

    /// Tells the budget what the answer's headers say, frees the call's
    /// slot and records its metrics.
    fn settle(
        &self,
        permit: Permit<'_>,
        head: &Head,
        body: &Result<Vec<u8>, OktaError>,
        target: &Target,
        started: Instant,
    ) {
        // A 429 for a code sent too soon (SMS, call, email) is about one
        // factor, not the bucket. Other 429s are the budget's to read: it
        // empties the bucket only when the 429's headers show it empty
        // (Okta's per-user limit answers with calls left).
        let bucket_refused = failure::bucket_refused(head.http_status, body);
        self.budget.observe(
            target.bucket,
            head.rate_limit,
            head.http_status,
            bucket_refused,
        );
        drop(permit);
        self.metrics
            .took(target.endpoint, started.elapsed().as_secs_f64());
        self.metrics.answered(target.endpoint, head.http_status);
    }

    /// A 2xx answer: Okta answers, and a call with the API token is a use
    /// that keeps it alive.
    fn accepted(
        &self,
        head: Head,
        headers: &HeaderMap,
        body: Vec<u8>,
        target: &Target,
    ) -> RawAnswer {
        self.credential.note_answer();
        if target.credential == Credential::ApiToken {
            self.credential.note_api_token_success(SystemTime::now());
        }
        RawAnswer::new(head, headers, body)
    }

    /// The error a 4xx/5xx answer means, reported to the credential state:
    /// Okta unavailable or answering, the API token refused (401 `E0000011`
    /// on a call without a stateToken), the service app's token refused,
    /// a permission missing (403 `E0000006`).
    fn classify(&self, head: &Head, body: &[u8], kind: &CallKind, target: &Target) -> OktaError {
        let error = failure::refusal(head.http_status, &head.request_id, head.rate_limit, body);
        if error.is_unavailable() {
            self.credential.note_unreachable(error.to_string());
        } else {
            self.credential.note_answer();
        }
        let api_token = target.credential == Credential::ApiToken;
        let request_id = head.request_id.as_deref();
        match (head.http_status, error.code()) {
            (401, Some(codes::INVALID_TOKEN)) if api_token && !kind.state_token => {
                self.credential
                    .note_api_token_refused(target.endpoint, request_id);
            }
            (401, _) if target.credential == Credential::OAuth => {
                self.credential.note_oauth(Some(
                    "the management API refused the service app's access token (HTTP 401)"
                        .to_owned(),
                ));
            }
            (403, Some(codes::FORBIDDEN)) => {
                let which = if api_token {
                    "API token (SSWS)"
                } else {
                    "OAuth service app"
                };
                self.credential
                    .note_forbidden(target.endpoint, which, request_id);
            }
            _ => {}
        }
        error
    }
}
