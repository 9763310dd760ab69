package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.testing.TestDaemon;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Watches through the socket, against a real daemon: order, history, restarts, bad input. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WatchClientTest {
    private TestDaemon daemon;
    private SharedMap map;

    @BeforeEach
    void start() throws Exception {
        daemon = TestDaemon.start();
        map = SharedMap.connect(daemon.socket);
    }

    @AfterEach
    void stop() throws Exception {
        map.close();
        daemon.close();
    }

    /** Collects a watch's events as text, without PROGRESS. */
    private static final class Collector implements WatchListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final AtomicLong compacted = new AtomicLong(-1);
        final List<SharedMapException> errors = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(WatchEvent e) {
            if (e.kind() != WatchEvent.Kind.PROGRESS) {
                byte[] v = e.value();
                events.add(e.version() + " " + e.kind() + " " + e.keyAsString()
                        + (v != null ? "=" + new String(v, StandardCharsets.UTF_8) : ""));
            }
        }

        @Override
        public void onCompacted(long currentVersion) {
            compacted.set(currentVersion);
        }

        @Override
        public void onError(SharedMapException error) {
            errors.add(error);
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting until " + what).isLessThan(until);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    @Test
    void aPrefixWatch_getsEveryChange_inOrder_withValues() {
        Collector c = new Collector();
        try (Watcher w = map.watch("app/".getBytes(), true, -1, true, c)) {
            await("the watch is open", () -> w.lastVersion() >= 0);
            long v1 = map.set("app/a", "1").version();
            map.set("elsewhere", "x");
            long v2 = map.set(("app/b").getBytes(), "2".getBytes(), Duration.ofHours(1))
                    .version();
            long v3 = map.delete("app/a").version();
            await("three events", () -> c.events.size() == 3);
            long deleteVersion = Long.parseLong(c.events.get(2).split(" ")[0]);
            assertThat(c.events)
                    .containsExactly(v1 + " SET app/a=1", v2 + " SET app/b=2", deleteVersion + " DELETE app/a");
            assertThat(deleteVersion).isGreaterThan(v3); // DELETE answers the removed entry's version
        }
    }

    @Test
    void aWatchFromAVersion_replaysHistory_andResumesAcrossARestart() throws Exception {
        long v1 = map.set("k", "1").version();
        long v2 = map.set("k", "2").version();
        Collector c = new Collector();
        try (Watcher w = map.watch("k".getBytes(), false, v1, true, c)) {
            await("history", () -> c.events.size() == 1);
            assertThat(c.events).containsExactly(v2 + " SET k=2");
            daemon.restart();
            long v3 = map.set("k", "3").version();
            await("the change after the restart", () -> c.events.size() == 2);
            assertThat(c.events.get(1)).isEqualTo(v3 + " SET k=3");
            assertThat(w.lastVersion()).isGreaterThanOrEqualTo(v3);
            assertThat(c.errors).isEmpty();
        }
    }

    @Test
    void aListenerTooSlow_isCutByTheDaemon_andTheWatchResumesWithoutLosingAChange() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Long> versions = new CopyOnWriteArrayList<>();
        WatchListener slow = e -> {
            if (e.kind() == WatchEvent.Kind.PROGRESS) {
                return;
            }
            try {
                release.await(); // stuck until the test has written everything
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
            }
            versions.add(e.version());
        };
        int n = 40_000;
        try (Watcher w = map.watch("slow/".getBytes(StandardCharsets.UTF_8), true, -1, false, slow)) {
            await("the watch is open", () -> w.lastVersion() >= 0);
            Pipeline p = map.pipelined();
            for (int i = 0; i < n; i++) {
                p.set(("slow/" + (i % 100)).getBytes(StandardCharsets.UTF_8), new byte[] {1});
            }
            p.sync();
            await("the daemon cuts the watch", () -> Long.parseLong(map.stats().get("watches_fell_behind")) >= 1);
            release.countDown();
            await("every change, after the resume", () -> versions.size() >= n);
            assertThat(versions).hasSize(n).isSorted().doesNotHaveDuplicates();
        }
    }

    @Test
    void anIdleWatch_isNotTakenForAStalledConnection() throws Exception {
        try (TestDaemon quick = TestDaemon.start(c -> c.withStallTimeoutMs(1000));
                SharedMap m = SharedMap.connect(quick.socket)) {
            Collector c = new Collector();
            try (Watcher w = m.watch("k".getBytes(StandardCharsets.UTF_8), false, -1, false, c)) {
                await("the watch is open", () -> w.lastVersion() >= 0);
                long openedAt = System.nanoTime();
                // several stall timeouts (and their checks) go by while the watch is idle
                await("3 s", () -> System.nanoTime() - openedAt > TimeUnit.SECONDS.toNanos(3));
                long v = m.set("k", "1").version();
                await("the change", () -> c.events.size() == 1);
                assertThat(c.events).containsExactly(v + " SET k");
                assertThat(m.stats().get("connections_stalled_closed"))
                        .as("the watch's connection was never closed as stalled")
                        .isEqualTo("0");
            }
        }
    }

    @Test
    void aPublisher_deliversToItsSubscriber_andCancellingStopsTheWatch() {
        List<String> got = new CopyOnWriteArrayList<>();
        Flow.Subscription[] subscription = {null};
        map.watchPublisher("p/".getBytes(StandardCharsets.UTF_8), true, -1, true)
                .subscribe(new Flow.Subscriber<WatchEvent>() {
                    @Override
                    public void onSubscribe(Flow.Subscription s) {
                        subscription[0] = s;
                        s.request(Long.MAX_VALUE);
                    }

                    @Override
                    public void onNext(WatchEvent e) {
                        if (e.kind() != WatchEvent.Kind.PROGRESS) {
                            got.add(e.keyAsString() + "=" + new String(e.value(), StandardCharsets.UTF_8));
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        got.add("error " + t);
                    }

                    @Override
                    public void onComplete() {
                        got.add("complete");
                    }
                });
        await("the watch is open", () -> map.stats().get("watches").equals("1"));
        map.set("p/a", "1");
        map.set("p/b", "2");
        await("two events", () -> got.size() == 2);
        assertThat(got).containsExactly("p/a=1", "p/b=2");
        subscription[0].cancel();
        await(
                "the daemon's side of the watch ends",
                () -> map.stats().get("watches").equals("0"));
    }

    @Test
    void aWatchFromVersionZero_andBadArguments() {
        Collector c = new Collector();
        try (Watcher w = map.watch("k".getBytes(), false, 0, false, c)) {
            long v = map.set("k", "1").version();
            await("the change", () -> c.events.size() == 1);
            assertThat(c.events).containsExactly(v + " SET k");
            assertThat(w.ended()).isFalse();
        }
        assertThatThrownBy(() -> map.watch(new byte[0], false, -1, false, c))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("key is empty");
        assertThatThrownBy(() -> map.watch("k".getBytes(), false, -2, false, c))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("below -1");
    }
}
