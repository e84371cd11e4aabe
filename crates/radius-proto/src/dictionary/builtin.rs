//! The dictionaries shipped inside the binary, so the server works without
//! any file on disk. The files live in `dictionaries/` of the source tree.

/// The file loading starts from.
pub(super) const ROOT: &str = "dictionaries/dictionary";

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$((concat!("dictionaries/", $name), include_str!(concat!("../../../../dictionaries/", $name)))),*]
    };
}

/// Every shipped file, by the path `$INCLUDE` resolves it to.
pub(super) const FILES: &[(&str, &str)] = embed![
    "dictionary",
    "dictionary.rfc2865",
    "dictionary.rfc2866",
    "dictionary.rfc2867",
    "dictionary.rfc2868",
    "dictionary.rfc2869",
    "dictionary.rfc3162",
    "dictionary.rfc3579",
    "dictionary.rfc3580",
    "dictionary.rfc4072",
    "dictionary.rfc4372",
    "dictionary.rfc4675",
    "dictionary.rfc4818",
    "dictionary.rfc5176",
    "dictionary.rfc5607",
    "dictionary.rfc6911",
    "dictionary.rfc6929",
    "dictionary.rfc7499",
    "dictionary.aruba",
    "dictionary.cisco",
    "dictionary.cisco.asa",
    "dictionary.citrix",
    "dictionary.f5",
    "dictionary.fortinet",
    "dictionary.juniper",
    "dictionary.microsoft",
    "dictionary.paloalto",
];
