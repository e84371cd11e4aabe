#!/usr/bin/env bash
# A fleet of okta-radius replicas sharing their state through Redis
# ([cluster]), against the simulated Okta org: password logins per second
# and server CPU per login for one replica without Redis, one with Redis,
# and three with Redis; the Redis operations each login costs, by flow; and
# the Okta calls per push login when every request is retransmitted to
# another replica (a NAS failing over), next to one server's figure.
#
#   bash bench/fleet.sh            # prints the Markdown tables of BENCHMARKS.md
#
# Needs redis-server and the release binary (built here if missing). The
# replicas run on the second half of the CPUs; the load generator, the
# simulated org and Redis on the first half (on 2 cores: one each). Every
# process it starts is stopped at the end. DURATION=N sets the seconds of
# each measured run (default 5), ROUNDS=N how many times each password row
# is measured (default 7, medians reported: the host's drift between
# rounds is larger than Redis's share, and 3 rounds left it to chance),
# OFFERED="N ..." the rates of the open-loop rows (default 10000 20000);
# FLEET_RESULTS=FILE also writes each row
# as a JSON line there (bench/run.sh's `fleet` section uses it);
# OKTA_RADIUS_BIN=PATH runs another build as the replicas. The
# password-spraying throttles keep their default limits, so each login is
# checked against them as in production (no login here fails).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-7}
TMP=$(mktemp -d /tmp/okta-radius-fleet-bench.XXXXXX)
SECRET="bench-shared-secret-0123456789"
TOKEN="bench-api-token"
SIM=127.0.0.1:18180
SIM_STATS=127.0.0.1:18181
REDIS_PORT=16379
FLEET_RESULTS=${FLEET_RESULTS:-}
ROWS=$TMP/rows.jsonl
PIDS=()
CPUS=$(nproc)
if [ "$CPUS" -ge 2 ]; then
    ON_DRIVER=(taskset -c "0-$((CPUS / 2 - 1))")
    ON_SERVER=(taskset -c "$((CPUS / 2))-$((CPUS - 1))")
else
    ON_DRIVER=(env)
    ON_SERVER=(env)
fi

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)" >&2; exit 1; }
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/okta-radius
if [ ! -x "$BIN" ]; then
    cargo build --release --locked --bin okta-radius >&2
fi
# The replicas' binary; the load generator and the org are always $BIN.
SERVE_BIN=${OKTA_RADIUS_BIN:-$BIN}

"${ON_DRIVER[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$TMP" >"$TMP/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
SIM_PID=
start_sim() { # push delay (ms)
    "${ON_DRIVER[@]}" "$BIN" sim --listen "$SIM" --stats-listen "$SIM_STATS" --api-token "$TOKEN" \
        --authn-rate-limit 100000000 --api-rate-limit 100000000 --users-per-flow 50000 \
        --push-delay-ms "$1" >"$TMP/sim.log" 2>&1 &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    for _ in $(seq 100); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && curl -sf "http://$SIM_STATS/stats" >/dev/null 2>&1 && break
        sleep 0.1
    done
}
start_sim 500
# A Redis already on the port answers the ping above; ours then exited.
if ! kill -0 "$REDIS_PID" 2>/dev/null; then
    echo "redis-server did not start on 127.0.0.1:$REDIS_PORT (is another one there?):" >&2
    cat "$TMP/redis.log" >&2
    exit 1
fi

# config FILE PORT METRICS_PORT CLUSTER(yes/no)
config() {
    cat >"$1" <<EOF
[server]
listen = ["127.0.0.1:$2"]
max_in_flight = 30000
duplicate_cache_entries = 200000
[okta]
org_url = "http://$SIM"
api_token = "$TOKEN"
max_concurrent = 75
[mfa]
push_timeout_seconds = 60
[push_limits]
max_per_minute = 1000
[state]
key = "5f1e0d2c3b4a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
[log]
format = "json"
level = "warn"
[metrics]
listen = "127.0.0.1:$3"
[[clients]]
name = "bench"
address = "127.0.0.0/8"
secret = "$SECRET"
max_in_flight = 30000
deadline_ms = 5000
EOF
    if [ "$4" = yes ]; then
        printf '[cluster]\nredis_url = "redis://127.0.0.1:%s"\nop_timeout_ms = 200\n' "$REDIS_PORT" >>"$1"
    fi
}

SERVERS=()
start_replicas() { # count cluster
    SERVERS=()
    local i
    for i in $(seq 0 $(($1 - 1))); do
        config "$TMP/r$i.toml" $((11900 + i)) $((19900 + i)) "$2"
        "${ON_SERVER[@]}" "$SERVE_BIN" serve --config "$TMP/r$i.toml" >/dev/null 2>"$TMP/r$i.log" &
        SERVERS+=("$!")
        PIDS+=("$!")
    done
    for i in $(seq 0 $(($1 - 1))); do
        for _ in $(seq 100); do
            curl -sf "http://127.0.0.1:$((19900 + i))/health" 2>/dev/null | grep -q '^ok' && break
            sleep 0.1
        done
    done
}
stop_replicas() {
    local pid
    for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
cpu_of_replicas() { local t=0 pid; for pid in "${SERVERS[@]}"; do t=$((t + $(cpu_ticks "$pid"))); done; echo "$t"; }
redis_calls() {
    redis-cli -p "$REDIS_PORT" info commandstats | awk -F'[:=,]' '/^cmdstat_/ && $1 !~ /cmdstat_(info|config|ping|client|hello)$/ {s += $3} END {print s + 0}'
}

# run NAME MIX IN_FLIGHT [RATE]: loads every replica at once (one
# generator each), IN_FLIGHT requests at a time or, with RATE, RATE
# requests a second offered (open loop); prints one table row.
run() {
    local name=$1 count=${#SERVERS[@]} mix=$2 in_flight=$3 rate=${4:-}
    local before after redis_before redis_after redis_cpu i load
    if [ -n "$rate" ]; then
        load=(--rate "$rate" --sockets 8 --timeout-ms 2000)
    else
        load=(--in-flight "$in_flight")
    fi
    # Warm-up.
    for i in $(seq 0 $((count - 1))); do
        "${ON_DRIVER[@]}" "$BIN" bench --server "127.0.0.1:$((11900 + i))" --secret "$SECRET" \
            --mix "$mix" --in-flight 32 --duration 1 --users 50000 --json >/dev/null
    done
    before=$(cpu_of_replicas)
    redis_before=$(redis_calls)
    redis_cpu=$(cpu_ticks "$REDIS_PID")
    for i in $(seq 0 $((count - 1))); do
        "${ON_DRIVER[@]}" "$BIN" bench --server "127.0.0.1:$((11900 + i))" --secret "$SECRET" \
            --mix "$mix" "${load[@]}" --duration "$DURATION" --users 50000 --json \
            >"$TMP/report$i.json" &
    done
    wait_generators "$count"
    after=$(cpu_of_replicas)
    redis_after=$(redis_calls)
    redis_cpu=$(($(cpu_ticks "$REDIS_PID") - redis_cpu))
    python3 - "$name" "$count" "$((after - before))" "$(getconf CLK_TCK)" "$((redis_after - redis_before))" "$TMP" "$redis_cpu" "$DURATION" >>"$ROWS" <<'EOF'
import json, sys
name, count, ticks, hz, redis, tmp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
redis_ticks, duration = int(sys.argv[7]), float(sys.argv[8])
reports = [json.load(open(f"{tmp}/report{i}.json")) for i in range(count)]
done = sum(r["completed"] for r in reports)
print(json.dumps({
    "scenario": "load", "setup": name, "replicas": count,
    "logins_per_s": sum(r["throughput_per_s"] for r in reports),
    "p99_ms": max(r["latency_ms"]["p99"] for r in reports),
    "cpu_us_per_login": ticks / hz * 1e6 / max(done, 1),
    # The share of its core each replica kept busy: a replica that waits
    # for work wakes more often per login, and each wake costs CPU.
    "busy": ticks / hz / duration / count,
    "redis_commands_per_login": redis / max(done, 1),
    "redis_cpu_us_per_login": redis_ticks / hz * 1e6 / max(done, 1),
    "logins": done,
}))
EOF
}
wait_generators() { wait $(jobs -p | tail -n "$1"); }

# failover NAME [SERVER...]: 200 push logins (approved after 3 s), each
# request retransmitted 3 times (every 0.7 s, so all while the push is
# pending), to replica 0 or to the servers given in turn after it; adds a row.
failover() {
    local name=$1 targets=()
    shift
    if [ $# -gt 0 ]; then targets=(--failover-to "$(IFS=,; echo "$*")"); fi
    "${ON_DRIVER[@]}" "$BIN" bench --server 127.0.0.1:11900 --secret "$SECRET" --mix push \
        --rate 50 --count 200 --users 5000 --timeout-ms 20000 --retransmit-ms 700 --retries 3 \
        "${targets[@]}" --okta-stats "http://$SIM_STATS/stats" --json >"$TMP/failover.json"
    python3 - "$name" "$TMP/failover.json" >>"$ROWS" <<'EOF'
import json, sys
name, path = sys.argv[1], sys.argv[2]
print(json.dumps({"scenario": "failover", "setup": name, "report": json.load(open(path))}))
EOF
}

# The password rows in ROUNDS rounds, each setup once per round, so that a
# drift of the machine's speed reaches every setup alike; the report gives
# each setup's medians, and Redis's cost as the median of the rounds'
# ratios. The closed loop keeps the replica as busy as the first half of
# the CPUs lets it be: that half runs Redis too, so the replica that uses
# Redis gets fewer logins a second there, and is less busy. The offered
# rates (OFFERED, default 10,000 and 20,000 logins/s, which the first half
# drives with the org and Redis) load one replica alike with and without
# Redis, with idle moments between datagrams as in production.
OFFERED=${OFFERED:-10000 20000}
for round in $(seq "$ROUNDS"); do
    start_replicas 1 no
    run "1 replica, no Redis (password)" password 128
    for rate in $OFFERED; do
        run "1 replica, no Redis (password, $rate/s offered)" password 0 "$rate"
    done
    stop_replicas
    start_replicas 1 yes
    run "1 replica, Redis (password)" password 128
    for rate in $OFFERED; do
        run "1 replica, Redis (password, $rate/s offered)" password 0 "$rate"
    done
    stop_replicas
    start_replicas 3 yes
    run "3 replicas, Redis (password)" password 43
    stop_replicas
done
start_replicas 1 yes
run "1 replica, Redis (push, approved after 0.5 s)" push 128
stop_replicas

kill "$SIM_PID" 2>/dev/null || true
wait "$SIM_PID" 2>/dev/null || true
start_sim 3000
start_replicas 1 no
failover "1 replica, no Redis: every retransmit to it"
stop_replicas
start_replicas 3 yes
failover "3 replicas, Redis: each retransmit to the next replica" 127.0.0.1:11901 127.0.0.1:11902
stop_replicas

python3 "$ROOT/bench/report.py" fleet "$ROWS"
if [ -n "$FLEET_RESULTS" ]; then
    cp "$ROWS" "$FLEET_RESULTS"
fi
