#!/usr/bin/env bash
# Heap allocations per password login: the release server under valgrind's
# dhat, against the static Okta stand-in (`okta-radius sim --static`), so
# that every block counted is the server's own. Two runs, of FEW and MANY
# logins; the difference of their totals divided by MANY - FEW leaves out
# start-up and shutdown.
#
#   bash bench/allocations.sh              # prints one Markdown table
#   SITES=20 bash bench/allocations.sh     # and the 20 busiest call sites
#   CLUSTER=1 bash bench/allocations.sh    # a replica of a fleet: [cluster]
#                                          # with its own redis-server
#   COUNT=instructions bash bench/allocations.sh
#       # the instructions the server runs per login instead (valgrind's
#       # callgrind, the release build as shipped): user-space work only,
#       # but the same from one run to the next, where CPU time on a
#       # shared host drifts by a third; compare two builds with BIN
#
# Needs valgrind (apt-get install valgrind), redis-server for CLUSTER=1, and
# the release binary (built here if missing). FEW (default 500) and MANY
# (default 2500) set the runs; LOG_LEVEL (info) and LOG_FORMAT (human, or
# json as bench/run.sh runs the server) the audit line.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
FEW=${FEW:-500}
MANY=${MANY:-2500}
SITES=${SITES:-0}
TMP=$(mktemp -d /tmp/okta-radius-allocations.XXXXXX)
SIM=127.0.0.1:18280
SIM_STATS=127.0.0.1:18281
RADIUS=127.0.0.1:18212
REDIS_PORT=18279
SECRET="bench-shared-secret-0123456789"
PIDS=()

cleanup() {
    local pid
    # measure() runs in a subshell: its server's pid is in a file.
    [ -f "$TMP/serve.pid" ] && PIDS+=("$(cat "$TMP/serve.pid")")
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
if [ -n "${CLUSTER:-}" ]; then
    command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)" >&2; exit 1; }
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
        >"$TMP/redis.log" 2>&1 &
    PIDS+=("$!")
    for _ in $(seq 100); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
fi
COUNT=${COUNT:-allocations}
case "$COUNT" in
    allocations | instructions) ;;
    *) echo "COUNT is allocations or instructions, not $COUNT" >&2; exit 1 ;;
esac
# BIN=path counts another build (e.g. an older commit's). By default this
# tree's release build, for allocations without the `mimalloc` feature,
# in a target directory of its own: dhat counts what goes through the C
# library's malloc, and the server's default allocator does not.
if [ -z "${BIN:-}" ] && [ "$COUNT" = instructions ]; then
    cargo build --release --locked -q --bin okta-radius >&2
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/okta-radius
elif [ -z "${BIN:-}" ]; then
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/system-malloc" \
        cargo build --release --locked -q --no-default-features --bin okta-radius >&2
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/system-malloc/release/okta-radius
fi

"$BIN" sim --static --listen "$SIM" --stats-listen "$SIM_STATS" >"$TMP/sim.log" 2>&1 &
PIDS+=("$!")
for _ in $(seq 100); do
    curl -sf "http://$SIM_STATS/stats" >/dev/null 2>&1 && break
    sleep 0.1
done

printf '%s' "$SECRET" >"$TMP/secret"
printf '%s' "bench-api-token" >"$TMP/token"
chmod 600 "$TMP/secret" "$TMP/token"
cat >"$TMP/okta-radius.toml" <<EOF
[server]
listen = ["$RADIUS"]
reject_delay_ms = 0
[okta]
org_url = "http://$SIM"
api_token_file = "$TMP/token"
[log]
level = "${LOG_LEVEL:-info}"
format = "${LOG_FORMAT:-human}"
[[clients]]
name = "bench"
address = "127.0.0.0/8"
secret_file = "$TMP/secret"
EOF
if [ -n "${CLUSTER:-}" ]; then
    cat >>"$TMP/okta-radius.toml" <<EOF
[state]
key = "5f1e0d2c3b4a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
[cluster]
redis_url = "redis://127.0.0.1:$REDIS_PORT"
op_timeout_ms = 200
EOF
fi

# One run of N logins under dhat (or callgrind); prints the path of its
# output file.
measure() { # logins
    local out=$TMP/$COUNT-$1.out pid tool
    if [ "$COUNT" = instructions ]; then
        tool=(--tool=callgrind --callgrind-out-file="$out")
    else
        tool=(--tool=dhat --dhat-out-file="$out")
    fi
    valgrind "${tool[@]}" "$BIN" serve --config "$TMP/okta-radius.toml" \
        >"$TMP/serve-$1.log" 2>&1 &
    pid=$!
    echo "$pid" >"$TMP/serve.pid"
    for _ in $(seq 600); do
        "$BIN" bench --server "$RADIUS" --secret "$SECRET" --mix status --count 1 --in-flight 1 \
            --timeout-ms 500 --json 2>/dev/null | grep -q '"completed":1' && break
        sleep 0.2
    done
    "$BIN" bench --server "$RADIUS" --secret "$SECRET" --mix password --count "$1" --in-flight 8 \
        --timeout-ms 5000 --json >"$TMP/bench-$1.json"
    grep -q "\"replies\":{\"Access-Accept\":$1}" "$TMP/bench-$1.json" || {
        echo "not every login was accepted:" >&2
        cat "$TMP/bench-$1.json" "$TMP/serve-$1.log" >&2
        exit 1
    }
    kill -TERM "$pid"
    wait "$pid" || true
    rm -f "$TMP/serve.pid"
    echo "$out"
}

few=$(measure "$FEW")
many=$(measure "$MANY")

if [ "$COUNT" = instructions ]; then
    python3 - "$few" "$many" "$FEW" "$MANY" <<'PY'
import sys
def total(path):
    # callgrind's output ends with the run's total of each event (Ir).
    for line in open(path):
        if line.startswith("summary:"):
            return int(line.split()[1])
    sys.exit(f"{path}: callgrind wrote no summary")
few, many = (total(p) for p in sys.argv[1:3])
n_few, n_many = int(sys.argv[3]), int(sys.argv[4])
print(f"| | {n_few:,} logins | {n_many:,} logins | per login |")
print("|---|---|---|---|")
print(f"| instructions | {few:,} | {many:,} | **{(many - few) / (n_many - n_few):,.0f}** |")
PY
    exit 0
fi

python3 - "$few" "$many" "$FEW" "$MANY" "$SITES" <<'PY'
import json, sys
few, many = (json.load(open(p)) for p in sys.argv[1:3])
n_few, n_many, sites = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def totals(d):
    return sum(p["tb"] for p in d["pps"]), sum(p["tbk"] for p in d["pps"])

(b1, k1), (b2, k2) = totals(few), totals(many)
per = n_many - n_few
if (k2 - k1) / per < 1:
    sys.exit("dhat counted no heap block per login: this build allocates outside the C "
             "library's malloc (built with the mimalloc feature); leave BIN unset, or "
             "give a build made with --no-default-features")
print(f"| | {n_few:,} logins | {n_many:,} logins | per login |")
print("|---|---|---|---|")
print(f"| heap blocks allocated | {k1:,} | {k2:,} | **{(k2 - k1) / per:.1f}** |")
print(f"| bytes allocated | {b1:,} | {b2:,} | {(b2 - b1) / per:,.0f} |")

if sites:
    # Call sites by their innermost frame in the project's own crates.
    def site(d, p):
        frames = [d["ftbl"][i] for i in p["fs"]]
        own = [f for f in frames if "okta_radius" in f or "okta_client" in f
               or "radius_proto" in f or "okta_api" in f]
        return (own or frames)[0].split(": ", 1)[-1][:150]
    def by_site(d):
        out = {}
        for p in d["pps"]:
            key = site(d, p)
            out[key] = out.get(key, 0) + p["tbk"]
        return out
    s1, s2 = by_site(few), by_site(many)
    rows = sorted(((s2.get(k, 0) - s1.get(k, 0)) / per, k) for k in set(s1) | set(s2))
    print()
    print("| blocks per login | innermost project frame |")
    print("|---|---|")
    for count, key in reversed(rows[-sites:]):
        print(f"| {count:.2f} | `{key}` |")
PY
