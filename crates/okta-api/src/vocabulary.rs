//! The macro behind every Okta enum (`status`, `factorType`, `factorResult`,
//! user and factor statuses): the known wire strings as variants, plus an
//! `Unknown(String)` catch-all so that a value Okta adds later is read, kept
//! and turned into a rejection by the caller, never a failure to parse.

/// Declares an enum of Okta wire strings with an `Unknown(String)` catch-all,
/// and its (de)serialization as a plain JSON string.
macro_rules! okta_vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
            /// A value this version does not know; kept as Okta spelled it.
            Unknown(String),
        }

        impl $name {
            /// The value as Okta spells it on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(wire: &str) -> Self {
                match wire {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // Read in place: a known value costs no copy of the string.
                struct Wire;
                impl ::serde::de::Visitor<'_> for Wire {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: ::serde::de::Error>(self, wire: &str) -> Result<$name, E> {
                        Ok($name::from(wire))
                    }
                }
                deserializer.deserialize_str(Wire)
            }
        }
    };
}

pub(crate) use okta_vocabulary;
