//! EAP-TTLS v0 (RFC 5281): what the peer sends inside the tunnel, and the
//! keys the tunnel yields.
//!
//! With inner PAP the peer sends a User-Name and a User-Password AVP; the
//! password is in clear inside the tunnel and goes to Okta as a PAP
//! password would (so `password,CODE` and auto-push work as they do over
//! PAP). With inner EAP (EAP-GTC) the inner packets travel in EAP-Message
//! AVPs (RFC 5281 §11.1), starting with the peer's Identity. The Master Session Key comes from the TLS exporter: the label
//! "ttls keying material" under TLS 1.2 (RFC 5281 §8), the RFC 9427
//! exporter with TTLS's Type-Code under TLS 1.3.

use super::tunnel::{Tunnel, TunnelError};
use radius_proto::attribute::types;
use radius_proto::diameter_avp::{Avp, decode_avps, encode_avps};
use radius_proto::eap::{EapPacket, methods};
use secrecy::SecretString;

/// The inner PAP login.
pub(super) struct InnerPap {
    pub(super) user_name: String,
    pub(super) password: SecretString,
}

/// Why the tunnel's content is not an inner PAP login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InnerProblem {
    /// Not a sequence of AVPs.
    Malformed,
    /// No User-Name, or one that is not text.
    NoUserName,
    /// Neither User-Password nor EAP-Message (another inner method,
    /// e.g. MS-CHAP-V2).
    NotPap,
    /// A password that is not UTF-8.
    PasswordNotUtf8,
}

impl InnerProblem {
    pub(super) fn label(self) -> &'static str {
        match self {
            InnerProblem::Malformed => "inner AVPs malformed",
            InnerProblem::NoUserName => "no inner User-Name",
            InnerProblem::NotPap => "inner method is neither PAP nor EAP",
            InnerProblem::PasswordNotUtf8 => "inner password not UTF-8",
        }
    }
}

/// What the peer sent inside the tunnel.
pub(super) enum InnerLogin {
    /// A PAP login: User-Name and User-Password.
    Pap(InnerPap),
    /// An inner EAP packet (EAP-Message AVPs joined), or `None` when they
    /// do not hold one.
    Eap(Option<EapPacket>),
}

/// Reads the inner login out of the tunnel's plaintext: PAP, or EAP.
pub(super) fn inner_login(plaintext: &[u8]) -> Result<InnerLogin, InnerProblem> {
    let avps = decode_avps(plaintext).map_err(|_| InnerProblem::Malformed)?;
    if !avps.iter().any(|avp| avp.is_radius(types::USER_PASSWORD))
        && avps.iter().any(|avp| avp.is_radius(types::EAP_MESSAGE))
    {
        let joined: Vec<u8> = avps
            .iter()
            .filter(|avp| avp.is_radius(types::EAP_MESSAGE))
            .flat_map(|avp| avp.data.iter().copied())
            .collect();
        return Ok(InnerLogin::Eap(EapPacket::decode(&joined).ok()));
    }
    inner_pap(&avps).map(InnerLogin::Pap)
}

/// An inner EAP packet as TTLS carries it: in an EAP-Message AVP.
pub(super) fn wrap_eap(packet: &EapPacket) -> Vec<u8> {
    // Packets this server builds fit in one AVP.
    let bytes = packet.encode().unwrap_or_default();
    encode_avps(&[Avp::radius(types::EAP_MESSAGE, bytes)]).unwrap_or_default()
}

/// Reads the inner PAP login out of the tunnel's AVPs.
fn inner_pap(avps: &[Avp]) -> Result<InnerPap, InnerProblem> {
    let user_name = avps
        .iter()
        .find(|avp| avp.is_radius(types::USER_NAME))
        .and_then(|avp| std::str::from_utf8(&avp.data).ok())
        .map(|name| name.trim_end_matches('\0').to_owned())
        .filter(|name| !name.is_empty())
        .ok_or(InnerProblem::NoUserName)?;
    let password = avps
        .iter()
        .find(|avp| avp.is_radius(types::USER_PASSWORD))
        .ok_or(InnerProblem::NotPap)?;
    // RFC 5281 §11.2.5: the password may be padded with NULs.
    let mut bytes = password.data.as_slice();
    while let [rest @ .., 0] = bytes {
        bytes = rest;
    }
    let password = std::str::from_utf8(bytes).map_err(|_| InnerProblem::PasswordNotUtf8)?;
    Ok(InnerPap {
        user_name,
        password: SecretString::from(password.to_owned()),
    })
}

/// The 64-byte MSK of a finished TTLS tunnel.
pub(super) fn master_session_key(tunnel: &Tunnel) -> Result<[u8; 64], TunnelError> {
    if tunnel.is_tls13() {
        let material: [u8; 128] =
            tunnel.export(b"EXPORTER_EAP_TLS_Key_Material", Some(&[methods::TTLS]))?;
        let mut msk = [0u8; 64];
        msk.copy_from_slice(&material[..64]);
        Ok(msk)
    } else {
        tunnel.export(b"ttls keying material", None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn reads_user_name_and_padded_password() {
        let bytes = encode_avps(&[
            Avp::radius(types::USER_NAME, b"alice@example.com".to_vec()),
            Avp::radius(types::USER_PASSWORD, b"pw,123456\0\0\0\0\0\0\0".to_vec()),
        ])
        .expect("fits");
        let Ok(InnerLogin::Pap(login)) = inner_login(&bytes) else {
            panic!("a PAP login");
        };
        assert_eq!(login.user_name, "alice@example.com");
        assert_eq!(login.password.expose_secret(), "pw,123456");
    }

    #[test]
    fn inner_eap_is_read_and_other_methods_refused() {
        let eap = encode_avps(&[
            Avp::radius(types::USER_NAME, b"alice".to_vec()),
            Avp::radius(types::EAP_MESSAGE, vec![2, 0, 0, 5, 1]),
        ])
        .expect("fits");
        let Ok(InnerLogin::Eap(Some(identity))) = inner_login(&eap) else {
            panic!("an inner EAP packet");
        };
        assert_eq!(identity.method, Some(methods::IDENTITY));
        let chap = encode_avps(&[
            Avp::radius(types::USER_NAME, b"alice".to_vec()),
            Avp::radius(types::CHAP_PASSWORD, vec![1; 17]),
        ])
        .expect("fits");
        assert_eq!(inner_login(&chap).err(), Some(InnerProblem::NotPap));
        assert_eq!(inner_login(&[1, 2, 3]).err(), Some(InnerProblem::Malformed));
        let nameless =
            encode_avps(&[Avp::radius(types::USER_PASSWORD, b"pw".to_vec())]).expect("fits");
        assert_eq!(inner_login(&nameless).err(), Some(InnerProblem::NoUserName));
    }
}
