#!/bin/bash
# usage: resp-ab.sh <worktreeA> <worktreeB> [rounds] [extra redis-benchmark args] — interleaved RESP A/B beside Redis
A=$1; B=$2; R=${3:-3}; shift 3; EXTRA="${@:--P 16 -c 10}"
N=${N:-1000000}
start() { # wt name
  rm -rf /tmp/ab-$2 && mkdir -p /tmp/ab-$2
  (cd $1 && bin/sharedmap server --dir /tmp/ab-$2/data --socket /tmp/ab-$2/sm.sock --durability interval $DAEMON_ARGS > /tmp/ab-$2/log 2>&1 &)
  for i in $(seq 100); do [ -S /tmp/ab-$2/sm.sock.resp ] && break; sleep 0.2; done
}
start $A A; start $B B
rm -rf /tmp/ab-R && mkdir -p /tmp/ab-R && redis-server --port 0 --unixsocket /tmp/ab-R/sm.sock.resp --dir /tmp/ab-R --appendonly yes --appendfsync everysec --save '' --daemonize yes --logfile /tmp/ab-R/log
sleep 0.5
for t in A B R; do redis-benchmark -s /tmp/ab-$t/sm.sock.resp -t set,get -n 2000000 $EXTRA -q --csv >/dev/null 2>&1; done
for r in $(seq $R); do for t in A B R; do
  echo "$r $t $(redis-benchmark -s /tmp/ab-$t/sm.sock.resp -t set,get -n $N $EXTRA --csv 2>/dev/null | awk -F, 'NR>1{gsub(/"/,""); printf "%s %s p99=%s  ", $1, $2, $7}')"
done; done
pkill -f 'server --dir /tmp/ab-A'; pkill -f 'server --dir /tmp/ab-B'; redis-cli -s /tmp/ab-R/sm.sock.resp shutdown nosave >/dev/null 2>&1
