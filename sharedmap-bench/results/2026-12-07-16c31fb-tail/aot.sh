#!/bin/bash
# JDK 25's ahead-of-time cache for the daemon against none, interleaved, 2 rounds. Run from the
# project's root. Usage: aot.sh OUT, with OUT/sm.aot made first by a training run:
#   JAVA_TOOL_OPTIONS=-XX:AOTCacheOutput=OUT/sm.aot bin/sharedmap server --dir OUT/data \
#       --socket OUT/s.sock --durability interval &
#   bin/sharedmap bench --workload uniform --mix write,read --processes 4,10 --ops 100000 \
#       --target sharedmap:OUT/s.sock --fsync interval --no-charts --out OUT/train
#   kill -TERM <the daemon's pid>    # the JVM writes the cache as it exits
set -euo pipefail
out=${1:?usage: aot.sh OUT}
mkdir -p "$out"
for r in 1 2; do
  for v in plain aot; do
    extra=()
    [ "$v" = aot ] && extra=(--daemon-jvm-opt=-XX:AOTCache="$out/sm.aot")
    bin/sharedmap bench --workload uniform --mix write,read --processes 4,10 --ops 150000 --repeat 1 \
      --target sharedmap --target redis --fsync interval --no-charts "${extra[@]}" \
      --out "$out/$v-r$r" > "$out/$v-r$r.log" 2>&1
  done
done
