#!/usr/bin/env bash
# okta-radius next to FreeRADIUS 3.2, against the same simulated Okta org.
#
# Regenerates every table in BENCHMARKS.md and the plots in bench/*.png.
# Unattended on a fresh Debian 12 machine with Rust stable, as root:
#   bash bench/run.sh
# Installs freeradius, freeradius-rest, freeradius-utils (apt) and matplotlib
# (pip) when missing, builds --release, writes raw results to
# bench/results/*.jsonl, and stops every process it started.
#
# Each comparison runs both servers in the same run, alternating round by
# round, so machine load affects both sides alike. ROUNDS=N changes the
# number of rounds (default 3); SECTIONS="compare calls pushes tls
# accounting eap fleet static" (default: all eight) re-runs only some
# sections and keeps the other results. The eap section needs eapol_test
# (Debian eapoltest); EAP_LOGINS (default 300 per round and server) and
# EAP_PARALLEL (default 4 eapol_test at a time) size it. The fleet section
# runs bench/fleet.sh (replicas sharing their state through Redis; installs
# redis-server when missing).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${ROUNDS:-3}
SECTIONS=${SECTIONS:-compare calls pushes tls accounting eap fleet static}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
RESULTS=$ROOT/bench/results
TMP=$(mktemp -d /tmp/okta-radius-bench.XXXXXX)
SECRET="bench-shared-secret-0123456789"
TOKEN="bench-api-token"
SIM=127.0.0.1:18080
SIM_STATS=http://127.0.0.1:18081/stats
OKTA_RADIUS=127.0.0.1:11812
FREERADIUS=127.0.0.1:11813
OKTA_RADIUS_ACCT=127.0.0.1:11814
FREERADIUS_ACCT=127.0.0.1:11815
PIDS=()
# The server under test runs on its own half of the CPUs; the simulated org
# and the load generator share the other half, so neither server competes
# with them (or they with it) for a core. On one CPU, everything shares it.
CPUS=$(nproc)
if [ "$CPUS" -ge 2 ]; then
    DRIVER_CPUS="0-$((CPUS / 2 - 1))"
    SERVER_CPUS="$((CPUS / 2))-$((CPUS - 1))"
    ON_DRIVER=(taskset -c "$DRIVER_CPUS")
    ON_SERVER=(taskset -c "$SERVER_CPUS")
else
    DRIVER_CPUS=0 SERVER_CPUS=0
    ON_DRIVER=(env)
    ON_SERVER=(env)
fi

log() { printf '\n== %s (load: %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- what the benchmark needs ------------------------------------------------
if ! command -v freeradius >/dev/null || [ ! -e /usr/lib/freeradius/rlm_rest.so ] \
    || ! command -v radclient >/dev/null; then
    log "installing freeradius freeradius-rest freeradius-utils"
    was_running=$(systemctl is-active freeradius 2>/dev/null || true)
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq freeradius freeradius-rest freeradius-utils >/dev/null
    # The package starts its own server on 1812; stop what we caused.
    if [ "$was_running" != active ]; then
        systemctl stop freeradius 2>/dev/null || true
    fi
fi
if want eap && ! command -v eapol_test >/dev/null; then
    log "installing eapoltest"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq eapoltest >/dev/null
fi
if want fleet && ! command -v redis-server >/dev/null; then
    log "installing redis-server"
    was_running=$(systemctl is-active redis-server 2>/dev/null || true)
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    # The package starts a system Redis; the benchmark starts its own.
    if [ "$was_running" != active ]; then
        systemctl stop redis-server 2>/dev/null || true
    fi
fi
if ! command -v curl >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
fi
if { want static || want fleet; } && ! command -v valgrind >/dev/null; then
    # Its dhat tool counts the heap allocations of a password login.
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi
if ! python3 -c 'import matplotlib' 2>/dev/null; then
    log "installing matplotlib"
    python3 -m pip install -q matplotlib 2>/dev/null \
        || python3 -m pip install -q --break-system-packages matplotlib
fi

log "building okta-radius --release"
# BIN=path measures another build of okta-radius (e.g. an older commit's,
# for a before-and-after figure); by default this tree's release build.
# bench/allocations.sh counts its own build of this tree unless BIN is
# given (it needs one without mimalloc).
ALLOCATIONS_BIN=${BIN:-}
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked -q
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/okta-radius
fi
export OKTA_RADIUS_BENCH_SECRET=$SECRET

mkdir -p "$RESULTS"
want compare && rm -f "$RESULTS"/{warmup,status,password,offered}.jsonl
want calls && rm -f "$RESULTS"/calls.jsonl
want pushes && rm -f "$RESULTS"/pushes*.json*
want tls && rm -f "$RESULTS"/tls*.json*
want accounting && rm -f "$RESULTS"/accounting.jsonl
want eap && rm -f "$RESULTS"/eap*.jsonl
want static && rm -f "$RESULTS"/static*.jsonl "$RESULTS"/allocations.md
want fleet && rm -f "$RESULTS"/fleet.jsonl "$RESULTS"/allocations-fleet.md
{
    echo "{\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')\",\"cores\":$(nproc),"
    echo "\"memory_gb\":$(awk '/MemTotal/{printf "%.1f", $2/1048576}' /proc/meminfo),"
    echo "\"kernel\":\"$(uname -r)\",\"os\":\"$(. /etc/os-release; echo "$PRETTY_NAME")\","
    echo "\"freeradius\":\"$( (freeradius -v 2>/dev/null || true) | grep -m1 -o 'Version [0-9.]*' || echo unknown)\","
    echo "\"rustc\":\"$(rustc --version)\",\"date\":\"$(date -u +%Y-%m-%dT%H:%MZ)\",\"load_at_start\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"server_cpus\":\"$SERVER_CPUS\",\"driver_cpus\":\"$DRIVER_CPUS\",\"sections\":\"$SECTIONS\"}"
} | tr -d '\n' >"$RESULTS/machine.json"

# --- processes ---------------------------------------------------------------
start_sim() { # extra `okta-radius sim` options
    "${ON_DRIVER[@]}" "$BIN" sim --listen "$SIM" --stats-listen 127.0.0.1:18081 --api-token "$TOKEN" \
        --authn-rate-limit "${SIM_AUTHN_LIMIT:-100000000}" --api-rate-limit 100000000 "$@" >"$TMP/sim.log" 2>&1 &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    for _ in $(seq 100); do
        curl -sf "$SIM_STATS" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "the simulated org did not start:" >&2
    cat "$TMP/sim.log" >&2
    exit 1
}

stop() { # pid
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

okta_radius_config() { # push_delay_s
    cat >"$TMP/okta-radius.toml" <<EOF
[server]
listen = ["$OKTA_RADIUS"]
${SERVER_EXTRA:-}
max_in_flight = 30000
duplicate_cache_entries = 200000
status_server_per_second = 1000000
[okta]
org_url = "http://$SIM"
api_token = "$TOKEN"
# Okta's per-org ceiling, which the simulated org enforces too.
max_concurrent = 75
[mfa]
push_timeout_seconds = 60
[push_limits]
max_per_minute = 1000
[log]
format = "json"
level = "info"
[metrics]
listen = "127.0.0.1:19812"
[[clients]]
name = "bench"
address = "127.0.0.0/8"
secret = "$SECRET"
max_in_flight = 30000
${CONFIG_EXTRA:-}
EOF
}

wait_radius() { # addr
    for _ in $(seq 100); do
        if "$BIN" bench --server "$1" --mix status --count 1 --in-flight 1 --timeout-ms 200 --json 2>/dev/null \
            | grep -q '"completed":1'; then
            return 0
        fi
        sleep 0.1
    done
    echo "no RADIUS server answers on $1" >&2
    exit 1
}

start_okta_radius() {
    okta_radius_config
    "${ON_SERVER[@]}" "$BIN" serve --config "$TMP/okta-radius.toml" >/dev/null 2>"$TMP/okta-radius.log" &
    OKTA_PID=$!
    PIDS+=("$OKTA_PID")
    wait_radius "$OKTA_RADIUS"
}

# The password check against the simulated org's /api/v1/authn, as an
# authenticate subsection: the bench server runs it for PAP logins, the
# inner-tunnel server for the PAP login inside EAP-TTLS.
fr_rest_password() {
    cat <<EOF
        Auth-Type rest {
            update control {
                &REST-HTTP-Header += "Authorization: SSWS $TOKEN"
            }
            rest
            if ((ok || updated) && &reply:REST-HTTP-Body =~ /"status":"SUCCESS"/) {
                update reply {
                    &REST-HTTP-Body !* ANY
                }
                ok
            }
            else {
                update reply {
                    &REST-HTTP-Body !* ANY
                }
                reject
            }
        }
EOF
}

# With FR_EAP=1, the bench server also answers EAP through the eap module
# below (the part of authorize or of authenticate, as asked).
fr_eap_outer() {
    [ "${FR_EAP:-}" = 1 ] || return 0
    if [ "$1" = authorize ]; then
        printf '        eap {\n            ok = return\n        }\n'
    else
        printf '        Auth-Type eap {\n            eap\n        }\n'
    fi
}

# With FR_EAP=1: FreeRADIUS's eap module running EAP-TTLS with the same
# certificate and key okta-radius is given (TLS 1.2, no session cache),
# and the inner-tunnel server checking the inner PAP password with rest.
fr_eap_module() {
    [ "${FR_EAP:-}" = 1 ] || return 0
    cat <<EOF
    eap {
        default_eap_type = ttls
        timer_expire = 60
        ignore_unknown_eap_types = no
        max_sessions = 16384
        tls-config tls-bench {
            certificate_file = $PKI/server.pem
            private_key_file = $PKI/server.key
            cipher_list = "DEFAULT"
            tls_min_version = "1.2"
            tls_max_version = "1.2"
            cache {
                enable = no
            }
        }
        ttls {
            tls = tls-bench
            virtual_server = "inner-tunnel"
        }
    }
EOF
}
fr_eap_inner_server() {
    [ "${FR_EAP:-}" = 1 ] || return 0
    cat <<EOF
server inner-tunnel {
    authorize {
        if (&User-Password) {
            update control {
                &Auth-Type := rest
            }
        }
    }
    authenticate {
$(fr_rest_password)
    }
}
EOF
}

freeradius_config() {
    local dir=$TMP/freeradius
    mkdir -p "$dir/log" "$dir/run"
    : >"$dir/dictionary"
    cat >"$dir/radiusd.conf" <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $dir/log
raddbdir = $dir
radacctdir = $dir/log
name = freeradius
confdir = $dir
modconfdir = $dir
run_dir = $dir/run
db_dir = $dir
libdir = /usr/lib/freeradius
pidfile = $dir/run/freeradius.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1048576
hostname_lookups = no
log {
    destination = files
    file = $dir/log/radius.log
    auth = no
}
security {
    allow_core_dumps = no
    max_attributes = 200
    reject_delay = 0
    status_server = yes
}
thread pool {
    start_servers = 32
    max_servers = 256
    min_spare_servers = 16
    max_spare_servers = 64
    max_requests_per_server = 0
    max_queue_size = 65536
    auto_limit_acct = no
}
client localhost {
    ipaddr = 127.0.0.1
    secret = $SECRET
    require_message_authenticator = yes
}
modules {
    always ok {
        rcode = ok
    }
    # The accounting records, as FreeRADIUS's detail module writes them
    # (it flushes each record; it has no fsync).
    detail {
        filename = $dir/log/detail
        permissions = 0600
        header = "%t"
        locking = no
    }
    always reject {
        rcode = reject
    }
    rest {
        connect_uri = "http://$SIM"
        authenticate {
            uri = "\${..connect_uri}/api/v1/authn"
            method = 'post'
            body = 'json'
            data = '{"username":"%{User-Name}","password":"%{User-Password}"}'
            force_to = 'plain'
            timeout = 4.0
        }
        pool {
            start = 32
            min = 32
            max = 256
            spare = 64
            uses = 0
            retry_delay = 1
            lifetime = 0
            idle_timeout = 60
        }
    }
$(fr_eap_module)
}
$(fr_eap_inner_server)
server bench {
    listen {
        type = auth
        ipaddr = 127.0.0.1
        port = ${FREERADIUS##*:}
        # The same receive buffer okta-radius asks for.
        recv_buff = 8388608
    }
    listen {
        type = acct
        ipaddr = 127.0.0.1
        port = ${FREERADIUS_ACCT##*:}
        recv_buff = 8388608
    }
    preacct {
        ok
    }
    accounting {
        detail
    }
    authorize {
$(fr_eap_outer authorize)
        if (&User-Password) {
            update control {
                &Auth-Type := rest
            }
        }
    }
    authenticate {
$(fr_rest_password)
$(fr_eap_outer authenticate)
    }
    Autz-Type Status-Server {
        ok
    }
}
EOF
}

start_freeradius() {
    freeradius_config
    "${ON_SERVER[@]}" freeradius -f -d "$TMP/freeradius" >"$TMP/freeradius.out" 2>&1 &
    FR_PID=$!
    PIDS+=("$FR_PID")
    wait_radius "$FREERADIUS" || { cat "$TMP/freeradius.out" "$TMP/freeradius/log/radius.log" >&2; exit 1; }
}

cpu_ticks() { # pid -> utime+stime in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}
sys_ticks() { # pid -> stime (the kernel's share) in clock ticks
    awk '{print $15}' "/proc/$1/stat"
}

# measure FILE SCENARIO SERVER_NAME PID ADDR -- bench options...
# Appends one JSON line: scenario, server, load, CPU used by the server (and
# of it, the time spent in the kernel on its behalf), the report.
measure() {
    local file=$1 scenario=$2 name=$3 pid=$4 addr=$5
    shift 6
    local before after sys_before sys_after load report
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    before=$(cpu_ticks "$pid")
    sys_before=$(sys_ticks "$pid")
    report=$("${ON_DRIVER[@]}" "$BIN" bench --server "$addr" --json "$@")
    after=$(cpu_ticks "$pid")
    sys_after=$(sys_ticks "$pid")
    printf '{"scenario":"%s","server":"%s","load":"%s","server_cpu_s":%s,"server_sys_s":%s,"report":%s}\n' \
        "$scenario" "$name" "$load" \
        "$(awk -v a="$after" -v b="$before" -v t="$(getconf CLK_TCK)" 'BEGIN{print (a-b)/t}')" \
        "$(awk -v a="$sys_after" -v b="$sys_before" -v t="$(getconf CLK_TCK)" 'BEGIN{print (a-b)/t}')" \
        "$report" >>"$RESULTS/$file"
    echo "$report" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("   %-12s %-11s %8.0f/s  p50 %.3f ms  p99 %.3f ms  timeouts %d  %s" % (sys.argv[1], sys.argv[2], r["throughput_per_s"], r["latency_ms"]["p50"], r["latency_ms"]["p99"], r["timeouts"], r["outcomes"]))' "$scenario" "$name" >&2
}

# A CA, the server's certificate (for 127.0.0.1) and the load generator's,
# made as README.md's RadSec section makes them; RADIUS/TLS and both EAP
# servers use them. Made once per run.
PKI=$TMP/pki
make_pki() {
    [ -e "$PKI/ca.pem" ] && return 0
    mkdir -p "$PKI"
    (
        cd "$PKI"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
            -keyout ca.key -out ca.pem -subj "/CN=okta-radius bench CA" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
        printf 'subjectAltName=DNS:bench-nas.bench.example\nextendedKeyUsage=clientAuth\n' >nas.ext
        for name in server nas; do
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout $name.key -out $name.csr -subj "/CN=bench-$name" 2>/dev/null
            openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
                -extfile $name.ext -out $name.pem 2>/dev/null
        done
        chmod 600 ./*.key
    )
}

# --- 1. Status-Server and password logins, both servers ----------------------
want compare && for latency in 0 150; do
    log "password logins and Status-Server, simulated Okta latency ${latency} ms"
    start_sim --users-per-flow 5000 --latency-ms "$latency"
    start_okta_radius
    start_freeradius
    # Warm up both (connection pools, page faults).
    measure warmup.jsonl warmup okta-radius "$OKTA_PID" "$OKTA_RADIUS" -- --mix password --in-flight 64 --duration 1 --users 5000
    measure warmup.jsonl warmup freeradius "$FR_PID" "$FREERADIUS" -- --mix password --in-flight 64 --duration 1 --users 5000
    for round in $(seq "$ROUNDS"); do
        if [ "$latency" = 0 ]; then
            for side in okta-radius freeradius; do
                if [ $side = okta-radius ]; then pid=$OKTA_PID addr=$OKTA_RADIUS; else pid=$FR_PID addr=$FREERADIUS; fi
                measure status.jsonl "status" $side "$pid" "$addr" -- --mix status --in-flight 256 --sockets 4 --duration 5
            done
        fi
        for side in okta-radius freeradius; do
            if [ $side = okta-radius ]; then pid=$OKTA_PID addr=$OKTA_RADIUS; else pid=$FR_PID addr=$FREERADIUS; fi
            # With 150 ms at Okta, more logins are in flight than FreeRADIUS has
            # threads (256) and than the org's concurrency limit (75).
            if [ "$latency" = 0 ]; then window=256; else window=512; fi
            measure password.jsonl "password-${latency}ms" $side "$pid" "$addr" -- --mix password --in-flight $window --duration 5 --users 5000
        done
    done
    if [ "$latency" = 0 ]; then
        log "latency against offered load (password logins, 0 ms Okta)"
        for rate in 1000 2000 5000 10000 15000 20000; do
            for side in okta-radius freeradius; do
                if [ $side = okta-radius ]; then pid=$OKTA_PID addr=$OKTA_RADIUS; else pid=$FR_PID addr=$FREERADIUS; fi
                measure offered.jsonl "offered-$rate" $side "$pid" "$addr" -- --mix password --rate "$rate" --duration 4 --sockets 8 --users 5000 --timeout-ms 2000
            done
        done
    fi
    stop "$FR_PID"
    stop "$OKTA_PID"
    stop "$SIM_PID"
done

# --- 2. Okta calls per login by flow, and retransmits -------------------------
if want calls; then
log "Okta calls per login by flow; a retransmit storm during a 10 s push"
start_sim --users-per-flow 2000 --push-delay-ms 10000
start_okta_radius
measure calls.jsonl "calls-password" okta-radius "$OKTA_PID" "$OKTA_RADIUS" -- --mix password --rate 200 --count 1000 --users 2000 --okta-stats "$SIM_STATS"
measure calls.jsonl "calls-totp" okta-radius "$OKTA_PID" "$OKTA_RADIUS" -- --mix totp --rate 100 --count 500 --users 2000 --okta-stats "$SIM_STATS"
# Alternating: pushes without retransmits, then with 3 retransmits each
# during the 10 s push (every 2.5 s, like a NAS with a short timeout).
measure calls.jsonl "calls-push-10s" okta-radius "$OKTA_PID" "$OKTA_RADIUS" -- --mix push --rate 100 --count 500 --users 500 --timeout-ms 40000 --okta-stats "$SIM_STATS"
measure calls.jsonl "calls-push-10s-retransmit" okta-radius "$OKTA_PID" "$OKTA_RADIUS" -- --mix push --rate 100 --count 500 --users 500 --timeout-ms 40000 --retransmit-ms 2500 --retries 3 --okta-stats "$SIM_STATS"
stop "$OKTA_PID"
stop "$SIM_PID"

log "a rate-limited org: 300 /authn calls per minute, 50 logins/s offered for 10 s"
SIM_AUTHN_LIMIT=300 start_sim --users-per-flow 1000
start_okta_radius
measure calls.jsonl "calls-rate-limited" okta-radius "$OKTA_PID" "$OKTA_RADIUS" -- --mix password --rate 50 --count 500 --users 1000 --okta-stats "$SIM_STATS"
stop "$OKTA_PID"
stop "$SIM_PID"

fi

# --- 3. 20,000 pending pushes --------------------------------------------------
if want pushes; then
log "20,000 logins whose push is approved after 20 s, held at once"
start_sim --users-per-flow 20000 --push-delay-ms 20000 --capacity 50000
start_okta_radius
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
echo "{\"idle_rss_kb\":$(rss_kb "$OKTA_PID")}" >"$RESULTS/pushes-idle.json"
(
    start=$(date +%s.%N)
    while kill -0 "$OKTA_PID" 2>/dev/null; do
        metrics=$(curl -sf http://127.0.0.1:19812/metrics || true)
        in_flight=$(echo "$metrics" | awk '$1=="radius_requests_in_flight"{print $2}')
        pending=$(echo "$metrics" | awk '$1=="okta_pushes_pending"{print $2}')
        printf '{"t":%.2f,"rss_kb":%s,"in_flight":%s,"pending_pushes":%s}\n' "$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN{print a-b}')" \
            "$(rss_kb "$OKTA_PID" 2>/dev/null || echo 0)" "${in_flight:-0}" "${pending:-0}"
        sleep 0.5
    done
) >"$RESULTS/pushes-rss.jsonl" 2>/dev/null &
SAMPLER=$!
PIDS+=("$SAMPLER")
measure pushes.jsonl "pending-pushes" okta-radius "$OKTA_PID" "$OKTA_RADIUS" -- --mix push --rate 2000 --count 20000 --users 20000 --sockets 100 --timeout-ms 60000 --server-drops --okta-stats "$SIM_STATS"
echo "{\"peak_rss_kb\":$(awk '/VmHWM/{print $2}' "/proc/$OKTA_PID/status")}" >>"$RESULTS/pushes-idle.json"
stop "$SAMPLER"
stop "$OKTA_PID"
stop "$SIM_PID"
fi

# --- 4. RADIUS/TLS next to UDP ------------------------------------------------
if want tls; then
log "RADIUS/TLS next to UDP: password logins, handshakes, idle connections"
make_pki
OKTA_RADIUS_TLS=127.0.0.1:12083
TLS_ARGS=(--transport tls --secret radsec --tls-ca "$PKI/ca.pem" --tls-cert "$PKI/nas.pem" --tls-key "$PKI/nas.key")
start_sim --users-per-flow 5000
SERVER_EXTRA="tls_listen = [\"$OKTA_RADIUS_TLS\"]"
CONFIG_EXTRA="
[[clients]]
name = \"bench-tls\"
address = \"127.0.0.0/8\"
transport = \"tls\"
tls_ca_file = \"$PKI/ca.pem\"
tls_identity = \"dns:bench-nas.bench.example\"
max_in_flight = 30000
[tls]
certificate_file = \"$PKI/server.pem\"
private_key_file = \"$PKI/server.key\"
[connections]
max_connections = 5000
max_per_client = 5000"
start_okta_radius
SERVER_EXTRA="" CONFIG_EXTRA=""
measure tls-warmup.jsonl warmup okta-radius "$OKTA_PID" "$OKTA_RADIUS_TLS" -- "${TLS_ARGS[@]}" --mix password --in-flight 256 --connections 4 --duration 1 --users 5000
for round in $(seq "$ROUNDS"); do
    # One server, one org, one window (256 in flight) over both transports,
    # alternating; four connections stand for four RadSec proxies.
    measure tls.jsonl "password-udp" okta-radius "$OKTA_PID" "$OKTA_RADIUS" -- --mix password --in-flight 256 --duration 5 --users 5000
    measure tls.jsonl "password-tls" okta-radius "$OKTA_PID" "$OKTA_RADIUS_TLS" -- "${TLS_ARGS[@]}" --mix password --in-flight 256 --connections 4 --duration 5 --users 5000
    measure tls.jsonl "handshakes" okta-radius "$OKTA_PID" "$OKTA_RADIUS_TLS" -- "${TLS_ARGS[@]}" --handshakes --in-flight 16 --duration 5
done
log "server memory held by 2,000 idle RADIUS/TLS connections"
"${ON_DRIVER[@]}" "$BIN" bench --server "$OKTA_RADIUS_TLS" "${TLS_ARGS[@]}" --idle-connections 2000 --server-pid "$OKTA_PID" >"$RESULTS/tls-idle.json"
cat "$RESULTS/tls-idle.json" >&2
stop "$OKTA_PID"
stop "$SIM_PID"
fi

# --- 5. Accounting records ----------------------------------------------------
if want accounting; then
log "accounting Starts: okta-radius (fsync off, on) next to FreeRADIUS's detail module"
start_sim --users-per-flow 1000
start_freeradius
# okta-radius with its accounting port, writing to a file of its own; fsync
# as asked. Restarted for each side, so one instance holds the ports.
start_okta_radius_accounting() { # fsync
    SERVER_EXTRA="accounting_listen = [\"$OKTA_RADIUS_ACCT\"]"
    CONFIG_EXTRA="
[accounting]
file = \"$TMP/accounting-$1.jsonl\"
fsync = $1"
    start_okta_radius
    SERVER_EXTRA="" CONFIG_EXTRA=""
}
for round in $(seq "$ROUNDS"); do
    for side in okta-radius freeradius okta-radius-fsync; do
        if [ $side = freeradius ]; then
            measure accounting.jsonl "accounting" freeradius "$FR_PID" "$FREERADIUS_ACCT" -- --mix accounting --in-flight 256 --sockets 4 --duration 5 --users 1000
            continue
        fi
        if [ $side = okta-radius-fsync ]; then fsync=true; else fsync=false; fi
        start_okta_radius_accounting $fsync
        measure accounting.jsonl "accounting" $side "$OKTA_PID" "$OKTA_RADIUS_ACCT" -- --mix accounting --in-flight 256 --sockets 4 --duration 5 --users 1000
        stop "$OKTA_PID"
    done
done
wc -l "$TMP"/accounting-*.jsonl "$TMP/freeradius/log/detail" >&2 || true
stop "$FR_PID"
stop "$SIM_PID"
fi

# --- 6. EAP-TTLS/PAP -----------------------------------------------------------
if want eap; then
log "EAP-TTLS/PAP: okta-radius next to FreeRADIUS's eap module with rest, eapol_test as the supplicant"
make_pki
EAP_LOGINS=${EAP_LOGINS:-300}
EAP_PARALLEL=${EAP_PARALLEL:-4}
start_sim --users-per-flow 5000
CONFIG_EXTRA="eap = true
[eap]
certificate_file = \"$PKI/server.pem\"
private_key_file = \"$PKI/server.key\"
max_conversations = 100000
conversation_timeout_seconds = 600"
start_okta_radius
CONFIG_EXTRA=""
FR_EAP=1 start_freeradius
# eap_measure FILE SCENARIO SERVER_NAME PID ADDR LOGINS: one run of
# bench/eap_logins.sh (eapol_test on the driver's CPUs), as one JSON line.
eap_measure() {
    local load report
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    report=$("${ON_DRIVER[@]}" "$ROOT/bench/eap_logins.sh" "$5" "$SECRET" "$PKI/ca.pem" "$6" "$EAP_PARALLEL" "$4")
    printf '{"scenario":"%s","server":"%s","load":"%s","report":%s}\n' "$2" "$3" "$load" "$report" >>"$RESULTS/$1"
    echo "$report" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("   %-12s %-11s %d/%d accepted  %6.1f logins/s  %.0f µs server CPU per login" % (sys.argv[1], sys.argv[2], r["accepted"], r["logins"], r["logins"] / r["seconds"], r["server_cpu_s"] * 1e6 / r["logins"]))' "$2" "$3" >&2
}
eap_measure eap-warmup.jsonl warmup okta-radius "$OKTA_PID" "$OKTA_RADIUS" 20
eap_measure eap-warmup.jsonl warmup freeradius "$FR_PID" "$FREERADIUS" 20
for round in $(seq "$ROUNDS"); do
    eap_measure eap.jsonl eap-ttls-pap okta-radius "$OKTA_PID" "$OKTA_RADIUS" "$EAP_LOGINS"
    eap_measure eap.jsonl eap-ttls-pap freeradius "$FR_PID" "$FREERADIUS" "$EAP_LOGINS"
done
log "memory of 2,000 EAP-TTLS conversations left after the server's first TLS flight"
for side in okta-radius freeradius; do
    if [ $side = okta-radius ]; then pid=$OKTA_PID addr=$OKTA_RADIUS; else pid=$FR_PID addr=$FREERADIUS; fi
    held=$("${ON_DRIVER[@]}" python3 "$ROOT/bench/eap_hold.py" 2000 "$pid" "$addr" "$SECRET" --json)
    printf '{"server":"%s",%s\n' "$side" "${held#\{}" >>"$RESULTS/eap-held.jsonl"
    echo "   $side: $held" >&2
done
stop "$FR_PID"
stop "$OKTA_PID"
stop "$SIM_PID"
fi

# --- 7. Against a static Okta stand-in: the servers' own cost ----------------
if want static; then
log "password logins against the static stand-in (okta-radius sim --static)"
# The stand-in answers every /authn with one fixed SUCCESS, so the rows
# measure each server's own cost, not the simulated org's. 50,000 users:
# okta-radius keeps Okta's per-user limit (4 /authn per user per second),
# which would cap 5,000 users at 20,000 logins/s.
"${ON_DRIVER[@]}" "$BIN" sim --static --listen "$SIM" --stats-listen 127.0.0.1:18081 >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
PIDS+=("$SIM_PID")
for _ in $(seq 100); do curl -sf "$SIM_STATS" >/dev/null 2>&1 && break; sleep 0.1; done
start_okta_radius
start_freeradius
# okta-radius's own share of each login (radius_server_own_seconds: from
# the datagram in to the reply out, less the wait for Okta), as the
# histogram's cumulative buckets; a round's share is after minus before.
own_buckets() {
    curl -sf http://127.0.0.1:19812/metrics | python3 -c '
import json, sys
buckets = {}
for line in sys.stdin:
    if line.startswith("radius_server_own_seconds_bucket"):
        le = line.split("le=\"", 1)[1].split("\"", 1)[0]
        buckets[le] = float(line.rsplit(" ", 1)[1])
print(json.dumps(buckets))'
}
# own FILE SCENARIO -- bench options: one okta-radius round with its own share.
own() {
    local file=$1 scenario=$2 before
    shift 2
    before=$(own_buckets)
    measure "$file" "$scenario" okta-radius "$OKTA_PID" "$OKTA_RADIUS" "$@"
    printf '{"scenario":"%s","before":%s,"after":%s}\n' "$scenario" "$before" "$(own_buckets)" >>"$RESULTS/static-own.jsonl"
}
measure static-warmup.jsonl warmup okta-radius "$OKTA_PID" "$OKTA_RADIUS" -- --mix password --in-flight 64 --duration 1 --users 50000
measure static-warmup.jsonl warmup freeradius "$FR_PID" "$FREERADIUS" -- --mix password --in-flight 64 --duration 1 --users 50000
for round in $(seq "$ROUNDS"); do
    own static.jsonl "static-closed" -- --mix password --in-flight 256 --duration 5 --users 50000
    measure static.jsonl "static-closed" freeradius "$FR_PID" "$FREERADIUS" -- --mix password --in-flight 256 --duration 5 --users 50000
done
for round in $(seq "$ROUNDS"); do
    own static.jsonl "static-5000" -- --mix password --rate 5000 --duration 4 --sockets 8 --users 50000 --timeout-ms 2000
    measure static.jsonl "static-5000" freeradius "$FR_PID" "$FREERADIUS" -- --mix password --rate 5000 --duration 4 --sockets 8 --users 50000 --timeout-ms 2000
done
stop "$FR_PID"
stop "$OKTA_PID"
stop "$SIM_PID"
log "heap allocations per password login (valgrind's dhat, bench/allocations.sh)"
BIN="$ALLOCATIONS_BIN" bash "$ROOT/bench/allocations.sh" >"$RESULTS/allocations.md"
cat "$RESULTS/allocations.md" >&2
fi

# --- 8. A fleet sharing its state through Redis -------------------------------
if want fleet; then
log "a fleet through Redis: CPU per login, Redis commands, Okta calls when retransmits fail over"
FLEET_RESULTS="$RESULTS/fleet.jsonl" bash "$ROOT/bench/fleet.sh" >&2
log "heap allocations per password login with [cluster] (CLUSTER=1 bash bench/allocations.sh)"
CLUSTER=1 BIN="$ALLOCATIONS_BIN" bash "$ROOT/bench/allocations.sh" >"$RESULTS/allocations-fleet.md"
cat "$RESULTS/allocations-fleet.md" >&2
fi

# --- tables and plots ----------------------------------------------------------
log "writing BENCHMARKS.md tables and bench/*.png"
python3 "$ROOT/bench/report.py" "$RESULTS" "$ROOT/BENCHMARKS.md" "$ROOT/bench"
log "done"
