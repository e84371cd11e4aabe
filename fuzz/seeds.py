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

    # eap_conversation: two bytes of settings (methods, fragment size), then
    # records of a control byte, 12 bits of length and 4 of repetitions, and
    # the EAP bytes (see the target). The ClientHellos are what OpenSSL's
    # s_client sent for TLS 1.2 and TLS 1.3.
    hello12 = bytes.fromhex("16030100b7010000b30303d508ca2e2f818d79cfd73f0204053cc6bf32f695ddff256b7fff902c41ec3bd2000038c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035002f00ff01000052000b000403000102000a000c000a001d0017001e00190018002300000016000000170000000d002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602")
    hello13 = bytes.fromhex("16030100dc010000d803033a758e206ee46077d048143f02d34526908e191120f80fb641cc6ca8a6c1cbe720f6b0647b2903ffb3082abdb78fb8ed406cda318d8a5f63e20224991918b3b905000813021303130100ff01000087000b000403000102000a00160014001d0017001e0019001801000101010201030104002300000016000000170000000d001e001c040305030603080708080809080a080b080408050806040105010601002b0003020304002d00020101003300260024001d0020be9f7f2ac7a2867bf06f6ced544c671283eb10db5a2d82cabf3fd739c526fe5b")
    def rec(control, data, repeat=0):
        return bytes([control]) + struct.pack(">H", (repeat << 12) | len(data)) + data
    first = rec(0x04, eap(2, 0, b"\x01anonymous"))
    on = 0x05  # the last State, the last Identifier, the Length fixed
    acks = rec(on, eap(2, 0, b"\x15\x00"), repeat=2)
    write("eap_conversation", "ttls_tls12", b"\x00\x18" + first + rec(on, eap(2, 0, b"\x15\x00" + hello12)) + acks)
    write("eap_conversation", "ttls_tls13", b"\x02\x08" + first + rec(on, eap(2, 0, b"\x15\x00" + hello13)) + acks)
    write("eap_conversation", "nak_to_peap", b"\x00\x20" + first + rec(on, eap(2, 0, b"\x03\x19"))
          + rec(on, eap(2, 0, b"\x19\x00" + hello12)) + rec(on, eap(2, 0, b"\x19\x00"), repeat=2))
    write("eap_conversation", "nak_refused", b"\x03\x20" + first + rec(on, eap(2, 0, b"\x03\x1a")))
    write("eap_conversation", "fragments", b"\x00\x10" + first
          + rec(on, eap(2, 0, b"\x15\xc0" + struct.pack(">I", len(hello12)) + hello12[:100]))
          + rec(on, eap(2, 0, b"\x15\x00" + hello12[100:])) + acks)
    write("eap_conversation", "past_the_cap", b"\x00\x40" + first
          + rec(on, eap(2, 0, b"\x15\x40" + bytes(3900)), repeat=15))
    write("eap_conversation", "tls_garbage", b"\x00\x40" + first
          + rec(on, eap(2, 0, b"\x15\x00" + b"\x16\x03\x01\x00\x05hello")) + acks)
    write("eap_conversation", "wrong_identifier", b"\x00\x40" + first + rec(0x01, eap(2, 77, b"\x15\x00")))
    write("eap_conversation", "unknown_state", b"\x00\x40" + rec(0x06, eap(2, 0, b"\x15\x00")))
    write("eap_conversation", "inner", b"\x00\x40"
          + rec(0x40, avp(1, b"alice") + avp(2, b"hunter2,123456"))
          + rec(0x40, avp(1, b"alice") + avp(79, eap(2, 3, b"\x01alice")))
          + rec(0xc0, eap(2, 3, b"\x06hunter2"))
          + rec(0x40, eap(2, 9, bytes([33, 0x80, 3, 0, 2, 0, 1]))))


if __name__ == "__main__":
    main()
