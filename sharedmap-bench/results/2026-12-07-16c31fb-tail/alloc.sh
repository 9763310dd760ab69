#!/bin/bash
# Bytes the daemon's I/O threads allocate per SET: starts a daemon in OUT, runs a 4-process SET bench
# against it, and divides the I/O threads' bytes (JFR's jdk.ThreadAllocationStatistics over a 5 s
# recording) by the change in ops_set (the RESP socket's INFO) over the same 5 s. Needs redis-cli.
# Run from the project's root, with no other daemon running. Usage: alloc.sh OUT
set -euo pipefail
out=${1:?usage: alloc.sh OUT}
rm -rf "$out"; mkdir -p "$out"
bin/sharedmap server --dir "$out/data" --socket "$out/s.sock" --durability interval > "$out/daemon.log" 2>&1 &
for _ in $(seq 100); do [ -S "$out/s.sock.resp" ] && break; sleep 0.2; done
pid=$(pgrep -f "$out/s.sock" | head -1)
bin/sharedmap bench --workload uniform --mix write --processes 4 --ops 400000 --repeat 1 \
  --target "sharedmap:$out/s.sock" --fsync interval --no-charts --out "$out/bench" > "$out/bench.log" 2>&1 &
sleep 18 # into the timed part
jdk=$(bin/with-jdk sh -c 'echo "$JAVA_HOME"')/bin
ops_set() { redis-cli -s "$out/s.sock.resp" INFO | tr -d '\r' | awk -F: '$1 == "ops_set" {print $2}'; }
"$jdk/jcmd" "$pid" JFR.start settings=profile duration=5s filename="$out/t.jfr" > /dev/null
a=$(ops_set); sleep 5; b=$(ops_set)
sleep 2 # the recording ends and is written
"$jdk/jfr" print --json --events jdk.ThreadAllocationStatistics "$out/t.jfr" > "$out/tas.json"
wait %2
kill "$pid"
python3 - "$out/tas.json" "$a" "$b" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1])); a = float(sys.argv[2]); b = float(sys.argv[3])
by = collections.defaultdict(dict)
for e in d['recording']['events']:
    v = e['values']; th = v['thread'] or {}
    by[th.get('javaName') or th.get('osName')][v['startTime']] = v['allocated']
io = sum(m[max(m)] - m[min(m)] for n, m in by.items() if n and n.startswith('sharedmap-io') and len(m) >= 2)
print('I/O threads %.1f MB over the recording, %d SETs -> %.0f bytes per SET' % (io / 1e6, b - a, io / max(1, b - a)))
PY
