package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.client.DaemonUnavailableException;
import io.sharedmap.client.Entry;
import io.sharedmap.client.Options;
import io.sharedmap.client.ReplyTimeoutException;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.Await;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real daemon process stopped with {@code kill -STOP}: it keeps its sockets open and answers
 * nothing, as a wedged daemon does. Calls give up after the client's reply timeout ({@link
 * Options#replyTimeout}) with a {@link ReplyTimeoutException}, within bounds, also many
 * at once; after {@code kill -CONT} the same clients work again, the store is consistent, and the
 * daemon holds no connection the timed-out calls opened. With {@link Duration#ZERO} a call waits
 * out the stop.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StoppedDaemonTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    /** Generous: client, daemon and other tests share two CPUs. */
    private static final Duration SLACK = Duration.ofSeconds(10);

    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    /** Runs {@code call}, which must throw a ReplyTimeoutException within TIMEOUT..TIMEOUT + SLACK. */
    private static ReplyTimeoutException timesOut(Runnable call) {
        long start = System.nanoTime();
        Throwable thrown = null;
        try {
            call.run();
        } catch (Throwable t) {
            thrown = t;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(thrown).isInstanceOf(ReplyTimeoutException.class);
        assertThat(took).isBetween(TIMEOUT, TIMEOUT.plus(SLACK));
        return (ReplyTimeoutException) thrown;
    }

    private static Options options() {
        return Options.defaults().replyTimeout(TIMEOUT);
    }

    /** Waits until the daemon holds exactly {@code n} client connections (asked through {@code probe}'s). */
    private static void awaitDaemonConnections(SharedMap probe, int n) {
        Await.until(
                "the daemon holds " + n + " connection(s)",
                () -> Integer.parseInt(probe.stats().get("connections")) == n,
                Duration.ofSeconds(30));
    }

    @Test
    void setGetAndConnect_daemonStopped_eachTimesOutWithinBound_thenSameClientWorksAndStoreIsConsistent() {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        try (SharedMap map = SharedMap.connect(daemon.socket(), options());
                SharedMap probe = SharedMap.connect(daemon.socket(), options().directReads(false))) {
            long v1 = map.set("k", "v1").version();
            map.set("private", "p");
            assertThat(map.chmod("private".getBytes(StandardCharsets.UTF_8), 0600)
                            .changed())
                    .as("rw-------: not everyone who may open the store's public side may read it")
                    .isEqualTo(1);
            assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("v1");
            assertThat(map.readStats().viewMapped()).as("the mapped store").isTrue();

            daemon.sigstop();
            try {
                // the pooled connection: the SET goes out, no reply comes
                ReplyTimeoutException set = timesOut(() -> map.set("k", "v2"));
                assertThat(set)
                        .isInstanceOf(DaemonUnavailableException.class)
                        .hasMessageContaining(daemon.socket().toString())
                        .hasMessageContaining("500 ms")
                        .hasMessageContaining("outcome is unknown");

                // a key in the public side of the daemon's mapped store is read without asking the daemon
                long direct = map.readStats().direct();
                assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("v1");
                assertThat(map.readStats().direct())
                        .as("read from the mapped store")
                        .isEqualTo(direct + 1);
                // one in the private side goes through the socket: a new connection, whose hello is never
                // answered
                ReplyTimeoutException get = timesOut(() -> map.get("private"));
                assertThat(get).hasMessageContaining("hello").hasMessageContaining("no request sent");

                ReplyTimeoutException connect = timesOut(
                        () -> SharedMap.connect(daemon.socket(), options()).close());
                assertThat(connect).hasMessageContaining("hello");
            } finally {
                daemon.sigcont();
            }

            // The daemon now reads what the stopped one was sent, then finds those connections closed.
            // Once it holds only the probe's, the timed-out SET has been applied or dropped for good.
            awaitDaemonConnections(probe, 1);
            Entry now = probe.get("k").orElseThrow();
            assertThat(now.valueAsString())
                    .as("the SET that timed out is applied whole or not at all")
                    .isIn("v1", "v2");
            if (now.valueAsString().equals("v1")) {
                assertThat(now.version()).isEqualTo(v1);
            } else {
                assertThat(now.version()).isGreaterThan(v1);
            }
            assertThat(map.get("k").orElseThrow()).isEqualTo(now);
            assertThat(map.get("absent")).isEmpty();
            long v3 = map.set("k", "v3").version();
            assertThat(v3).isGreaterThan(now.version());
            assertThat(probe.get("k").orElseThrow().valueAsString()).isEqualTo("v3");
        }
    }

    @Test
    void zeroTimeout_callOutlastsWhatAShortTimeoutAllows_thenSucceedsAfterCont() throws Exception {
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (SharedMap patient = SharedMap.connect(
                        daemon.socket(),
                        Options.defaults().replyTimeout(Duration.ZERO).directReads(false));
                SharedMap impatient =
                        SharedMap.connect(daemon.socket(), options().directReads(false))) {
            patient.set("k", "v");
            daemon.sigstop();
            try {
                Future<Optional<Entry>> waiting = caller.submit(() -> patient.get("k"));
                timesOut(() -> impatient.get("k"));
                // the patient GET has now waited longer than the impatient one was allowed to, and waits on
                assertThatThrownBy(() -> waiting.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                        .isInstanceOf(TimeoutException.class);
                daemon.sigcont();
                assertThat(waiting.get(30, TimeUnit.SECONDS).orElseThrow().valueAsString())
                        .isEqualTo("v");
            } finally {
                daemon.sigcont();
            }
            assertThat(impatient.get("k").orElseThrow().valueAsString()).isEqualTo("v");
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    void manyThreadsOneClient_daemonStopped_everyCallReturnsWithinBound_noConnectionLeftBehind() throws Exception {
        int threads = 24; // more than the 16 connections a client keeps idle
        DaemonProcess daemon = env.startDaemon(env.daemonSpec());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (SharedMap map = SharedMap.connect(daemon.socket(), options().directReads(false));
                SharedMap probe = SharedMap.connect(daemon.socket(), options().directReads(false))) {
            map.set("k", "v");
            awaitDaemonConnections(probe, 2);
            List<Future<Throwable>> calls;
            daemon.sigstop();
            try {
                calls = runTogether(pool, threads, i -> () -> {
                    long start = System.nanoTime();
                    try {
                        if (i % 2 == 0) {
                            map.get("k");
                        } else {
                            map.set("k" + i, "x");
                        }
                        return new AssertionError("call " + i + " answered by a stopped daemon");
                    } catch (ReplyTimeoutException e) {
                        Duration took = Duration.ofNanos(System.nanoTime() - start);
                        return took.compareTo(TIMEOUT) >= 0 && took.compareTo(TIMEOUT.plus(SLACK)) <= 0
                                ? null
                                : new AssertionError("call " + i + " gave up after " + took, e);
                    } catch (Throwable t) {
                        return t;
                    }
                });
                for (Future<Throwable> call : calls) {
                    assertThat(call.get(TIMEOUT.plus(SLACK).toSeconds() * 2, TimeUnit.SECONDS))
                            .isNull();
                }
            } finally {
                daemon.sigcont();
            }
            awaitDaemonConnections(probe, 1); // every connection the timed-out calls held or opened is gone

            List<Future<Throwable>> after = runTogether(pool, threads, i -> () -> {
                map.set("k" + i, "y");
                return map.get("k" + i).orElseThrow().valueAsString().equals("y") ? null : new AssertionError("k" + i);
            });
            for (Future<Throwable> call : after) {
                assertThat(call.get(30, TimeUnit.SECONDS)).isNull();
            }
            // the probe's and the client's idle ones (at most 16; it closes the rest, which the daemon sees soon after)
            Await.until(
                    "the daemon holds at most 17 connections",
                    () -> Integer.parseInt(probe.stats().get("connections")) <= 1 + 16,
                    Duration.ofSeconds(30));
        } finally {
            pool.shutdownNow();
        }
    }

    /** A call that returns null when it went as expected, else what went wrong. */
    private interface Call {
        Throwable run() throws Exception;
    }

    /** Starts call(i) for i in [0, n) on {@code pool}, all released at once. */
    private static List<Future<Throwable>> runTogether(ExecutorService pool, int n, IntFunction<Call> call)
            throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Throwable>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Call c = call.apply(i);
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                return c.run();
            }));
        }
        assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
        go.countDown();
        return futures;
    }
}
