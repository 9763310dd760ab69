#!/bin/bash
# The I/O threads with their default scheduler slice and with 100 µs (slice.py, EEVDF's custom
# slice through sched_setattr; root not needed to shorten it), one long-lived daemon, a warm-up
# run, then 2 interleaved rounds of SET and GET at 4 and 10 processes beside Redis.
# Usage, from the project's root: run.sh OUT
set -euo pipefail
out=${1:?usage: run.sh OUT}
here=$(dirname "$(readlink -f "$0")")
mkdir -p "$out"
bin/sharedmap server --dir "$out/data" --socket "$out/s.sock" --durability interval > "$out/daemon.out" 2>&1 &
daemon=$! # bin/sharedmap execs the JVM, so this is the daemon's pid
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 120); do [ -S "$out/s.sock" ] && break; sleep 0.5; done
io=$(for t in /proc/$daemon/task/*; do grep -q sharedmap-io "$t/comm" && basename "$t"; done)
run() {
  bin/sharedmap bench --workload uniform --mix write,read --processes 4,10 --ops 150000 --repeat 1 \
    --target "sharedmap:$out/s.sock" --target redis --fsync interval --no-charts --out "$out/$1" > "$out/$1.log" 2>&1
}
run warm
for r in 1 2; do
  python3 "$here/slice.py" 0 0 $io; run "def-r$r"
  python3 "$here/slice.py" 100000 0 $io; run "short-r$r"
done
