#!/usr/bin/env bash
# --gather-us 200 (the default) against 0, interleaved, beside Redis, always, 4 and 10 writers:
#   gather.sh OUT ROUNDS   (from the checkout's root; the runs here: gather.sh OUT 2, at b4b29e7, whose daemon is 3c597b7's)
set -euo pipefail
out=$1; rounds=$2
for r in $(seq 1 "$rounds"); do
  for g in 200 0; do
    bin/sharedmap bench --workload uniform --mix write --processes 4,10 --ops 20000 --repeat 1 \
      --target sharedmap --target redis --fsync always --no-charts --daemon-arg=--gather-us=$g \
      --out "$out/g$g-$r" > "$out/g$g-$r.log" 2>&1
  done
done
