#!/usr/bin/env bash
# Interleaved A/B of two checkouts of sharedmap, each beside Redis in one run:
#   ab.sh BEFORE_CHECKOUT AFTER_CHECKOUT OUT ROUNDS MODE PROCESSES OPS
# e.g. (the runs in this folder; BEFORE at e7a6bad, AFTER at 3c597b7):
#   ab.sh ../wt-before . always-ab 3 always 1,4,10 20000
#   ab.sh ../wt-before . interval-ab 2 interval 4,10 150000
# Each round runs BEFORE, then AFTER: SETs of 100-byte values to 100,000 uniform keys, one run per
# round, so slow drift of the disk or the machine falls on both alike.
set -euo pipefail
before=$(cd "$1" && pwd); after=$(cd "$2" && pwd); out=$3; rounds=$4; mode=$5; procs=$6; ops=$7
mkdir -p "$out"; out=$(cd "$out" && pwd)
extra=(); [ "$mode" = always ] && extra=(--syscalls)   # the interval runs here were made without it
for r in $(seq 1 "$rounds"); do
  for v in before after; do
    d=$before; [ "$v" = after ] && d=$after
    (cd "$d" && bin/sharedmap bench --workload uniform --mix write --processes "$procs" --ops "$ops" \
      --repeat 1 "${extra[@]}" --target sharedmap --target redis --fsync "$mode" --no-charts \
      --out "$out/$v-$r" > "$out/$v-$r.log" 2>&1)
  done
done
