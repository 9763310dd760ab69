package io.sharedmap.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.testing.TestDaemon;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The recovering client (the default) against real in-process daemons that stop and start again on
 * the same directory and socket, and behind a proxy that loses a reply after the daemon executed the
 * request: calls keep working, and a resent change is applied exactly once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RecoveringClientTest {
    private static final int WRITER_KEYS = 16;
    private static final int RESTARTS = 3;

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    /** Waits, polling, until {@code condition} holds; fails at the deadline. */
    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    @Test
    void writerLoopAndCasCounter_acrossStopAndStart_neitherFailsNorLosesAnUpdate() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                SharedMap map = SharedMap.connect(daemon.socket)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            AtomicLong increments = new AtomicLong();
            ExecutorService threads = Executors.newFixedThreadPool(3);
            try {
                List<Future<long[]>> writers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int writer = t;
                    writers.add(threads.submit(() -> {
                        long[] last = new long[WRITER_KEYS];
                        for (long i = 1; !stop.get() && i < 1_000_000; i++) {
                            int k = (int) (i % WRITER_KEYS);
                            map.set("w" + writer + "-" + k, Long.toString(i));
                            last[k] = i;
                            writes.incrementAndGet();
                        }
                        return last;
                    }));
                }
                Future<Long> counter = threads.submit(() -> {
                    long done = 0;
                    while (!stop.get() && done < 1_000_000) {
                        Optional<Entry> seen = map.get("counter");
                        long n =
                                seen.map(e -> Long.parseLong(e.valueAsString())).orElse(0L);
                        if (map.compareAndSet(
                                        "counter", seen.map(Entry::version).orElse(0L), Long.toString(n + 1))
                                instanceof CasResult.Applied) {
                            done++;
                            increments.incrementAndGet();
                        }
                    }
                    return done;
                });

                for (int r = 0; r < RESTARTS; r++) {
                    long writesBefore = writes.get();
                    long incrementsBefore = increments.get();
                    await(
                            "progress before restart " + r,
                            Duration.ofSeconds(20),
                            () -> writes.get() >= writesBefore + 200 && increments.get() >= incrementsBefore + 50);
                    daemon.restart();
                }
                long writesAfter = writes.get();
                long incrementsAfter = increments.get();
                await(
                        "progress after the last restart",
                        Duration.ofSeconds(20),
                        () -> writes.get() >= writesAfter + 200 && increments.get() >= incrementsAfter + 50);
                stop.set(true);

                for (int t = 0; t < writers.size(); t++) {
                    long[] last = writers.get(t).get(20, TimeUnit.SECONDS);
                    for (int k = 0; k < WRITER_KEYS; k++) {
                        if (last[k] != 0) {
                            assertThat(map.get("w" + t + "-" + k).orElseThrow().valueAsString())
                                    .isEqualTo(Long.toString(last[k]));
                        }
                    }
                }
                long acknowledged = counter.get(20, TimeUnit.SECONDS);
                assertThat(map.get("counter").orElseThrow().valueAsString()).isEqualTo(Long.toString(acknowledged));
                assertThat(map.sequencesInFlight()).isZero();
            } finally {
                stop.set(true);
                threads.shutdownNow();
            }
        }
    }

    @Test
    void get_daemonGoneLongerThanWindow_daemonUnavailableSayingHowLongAndWhere() throws Exception {
        Duration window = Duration.ofMillis(300);
        try (TestDaemon daemon = TestDaemon.start();
                SharedMap map =
                        SharedMap.connect(daemon.socket, Options.defaults().reconnectWindow(window))) {
            map.set("k", "v");
            daemon.stop();

            long start = System.nanoTime();
            assertThatThrownBy(() -> map.set("k", "v2"))
                    .isInstanceOf(DaemonUnavailableException.class)
                    .hasMessageContaining("gave up after")
                    .hasMessageContaining("reconnect window 0.3 s")
                    .hasMessageContaining(daemon.socket.toString())
                    .hasMessageContaining("start one with: sharedmap start");
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(elapsedMs).isBetween(window.toMillis(), window.toMillis() + 5_000);
            assertThat(map.sequencesInFlight()).isZero();
        }
    }

    @Test
    void get_daemonBackWithinWindow_answers() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                SharedMap map = SharedMap.connect(daemon.socket)) {
            long version = map.set("k", "v").version();
            daemon.stop();
            ExecutorService starter = Executors.newSingleThreadExecutor();
            try {
                Future<Optional<Entry>> read = starter.submit(() -> map.get("k"));
                // the read is retrying against a missing socket; bring the daemon back
                daemon.restart();
                assertThat(read.get(20, TimeUnit.SECONDS)).contains(new Entry(b("v"), version));
            } finally {
                starter.shutdownNow();
            }
        }
    }

    @Test
    void compareAndSet_replyLostAfterDaemonApplied_resendGetsOriginalOutcomeAndAppliesOnce() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                ReplyDroppingProxy proxy = new ReplyDroppingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap map = SharedMap.connect(proxy.socket);
                SharedMap direct = SharedMap.connect(daemon.socket)) {
            long v1 = map.set("counter", "1").version();

            proxy.dropAfter(0);
            CasResult result = map.compareAndSet("counter", v1, "2");

            assertThat(proxy.dropped()).isEqualTo(1);
            Entry stored = direct.get("counter").orElseThrow();
            assertThat(stored.valueAsString()).isEqualTo("2");
            // the resent CAS (same sequence number) got the first one's answer, not a CONFLICT with itself
            assertThat(result).isEqualTo(new CasResult.Applied(false, stored.version()));
            // applied once: exactly one change after v1 took a version
            assertThat(direct.set("probe", "x").version()).isEqualTo(stored.version() + 1);
        }
    }

    @Test
    void set_replyLostAfterDaemonApplied_resendReturnsOriginalVersion() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                ReplyDroppingProxy proxy = new ReplyDroppingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap map = SharedMap.connect(proxy.socket);
                SharedMap direct = SharedMap.connect(daemon.socket)) {
            proxy.dropAfter(0);
            SetResult result = map.set("k", "v");

            assertThat(proxy.dropped()).isEqualTo(1);
            assertThat(result.created()).isTrue();
            assertThat(direct.get("k").orElseThrow().version()).isEqualTo(result.version());
            assertThat(direct.set("probe", "x").version()).isEqualTo(result.version() + 1);
        }
    }

    @Test
    void delete_replyLostAfterDaemonApplied_resendReturnsDeletedNotNotFound() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                ReplyDroppingProxy proxy = new ReplyDroppingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap map = SharedMap.connect(proxy.socket)) {
            long version = map.set("k", "v").version();

            proxy.dropAfter(0);
            DeleteResult result = map.delete(b("k"), version);

            assertThat(proxy.dropped()).isEqualTo(1);
            assertThat(result.outcome()).isEqualTo(DeleteResult.Outcome.DELETED);
            assertThat(map.get("k")).isEmpty();
        }
    }

    @Test
    void pipeline_connectionDroppedMidway_resendsTheUnansweredAndEachIsAppliedOnce() throws Exception {
        int n = 600; // more than one batch of changes (256)
        try (TestDaemon daemon = TestDaemon.start();
                ReplyDroppingProxy proxy = new ReplyDroppingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap map = SharedMap.connect(proxy.socket);
                SharedMap direct = SharedMap.connect(daemon.socket)) {
            long before = direct.set("probe", "0").version();
            Pipeline p = map.pipelined();
            List<Response<CasResult>> creates = new ArrayList<>();
            List<Response<Optional<Entry>>> reads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                creates.add(p.compareAndSet(b("k" + i), 0, b("v" + i))); // only the first application succeeds
                reads.add(p.get(b("k" + i)));
            }

            proxy.dropAfter(2 * 100 + 1); // in the first batch: after k100's create and between a create and its read
            p.sync();

            assertThat(proxy.dropped()).isEqualTo(1);
            for (int i = 0; i < n; i++) {
                CasResult r = creates.get(i).get();
                assertThat(r).as("k%d", i).isInstanceOf(CasResult.Applied.class);
                long version = ((CasResult.Applied) r).version();
                assertThat(reads.get(i).get()).as("k%d", i).contains(new Entry(b("v" + i), version));
            }
            // every create took exactly one version
            assertThat(direct.set("probe", "1").version()).isEqualTo(before + n + 1);
            assertThat(map.sequencesInFlight()).isZero();
        }
    }

    @Test
    void pipeline_daemonRestartedBeforeSync_allAnswered() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                SharedMap map = SharedMap.connect(daemon.socket)) {
            map.set("a", "0");
            Pipeline p = map.pipelined();
            Response<SetResult> set = p.set(b("a"), b("1"));
            Response<Optional<Entry>> get = p.get(b("a"));
            daemon.restart();
            p.sync();

            assertThat(get.get().orElseThrow().version()).isEqualTo(set.get().version());
        }
    }

    @Test
    void connect_plainOptions_noSessionAndNoSequenceNumbers() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                SharedMap plain =
                        SharedMap.connect(daemon.socket, Options.defaults().recovering(false));
                SharedMap recovering = SharedMap.connect(daemon.socket)) {
            assertThat(plain.clientId()).isZero();
            assertThat(recovering.clientId()).isNotZero();
            assertThat(plain.options().recovering()).isFalse();
            assertThat(recovering.options().reconnectWindow()).isEqualTo(Options.DEFAULT_RECONNECT_WINDOW);
            assertThat(plain.set("k", "1").created()).isTrue();
            assertThat(recovering.set("k", "2").created()).isFalse();
            assertThatThrownBy(() -> Options.defaults().reconnectWindow(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
