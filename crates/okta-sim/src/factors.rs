//! Verifying factors other than push, shared by the authentication API
//! (`/api/v1/authn/factors/{id}/verify`) and the factors API
//! (`/api/v1/users/{uid}/factors/{fid}/verify`): TOTP and HOTP codes, token
//! and YubiKey OTPs, codes sent by SMS, voice call and email, and security
//! questions, with Okta's refusals (wrong code, replayed code, code sent too
//! recently, factor lockout).
//!
//! It keeps what Okta keeps per factor: codes already used, the HOTP counter,
//! the code last sent; and per user the wrong answers in a row, which lock the
//! user out at the limit.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use axum::http::StatusCode;
use axum::response::Response;
use rand::RngExt;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::responses;
use super::totp;
use super::user_store::{UserStore, UserView};
use super::users::{SimFactor, SimUserStatus};
use okta_api::authn::FactorType;
use okta_api::error::codes;
use okta_api::time::epoch_seconds;

/// How long a code sent by SMS, call or email stays valid.
const SENT_CODE_LIFETIME: Duration = Duration::from_secs(300);
/// How far ahead of the stored counter an HOTP code is accepted.
const HOTP_LOOK_AHEAD: u64 = 10;

/// What the caller offered to prove the factor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Proof<'a> {
    pub pass_code: Option<&'a str>,
    pub answer: Option<&'a str>,
}

/// How an offered code or answer compares.
enum Check {
    Matches,
    Wrong,
    /// A single-use code that was already used.
    Replayed,
}

impl From<bool> for Check {
    fn from(matches: bool) -> Check {
        if matches {
            Check::Matches
        } else {
            Check::Wrong
        }
    }
}

/// What a verify call achieved.
pub(crate) enum Outcome {
    /// The factor is verified.
    Verified,
    /// A code was sent (SMS, call, email); the user must type it.
    CodeSent,
    /// Okta refuses: the answer to send.
    Refused(Response),
}

#[derive(Default)]
struct FactorState {
    /// Single-use codes already accepted (TOTP codes with their step, token
    /// codes, YubiKey OTPs).
    used: HashSet<String>,
    hotp_counter: Option<u64>,
    sent: Option<(String, Instant)>,
}

#[derive(Default)]
struct Inner {
    factors: HashMap<String, FactorState>,
    /// Wrong answers in a row per lowercase login.
    failures: HashMap<String, u32>,
    /// The last code sent per lowercase login and factor type.
    last_sent: HashMap<(String, String), String>,
}

/// Run-time state of every factor of the org.
pub(crate) struct FactorRuntime {
    inner: Mutex<Inner>,
    max_attempts: u32,
    resend_interval: Duration,
}

impl FactorRuntime {
    pub fn new(max_attempts: u32, resend_interval: Duration) -> FactorRuntime {
        FactorRuntime {
            inner: Mutex::new(Inner::default()),
            max_attempts,
            resend_interval,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Verifies a factor that is not a push, or sends its code.
    pub fn verify(
        &self,
        users: &UserStore,
        user: &UserView,
        factor_id: &str,
        factor: &SimFactor,
        proof: Proof<'_>,
    ) -> Outcome {
        let login = user.login().to_lowercase();
        if users.status(&login) == Some(SimUserStatus::LockedOut) {
            return Outcome::Refused(locked());
        }
        let key = format!("{login}#{factor_id}");
        let checked = match factor.factor_type {
            FactorType::Sms | FactorType::Call | FactorType::Email => match proof.pass_code {
                None => return self.send_code(&login, &key, factor),
                Some(code) => self.check_sent_code(&key, code),
            },
            FactorType::Question => match proof.answer {
                None => return Outcome::Refused(missing("answer")),
                Some(answer) => Check::from(question_matches(factor, answer)),
            },
            FactorType::TokenSoftwareTotp
            | FactorType::TokenHotp
            | FactorType::Token
            | FactorType::TokenHardware => match proof.pass_code {
                None => return Outcome::Refused(missing("passCode")),
                Some(code) => self.check_otp(&key, factor, code.trim()),
            },
            _ => {
                return Outcome::Refused(responses::okta_error_with_causes(
                    StatusCode::BAD_REQUEST,
                    codes::VALIDATION_FAILED,
                    "Api validation failed: factor",
                    &["This factor cannot be verified with a passcode."],
                ));
            }
        };
        match checked {
            Check::Replayed => Outcome::Refused(replayed_code()),
            Check::Matches => {
                self.lock().failures.remove(&login);
                Outcome::Verified
            }
            Check::Wrong => self.wrong(users, &login, &factor.factor_type),
        }
    }

    /// Sends a new code for an `sms`, `call` or `email` factor (a first
    /// verify without passCode, or a resend), at most one per interval.
    pub fn send_code(&self, login: &str, key: &str, factor: &SimFactor) -> Outcome {
        let mut inner = self.lock();
        let state = inner.factors.entry(key.to_owned()).or_default();
        if let Some((_, at)) = &state.sent
            && at.elapsed() < self.resend_interval
        {
            return Outcome::Refused(too_soon(&factor.factor_type));
        }
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        state.sent = Some((code.clone(), Instant::now()));
        let factor_type = factor.factor_type.as_str().to_owned();
        tracing::info!(
            login,
            factor = factor_type.as_str(),
            code = code.as_str(),
            "simulated Okta sent a code"
        );
        inner
            .last_sent
            .insert((login.to_lowercase(), factor_type), code);
        Outcome::CodeSent
    }

    /// The last code sent to this user for this factor type.
    pub fn last_code(&self, login: &str, factor_type: &FactorType) -> Option<String> {
        self.lock()
            .last_sent
            .get(&(login.to_lowercase(), factor_type.as_str().to_owned()))
            .cloned()
    }

    fn check_sent_code(&self, key: &str, code: &str) -> Check {
        let mut inner = self.lock();
        let state = inner.factors.entry(key.to_owned()).or_default();
        let Some((sent, at)) = &state.sent else {
            return Check::Wrong;
        };
        let matches = at.elapsed() < SENT_CODE_LIFETIME
            && bool::from(sent.as_bytes().ct_eq(code.trim().as_bytes()));
        if matches {
            // Each code works once; the next verify must send a new one.
            state.sent = None;
        }
        Check::from(matches)
    }

    fn check_otp(&self, key: &str, factor: &SimFactor, code: &str) -> Check {
        let mut inner = self.lock();
        let state = inner.factors.entry(key.to_owned()).or_default();
        match factor.factor_type {
            FactorType::TokenSoftwareTotp => {
                let Some(secret) = factor
                    .totp_secret
                    .as_ref()
                    .and_then(|s| totp::decode_base32(s.expose_secret()))
                else {
                    return Check::Wrong;
                };
                let step = epoch_seconds(SystemTime::now()) / totp::STEP_SECONDS;
                let window = [step.saturating_sub(1), step, step + 1];
                let Some(step) = window.into_iter().find(|&s| {
                    totp::hotp(&secret, s, totp::DIGITS)
                        .as_bytes()
                        .ct_eq(code.as_bytes())
                        .into()
                }) else {
                    return Check::Wrong;
                };
                use_once(state, format!("{step}:{code}"))
            }
            FactorType::TokenHotp => {
                let Some(secret) = factor
                    .hotp_secret
                    .as_ref()
                    .and_then(|s| totp::decode_base32(s.expose_secret()))
                else {
                    return Check::Wrong;
                };
                let counter = *state.hotp_counter.get_or_insert(factor.hotp_counter);
                let hit = (counter..counter + HOTP_LOOK_AHEAD)
                    .find(|&c| totp::hotp(&secret, c, totp::DIGITS) == code);
                if let Some(hit) = hit {
                    state.hotp_counter = Some(hit + 1);
                    return Check::Matches;
                }
                let replayed = counter
                    .checked_sub(1)
                    .is_some_and(|last| totp::hotp(&secret, last, totp::DIGITS) == code);
                if replayed {
                    Check::Replayed
                } else {
                    Check::Wrong
                }
            }
            _ => {
                let listed = factor.codes.iter().any(|valid| {
                    bool::from(valid.expose_secret().as_bytes().ct_eq(code.as_bytes()))
                });
                if listed {
                    use_once(state, code.to_owned())
                } else {
                    Check::Wrong
                }
            }
        }
    }

    /// Counts a wrong answer; the limit locks the user out.
    fn wrong(&self, users: &UserStore, login: &str, factor_type: &FactorType) -> Outcome {
        let failures = {
            let mut inner = self.lock();
            let failures = inner.failures.entry(login.to_owned()).or_default();
            *failures = failures.saturating_add(1);
            *failures
        };
        if self.max_attempts > 0 && failures >= self.max_attempts {
            users.set_status(login, SimUserStatus::LockedOut);
            self.lock().failures.remove(login);
            return Outcome::Refused(locked());
        }
        let cause = if *factor_type == FactorType::Question {
            "Your answer doesn't match our records. Please try again."
        } else {
            "Your passcode doesn't match our records. Please try again."
        };
        Outcome::Refused(responses::okta_error_with_causes(
            StatusCode::FORBIDDEN,
            codes::INVALID_PASSCODE,
            "Invalid Passcode/Answer",
            &[cause],
        ))
    }
}

fn use_once(state: &mut FactorState, code: String) -> Check {
    if state.used.insert(code) {
        Check::Matches
    } else {
        Check::Replayed
    }
}

fn question_matches(factor: &SimFactor, answer: &str) -> bool {
    factor.answer.as_ref().is_some_and(|expected| {
        let expected = expected.expose_secret().trim().to_lowercase();
        let given = answer.trim().to_lowercase();
        bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
    })
}

fn missing(field: &str) -> Response {
    responses::okta_error_with_causes(
        StatusCode::BAD_REQUEST,
        codes::VALIDATION_FAILED,
        &format!("Api validation failed: {field}"),
        &[&format!("{field}: The field cannot be left blank")],
    )
}

fn locked() -> Response {
    responses::okta_error(
        StatusCode::FORBIDDEN,
        codes::FACTOR_LOCKED_OUT,
        "User Locked",
    )
}

fn replayed_code() -> Response {
    responses::okta_error(
        StatusCode::FORBIDDEN,
        codes::PASSCODE_REPLAYED,
        "Each code can only be used once. Please wait for a new code and try again.",
    )
}

fn too_soon(factor_type: &FactorType) -> Response {
    let (code, summary) = match factor_type {
        FactorType::Call => (
            codes::CALL_TOO_SOON,
            "A phone call was recently made. Please wait 30 seconds before trying again.",
        ),
        FactorType::Email => (
            codes::EMAIL_TOO_SOON,
            "An email was recently sent. Please wait 30 seconds before trying again.",
        ),
        _ => (
            codes::SMS_TOO_SOON,
            "An SMS message was recently sent. Please wait 30 seconds before trying again.",
        ),
    };
    responses::okta_error(StatusCode::TOO_MANY_REQUESTS, code, summary)
}
