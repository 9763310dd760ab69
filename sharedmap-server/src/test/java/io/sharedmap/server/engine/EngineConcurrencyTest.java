package io.sharedmap.server.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.server.Durability;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Many threads on few keys, with snapshots taken while they run: no lost update, no torn value,
 * and the state after reopening equals the state before closing. Bounded by count and time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EngineConcurrencyTest {
    private static final int THREADS = 8;
    private static final int INCREMENTS_PER_THREAD = 2_000;
    private static final int COUNTERS = 4;

    @TempDir
    Path dir;

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static byte[] longValue(long n) {
        return ByteBuffer.allocate(8).putLong(n).array();
    }

    @ParameterizedTest
    @EnumSource(Durability.class)
    void compareAndSet_manyThreadsWithSnapshots_noLostUpdateAndRecoversExactly(Durability durability) throws Exception {
        AtomicLong applied = new AtomicLong();
        long[] expected = new long[COUNTERS];
        try (Engine e = Engine.open(new EngineConfig(dir, durability, 5, 1L << 30))) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
            AtomicBoolean done = new AtomicBoolean();
            CountDownLatch start = new CountDownLatch(1);
            Future<Integer> snapshotter = pool.submit(() -> {
                start.await();
                int n = 0;
                while (!done.get() && n < 50) {
                    e.snapshot();
                    n++;
                }
                return n;
            });
            List<Future<long[]>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                workers.add(pool.submit(() -> {
                    long[] mine = new long[COUNTERS];
                    start.await();
                    for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                        int c = (id + i) % COUNTERS;
                        byte[] key = b("counter-" + c);
                        for (int attempt = 0; attempt < 10_000; attempt++) {
                            Results.Lookup cur = e.get(key);
                            long value = cur.entry() == null
                                    ? 0
                                    : ByteBuffer.wrap(cur.entry().value()).getLong();
                            long version = cur.entry() == null ? 0 : cur.entry().version();
                            Results.Write w = e.compareAndSet(key, version, longValue(value + 1));
                            if (w.outcome() != Results.Outcome.CONFLICT) {
                                e.awaitDurable(w.visibleVersion());
                                mine[c]++;
                                applied.incrementAndGet();
                                break;
                            }
                        }
                    }
                    return mine;
                }));
            }
            start.countDown();
            for (Future<long[]> f : workers) {
                long[] mine = f.get(100, TimeUnit.SECONDS);
                for (int c = 0; c < COUNTERS; c++) {
                    expected[c] += mine[c];
                }
            }
            done.set(true);
            assertThat(snapshotter.get(100, TimeUnit.SECONDS)).isPositive();
            pool.shutdown();
            assertThat(applied.get()).isEqualTo((long) THREADS * INCREMENTS_PER_THREAD);
            for (int c = 0; c < COUNTERS; c++) {
                byte[] v = e.get(b("counter-" + c)).entry().value();
                assertThat(ByteBuffer.wrap(v).getLong()).as("counter %d", c).isEqualTo(expected[c]);
            }
        }
        try (Engine e = Engine.open(new EngineConfig(dir, durability, 5, 1L << 30))) {
            for (int c = 0; c < COUNTERS; c++) {
                byte[] v = e.get(b("counter-" + c)).entry().value();
                assertThat(ByteBuffer.wrap(v).getLong())
                        .as("counter %d after reopen", c)
                        .isEqualTo(expected[c]);
            }
        }
    }

    @Test
    void set_alwaysModeManyWriters_shareFsyncs() throws Exception {
        int writers = 8;
        int each = 200;
        try (Engine e = Engine.open(new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30))) {
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < writers; t++) {
                int id = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        Results.Write w = e.set(b("w" + id + "-" + i), b("v"));
                        e.awaitDurable(w.visibleVersion());
                        assertThat(e.durableVersion()).isGreaterThanOrEqualTo(w.version());
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(100, TimeUnit.SECONDS);
            }
            pool.shutdown();
            Engine.Stats s = e.stats();
            assertThat(s.keys()).isEqualTo((long) writers * each);
            assertThat(s.syncedVersion()).isEqualTo(s.lastVersion());
            // Group commit: every acknowledged write was fsynced, with at most one fsync per write.
            assertThat(s.fsyncs()).isBetween(1L, (long) writers * each);
        }
    }

    @Test
    void scan_prefixPages_everyKeyOnceInOrder() throws IOException {
        try (Engine e = Engine.open(new EngineConfig(dir, Durability.NEVER, 1000, 1L << 30))) {
            for (int i = 0; i < 250; i++) {
                e.set(b(String.format("user:%04d", i)), b("x"));
                e.set(b(String.format("other:%04d", i)), b("y"));
            }
            List<String> seen = new ArrayList<>();
            byte[] cursor = new byte[0];
            int pages = 0;
            do {
                Results.ScanPage p = e.scan(b("user:"), cursor, 100, 1 << 20, 14);
                p.keys().forEach(k -> seen.add(new String(k.key(), UTF_8)));
                cursor = p.nextCursor();
                pages++;
            } while (cursor.length > 0 && pages < 10);
            assertThat(pages).isEqualTo(3);
            assertThat(seen).hasSize(250).isSorted().doesNotHaveDuplicates().allMatch(k -> k.startsWith("user:"));
        }
    }
}
