#!/usr/bin/env bash
# EAP-TTLS/PAP on its own (not yet in run.sh, and without FreeRADIUS next
# to it): logins per second and server CPU per login with eapol_test, and
# the memory of EAP conversations held mid-handshake.
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
cat >ttls.conf <<CONF
network={
    key_mgmt=WPA-EAP
    eap=TTLS
    identity="USER@bench.example"
    anonymous_identity="anonymous"
    password="USER-password"
    ca_cert="$TMP/ca.pem"
    phase2="auth=PAP"
}
CONF
"$BIN" sim --listen 127.0.0.1:28080 --stats-listen 127.0.0.1:28081 --api-token "$TOKEN" \
    --users-per-flow 1000 --authn-rate-limit 1000000 >sim.log 2>&1 &
PIDS+=($!)
sleep 1
"$BIN" serve --config okta-radius.toml >server.log 2>&1 &
SERVER=$!
PIDS+=($SERVER)
sleep 2

ticks() { awk '{print $14+$15}' "/proc/$SERVER/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); s0=$(date +%s.%N)
# Each login is another of the org's benchmark users (pw-N, as
# `okta-radius sim` makes them), so Okta's per-user rate limit stays out of it.
ok=$(seq 0 $((LOGINS - 1)) | xargs -P "$PARALLEL" -I{} sh -c \
    "sed 's/USER/pw-{}/g' $TMP/ttls.conf >$TMP/ttls-{}.conf && eapol_test -c $TMP/ttls-{}.conf -a 127.0.0.1 -p 21812 -s $SECRET -r 0 -t 10 2>&1 | grep -c '^SUCCESS' || true" \
    | awk '{s+=$1} END {print s}')
s1=$(date +%s.%N); t1=$(ticks)
awk -v m="$LOGINS" -v ok="$ok" -v s="$(echo "$s1 - $s0" | bc)" -v t="$((t1 - t0))" -v hz="$hz" -v p="$PARALLEL" \
    'BEGIN { printf "EAP-TTLS/PAP: %d of %d logins accepted in %.1f s, %d eapol_test at a time: %.0f logins/s; server CPU %.2f ms per login\n", ok, m, s, p, m/s, t*1000/hz/m }'
python3 "$OLDPWD/bench/eap_hold.py" "$HELD" "$SERVER"
