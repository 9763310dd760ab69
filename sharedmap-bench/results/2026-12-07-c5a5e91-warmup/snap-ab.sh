#!/usr/bin/env bash
# Does a snapshot reach the SET tail? SETs at 10 processes with the daemon's snapshots as they are
# (A) and with none in the run (B: --snapshot-min-journal-bytes of 1 TiB), each beside Redis,
# interleaved, R rounds. Usage: snap-ab.sh OUT [R] [MIX]  (run from the project's root, nothing else running)
set -euo pipefail
out=${1:?usage: snap-ab.sh OUT [R] [MIX]}; rounds=${2:-3}; mix=${3:-write}
mkdir -p "$out"
run() { # name extra-args...
  local name=$1; shift
  bin/sharedmap bench --workload uniform --mix "$mix" --processes 10 --ops 150000 --repeat 1 \
    --warmup-ms 4000 --warmup-ops 10000000 --target sharedmap --target redis --fsync interval \
    --no-charts --out "$out/$name" "$@" > "$out/$name.log" 2>&1
}
for r in $(seq 1 "$rounds"); do
  run "a-r$r"
  run "b-r$r" --daemon-arg=--snapshot-min-journal-bytes=1099511627776
done
