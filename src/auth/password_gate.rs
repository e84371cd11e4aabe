//! What a new login's password goes through before Okta sees it, whichever
//! API checks it (`login` for `/api/v1/authn`, `direct_login` for Direct
//! Authentication): the inline factor split off when the client allows it,
//! and the failed-password throttles asked.

use super::context::{Context, Request};
use super::identity::UserKeys;
use super::next::Next;
use super::reason::Reason;
use super::throttle;
use super::typed::{self, InlineFactor};
use secrecy::{ExposeSecret, SecretString};

/// A password the throttles let through, and what its step needs after.
pub(super) struct Admitted<'a> {
    pub(super) password: SecretString,
    pub(super) inline: Option<InlineFactor>,
    /// Who a wrong password counts against: the current key, and every key
    /// a right one forgives.
    pub(super) keys: UserKeys,
    /// Where the login comes from, for the per-source throttles.
    pub(super) source: Option<&'a str>,
    /// Whether a right password has failures to forgive.
    pub(super) to_forgive: bool,
}

/// The password ready for Okta, or the reject of a throttled login.
pub(super) async fn admit<'a>(
    context: &Context,
    request: &'a Request<'_>,
    password: SecretString,
) -> Result<Admitted<'a>, Next> {
    let mfa_settings = &request.client.mfa;
    let (password, inline) = if mfa_settings.inline {
        match typed::split_inline(password.expose_secret(), &mfa_settings.inline_delimiter) {
            Some((password, factor)) => (SecretString::from(password.to_owned()), Some(factor)),
            None => (password, None),
        }
    } else {
        (password, None)
    };
    let source = throttle::source_of(request.packet);
    let keys = context.identities.keys(&request.login);
    let checked = context.throttle.check(keys.as_slice(), source).await;
    if checked.refused.is_some() {
        return Err(Next::reject(Reason::Throttled, throttle::THROTTLED_MESSAGE));
    }
    Ok(Admitted {
        password,
        inline,
        keys,
        source,
        to_forgive: checked.to_forgive,
    })
}
