#!/usr/bin/env bash
# EAP-TTLS/PAP on okta-radius alone, quickly: logins per second and server
# CPU per login with eapol_test, and the memory of EAP conversations held
# mid-handshake. The comparison with FreeRADIUS is `SECTIONS=eap bash
# bench/run.sh`, which runs the same two scripts (eap_logins.sh, eap_hold.py).
#   bash bench/eap.sh [logins] [parallel] [held]
# BIN=path/to/okta-radius skips the release build.
# Needs eapol_test (Debian eapoltest), openssl, python3; builds --release;
# starts the simulated org and okta-radius on loopback ports, stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
LOGINS=${1:-400}; PARALLEL=${2:-4}; HELD=${3:-2000}
TMP=$(mktemp -d /tmp/okta-radius-eap-bench.XXXXXX)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$TMP"' EXIT
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked --bin okta-radius >/dev/null 2>&1
    BIN=$PWD/target/release/okta-radius
fi
SECRET=bench-shared-secret-0123456789
TOKEN=bench-api-token-long-enough

cd "$TMP"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -keyout ca.key -out ca.pem -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=radius.test" 2>/dev/null
printf 'subjectAltName=DNS:radius.test\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile server.ext -out server.pem 2>/dev/null
chmod 600 server.key
cat >okta-radius.toml <<CONF
[server]
listen = ["127.0.0.1:21812"]
reject_delay_ms = 0
[okta]
org_url = "http://127.0.0.1:28080"
api_token = "$TOKEN"
[users]
default_domain = "example.com"
[log]
level = "warn"
[metrics]
listen = "127.0.0.1:29812"
[[clients]]
name = "ap"
address = "127.0.0.1"
secret = "$SECRET"
eap = true
[eap]
certificate_file = "$TMP/server.pem"
private_key_file = "$TMP/server.key"
max_conversations = 100000
conversation_timeout_seconds = 600
CONF
"$BIN" sim --listen 127.0.0.1:28080 --stats-listen 127.0.0.1:28081 --api-token "$TOKEN" \
    --users-per-flow 1000 --authn-rate-limit 1000000 >sim.log 2>&1 &
PIDS+=($!)
sleep 1
"$BIN" serve --config okta-radius.toml >server.log 2>&1 &
SERVER=$!
PIDS+=($SERVER)
sleep 2

# Each login is another of the org's benchmark users (pw-N, as
# `okta-radius sim` makes them), so Okta's per-user rate limit stays out of it.
"$OLDPWD/bench/eap_logins.sh" 127.0.0.1:21812 "$SECRET" "$TMP/ca.pem" "$LOGINS" "$PARALLEL" "$SERVER" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); print("EAP-TTLS/PAP: %d of %d logins accepted in %.1f s, %d eapol_test at a time: %.0f logins/s; server CPU %.2f ms per login" % (r["accepted"], r["logins"], r["seconds"], r["parallel"], r["logins"] / r["seconds"], r["server_cpu_s"] * 1000 / r["logins"]))'
python3 "$OLDPWD/bench/eap_hold.py" "$HELD" "$SERVER"
