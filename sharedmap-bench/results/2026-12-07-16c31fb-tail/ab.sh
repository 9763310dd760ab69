#!/bin/bash
# Interleaved A/B runs of sharedmap beside Redis (uniform, SET and GET, 4 and 10 processes, 150,000
# operations per process, interval against everysec): ROUNDS rounds, each running every variant once,
# in the order given. A variant is NAME=ARGS: extra `sharedmap bench` options, split at spaces (none
# for the default). Writes OUT/NAME-rN. Run from the project's root.
#
# Usage: ab.sh OUT ROUNDS NAME=ARGS...
#
# The runs kept here:
#   io-threads/      ab.sh OUT 3 io1=--daemon-arg=--io-threads=1 io2=--daemon-arg=--io-threads=2
#   spin-under-load/ git apply spin-always.patch  (a system property the daemon reads; not committed)
#                    ab.sh OUT 2 A= \
#                      'B=--daemon-jvm-opt=-Dsharedmap.exp.spinAlways=true --daemon-arg=--max-spinners=1' \
#                      'C=--daemon-jvm-opt=-Dsharedmap.exp.spinAlways=true --daemon-arg=--max-spinners=2'
#                    git apply -R spin-always.patch  (bin/sharedmap rebuilds by itself after each)
#   aot-cache/       ab.sh OUT 2 plain= aot=--daemon-jvm-opt=-XX:AOTCache=OUT/sm.aot, with OUT/sm.aot
#                    made first by a training run:
#                      JAVA_TOOL_OPTIONS=-XX:AOTCacheOutput=OUT/sm.aot bin/sharedmap server \
#                          --dir OUT/data --socket OUT/s.sock --durability interval &
#                      bin/sharedmap bench --workload uniform --mix write,read --processes 4,10 \
#                          --ops 100000 --target sharedmap:OUT/s.sock --fsync interval --no-charts --out OUT/train
#                      kill -TERM <the daemon's pid>   # the JVM writes the cache as it exits
set -euo pipefail
usage="usage: ab.sh OUT ROUNDS NAME=ARGS..."
out=${1:?$usage}; rounds=${2:?$usage}; shift 2
(($# > 0)) || { echo "$usage" >&2; exit 2; }
mkdir -p "$out"
for r in $(seq "$rounds"); do
  for variant in "$@"; do
    name=${variant%%=*}
    read -r -a extra <<<"${variant#*=}"
    bin/sharedmap bench --workload uniform --mix write,read --processes 4,10 --ops 150000 --repeat 1 \
      --target sharedmap --target redis --fsync interval --no-charts "${extra[@]}" \
      --out "$out/$name-r$r" > "$out/$name-r$r.log" 2>&1
  done
done
