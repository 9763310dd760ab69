#!/bin/bash
# Latency at the same load. One sharedmap daemon (interval) is loaded by 10 processes two ways, through
# its own protocol (the Java client) and through its RESP socket (Jedis), and Redis (everysec) by Jedis,
# in one run with the rounds interleaved. RATE is the operations per second of each cell, all
# processes together (bench --rate); 0 runs the usual closed loop (150,000 operations per process).
# FROM (due or sent) is bench --time-from. Run from the project's root, with nothing else running.
# Usage: paced.sh OUT RATE [ROUNDS [FROM]]
set -euo pipefail
out=${1:?usage: paced.sh OUT RATE [ROUNDS [FROM]]}
rate=${2:?usage: paced.sh OUT RATE [ROUNDS [FROM]]}
rounds=${3:-3}
from=${4:-due}
rm -rf "$out"
mkdir -p "$out"
bin/sharedmap server --dir "$out/data" --socket "$out/s.sock" --durability interval > "$out/daemon.log" 2>&1 &
pid=$!
trap 'kill $pid 2> /dev/null; wait $pid 2> /dev/null; rm -rf "$out/data"' EXIT
for _ in $(seq 150); do [ -S "$out/s.sock.resp" ] && break; sleep 0.2; done
paced=()
if [ "$rate" -gt 0 ]; then
  ops=$((rate * 12 / 10)) # about 12 s a cell
  paced=(--rate "$rate" --time-from "$from")
else
  ops=150000
fi
bin/sharedmap bench --workload uniform --mix read,write --processes 10 --ops "$ops" "${paced[@]}" \
  --repeat "$rounds" --target "sharedmap:$out/s.sock" --target "redis:$out/s.sock.resp" --target redis \
  --fsync interval --no-charts --out "$out/bench" > "$out/bench.log" 2>&1
