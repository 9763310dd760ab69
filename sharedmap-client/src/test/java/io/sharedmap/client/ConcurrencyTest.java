package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.server.testing.TestDaemon;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Several threads sharing one SharedMap: no lost updates, no crossed replies, bounded connections. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
    private static final int THREADS = 6;
    private static final int INCREMENTS_PER_THREAD = 150;

    @Test
    void compareAndSet_sharedCounterFromManyThreads_losesNoIncrement() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                SharedMap map = SharedMap.connect(daemon.socket)) {
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> conflicts = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                conflicts.add(pool.submit(() -> {
                    go.await();
                    int seenConflicts = 0;
                    for (int i = 0; i < INCREMENTS_PER_THREAD; i++) {
                        // own key: every reply must be the one for this thread's request
                        String own = "t" + thread;
                        map.set(own, Integer.toString(i));
                        assertThat(map.get(own).orElseThrow().valueAsString()).isEqualTo(Integer.toString(i));
                        while (true) {
                            Optional<Entry> seen = map.get("counter");
                            long n = seen.map(e -> Long.parseLong(e.valueAsString()))
                                    .orElse(0L);
                            if (map.compareAndSet(
                                            "counter", seen.map(Entry::version).orElse(0L), Long.toString(n + 1))
                                    instanceof CasResult.Applied) {
                                break;
                            }
                            seenConflicts++;
                        }
                    }
                    return seenConflicts;
                }));
            }
            go.countDown();
            for (Future<Integer> f : conflicts) {
                f.get(50, TimeUnit.SECONDS);
            }
            pool.shutdown();

            assertThat(map.get("counter").orElseThrow().valueAsString())
                    .isEqualTo(Integer.toString(THREADS * INCREMENTS_PER_THREAD));
            assertThat(Long.parseLong(map.stats().get("connections")))
                    .isLessThanOrEqualTo(SharedMap.MAX_IDLE_CONNECTIONS);
        }
    }
}
