import csv,glob,sys,collections,statistics
pat=sys.argv[1]  # e.g. 'io-threads/*/results.csv'; one sharedmap and one redis target per file
rows=collections.defaultdict(list)
for f in sorted(glob.glob(pat)):
    v=f.split('/')[-2].split('-')[0]
    d={}
    for r in csv.DictReader(open(f)):
        d[(r['kind'],r['mix'],r['processes'])]=r
    for (k,m,p),r in d.items():
        if k=='redis': continue
        rr=d[('redis',m,p)]
        rows[(v,m,p)].append((float(r['ops_per_s'])/float(rr['ops_per_s']), float(r['p99_us']), float(rr['p99_us']), float(r['daemon_cpu_us_per_op']), float(rr['daemon_cpu_us_per_op']), float(r['client_cpu_s'])/float(r['total_ops'])*1e6, float(rr['client_cpu_s'])/float(rr['total_ops'])*1e6, float(r['ops_per_s'])))
for k in sorted(rows):
    xs=rows[k]
    print(k, 'ratio', ' '.join('%.2f'%x[0] for x in xs), 'med %.2f'%statistics.median(x[0] for x in xs),
      '| p99 sm/redis', ' '.join('%d/%d'%(x[1],x[2]) for x in xs), '| srv us', ' '.join('%.1f/%.1f'%(x[3],x[4]) for x in xs), '| cli us', ' '.join('%.1f/%.1f'%(x[5],x[6]) for x in xs), '| ops', ' '.join('%d'%x[7] for x in xs))
