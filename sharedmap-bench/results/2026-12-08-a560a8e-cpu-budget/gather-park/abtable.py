#!/usr/bin/env python3
"""The A/B table of ab.sh's OUT folder: per round and build, ops/s and p99 of both targets, the ratio,
and what the device under the data wrote per SET. Run: python3 abtable.py OUT"""
import csv, sys, glob, os, re

rows = []
for f in sorted(glob.glob(os.path.join(sys.argv[1], '*-*', 'results.csv'))):
    build, rnd = re.match(r'(before|after)-(\d+)', os.path.basename(os.path.dirname(f))).groups()
    cells = {}
    for r in csv.DictReader(open(f)):
        cells[(r['kind'], r['processes'])] = r
    for (kind, p), r in cells.items():
        if kind != 'sharedmap':
            continue
        red = cells.get(('redis', p))
        rows.append((int(p), build, int(rnd), r, red))
print('| P | build | round | sharedmap ops/s (p99 µs) | Redis ops/s (p99 µs) | ÷ Redis | sharedmap KiB / writes / flushes per SET | Redis KiB / writes / flushes per SET |')
print('|---:|---|---:|---:|---:|---:|---:|---:|')
for p, build, rnd, r, red in sorted(rows, key=lambda x: (x[0], x[1] != 'before', x[2])):
    def d(x):
        return '%s / %s / %s' % (x['disk_kib_per_op'], x['disk_writes_per_op'], x['disk_flushes_per_op']) if x else ''
    ratio = float(r['ops_per_s']) / float(red['ops_per_s']) if red else float('nan')
    print('| %d | %s | %d | %s (%s) | %s (%s) | %.2f× | %s | %s |' % (
        p, build, rnd, f"{float(r['ops_per_s']):,.0f}", f"{float(r['p99_us']):,.0f}",
        f"{float(red['ops_per_s']):,.0f}", f"{float(red['p99_us']):,.0f}", ratio, d(r), d(red)))
