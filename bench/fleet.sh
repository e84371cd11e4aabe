#!/usr/bin/env bash
# A fleet of okta-radius replicas sharing their state through Redis
# ([cluster]), against the simulated Okta org: password logins per second
# and server CPU per login for one replica without Redis, one with Redis,
# and three with Redis; and the Redis operations each login costs, by flow.
#
#   bash bench/fleet.sh            # prints the Markdown tables of BENCHMARKS.md
#
# Needs redis-server and the release binary (built here if missing). The
# replicas run on the second half of the CPUs; the load generator, the
# simulated org and Redis on the first half (on 2 cores: one each). Every
# process it starts is stopped at the end. DURATION=N sets the seconds of
# each measured run (default 8).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DURATION=${DURATION:-8}
TMP=$(mktemp -d /tmp/okta-radius-fleet-bench.XXXXXX)
SECRET="bench-shared-secret-0123456789"
TOKEN="bench-api-token"
SIM=127.0.0.1:18180
SIM_STATS=127.0.0.1:18181
REDIS_PORT=16379
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
if [ ! -x target/release/okta-radius ]; then
    cargo build --release --locked --bin okta-radius >&2
fi
BIN=$ROOT/target/release/okta-radius

"${ON_DRIVER[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$TMP" >"$TMP/redis.log" 2>&1 &
PIDS+=("$!")
"${ON_DRIVER[@]}" "$BIN" sim --listen "$SIM" --stats-listen "$SIM_STATS" --api-token "$TOKEN" \
    --authn-rate-limit 100000000 --api-rate-limit 100000000 --users-per-flow 5000 \
    --push-delay-ms 500 >"$TMP/sim.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && curl -sf "http://$SIM_STATS/stats" >/dev/null 2>&1 && break
    sleep 0.1
done

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
[abuse]
max_failures_per_user_and_source = 0
max_failures_per_user = 0
max_failures_per_source = 0
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
        "${ON_SERVER[@]}" "$BIN" serve --config "$TMP/r$i.toml" >/dev/null 2>"$TMP/r$i.log" &
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

# run NAME COUNT MIX IN_FLIGHT: loads every replica at once (one generator
# each), prints one table row.
run() {
    local name=$1 count=${#SERVERS[@]} mix=$2 in_flight=$3
    local before after redis_before redis_after i
    # Warm-up.
    for i in $(seq 0 $((count - 1))); do
        "${ON_DRIVER[@]}" "$BIN" bench --server "127.0.0.1:$((11900 + i))" --secret "$SECRET" \
            --mix "$mix" --in-flight 32 --duration 1 --users 5000 --json >/dev/null
    done
    before=$(cpu_of_replicas)
    redis_before=$(redis_calls)
    for i in $(seq 0 $((count - 1))); do
        "${ON_DRIVER[@]}" "$BIN" bench --server "127.0.0.1:$((11900 + i))" --secret "$SECRET" \
            --mix "$mix" --in-flight "$in_flight" --duration "$DURATION" --users 5000 --json \
            >"$TMP/report$i.json" &
    done
    wait_generators "$count"
    after=$(cpu_of_replicas)
    redis_after=$(redis_calls)
    python3 - "$name" "$count" "$((after - before))" "$(getconf CLK_TCK)" "$((redis_after - redis_before))" "$TMP" <<'EOF'
import json, sys
name, count, ticks, hz, redis, tmp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
reports = [json.load(open(f"{tmp}/report{i}.json")) for i in range(count)]
rate = sum(r["throughput_per_s"] for r in reports)
done = sum(r["completed"] for r in reports)
p99 = max(r["latency_ms"]["p99"] for r in reports)
cpu_us = ticks / hz * 1e6 / max(done, 1)
print(f"| {name} | {rate:,.0f} | {p99:.1f} | {cpu_us:.0f} | {redis / max(done, 1):.1f} | {done} |")
EOF
}
wait_generators() { wait $(jobs -p | tail -n "$1"); }

echo "| setup | logins/s | p99 ms | server CPU µs/login | Redis commands/login | logins |"
echo "|---|---|---|---|---|---|"
start_replicas 1 no
run "1 replica, no Redis (password)" password 128
stop_replicas
start_replicas 1 yes
run "1 replica, Redis (password)" password 128
stop_replicas
start_replicas 3 yes
run "3 replicas, Redis (password)" password 43
stop_replicas
start_replicas 1 yes
run "1 replica, Redis (push, approved after 0.5 s)" push 128
stop_replicas
