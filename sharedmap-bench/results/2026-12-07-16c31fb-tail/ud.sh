#!/bin/bash
# The server's user and system CPU per SET over 5 s in the middle of a write cell, from
# /proc/<pid>/stat. Divides by the whole cell's average rate, not the operations of the 5 s window.
# Run from the project's root, with no other daemon or redis-server running. Usage: ud.sh sharedmap|redis P
set -euo pipefail
t=${1:?usage: ud.sh sharedmap|redis P}; p=${2:?usage: ud.sh sharedmap|redis P}; out=${TMPDIR:-/tmp}/ud-$t
bin/sharedmap bench --workload uniform --mix write --processes "$p" --ops 300000 --repeat 1 --target "$t" \
  --fsync interval --no-charts --out "$out" > "$out.log" 2>&1 &
sleep 16 # into the timed part (the load and the warm-up take about 12 s)
if [ "$t" = redis ]; then pid=$(pgrep -f 'redis-server unixsocket'); else pid=$(pgrep -f 'UseSerialGC -Xmn64m'); fi
[ "$(echo "$pid" | wc -w)" -eq 1 ] || { echo "expected one server process, found: $pid" >&2; exit 1; }
s() { awk '{printf "%d %d\n", $14, $15}' "/proc/$pid/stat"; }
a=$(s); sleep 5; b=$(s)
wait
ops=$(grep -E '^\| (sharedmap|redis)' "$out/summary.md" | cut -d'|' -f4 | tr -d ' ,')
echo "$t P$p ops/s $ops" $(echo "$a $b" | awk -v o="$ops" '{printf "user %.2f us/op sys %.2f us/op", ($3-$1)*10000/(o*5), ($4-$2)*10000/(o*5)}')
