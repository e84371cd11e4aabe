#!/bin/sh
# Runs every fuzz target in turn, one at a time, and keeps each log in
# fuzz/logs/. Usage: fuzz/run-all.sh [max_seconds_per_target] [runs]
set -u
cd "$(dirname "$0")"
SECONDS_PER_TARGET=${1:-1800}
RUNS=${2:-10000000}
python3 seeds.py
mkdir -p logs
for target in packet dictionary typed state eap eap_conversation; do
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run -O "$target" "corpus/$target" "seeds/$target" -- \
        -runs="$RUNS" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
        > "logs/$target.log" 2>&1
    echo "$target exit $?" >> logs/summary.txt
done
