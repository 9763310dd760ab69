package io.sharedmap.bench.jmh;

import io.sharedmap.server.Durability;
import io.sharedmap.server.ServerConfig;
import io.sharedmap.server.engine.Engine;
import io.sharedmap.server.engine.EngineConfig;
import io.sharedmap.server.engine.EngineHooks;
import io.sharedmap.server.engine.JournalFailedException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * What a mass expiry costs the writers: loads N keys (default 1,000,000) with one deadline, then
 * moves the engine's clock past it, so that all of them are due at once, and measures the latency of
 * other writers' SETs (each made durable, as a daemon's reply waits for) while the engine's own
 * sweeper removes them in the background, against the same writers before the expiry. Prints the
 * numbers; asserts nothing.
 *
 * <pre>
 * bin/with-jdk java -Xmx4g -cp "sharedmap-bench/target/classes:$(cat sharedmap-bench/target/jmh.classpath)" \
 *     io.sharedmap.bench.jmh.ExpiryPauses [keys] [writers]
 * </pre>
 */
public final class ExpiryPauses {
    private ExpiryPauses() {}

    /** The wall clock moved forward by {@code offset} ms. */
    private static final class Clock extends EngineHooks {
        volatile long offset;

        @Override
        public long nowMillis() {
            return System.currentTimeMillis() + offset;
        }
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int writers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path dir = EngineFixture.tempDir();
        Clock clock = new Clock();
        try (Engine e = Engine.open(
                new EngineConfig(
                        dir,
                        Durability.INTERVAL,
                        ServerConfig.DEFAULT_FSYNC_INTERVAL_MS,
                        ServerConfig.DEFAULT_SNAPSHOT_MIN_JOURNAL_BYTES),
                clock)) {
            byte[][] keys = EngineFixture.keys(n);
            byte[] value = EngineFixture.value(100);
            long deadline = System.currentTimeMillis() + TimeUnit.HOURS.toMillis(1);
            long loadStart = System.nanoTime();
            for (int i = 0; i < n; i++) {
                e.set(keys[i], value, deadline);
                if (i % 1000 == 999) {
                    e.awaitDurable(e.stats().lastVersion());
                }
            }
            e.awaitDurable(e.stats().lastVersion());
            System.out.printf(
                    Locale.ROOT,
                    "loaded %,d keys with one deadline in %.1f s%n",
                    n,
                    (System.nanoTime() - loadStart) / 1e9);

            Histogram before = measure(e, writers, 5_000, () -> false);
            System.out.println("writers before the expiry:  " + describe(before));

            long expiredBefore = e.stats().keysExpired();
            long start = System.nanoTime();
            clock.offset = TimeUnit.HOURS.toMillis(2); // every key is due now
            long[] doneAt = {0};
            Histogram during = measure(e, writers, 120_000, () -> {
                if (e.stats().keysExpired() - expiredBefore >= n) {
                    doneAt[0] = System.nanoTime();
                    return true;
                }
                return false;
            });
            System.out.printf(
                    Locale.ROOT,
                    "expired %,d keys in %.1f s (%,.0f keys/s) while %d writers ran%n",
                    e.stats().keysExpired() - expiredBefore,
                    ((doneAt[0] == 0 ? System.nanoTime() : doneAt[0]) - start) / 1e9,
                    (e.stats().keysExpired() - expiredBefore)
                            / (((doneAt[0] == 0 ? System.nanoTime() : doneAt[0]) - start) / 1e9),
                    writers);
            System.out.println("writers during the expiry:  " + describe(during));
            System.out.println("keys left: " + e.stats().keys() + ", pending: " + e.pendingChanges());
        } finally {
            EngineFixture.delete(dir);
        }
    }

    private interface Done {
        boolean now();
    }

    /** Each writer SETs its own keys and waits for durability, for at most {@code maxMs} or until {@code done}. */
    private static Histogram measure(Engine e, int writers, long maxMs, Done done) throws InterruptedException {
        Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        List<Histogram> hs = new ArrayList<>();
        for (int t = 0; t < writers; t++) {
            Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            hs.add(h);
            int id = t;
            Thread th = new Thread(() -> {
                byte[] v = EngineFixture.value(100);
                for (long i = 0; !stop.get(); i++) {
                    byte[] k = ("writer:" + id + ":" + (i % 1000)).getBytes(StandardCharsets.US_ASCII);
                    long s = System.nanoTime();
                    try {
                        e.awaitDurable(e.set(k, v).visibleVersion());
                    } catch (JournalFailedException ex) {
                        throw new IllegalStateException(ex);
                    }
                    h.recordValue(Math.min(System.nanoTime() - s, TimeUnit.SECONDS.toNanos(60)));
                }
            });
            th.start();
            threads.add(th);
        }
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMs);
        while (System.nanoTime() < until && !done.now()) {
            Thread.sleep(10); // a benchmark's pacing, not a synchronisation
        }
        stop.set(true);
        for (Thread th : threads) {
            th.join();
        }
        for (Histogram h : hs) {
            all.add(h);
        }
        return all;
    }

    private static String describe(Histogram h) {
        return String.format(
                Locale.ROOT,
                "%,d SETs, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.2f ms",
                h.getTotalCount(),
                h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3,
                h.getMaxValue() / 1e6);
    }
}
