#!/bin/bash
# Interleaved rounds: --gather-us 0 against the default 200, always mode, 1/2/4/10 writers beside Redis.
# Usage, from the project's root: sharedmap-bench/results/2026-12-07-6cf5826-gather/gather-ab.sh OUT ROUNDS
set -euo pipefail
out=${1:?usage: gather-ab.sh OUT ROUNDS}; rounds=${2:?usage: gather-ab.sh OUT ROUNDS}
mkdir -p "$out"
for r in $(seq "$rounds"); do
  for us in 0 200; do
    bin/sharedmap bench --workload uniform --mix write --processes 1,2,4,10 --ops 20000 --repeat 1 --syscalls \
      --target sharedmap --target redis --fsync always --no-charts --daemon-arg=--gather-us=$us \
      --out "$out/g$us-r$r" > "$out/g$us-r$r.log" 2>&1
  done
done
