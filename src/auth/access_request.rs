//! What an Access-Request must carry before Okta is asked anything
//! (RFC 2865 §4.1), and reading the user name and password out of it.
//!
//! Okta needs the clear-text password, so only PAP can work here: CHAP,
//! MS-CHAP, and EAP from a client without `eap = true`, get a reject that
//! tells the operator to switch the NAS to PAP. (EAP from a client with it
//! is answered by the EAP server, which hands this conversation the password
//! it found inside the tunnel.)

use radius_proto::attribute::{decode_vendor_specific, types, vendors};
use radius_proto::crypto::reveal_user_password;
use radius_proto::packet::Packet;
use secrecy::SecretString;
use zeroize::Zeroizing;

/// The user's part of a PAP login (the User-Name is read on its own,
/// [`user_name`]).
pub(super) struct PapLogin {
    pub(super) password: SecretString,
}

/// Why an Access-Request cannot be sent to Okta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestProblem {
    MissingNasIdentification,
    MissingUserName,
    UserNameNotUtf8,
    UserNameControlCharacters,
    NoCredentials,
    PasswordAndChap,
    Chap,
    MsChap,
    Eap,
    PasswordMalformed,
    PasswordNotUtf8,
}

impl RequestProblem {
    /// A stable label for the audit log and metrics.
    pub(super) fn label(self) -> &'static str {
        match self {
            RequestProblem::MissingNasIdentification => "missing_nas_identification",
            RequestProblem::MissingUserName => "missing_user_name",
            RequestProblem::UserNameNotUtf8 => "user_name_not_utf8",
            RequestProblem::UserNameControlCharacters => "user_name_control_characters",
            RequestProblem::NoCredentials => "no_credentials",
            RequestProblem::PasswordAndChap => "password_and_chap",
            RequestProblem::Chap => "chap_unsupported",
            RequestProblem::MsChap => "mschap_unsupported",
            RequestProblem::Eap => "eap_unsupported",
            RequestProblem::PasswordMalformed => "password_malformed",
            RequestProblem::PasswordNotUtf8 => "password_not_utf8",
        }
    }

    /// What the Reply-Message says. Written for the person at the NAS and for
    /// the administrator reading a radclient trace.
    pub(super) fn reply_message(self) -> &'static str {
        match self {
            RequestProblem::MissingNasIdentification => {
                "Access-Request without NAS-IP-Address, NAS-IPv6-Address or NAS-Identifier"
            }
            RequestProblem::MissingUserName => "Access-Request without User-Name",
            RequestProblem::UserNameNotUtf8 => "User-Name is not valid UTF-8",
            RequestProblem::UserNameControlCharacters => {
                "User-Name contains control characters (a line break, a tab or an escape)"
            }
            RequestProblem::NoCredentials => "Access-Request without User-Password",
            RequestProblem::PasswordAndChap => {
                "Access-Request with both User-Password and CHAP-Password"
            }
            RequestProblem::Chap | RequestProblem::MsChap | RequestProblem::Eap => {
                "Okta needs the password itself: configure this NAS to use PAP"
            }
            RequestProblem::PasswordMalformed => "User-Password is malformed",
            RequestProblem::PasswordNotUtf8 => "Password is not valid UTF-8",
        }
    }
}

/// Whether the request names its NAS, as RFC 2865 §4.1 requires.
pub(super) fn has_nas_identification(packet: &Packet) -> bool {
    packet.has(types::NAS_IP_ADDRESS)
        || packet.has(types::NAS_IPV6_ADDRESS)
        || packet.has(types::NAS_IDENTIFIER)
}

/// Whether the request carries MS-CHAP (Microsoft vendor attributes 1, 11, 25).
fn has_ms_chap(packet: &Packet) -> bool {
    packet.all(types::VENDOR_SPECIFIC).any(|value| {
        decode_vendor_specific(value)
            .map(|subs| {
                subs.iter().any(|sub| {
                    sub.vendor_id == vendors::MICROSOFT && matches!(sub.vendor_type, 1 | 11 | 25)
                })
            })
            .unwrap_or(false)
    })
}

/// The User-Name as text, trimmed of trailing NULs some NAS devices add.
/// No login holds a control character, so a name with one (a line break to
/// forge a log line, a terminal escape) is refused before Okta is asked.
pub(super) fn user_name(packet: &Packet) -> Result<&str, RequestProblem> {
    let raw = packet
        .first(types::USER_NAME)
        .ok_or(RequestProblem::MissingUserName)?;
    let text = std::str::from_utf8(raw).map_err(|_| RequestProblem::UserNameNotUtf8)?;
    let text = text.trim_end_matches('\0');
    if text.trim().is_empty() {
        return Err(RequestProblem::MissingUserName);
    }
    if text.chars().any(char::is_control) {
        return Err(RequestProblem::UserNameControlCharacters);
    }
    Ok(text)
}

/// Checks the request and reveals its PAP credentials.
pub(super) fn read_pap_login(packet: &Packet, secret: &[u8]) -> Result<PapLogin, RequestProblem> {
    if !has_nas_identification(packet) {
        return Err(RequestProblem::MissingNasIdentification);
    }
    let hidden = packet.first(types::USER_PASSWORD);
    let chap = packet.has(types::CHAP_PASSWORD);
    if hidden.is_some() && chap {
        return Err(RequestProblem::PasswordAndChap);
    }
    if chap {
        return Err(RequestProblem::Chap);
    }
    if packet.has(types::EAP_MESSAGE) {
        return Err(RequestProblem::Eap);
    }
    if hidden.is_none() && has_ms_chap(packet) {
        return Err(RequestProblem::MsChap);
    }
    user_name(packet)?;
    let hidden = hidden.ok_or(RequestProblem::NoCredentials)?;
    let mut revealed = reveal_user_password(hidden, secret, packet.authenticator())
        .map_err(|_| RequestProblem::PasswordMalformed)?;
    // The revealed bytes (allocated at their length) move into the secret,
    // which wipes them when dropped; bytes that are not UTF-8 are wiped here.
    let password = String::from_utf8(std::mem::take(&mut *revealed)).map_err(|error| {
        drop(Zeroizing::new(error.into_bytes()));
        RequestProblem::PasswordNotUtf8
    })?;
    Ok(PapLogin {
        password: SecretString::from(password),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_proto::attribute::Attribute;
    use radius_proto::packet::{Code, RequestBuilder};
    use secrecy::ExposeSecret;

    const SECRET: &[u8] = b"a-shared-secret";

    fn request(build: impl FnOnce(RequestBuilder) -> RequestBuilder) -> Packet {
        let builder = build(RequestBuilder::new(Code::AccessRequest, 1));
        let (bytes, _) = builder.encode(SECRET).expect("fits");
        Packet::decode(&bytes).expect("valid")
    }

    #[test]
    fn reads_a_pap_login() {
        let packet = request(|b| {
            b.text(types::USER_NAME, "alice")
                .text(types::NAS_IDENTIFIER, "vpn")
                .user_password(b"p@ss, word", SECRET)
                .expect("fits")
        });
        let login = read_pap_login(&packet, SECRET).expect("valid");
        assert_eq!(login.password.expose_secret(), "p@ss, word");
    }

    #[test]
    fn refuses_what_okta_cannot_check() {
        let chap = request(|b| {
            b.text(types::USER_NAME, "alice")
                .text(types::NAS_IDENTIFIER, "vpn")
                .attribute(Attribute::new(types::CHAP_PASSWORD, vec![1; 17]))
        });
        assert_eq!(
            read_pap_login(&chap, SECRET).err(),
            Some(RequestProblem::Chap)
        );
        let ms_chap = request(|b| {
            b.text(types::USER_NAME, "alice")
                .text(types::NAS_IDENTIFIER, "vpn")
                .attribute(Attribute::vendor(311, 11, &[0; 16]).expect("fits"))
        });
        assert_eq!(
            read_pap_login(&ms_chap, SECRET).err(),
            Some(RequestProblem::MsChap)
        );
        let no_nas = request(|b| {
            b.text(types::USER_NAME, "alice")
                .user_password(b"pw", SECRET)
                .expect("fits")
        });
        assert_eq!(
            read_pap_login(&no_nas, SECRET).err(),
            Some(RequestProblem::MissingNasIdentification)
        );
        let no_password = request(|b| {
            b.text(types::USER_NAME, "alice")
                .text(types::NAS_IDENTIFIER, "vpn")
        });
        assert_eq!(
            read_pap_login(&no_password, SECRET).err(),
            Some(RequestProblem::NoCredentials)
        );
    }

    #[test]
    fn malformed_password_is_refused() {
        let packet = request(|b| {
            b.text(types::USER_NAME, "alice")
                .text(types::NAS_IDENTIFIER, "vpn")
                .attribute(Attribute::new(types::USER_PASSWORD, vec![1; 15]))
        });
        assert_eq!(
            read_pap_login(&packet, SECRET).err(),
            Some(RequestProblem::PasswordMalformed)
        );
    }
}
