#!/usr/bin/env bash
# Interleaved rounds of the same cells without and with --syscalls (perf stat on the server's
# syscalls:sys_enter_* tracepoints), each run sharedmap beside Redis, from the project's root:
#   perf-ab.sh OUT ROUNDS PROCESSES OPS [MODE [MIX]]      (MODE interval, MIX write,read by default)
# e.g. perf-ab.sh OUT 2 4 150000 (interval, this folder's plain-N/syscalls-N)
#      perf-ab.sh OUT 2 4,10 20000 always write (always/ in this folder)
set -euo pipefail
out=$1; rounds=$2; procs=$3; ops=$4; mode=${5:-interval}; mix=${6:-write,read}
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  for v in plain syscalls; do
    extra=(); [ "$v" = syscalls ] && extra=(--syscalls)
    bin/sharedmap bench --workload uniform --mix "$mix" --processes "$procs" --ops "$ops" --repeat 1 \
      "${extra[@]}" --target sharedmap --target redis --fsync "$mode" --no-charts \
      --out "$out/$v-$r" > "$out/$v-$r.log" 2>&1
  done
done
