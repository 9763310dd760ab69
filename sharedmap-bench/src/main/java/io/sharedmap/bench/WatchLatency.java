package io.sharedmap.bench;

import io.sharedmap.client.SharedMap;
import io.sharedmap.client.WatchEvent;
import io.sharedmap.client.WatchListener;
import io.sharedmap.client.Watcher;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Change-to-delivery latency of watches against a running daemon: W writer threads SET keys under
 * {@code lat/} as fast as they can (each value is the writer's {@code System.nanoTime()} just before
 * the SET, a clock every process of the machine shares), first for the given seconds with no
 * watcher, then with N watchers of the prefix (each its own connection and thread, with values).
 * Prints the writers' rate and SET latency in both phases and, for the second, the latency from a
 * SET's start to its delivery to each watcher, over every delivery. Asserts nothing.
 *
 * <pre>
 * bin/with-jdk java -cp "sharedmap-bench/target/classes:sharedmap-cli/target/lib/*:$(cat sharedmap-bench/target/jmh.classpath)" \
 *     io.sharedmap.bench.WatchLatency SOCKET [watchers=10] [writers=4] [seconds=10]
 * </pre>
 */
public final class WatchLatency {
    private WatchLatency() {}

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        int watchers = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int writers = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        try (SharedMap map = SharedMap.connect(socket)) {
            Phase without = write(map, writers, seconds);
            System.out.println("writers, no watcher:    " + without);

            List<Histogram> delivery = new ArrayList<>();
            List<Watcher> ws = new ArrayList<>();
            AtomicLong delivered = new AtomicLong();
            for (int i = 0; i < watchers; i++) {
                Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                delivery.add(h);
                WatchListener l = e -> {
                    byte[] v = e.value();
                    if (e.kind() == WatchEvent.Kind.SET && v != null && v.length == 8) {
                        long d = System.nanoTime() - ByteBuffer.wrap(v).getLong();
                        h.recordValue(Math.max(0, Math.min(d, TimeUnit.SECONDS.toNanos(10))));
                        delivered.incrementAndGet();
                    }
                };
                ws.add(map.watch("lat/".getBytes(StandardCharsets.UTF_8), true, -1, true, l));
            }
            while (ws.stream().anyMatch(w -> w.lastVersion() < 0)) {
                Thread.sleep(10); // pacing a tool, not synchronising a test
            }
            Phase with = write(map, writers, seconds);
            Thread.sleep(500); // let the last deliveries arrive before the histograms are read
            for (Watcher w : ws) {
                w.close();
            }
            System.out.println("writers, " + watchers + " watchers: " + with);
            Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            for (Histogram h : delivery) {
                all.add(h);
            }
            System.out.printf(
                    Locale.ROOT,
                    "delivery (SET start to listener), %,d deliveries (%,d expected): p50 %.1f us, p99 %.1f us,"
                            + " p99.9 %.1f us, max %.2f ms%n",
                    all.getTotalCount(),
                    with.sets * watchers,
                    all.getValueAtPercentile(50) / 1e3,
                    all.getValueAtPercentile(99) / 1e3,
                    all.getValueAtPercentile(99.9) / 1e3,
                    all.getMaxValue() / 1e6);
            System.out.printf(
                    Locale.ROOT, "writer rate with watchers: %.2fx the rate without%n", with.rate() / without.rate());
        }
    }

    private record Phase(long sets, double seconds, Histogram latency) {
        double rate() {
            return sets / seconds;
        }

        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "%,.0f SET/s; SET p50 %.1f us, p99 %.1f us",
                    rate(),
                    latency.getValueAtPercentile(50) / 1e3,
                    latency.getValueAtPercentile(99) / 1e3);
        }
    }

    private static Phase write(SharedMap map, int writers, int seconds) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        List<Histogram> hs = new ArrayList<>();
        AtomicLong sets = new AtomicLong();
        long start = System.nanoTime();
        for (int t = 0; t < writers; t++) {
            Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            hs.add(h);
            int id = t;
            Thread th = new Thread(() -> {
                for (long i = 0; !stop.get(); i++) {
                    byte[] k = ("lat/" + id + "/" + (i % 100)).getBytes(StandardCharsets.UTF_8);
                    long s = System.nanoTime();
                    map.set(k, ByteBuffer.allocate(8).putLong(s).array());
                    h.recordValue(Math.min(System.nanoTime() - s, TimeUnit.SECONDS.toNanos(10)));
                    sets.incrementAndGet();
                }
            });
            th.start();
            threads.add(th);
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        stop.set(true);
        for (Thread th : threads) {
            th.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        for (Histogram h : hs) {
            all.add(h);
        }
        return new Phase(sets.get(), elapsed, all);
    }
}
