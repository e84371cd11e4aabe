#!/usr/bin/env python3
# Opens N EAP-TTLS conversations and leaves each after the server's first
# TLS flight (ServerHello..ServerHelloDone), as a supplicant that walks away
# mid-handshake would; prints the server's RSS before and after.
#   eap_hold.py N SERVER_PID [HOST:PORT] [SECRET] [--json]
# Used by bench/eap.sh and bench/run.sh (which passes --json).
import hashlib, hmac, json, os, socket, ssl, struct, sys, time

ARGS = [a for a in sys.argv[1:] if a != "--json"]
JSON = "--json" in sys.argv[1:]
N = int(ARGS[0]); PID = int(ARGS[1])
HOST, PORT = (ARGS[2] if len(ARGS) > 2 else "127.0.0.1:21812").rsplit(":", 1)
SERVER = (HOST, int(PORT))
SECRET = (ARGS[3] if len(ARGS) > 3 else "bench-shared-secret-0123456789").encode()

def rss():
    for line in open(f"/proc/{PID}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def attr(t, v): return bytes([t, len(v) + 2]) + v

def request(ident, eap, state=None):
    attrs = attr(80, bytes(16)) + attr(1, b"anonymous") + attr(32, b"bench-ap")
    for i in range(0, len(eap), 253): attrs += attr(79, eap[i:i+253])
    if state: attrs += attr(24, state)
    auth = os.urandom(16)
    pkt = bytearray(struct.pack(">BBH", 1, ident, 20 + len(attrs)) + auth + attrs)
    mac = hmac.new(SECRET, bytes(pkt), hashlib.md5).digest()
    pkt[22:38] = mac
    return bytes(pkt)

def attrs_of(pkt):
    out, i = [], 20
    while i < len(pkt):
        t, l = pkt[i], pkt[i+1]; out.append((t, pkt[i+2:i+l])); i += l
    return out

def exchange(sock, ident, eap, state=None):
    sock.send(request(ident, eap, state))
    reply = sock.recv(4096)
    a = attrs_of(reply)
    eap = b"".join(v for t, v in a if t == 79)
    st = next((v for t, v in a if t == 24), None)
    return reply[0], eap, st

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sock.connect(SERVER); sock.settimeout(5)
before = rss(); start = time.time(); ident = 0
for n in range(N):
    ident = (ident + 1) % 256
    code, eap, state = exchange(sock, ident, bytes([2, 1, 0, 14, 1]) + b"anonymous")
    eap_id = eap[1]
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inb, outb)
    try: tls.do_handshake()
    except ssl.SSLWantReadError: pass
    hello = outb.read()
    body = bytes([21, 0]) + hello
    ident = (ident + 1) % 256
    code, eap, state = exchange(sock, ident, struct.pack(">BBH", 2, eap_id, 4 + len(body)) + body, state)
    assert code == 11, code
after = rss()
if JSON:
    print(json.dumps({"held": N, "rss_kb_before": before, "rss_kb_after": after,
                      "bytes_per_conversation": round((after - before) * 1024 / N)}))
    sys.exit(0)
print(f"{N} conversations held after the server's first flight: RSS {before} -> {after} KiB, {(after-before)*1024/N:.0f} bytes each; {N/(time.time()-start):.0f} conversations/s opened")
