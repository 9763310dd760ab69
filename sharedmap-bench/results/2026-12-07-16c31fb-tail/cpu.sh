#!/bin/bash
# User and system CPU per SET over 5 s in the middle of a write cell, from /proc/<pid>/stat: of the
# server (redis-server, or the sharedmap daemon), or of the bench's worker processes (Jedis for
# redis, the Java client for sharedmap). Divides by the whole cell's average rate, not the operations
# of the 5 s window. Run from the project's root, with no other daemon, redis-server or bench running.
# Usage: cpu.sh server|workers sharedmap|redis P
set -euo pipefail
usage="usage: cpu.sh server|workers sharedmap|redis P"
who=${1:?$usage}; t=${2:?$usage}; p=${3:?$usage}; out=${TMPDIR:-/tmp}/cpu-$who-$t
bin/sharedmap bench --workload uniform --mix write --processes "$p" --ops 300000 --repeat 1 --target "$t" \
  --fsync interval --no-charts --out "$out" > "$out.log" 2>&1 &
sleep 16 # into the timed part (the load and the warm-up take about 12 s)
case $who in
  server) if [ "$t" = redis ]; then pids=$(pgrep -f 'redis-server unixsocket'); else pids=$(pgrep -f 'UseSerialGC -Xmn64m'); fi; n=1 ;;
  workers) pids=$(pgrep -f 'Xmx256m'); n=$p ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
[ "$(echo "$pids" | wc -w)" -eq "$n" ] || { echo "expected $n $who process(es), found: $pids" >&2; exit 1; }
ticks() { for pid in $pids; do awk '{print $14, $15}' "/proc/$pid/stat"; done | awk '{u += $1; s += $2} END {print u, s}'; }
a=$(ticks); sleep 5; b=$(ticks)
wait
ops=$(grep -E '^\| (sharedmap|redis)' "$out/summary.md" | cut -d'|' -f4 | tr -d ' ,')
echo "$t $who P$p ops/s $ops" $(echo "$a $b" | awk -v o="$ops" '{printf "user %.2f us/op sys %.2f us/op", ($3-$1)*10000/(o*5), ($4-$2)*10000/(o*5)}')
