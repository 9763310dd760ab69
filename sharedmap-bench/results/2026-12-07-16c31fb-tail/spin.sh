#!/bin/bash
# I/O threads that spin whatever the machine's load, against the default (spin only with a CPU to
# spare), interleaved, 2 rounds. Needs spin-always.patch applied (a system property the daemon
# reads; not committed). Run from the project's root. Usage: spin.sh OUT
#   A: the default   B: spin under load, --max-spinners=1   C: spin under load, --max-spinners=2
set -euo pipefail
out=${1:?usage: spin.sh OUT}
mkdir -p "$out"
for r in 1 2; do
  for v in A B C; do
    case $v in
      A) extra=() ;;
      B) extra=(--daemon-jvm-opt=-Dsharedmap.exp.spinAlways=true --daemon-arg=--max-spinners=1) ;;
      C) extra=(--daemon-jvm-opt=-Dsharedmap.exp.spinAlways=true --daemon-arg=--max-spinners=2) ;;
    esac
    bin/sharedmap bench --workload uniform --mix write,read --processes 4,10 --ops 150000 --repeat 1 \
      --target sharedmap --target redis --fsync interval --no-charts "${extra[@]}" \
      --out "$out/$v-r$r" > "$out/$v-r$r.log" 2>&1
  done
done
