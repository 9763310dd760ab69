#!/usr/bin/env bash
# One always-mode writer, the client's default spin (10 µs) against 300 µs, interleaved, beside Redis:
#   spin.sh OUT ROUNDS   (from the checkout's root; the runs here: spin.sh OUT 2, at b00212d)
set -euo pipefail
out=$1; rounds=$2
for r in $(seq 1 "$rounds"); do
  for s in -1 300; do
    bin/sharedmap bench --workload uniform --mix write --processes 1 --ops 20000 --repeat 1 \
      --target sharedmap --target redis --fsync always --no-charts --client-spin-us "$s" \
      --out "$out/s$s-$r" > "$out/s$s-$r.log" 2>&1
  done
done
