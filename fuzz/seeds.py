#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into fuzz/seeds/<target>/.

Seeds come from the verified test vectors in the protocol notes (RFC 2865
§7.1, RFC 5997 §6, the multi-block password), from malformed variants of
them (one per class in the notes' §3), from the shipped dictionaries, and
from typical typed input. Run from the repository root: python3 fuzz/seeds.py
"""
import os, pathlib, struct

ROOT = pathlib.Path(__file__).resolve().parent
SEEDS = ROOT / "seeds"

VECTORS = {
    "rfc2865_7_1_request": "010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110050600000003",
    "rfc2865_7_1_accept": "0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f06000000000e06c0a80103",
    "ma_last": "0107004a0f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a801100506000000035012e1cee40380653df915d7fe6b85453cd2",
    "ma_first": "0108004a0f403f9473978057bd83d5cb98f4227a50127b94292a06b1869889f8ffb7173d73ab01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110050600000003",
    "ma_first_accept": "02080038a9e85073f3bca02549fcedb0b239a898501232570a1ddc42e0929b0e68653894fc9c0606000000010f06000000000e06c0a80103",
    "ma_first_reject": "03080026e47dc815c6f4fb31cb12d3bffdd89b555012e7554938225c0087671ee26394836f2d",
    "status_server": "0cda00268a54f4686fb394c52866e302185d062350125a665e2e1e8411f3e243822097c84fa3",
    "status_reply": "02da00267e6d7a5f5dfa87b519bef260a6f15081501257566a4a4a4c690f8e18b73ae7a7f65f",
    "accounting_response": "05b300140f6f92145f107e2f504e860a4860669c",
    "long_password": "012a00660f403f9473978057bd83d5cb98f4227a5012c8bc3214a55dc4bf7c7962521a1bd83501086c6f6e67707702320fa3618b97d9008b378d964c1d0a688ff81cf1b33b8febbd4ef4b93600985f16d3c5395679b316409a459223b97b9ab60406c0a80110",
    "accounting_request": "041100327410939ebf5740ca16654c79f0239f3901066e656d6f2806000000012c0c303132333435363738390406c0a80110",
}


def packet(code, ident, attrs, length=None):
    body = b"".join(attrs)
    total = 20 + len(body) if length is None else length
    return struct.pack("!BBH", code, ident, total) + b"\x11" * 16 + body


def attr(typ, value, length=None):
    return bytes([typ, 2 + len(value) if length is None else length]) + value


def malformed():
    name = attr(1, b"alice")
    yield "length_below_20", packet(1, 1, [name], length=19)
    yield "length_above_4096", packet(1, 1, [name], length=5000)
    yield "length_past_datagram", packet(1, 1, [name], length=200)
    yield "padding_after_length", packet(1, 1, [name]) + b"\x00" * 30
    yield "attribute_length_0", packet(1, 1, [b"\x01\x00"])
    yield "attribute_length_1", packet(1, 1, [b"\x01\x01"])
    yield "attribute_overrun", packet(1, 1, [b"\x01\x40abc"])
    yield "attribute_not_filling", packet(1, 1, [name, b"\x01"])
    yield "type_0", packet(1, 1, [attr(0, b"x")])
    yield "many_attributes", packet(1, 1, [attr(99, b"")] * 2000)
    yield "ma_length_17", packet(1, 1, [attr(80, b"\x00" * 15)])
    yield "two_mas", packet(1, 1, [attr(80, b"\x00" * 16), attr(80, b"\x00" * 16)])
    yield "password_15", packet(1, 1, [name, attr(2, b"\x01" * 15)])
    yield "password_17", packet(1, 1, [name, attr(2, b"\x01" * 17)])
    yield "password_144", packet(1, 1, [name, attr(2, b"\x01" * 144)])
    yield "vsa_short", packet(1, 1, [attr(26, b"\x00\x00\x01")])
    yield "vsa_sub_length_0", packet(1, 1, [attr(26, b"\x00\x00\x00\x09\x01\x00")])
    yield "vsa_sub_overrun", packet(1, 1, [attr(26, b"\x00\x00\x00\x09\x01\x20ab")])
    yield "extended_truncated", packet(1, 1, [attr(241, b"")])
    yield "long_extended_more", packet(1, 1, [attr(245, b"\x01\x80" + b"m" * 200)] * 10)
    yield "integer_wrong_size", packet(1, 1, [attr(5, b"\x00\x01")])
    yield "ipaddr_wrong_size", packet(1, 1, [attr(4, b"\x7f\x00\x00")])
    yield "proxy_state_big", packet(1, 1, [attr(33, b"p" * 253)] * 15)
    yield "response_code", packet(2, 1, [name])


def write(target, name, data):
    directory = SEEDS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)


def main():
    for name, text in VECTORS.items():
        write("packet", name, bytes.fromhex(text))
    for name, data in malformed():
        write("packet", name, data)

    dictionaries = ROOT.parent / "dictionaries"
    for path in sorted(dictionaries.iterdir()):
        if path.is_file() and path.stat().st_size < 64_000:
            write("dictionary", path.name, path.read_bytes())

    typed = ["hunter2", "hunter2,123456", "hunter2,push", "pass,word,sms", "1", "2",
             "push", "resend", "cccccbcdefghijklnrtuvcbdefghijklnrtuvcbdefgh",
             ",123456", "pw,  654321 ", "\u00e9t\u00e9,call"]
    for i, text in enumerate(typed):
        for selector in range(4):
            write("typed", f"typed_{i}_{selector}", bytes([selector]) + text.encode())

    # State: mode byte 0 = raw bytes, 1 = sealed plaintext (postcard fields).
    write("state", "raw_empty", b"\x00")
    write("state", "raw_version", b"\x00\x01" + b"\x00" * 60)
    login = b"alice@example.com"
    sealed = bytes([len(login)]) + login + b"\xff\xff\xff\xff\x0f" + b"\x01" + b"\x05token\x00\x00\x00\x00"
    write("state", "sealed_menu", b"\x01" + sealed)
    write("state", "sealed_empty", b"\x01")

    # EAP: an Identity, a TTLS Start, a first fragment with L and M, an ack,
    # Success, a Nak, inner AVPs (User-Name, User-Password), broken lengths.
    def eap(code, ident, body):
        return bytes([code, ident]) + struct.pack(">H", 4 + len(body)) + body
    def avp(code, data):
        length = 8 + len(data)
        return struct.pack(">IB", code, 0x40) + length.to_bytes(3, "big") + data + b"\x00" * ((4 - length % 4) % 4)
    write("eap", "identity", eap(2, 1, b"\x01anonymous"))
    write("eap", "ttls_start", eap(1, 2, b"\x15\x20"))
    write("eap", "first_fragment", eap(2, 3, b"\x15\xc0" + struct.pack(">I", 3000) + b"\x16\x03\x01" + b"\x00" * 64))
    write("eap", "ack", eap(2, 4, b"\x15\x00"))
    write("eap", "success", eap(3, 5, b""))
    write("eap", "nak", eap(2, 2, b"\x03\x19\x1a"))
    write("eap", "avps", avp(1, b"alice") + avp(2, b"hunter2,123456"))
    write("eap", "length_past_bytes", b"\x02\x01\x00\x40\x01")
    write("eap", "mppe", bytes(16) + b"\x80\x01" + bytes(48))


if __name__ == "__main__":
    main()
