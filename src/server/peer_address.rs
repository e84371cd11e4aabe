//! A NAS's address and port as an audit line shows them
//! (`198.51.100.7:49152`, `[2001:db8::7]:49152`). Every login's line
//! carries one; the standard formatting writes an IPv4 address and its
//! port in nine pieces, each passed through the log line's escaping, so
//! the IPv4 form is put together on the stack and written in one.

use std::fmt;
use std::net::SocketAddr;

/// Displays a socket address as `SocketAddr` does.
pub(super) struct PeerAddress(pub(super) SocketAddr);

impl fmt::Display for PeerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let SocketAddr::V4(v4) = self.0 else {
            return self.0.fmt(f);
        };
        // The longest: `255.255.255.255:65535`.
        let mut text = [0u8; 21];
        let mut len = 0;
        for (index, octet) in v4.ip().octets().into_iter().enumerate() {
            if index > 0 {
                text[len] = b'.';
                len += 1;
            }
            len += decimal(&mut text[len..], u32::from(octet));
        }
        text[len] = b':';
        len += 1;
        len += decimal(&mut text[len..], u32::from(v4.port()));
        f.write_str(std::str::from_utf8(&text[..len]).map_err(|_| fmt::Error)?)
    }
}

/// Writes `value` (at most 65,535) in decimal at the start of `out`;
/// returns how many digits it took.
fn decimal(out: &mut [u8], value: u32) -> usize {
    let mut digits = [0u8; 5];
    let mut count = 0;
    let mut rest = value;
    loop {
        // `rest % 10` is a digit.
        digits[count] = b'0' + (rest % 10) as u8;
        count += 1;
        rest /= 10;
        if rest == 0 || count == digits.len() {
            break;
        }
    }
    for (place, digit) in out.iter_mut().zip(digits[..count].iter().rev()) {
        *place = *digit;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    proptest::proptest! {
        #[test]
        fn written_as_the_standard_library_writes_it(octets: [u8; 4], port: u16) {
            let address = SocketAddr::from((Ipv4Addr::from(octets), port));
            proptest::prop_assert_eq!(PeerAddress(address).to_string(), address.to_string());
        }
    }

    #[test]
    fn the_extremes_and_ipv6() {
        for address in [
            SocketAddr::from((Ipv4Addr::new(0, 0, 0, 0), 0)),
            SocketAddr::from((Ipv4Addr::new(255, 255, 255, 255), 65535)),
            SocketAddr::from((Ipv4Addr::new(10, 0, 100, 9), 1812)),
            SocketAddr::from((Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7), 49152)),
            SocketAddr::from((Ipv6Addr::LOCALHOST, 1)),
        ] {
            assert_eq!(PeerAddress(address).to_string(), address.to_string());
        }
    }
}
