#!/bin/bash
# The bench workers' user and system CPU ticks over 5 s in the middle of a 4-process write cell
# (sharedmap's client, or Jedis for redis). Run from the project's root. Usage: ut.sh sharedmap|redis
set -euo pipefail
t=${1:?usage: ut.sh sharedmap|redis}; out=${TMPDIR:-/tmp}/ut-$t
bin/sharedmap bench --workload uniform --mix write --processes 4 --ops 300000 --repeat 1 --target "$t" \
  --fsync interval --no-charts --out "$out" > "$out.log" 2>&1 &
sleep 14
workers=$(pgrep -f 'Xmx256m')
s() { for w in $workers; do awk '{printf "%d %d ", $14, $15}' "/proc/$w/stat"; done; echo; }
a=$(s); sleep 5; b=$(s)
echo "$t user/sys ticks per worker, before: $a"; echo "$t after: $b"
wait
grep -E '^\| (sharedmap|redis)' "$out/summary.md" | cut -d'|' -f2-4
