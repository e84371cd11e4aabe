//! The Access-Requests and the Status-Server that `login` sends, as a NAS
//! builds them: Message-Authenticator first, User-Name, the hidden
//! User-Password, NAS-Identifier, the State of the challenge being answered,
//! and the operator's extra attributes (`--attribute NAME=VALUE`, resolved
//! through the dictionaries).

use radius_proto::attribute::{Attribute, encode_vendor_specific, types};
use radius_proto::dictionary::{Dictionary, Encryption};
use radius_proto::packet::{Code, EncodeError, RequestBuilder};

/// What every request from this run carries besides the login itself.
pub(crate) struct Nas {
    pub(crate) identifier: String,
    pub(crate) extra: Vec<Attribute>,
}

/// Attributes `login` sets itself, which `--attribute` may not add.
const SET_BY_LOGIN: &[u8] = &[
    types::USER_NAME,
    types::USER_PASSWORD,
    types::CHAP_PASSWORD,
    types::STATE,
    types::MESSAGE_AUTHENTICATOR,
    types::NAS_IDENTIFIER,
];

impl Nas {
    /// An Access-Request for `user` with `typed` (the password, or the
    /// answer to a challenge) hidden in User-Password, and the challenge's
    /// State when answering one.
    pub(crate) fn access_request(
        &self,
        identifier: u8,
        user: &str,
        typed: &str,
        state: Option<&[u8]>,
        secret: &[u8],
    ) -> Result<RequestBuilder, EncodeError> {
        let mut request = RequestBuilder::new(Code::AccessRequest, identifier)
            .text(types::USER_NAME, user)
            .user_password(typed.as_bytes(), secret)?
            .text(types::NAS_IDENTIFIER, &self.identifier);
        if let Some(state) = state {
            request = request.attribute(Attribute::new(types::STATE, state.to_vec()));
        }
        for attribute in &self.extra {
            request = request.attribute(attribute.clone());
        }
        Ok(request)
    }

    /// A Status-Server (RFC 5997), with Message-Authenticator.
    pub(crate) fn status_server(&self, identifier: u8) -> RequestBuilder {
        RequestBuilder::new(Code::StatusServer, identifier)
            .text(types::NAS_IDENTIFIER, &self.identifier)
    }
}

/// `Calling-Station-Id=192.0.2.7` as an attribute, by dictionary name.
pub(crate) fn extra_attribute(dictionary: &Dictionary, spec: &str) -> Result<Attribute, String> {
    let Some((name, value)) = spec.split_once('=') else {
        return Err(format!("`{spec}`: write an attribute as NAME=VALUE"));
    };
    let (name, value) = (name.trim(), value.trim());
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let Some(def) = dictionary.attribute_by_name(name) else {
        return Err(format!(
            "`{name}` is not an attribute in the dictionaries (add one with --dictionary)"
        ));
    };
    if def.encrypt != Encryption::None {
        return Err(format!(
            "`{name}` is encrypted on the wire; login does not send it"
        ));
    }
    let code = u8::try_from(def.code)
        .ok()
        .filter(|_| def.parents.is_empty() && def.evs.is_none())
        .ok_or_else(|| format!("`{name}` is an extended attribute; login does not send those"))?;
    if def.vendor == 0 && SET_BY_LOGIN.contains(&code) {
        return Err(format!(
            "`{name}` is set by login itself (see --help for the user, the password and --nas-identifier)"
        ));
    }
    let bytes = dictionary
        .encode_value(def, value)
        .map_err(|error| format!("`{name} = {value}`: {error}"))?;
    if def.vendor == 0 {
        return Ok(Attribute::new(code, bytes));
    }
    encode_vendor_specific(def.vendor, code, &bytes)
        .map(|vsa| Attribute::new(types::VENDOR_SPECIFIC, vsa))
        .map_err(|error| format!("`{name} = {value}`: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary() -> Dictionary {
        Dictionary::builtin().expect("the built-in set loads")
    }

    #[test]
    fn extra_attributes_resolve_by_name() {
        let dictionary = dictionary();
        let calling = extra_attribute(&dictionary, "Calling-Station-Id = \"192.0.2.7\"")
            .expect("a text attribute");
        assert_eq!(
            calling,
            Attribute::new(types::CALLING_STATION_ID, b"192.0.2.7".to_vec())
        );
        let service =
            extra_attribute(&dictionary, "Service-Type=Login-User").expect("a named value");
        assert_eq!(service, Attribute::integer(types::SERVICE_TYPE, 1));
        let cisco = extra_attribute(&dictionary, "Cisco-AVPair=shell:priv-lvl=15").expect("a VSA");
        assert_eq!(cisco.typ, types::VENDOR_SPECIFIC);
    }

    #[test]
    fn extra_attributes_that_cannot_be_sent_are_refused_with_the_reason() {
        let dictionary = dictionary();
        for (spec, reason) in [
            ("Calling-Station-Id", "NAME=VALUE"),
            ("No-Such-Attribute=1", "not an attribute"),
            ("User-Password=x", "encrypted"),
            ("State=0x00", "set by login"),
            ("NAS-Port=seven", "NAS-Port = seven"),
        ] {
            let error = extra_attribute(&dictionary, spec).expect_err(spec);
            assert!(error.contains(reason), "{spec}: {error}");
        }
    }
}
