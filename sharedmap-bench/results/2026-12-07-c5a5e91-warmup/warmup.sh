#!/usr/bin/env bash
# Throughput and p99 against the length of each worker's warm-up: the closed loop, uniform keys,
# interval against Redis everysec, GET and SET at 4 and 10 processes, 2 rounds per warm-up length.
# The warm-up is bounded by time only (--warmup-ops is set far beyond what the time allows).
# Usage: warmup.sh OUT [MS...]   (run from the project's root, with nothing else running)
set -euo pipefail
out=${1:?usage: warmup.sh OUT [MS...]}; shift
lengths=("$@"); [ ${#lengths[@]} -gt 0 ] || lengths=(1500 4000 8000 15000)
mkdir -p "$out"
for ms in "${lengths[@]}"; do
  bin/sharedmap bench --workload uniform --mix write,read --processes 4,10 --ops 150000 --repeat 2 \
    --warmup-ms "$ms" --warmup-ops 10000000 --target sharedmap --target redis --fsync interval \
    --no-charts --out "$out/w$ms" > "$out/w$ms.log" 2>&1
done
