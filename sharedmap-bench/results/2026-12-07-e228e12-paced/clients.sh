#!/bin/bash
# SETs paced at RATE operations a second (10 processes, each timed from when it was sent), against one
# sharedmap daemon (interval) by the recovering Java client (sequenced SETs, the default), by the plain
# Java client (--client-plain), and by Jedis through the daemon's RESP socket, and against Redis
# (everysec) by Jedis; ROUNDS interleaved rounds. Run from the project's root, with nothing else running.
# Usage: clients.sh OUT [RATE [ROUNDS]]
set -euo pipefail
out=${1:?usage: clients.sh OUT [RATE [ROUNDS]]}
rate=${2:-30000}
rounds=${3:-3}
rm -rf "$out"
mkdir -p "$out"
bin/sharedmap server --dir "$out/data" --socket "$out/s.sock" --durability interval > "$out/daemon.log" 2>&1 &
pid=$!
trap 'kill $pid 2> /dev/null; wait $pid 2> /dev/null; rm -rf "$out/data"' EXIT
for _ in $(seq 150); do [ -S "$out/s.sock.resp" ] && break; sleep 0.2; done
common=(--workload uniform --mix write --processes 10 --ops $((rate * 12 / 10)) --rate "$rate" --time-from sent
  --repeat 1 --fsync interval --no-charts)
for r in $(seq "$rounds"); do
  bin/sharedmap bench "${common[@]}" --target "sharedmap:$out/s.sock" --target "redis:$out/s.sock.resp" \
    --target redis --out "$out/r$r" > "$out/r$r.log" 2>&1
  bin/sharedmap bench "${common[@]}" --target "sharedmap:$out/s.sock" --client-plain \
    --out "$out/plain-r$r" > "$out/plain-r$r.log" 2>&1
done
