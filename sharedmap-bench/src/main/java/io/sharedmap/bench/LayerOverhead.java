package io.sharedmap.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;

/**
 * The cost of sharedmap's layer over an engine's own client, measured so that a busy machine's noise
 * falls on both alike: one process holds both clients of the same URL, sharedmap's ({@link
 * PortableKv}: {@code SharedMap.connect(URI)}) and the engine's ({@link BareKv}: jetcd or Lettuce
 * sending the same requests), and alternates blocks of {@code --ops} GETs (then SETs) on random
 * preloaded keys between them, {@code --rounds} times, the order swapped every round. It prints each
 * one's operations per second, p50, p99 and mean latency, and the layer's share: sharedmap's
 * figure over the engine's, minus one. {@code sharedmap bench --url URL --target bare:URL} measures
 * the same pair as separate cells (and with many processes), where load that comes and goes between
 * cells weighs on one and not the other.
 *
 * <pre>
 * r=$PWD; cp="$r/sharedmap-cli/target/sharedmap-cli.jar:$r/sharedmap-cli/target/lib/*:$r/sharedmap-bench/target/sharedmap-bench.jar:$r/sharedmap-bench/target/lib/*:$r/sharedmap-etcd/target/sharedmap-etcd.jar:$r/sharedmap-etcd/target/lib/*:$r/sharedmap-redis/target/sharedmap-redis.jar:$r/sharedmap-redis/target/lib/*"
 * java --sun-misc-unsafe-memory-access=allow -cp "$cp" io.sharedmap.bench.LayerOverhead \
 *     --ops 500 --rounds 20 etcd://127.0.0.1:2379
 * </pre>
 */
public final class LayerOverhead {
    private LayerOverhead() {}

    public static void main(String[] args) throws IOException {
        int ops = 500;
        int rounds = 20;
        int keys = 1000;
        int valueBytes = 100;
        String url = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--ops" -> ops = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--keys" -> keys = Integer.parseInt(args[++i]);
                case "--value-bytes" -> valueBytes = Integer.parseInt(args[++i]);
                default -> url = args[i];
            }
        }
        if (url == null || ops < 1 || rounds < 2 || keys < 1 || valueBytes < 0) {
            throw new IllegalArgumentException("usage: LayerOverhead [--ops N>=1] [--rounds R>=2] [--keys N>=1]"
                    + " [--value-bytes N>=0] URL (etcd://, redis://, redis-cluster://)");
        }
        URI uri = URI.create(url);
        PrintStream out = System.out;
        byte[][] keySpace = KeySpace.keys(keys);
        byte[] value = KeySpace.value(valueBytes, 42);
        try (KvClient portable = PortableKv.connect(uri);
                KvClient bare = BareKv.connect(uri)) {
            portable.preload(keySpace, value);
            List<KvClient> clients = List.of(portable, bare);
            out.println("| op | client | ops/s | p50 µs | p99 µs | mean µs |");
            out.println("|---|---|---:|---:|---:|---:|");
            for (boolean get : new boolean[] {true, false}) {
                Histogram[] h = {BenchWorker.newHistogram(), BenchWorker.newHistogram()};
                long[] ns = new long[2];
                SplittableRandom random = new SplittableRandom(7);
                for (int round = -2; round < rounds; round++) { // two rounds of warm-up, not recorded
                    for (int turn = 0; turn < 2; turn++) {
                        int c = (turn + Math.floorMod(round, 2)) % 2;
                        KvClient kv = clients.get(c);
                        long start = System.nanoTime();
                        long t0 = start;
                        for (int i = 0; i < ops; i++) {
                            byte[] k = keySpace[random.nextInt(keySpace.length)];
                            if (get) {
                                kv.get(k);
                            } else {
                                kv.set(k, value);
                            }
                            long t1 = System.nanoTime();
                            if (round >= 0) {
                                h[c].recordValue(Math.min(t1 - t0, BenchWorker.HIGHEST_TRACKABLE_NS));
                            }
                            t0 = t1;
                        }
                        if (round >= 0) {
                            ns[c] += t0 - start;
                        }
                    }
                }
                String op = get ? "GET" : "SET";
                String[] names = {"sharedmap (" + uri.getScheme() + ")", "the engine's own client"};
                for (int c = 0; c < 2; c++) {
                    out.printf(
                            Locale.ROOT,
                            "| %s | %s | %,.0f | %.1f | %.1f | %.1f |%n",
                            op,
                            names[c],
                            (double) ops * rounds * 1e9 / ns[c],
                            h[c].getValueAtPercentile(50) / 1e3,
                            h[c].getValueAtPercentile(99) / 1e3,
                            h[c].getMean() / 1e3);
                }
                out.printf(
                        Locale.ROOT,
                        "| %s | sharedmap's layer | %+.1f%% time | %+.1f%% | %+.1f%% | %+.1f%% |%n",
                        op,
                        100.0 * ns[0] / ns[1] - 100,
                        100.0 * h[0].getValueAtPercentile(50) / h[1].getValueAtPercentile(50) - 100,
                        100.0 * h[0].getValueAtPercentile(99) / h[1].getValueAtPercentile(99) - 100,
                        100.0 * h[0].getMean() / h[1].getMean() - 100);
                out.flush();
            }
        }
    }
}
