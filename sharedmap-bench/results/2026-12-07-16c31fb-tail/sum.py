"""Ratios to Redis, p99s and CPU per operation of bench runs with one sharedmap and one Redis target.

Usage (from the project's root):
    python3 sharedmap-bench/results/2026-12-07-16c31fb-tail/sum.py 'sharedmap-bench/results/2026-12-07-16c31fb-tail/io-threads/*/results.csv'

Groups the runs by their folder's name up to the first '-' (io1-r2 -> io1) and prints, per
(group, mix, processes), one value per run (and repetition): sharedmap ops/s / Redis ops/s, the
p99s (sharedmap/Redis, µs), the servers' CPU µs per operation and the workers' CPU µs per operation.
Serves io-threads, spin-under-load, aot-cache and long-warmup; not jedis-to-resp, whose files hold
three targets (read those directly).
"""
import collections
import csv
import glob
import statistics
import sys

rows = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1])):
    group = f.split('/')[-2].split('-')[0]
    cells = {}
    for r in csv.DictReader(open(f)):
        cells[(r['kind'], r['mix'], r['processes'], r['repetition'])] = r
    for (kind, mix, p, rep), r in sorted(cells.items()):
        if kind == 'redis':
            continue
        rr = cells[('redis', mix, p, rep)]
        ops, rops = float(r['ops_per_s']), float(rr['ops_per_s'])
        rows[(group, mix, p)].append((
            ops / rops, float(r['p99_us']), float(rr['p99_us']),
            float(r['daemon_cpu_us_per_op']), float(rr['daemon_cpu_us_per_op']),
            float(r['client_cpu_s']) / float(r['total_ops']) * 1e6,
            float(rr['client_cpu_s']) / float(rr['total_ops']) * 1e6, ops))
for k in sorted(rows):
    xs = rows[k]
    print(k, 'ratio', ' '.join('%.2f' % x[0] for x in xs), 'med %.2f' % statistics.median(x[0] for x in xs),
          '| p99 sm/redis', ' '.join('%.0f/%.0f' % (x[1], x[2]) for x in xs),
          '| srv us', ' '.join('%.1f/%.1f' % (x[3], x[4]) for x in xs),
          '| cli us', ' '.join('%.1f/%.1f' % (x[5], x[6]) for x in xs),
          '| ops', ' '.join('%d' % x[7] for x in xs))
