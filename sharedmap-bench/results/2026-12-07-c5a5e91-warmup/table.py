#!/usr/bin/env python3
"""Prints, for each results.csv given, every round's ops/s and p99 of sharedmap and Redis per cell.
Usage: table.py DIR/results.csv...  (one sharedmap and one Redis target per file)"""
import csv
import sys
from collections import defaultdict

for path in sys.argv[1:]:
    cells = defaultdict(dict)
    for r in csv.DictReader(open(path)):
        side = 'redis' if r['target'].startswith('redis') else 'sm'
        cells[(r['mix'], int(r['processes']))][(side, r['repetition'])] = r
    print(f'== {path}')
    print('mix    P  round  sharedmap ops/s (p99 us)  redis ops/s (p99 us)  ratio  p99 ratio')
    for (mix, p) in sorted(cells):
        c = cells[(mix, p)]
        for rep in sorted({k[1] for k in c}):
            s, d = c.get(('sm', rep)), c.get(('redis', rep))
            if not s or not d:
                continue
            so, do = float(s['ops_per_s']), float(d['ops_per_s'])
            sp, dp = float(s['p99_us']), float(d['p99_us'])
            print(f'{mix:6} {p:2} {rep:>5}  {so:10,.0f} ({sp:6,.0f})       {do:10,.0f} ({dp:6,.0f})'
                  f'     {so / do:5.2f}  {sp / dp:5.2f}')
