#!/usr/bin/env bash
# EAP-TTLS/PAP logins with eapol_test (wpa_supplicant's test client), N at
# a time, against one RADIUS server; prints one JSON line: logins started,
# accepted (eapol_test's SUCCESS), wall seconds, and the CPU seconds the
# server process used meanwhile.
#   bench/eap_logins.sh HOST:PORT SECRET CA_FILE LOGINS PARALLEL SERVER_PID
# Login i is the benchmark user pw-i@bench.example (password
# pw-i-password), as `okta-radius sim` makes them, so no Okta per-user rate
# limit is what is measured. Used by bench/eap.sh and bench/run.sh.
set -euo pipefail
ADDR=$1 SECRET=$2 CA=$3 LOGINS=$4 PARALLEL=$5 PID=$6
WORK=$(mktemp -d /tmp/okta-radius-eapol.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
for i in $(seq 0 $((LOGINS - 1))); do
    cat >"$WORK/$i.conf" <<CONF
network={
    key_mgmt=WPA-EAP
    eap=TTLS
    identity="pw-$i@bench.example"
    anonymous_identity="anonymous"
    password="pw-$i-password"
    ca_cert="$CA"
    phase2="auth=PAP"
}
CONF
done
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
t0=$(ticks)
s0=$(date +%s.%N)
accepted=$(seq 0 $((LOGINS - 1)) | xargs -P "$PARALLEL" -I{} sh -c \
    "eapol_test -c '$WORK/{}.conf' -a '${ADDR%:*}' -p '${ADDR##*:}' -s '$SECRET' -r 0 -t 10 2>&1 | grep -c '^SUCCESS' || true" \
    | awk '{s += $1} END {print s + 0}')
s1=$(date +%s.%N)
t1=$(ticks)
awk -v n="$LOGINS" -v ok="$accepted" -v a="$s0" -v b="$s1" -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v p="$PARALLEL" \
    'BEGIN { printf "{\"logins\":%d,\"accepted\":%d,\"parallel\":%d,\"seconds\":%.3f,\"server_cpu_s\":%.3f}\n", n, ok, p, b - a, t / hz }'
