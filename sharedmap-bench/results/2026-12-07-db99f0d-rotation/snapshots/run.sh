#!/bin/bash
# Snapshots on (the default) and off (a 1 TiB threshold) at 10 processes of SETs, beside Redis,
# 3 interleaved rounds. Usage, from the project's root: run.sh OUT
set -euo pipefail
out=${1:?usage: run.sh OUT}
for r in 1 2 3; do
  for v in on off; do
    extra=()
    [ "$v" = off ] && extra=(--daemon-arg=--snapshot-min-journal-bytes=1099511627776)
    bin/sharedmap bench --workload uniform --mix write --processes 10 --ops 150000 --repeat 1 \
      --target sharedmap --target redis --fsync interval --no-charts "${extra[@]}" \
      --out "$out/$v-r$r" > "$out/$v-r$r.log" 2>&1
  done
done
