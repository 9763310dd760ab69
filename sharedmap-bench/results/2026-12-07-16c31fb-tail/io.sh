#!/bin/bash
# --io-threads 1 against the default (2 on 2 CPUs), interleaved, 3 rounds; run from the project's root.
# Writes OUT/io1-rN and OUT/io2-rN. Usage: io.sh OUT
set -euo pipefail
out=${1:?usage: io.sh OUT}
mkdir -p "$out"
for r in 1 2 3; do
  for v in 1 2; do
    bin/sharedmap bench --workload uniform --mix write,read --processes 4,10 --ops 150000 --repeat 1 \
      --target sharedmap --target redis --fsync interval --no-charts --daemon-arg=--io-threads=$v \
      --out "$out/io$v-r$r" > "$out/io$v-r$r.log" 2>&1
  done
done
