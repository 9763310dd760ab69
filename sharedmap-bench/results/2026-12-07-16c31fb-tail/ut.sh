#!/bin/bash
# The bench workers' user and system CPU per SET over 5 s in the middle of a 4-process write cell
# (sharedmap's Java client, or Jedis for redis), from /proc/<pid>/stat. Divides by the whole cell's
# average rate, not the operations of the 5 s window. Run from the project's root, with no other
# bench running. Usage: ut.sh sharedmap|redis
set -euo pipefail
t=${1:?usage: ut.sh sharedmap|redis}; out=${TMPDIR:-/tmp}/ut-$t
bin/sharedmap bench --workload uniform --mix write --processes 4 --ops 300000 --repeat 1 --target "$t" \
  --fsync interval --no-charts --out "$out" > "$out.log" 2>&1 &
sleep 14 # into the timed part
workers=$(pgrep -f 'Xmx256m')
[ "$(echo "$workers" | wc -w)" -eq 4 ] || { echo "expected 4 worker processes, found: $workers" >&2; exit 1; }
s() { for w in $workers; do awk '{print $14, $15}' "/proc/$w/stat"; done | awk '{u += $1; s += $2} END {print u, s}'; }
a=$(s); sleep 5; b=$(s)
wait
ops=$(grep -E '^\| (sharedmap|redis)' "$out/summary.md" | cut -d'|' -f4 | tr -d ' ,')
echo "$t workers, P4 ops/s $ops" $(echo "$a $b" | awk -v o="$ops" '{printf "user %.2f us/op sys %.2f us/op", ($3-$1)*10000/(o*5), ($4-$2)*10000/(o*5)}')
