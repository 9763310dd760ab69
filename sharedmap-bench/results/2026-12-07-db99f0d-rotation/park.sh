#!/bin/bash
# Where the I/O threads wait for the journal: starts a daemon (interval) in OUT, runs a 10-process
# SET bench against it (300,000 operations per process), records 5 s of JFR jdk.ThreadPark events
# (threshold 0) 25 s in, and prints the I/O threads' parks in Journal.acquireLeadership by length,
# then the bench's line and each snapshot's "writers held" from the daemon's log (a line since db99f0d).
# Extra arguments go to the daemon; DJ (environment) to its JVM as JAVA_TOOL_OPTIONS.
# Run from the project's root, under bin/with-jdk (jcmd and jfr of JDK 25):
#   bin/with-jdk sharedmap-bench/results/2026-12-07-db99f0d-rotation/park.sh OUT [daemon options...]
set -euo pipefail
out=${1:?usage: park.sh OUT [daemon options...]}; shift
rm -rf "$out"; mkdir -p "$out"
JAVA_TOOL_OPTIONS="${DJ:-}" bin/sharedmap server --dir "$out/data" --socket "$out/s.sock" \
  --durability interval "$@" > "$out/daemon.out" 2>&1 &
daemon=$! # bin/sharedmap execs the JVM, so this is the daemon's pid
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 120); do [ -S "$out/s.sock" ] && break; sleep 0.5; done
[ -S "$out/s.sock" ] || { echo "daemon did not start: $out/daemon.out" >&2; exit 1; }
bin/sharedmap bench --workload uniform --mix write --processes 10 --ops 300000 --repeat 1 \
  --target "sharedmap:$out/s.sock" --fsync interval --no-charts --out "$out/bench" > "$out/bench.log" 2>&1 &
bench=$!
sleep 25
jcmd "$daemon" JFR.start name=park 'jdk.ThreadPark#enabled=true' 'jdk.ThreadPark#threshold=0 ns' \
  'jdk.ThreadPark#stackTrace=true' duration=5s filename="$out/park.jfr" > /dev/null
wait $bench
jfr print --json --events jdk.ThreadPark "$out/park.jfr" > "$out/park.json"
python3 - "$out/park.json" <<'PY'
import json, sys
def seconds(s):  # ISO 8601 duration, e.g. PT0.0000487S
    s = s.replace('PT', '').replace('S', '')
    if 'M' in s:
        m, s = s.split('M')
        return float(m) * 60 + float(s)
    return float(s)
parks = []
for e in json.load(open(sys.argv[1]))['recording']['events']:
    v = e['values']
    frames = json.dumps(v['stackTrace']['frames'][:4]) if v.get('stackTrace') else ''
    if v['eventThread']['javaName'].startswith('sharedmap-io') and 'acquireLeadership' in frames:
        parks.append((v['startTime'], seconds(v['duration']) * 1e6))
print('parks in Journal.acquireLeadership:', len(parks), 'in all %.1f ms' % (sum(p[1] for p in parks) / 1e3))
for lo, hi in [(0, 100), (100, 500), (500, 1000), (1000, 5000), (5000, float('inf'))]:
    sel = [p[1] for p in parks if lo <= p[1] < hi]
    print('  %5d µs to %-5s: %5d, %6.1f ms' % (lo, '∞' if hi == float('inf') else '%d' % hi, len(sel), sum(sel) / 1e3))
print('  longest (start time, µs):', ', '.join('%s %.0f' % (t[11:23], d) for t, d in sorted(parks, key=lambda p: -p[1])[:6]))
PY
grep -E "^sharedmap@" "$out/bench.log" || true
grep -o "snapshot-[0-9]*.snap: .*writers held [0-9]* µs)" "$out/daemon.out" || true
