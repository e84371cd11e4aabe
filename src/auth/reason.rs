//! Why a request was decided as it was: one label per reason, the same in
//! the audit line (`reason=`) and in `radius_decisions_total{reason}`, so
//! operators' queries and alerts keep working whatever the code looks like.

use super::access_request::RequestProblem;
use okta_client::IdTokenRejection;

/// Why a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The Access-Request could not be sent to Okta.
    Request(RequestProblem),
    /// Okta accepted the password and asked for nothing more.
    OktaSuccess,
    /// A code (or a security answer) completed the login.
    MfaCodeAccepted,
    /// An Okta Verify push was approved.
    MfaPushApproved,
    /// MFA-only mode: a code was verified.
    MfaOnlyCodeAccepted,
    /// MFA-only mode: a push was approved.
    MfaOnlyPushApproved,
    /// The factor menu is shown.
    ChallengeMenu,
    /// A code from an authenticator is asked for.
    ChallengeCode,
    /// The security question is asked.
    ChallengeQuestion,
    /// An SMS, call or email code was sent and is asked for.
    ChallengeCodeSent,
    /// Another SMS, call or email code was sent.
    ChallengeCodeResent,
    /// Number matching: the number to tap is shown.
    ChallengeNumber,
    /// A push waits for approval ("approve, then press Enter").
    ChallengePush,
    /// Okta refused to send another code so soon.
    ResendTooSoon,
    /// A wrong code (retry, or the last one allowed).
    WrongCode,
    /// A code already used, or outside its time window.
    CodeReplayed,
    /// Too many failed passwords for this user or source.
    Throttled,
    /// A wrong password or an unknown user (Okta does not say which).
    OktaAuthenticationFailed,
    /// The account is locked.
    LockedOut,
    /// The password has expired.
    PasswordExpired,
    /// The user has no second factor enrolled.
    MfaEnrollRequired,
    /// Okta answered with a state this server does not handle.
    OktaStatusUnexpected,
    /// None of the user's factors works over RADIUS for this client.
    NoUsableFactor,
    /// A code was typed but the user has no factor it can be for.
    NoCodeFactor,
    /// The factor asked for is not offered to this client.
    FactorNotOffered,
    /// Too many wrong codes: Okta locked the factor.
    FactorLocked,
    /// The factor is not active or is suspended.
    FactorUnavailable,
    /// The Okta transaction expired.
    SessionExpired,
    /// The push was rejected.
    PushRejected,
    /// The push was not answered in time.
    PushTimeout,
    /// No new push so soon after a rejected one.
    PushCooldown,
    /// Too many pushes for this user in the last minute.
    PushRateLimited,
    /// The client's policy requires a group the user is not in.
    GroupRequired,
    /// MFA-only mode: Okta knows no such user.
    UnknownUser,
    /// MFA-only mode: the user is not active.
    UserNotActive,
    /// MFA-only mode: the password field holds neither a code nor a factor name.
    MfaOnlyUnknownInput,
    /// The State of a challenge has expired.
    StateExpired,
    /// The State does not open (forged, another client, another user, another key).
    StateInvalid,
    /// The State was already answered.
    StateReused,
    /// The challenge could not be sealed into one State attribute.
    StateTooLong,
    /// Okta did not answer before the deadline.
    OktaTimeout,
    /// Okta refused the API token.
    OktaApiTokenInvalid,
    /// The rate-limit budget could not fit the call before the deadline.
    OktaRateLimitBudget,
    /// Okta answered 429.
    OktaRateLimited,
    /// The OAuth service app has no access token.
    OktaOauthFailed,
    /// The token's admin lacks the permission.
    OktaPermissionDenied,
    /// Okta could not be reached, or answered 5xx.
    OktaUnavailable,
    /// Any other failed call to Okta.
    OktaError,
    /// The server was told to stop now before Okta decided.
    ServerStopping,
    /// Direct Authentication: Okta's ID token failed a check (its own label).
    IdToken(IdTokenRejection),
    /// Direct Authentication: Okta denied the login (`access_denied`: the
    /// app's policy, an expired `mfa_token`, an expired password).
    DirectAccessDenied,
    /// Direct Authentication: Okta refused the OIDC app itself (its client
    /// authentication, a grant not enabled, a scope not allowed).
    DirectAppRefused,
    /// The decided reply would pass 4096 bytes.
    ReplyTooLarge,
    /// The reply could not be encoded.
    ReplyUnencodable,
    /// EAP: one more round of the conversation (Identity, TLS handshake).
    EapRound,
    /// EAP: a State this process holds no conversation for (expired, or
    /// started on another replica).
    EapUnknownConversation,
    /// EAP: a malformed EAP packet, or one out of turn.
    EapMalformed,
    /// EAP: a Response whose Identifier is not the last Request's.
    EapWrongIdentifier,
    /// EAP: the peer refused every method this server offers.
    EapMethodRefused,
    /// EAP: the TLS handshake or a TLS record failed.
    EapTlsFailed,
    /// EAP: a TLS message past the size cap.
    EapTooLarge,
    /// EAP: the conversation took more rounds than any login needs.
    EapTooManyRounds,
    /// EAP: too many conversations in flight.
    EapOverloaded,
    /// EAP: the tunnel did not carry a PAP login this server can read.
    EapInnerMalformed,
    /// EAP-TTLS/PAP: Okta asked for a second factor the peer cannot be
    /// asked for (it must come inline, or by push).
    EapInnerChallenge,
}

impl Reason {
    /// The label in the audit log and in metrics.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Reason::Request(problem) => problem.label(),
            Reason::OktaSuccess => "okta_success",
            Reason::MfaCodeAccepted => "mfa_code_accepted",
            Reason::MfaPushApproved => "mfa_push_approved",
            Reason::MfaOnlyCodeAccepted => "mfa_only_code_accepted",
            Reason::MfaOnlyPushApproved => "mfa_only_push_approved",
            Reason::ChallengeMenu => "challenge_menu",
            Reason::ChallengeCode => "challenge_code",
            Reason::ChallengeQuestion => "challenge_question",
            Reason::ChallengeCodeSent => "challenge_code_sent",
            Reason::ChallengeCodeResent => "challenge_code_resent",
            Reason::ChallengeNumber => "challenge_number",
            Reason::ChallengePush => "challenge_push",
            Reason::ResendTooSoon => "resend_too_soon",
            Reason::WrongCode => "wrong_code",
            Reason::CodeReplayed => "code_replayed",
            Reason::Throttled => "throttled",
            Reason::OktaAuthenticationFailed => "okta_authentication_failed",
            Reason::LockedOut => "locked_out",
            Reason::PasswordExpired => "password_expired",
            Reason::MfaEnrollRequired => "mfa_enroll_required",
            Reason::OktaStatusUnexpected => "okta_status_unexpected",
            Reason::NoUsableFactor => "no_usable_factor",
            Reason::NoCodeFactor => "no_code_factor",
            Reason::FactorNotOffered => "factor_not_offered",
            Reason::FactorLocked => "factor_locked",
            Reason::FactorUnavailable => "factor_unavailable",
            Reason::SessionExpired => "session_expired",
            Reason::PushRejected => "push_rejected",
            Reason::PushTimeout => "push_timeout",
            Reason::PushCooldown => "push_cooldown",
            Reason::PushRateLimited => "push_rate_limited",
            Reason::GroupRequired => "group_required",
            Reason::UnknownUser => "unknown_user",
            Reason::UserNotActive => "user_not_active",
            Reason::MfaOnlyUnknownInput => "mfa_only_unknown_input",
            Reason::StateExpired => "state_expired",
            Reason::StateInvalid => "state_invalid",
            Reason::StateReused => "state_reused",
            Reason::StateTooLong => "state_too_long",
            Reason::OktaTimeout => "okta_timeout",
            Reason::OktaApiTokenInvalid => "okta_api_token_invalid",
            Reason::OktaRateLimitBudget => "okta_rate_limit_budget",
            Reason::OktaRateLimited => "okta_rate_limited",
            Reason::OktaOauthFailed => "okta_oauth_failed",
            Reason::OktaPermissionDenied => "okta_permission_denied",
            Reason::OktaUnavailable => "okta_unavailable",
            Reason::OktaError => "okta_error",
            Reason::ServerStopping => "server_stopping",
            Reason::IdToken(rejection) => rejection.label(),
            Reason::DirectAccessDenied => "direct_access_denied",
            Reason::DirectAppRefused => "direct_app_refused",
            Reason::ReplyTooLarge => "reply_too_large",
            Reason::ReplyUnencodable => "reply_unencodable",
            Reason::EapRound => "eap_round",
            Reason::EapUnknownConversation => "eap_unknown_conversation",
            Reason::EapMalformed => "eap_malformed",
            Reason::EapWrongIdentifier => "eap_wrong_identifier",
            Reason::EapMethodRefused => "eap_method_refused",
            Reason::EapTlsFailed => "eap_tls_failed",
            Reason::EapTooLarge => "eap_too_large",
            Reason::EapTooManyRounds => "eap_too_many_rounds",
            Reason::EapOverloaded => "eap_overloaded",
            Reason::EapInnerMalformed => "eap_inner_malformed",
            Reason::EapInnerChallenge => "eap_inner_challenge",
        }
    }
}
