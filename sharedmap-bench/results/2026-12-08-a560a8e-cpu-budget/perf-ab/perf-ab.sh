#!/usr/bin/env bash
# Interleaved rounds of the same cells without and with --syscalls (perf stat on the server's
# syscalls:sys_enter_* tracepoints): perf-ab.sh OUT ROUNDS PROCESSES OPS
set -euo pipefail
out=$1; rounds=$2; procs=$3; ops=$4
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  for v in plain syscalls; do
    extra=(); [ "$v" = syscalls ] && extra=(--syscalls)
    bin/sharedmap bench --workload uniform --mix write,read --processes "$procs" --ops "$ops" --repeat 1 \
      "${extra[@]}" --target sharedmap --target redis --fsync interval --no-charts \
      --out "$out/$v-$r" > "$out/$v-$r.log" 2>&1
  done
done
