#!/usr/bin/env python3
"""Per cell and round of a `sharedmap bench` results.csv: ops/s, ÷ Redis, the machine's busy share,
its CPU per op (busy share x CPUs / ops/s), the server's and the workers' CPU per op, and context
switches per op. Run: python3 budget.py results.csv [CPUS]"""
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cpus = int(sys.argv[2]) if len(sys.argv) > 2 else 2
cells = {}
for r in rows:
    cells[(r['mix'], int(r['processes']), int(r['repetition']), r['kind'])] = r
print('| mix | P | round | target | ops/s | ÷ Redis | busy | machine µs/op | server µs/op | workers µs/op | rest µs/op | switches/op | p99 µs |')
print('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
for (mix, p, rep, kind), r in sorted(cells.items(), key=lambda x: (x[0][0], x[0][1], x[0][2], x[0][3] != 'sharedmap')):
    ops = float(r['ops_per_s']); total = int(r['total_ops'])
    red = cells.get((mix, p, rep, 'redis'))
    ratio = '%.2f×' % (ops / float(red['ops_per_s'])) if red and kind != 'redis' else ''
    busy = float(r['busy_share']) if r['busy_share'] else float('nan')
    machine = busy * cpus * 1e6 / ops
    server = float(r['daemon_cpu_us_per_op']) if r['daemon_cpu_us_per_op'] else float('nan')
    workers = float(r['client_cpu_s']) * 1e6 / total
    print('| %s | %d | %d | %s | %s | %s | %.0f%% | %.1f | %.1f | %.1f | %.1f | %s | %.0f |' % (
        mix, p, rep + 1, kind, f'{ops:,.0f}', ratio, 100 * busy, machine, server, workers,
        machine - server - workers, r['context_switches_per_op'], float(r['p99_us'])))
