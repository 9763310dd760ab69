package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.testing.TestDaemon;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reply timeout ({@link Options#replyTimeout}) against a real in-process daemon
 * behind a {@link StallingProxy} (a stand-in for {@code kill -STOP}; sharedmap-tests stops real
 * daemon processes) and against a socket nobody answers: calls give up within bounds, are not
 * retried, leave no connection behind, and the client works again once the daemon answers.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplyTimeoutTest {
    private static final Duration TIMEOUT = Duration.ofMillis(300);
    /** Generous: the machine running the tests may be loaded. */
    private static final Duration SLACK = Duration.ofSeconds(5);

    /** Runs {@code call}, which must throw a ReplyTimeoutException within TIMEOUT..TIMEOUT + SLACK; returns it. */
    private static ReplyTimeoutException timesOut(Runnable call) {
        long start = System.nanoTime();
        Throwable thrown = null;
        try {
            call.run();
        } catch (Throwable t) {
            thrown = t;
        }
        long elapsedNs = System.nanoTime() - start;
        assertThat(thrown).isInstanceOf(ReplyTimeoutException.class).isInstanceOf(DaemonUnavailableException.class);
        assertThat(Duration.ofNanos(elapsedNs)).isBetween(TIMEOUT, TIMEOUT.plus(SLACK));
        return (ReplyTimeoutException) thrown;
    }

    private static Options options() {
        return Options.defaults().replyTimeout(TIMEOUT);
    }

    @Test
    void options_default30s_zeroWaitsForever_outOfRangeRefusedNamingTheValue() {
        assertThat(Options.defaults().replyTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(Options.defaults().toString()).contains("reply timeout PT30S");
        assertThat(Options.defaults().replyTimeout(Duration.ZERO).toString()).contains("no reply timeout");
        assertThat(options()
                        .recovering(false)
                        .spinTime(Duration.ZERO)
                        .directReads(false)
                        .replyTimeout())
                .isEqualTo(TIMEOUT);
        assertThatThrownBy(() -> Options.defaults().replyTimeout(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-0.005S");
        assertThatThrownBy(() -> Options.defaults().replyTimeout(Duration.ofDays(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT48H");
    }

    @ParameterizedTest(name = "recovering={0}")
    @ValueSource(booleans = {true, false})
    void connect_helloNeverAnswered_replyTimeoutNamingSocketAndHello(boolean recovering) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "smt");
        Path socket = dir.resolve("mute.sock");
        // Bound and listening, never accepting: the kernel completes connects into the backlog, and the
        // hello is never read, as with a daemon stopped by SIGSTOP.
        try (ServerSocketChannel mute = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            mute.bind(UnixDomainSocketAddress.of(socket));

            ReplyTimeoutException e =
                    timesOut(() -> SharedMap.connect(socket, options().recovering(recovering)));

            assertThat(e)
                    .hasMessageContaining(socket.toString())
                    .hasMessageContaining("hello")
                    .hasMessageContaining("300 ms")
                    .hasMessageContaining("no request sent");
            assertThat(ReplyWatchdog.SHARED.watchedConnections(socket)).isZero();
        } finally {
            Files.deleteIfExists(socket);
            Files.delete(dir);
        }
    }

    @ParameterizedTest(name = "recovering={0}")
    @ValueSource(booleans = {true, false})
    void setThenGet_daemonStalled_eachTimesOutOnceNotRetried_thenWorksAndStoreIsConsistent(boolean recovering)
            throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                StallingProxy proxy = new StallingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap map = SharedMap.connect(
                        proxy.socket, options().recovering(recovering).directReads(false))) {
            long v1 = map.set("k", "v1").version();
            long connections = proxy.connections();
            proxy.stall();

            // the pooled connection: the SET goes out and its reply never comes
            ReplyTimeoutException set = timesOut(() -> map.set("k", "v2"));
            assertThat(set)
                    .hasMessageContaining(proxy.socket.toString())
                    .hasMessageContaining("300 ms")
                    .hasMessageContaining("outcome is unknown");
            assertThat(proxy.connections())
                    .as("a timed-out call is not retried on another connection")
                    .isEqualTo(connections);

            // no idle connection left: the GET opens one, whose hello is never answered
            ReplyTimeoutException get = timesOut(() -> map.get("k"));
            assertThat(get).hasMessageContaining("hello");
            assertThat(proxy.connections()).isEqualTo(connections + 1);
            assertThat(ReplyWatchdog.SHARED.watchedConnections(proxy.socket)).isZero();

            proxy.resume();

            Entry now = map.get("k").orElseThrow();
            assertThat(now.valueAsString()).isIn("v1", "v2");
            assertThat(now.version()).isGreaterThanOrEqualTo(v1);
            assertThat(map.set("k", "v3").version()).isGreaterThan(now.version());
            assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("v3");
            assertThat(map.sequencesInFlight()).isZero();
        }
    }

    @ParameterizedTest(name = "recovering={0}")
    @ValueSource(booleans = {true, false})
    void pipeline_daemonStalled_syncTimesOutAndUnansweredResponsesHoldIt(boolean recovering) throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                StallingProxy proxy = new StallingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap map = SharedMap.connect(proxy.socket, options().recovering(recovering))) {
            map.set("a", "1");
            proxy.stall();
            Pipeline p = map.pipelined();
            Response<Optional<Entry>> get = p.get(Bytes.utf8("a"));
            Response<SetResult> set = p.set(Bytes.utf8("a"), Bytes.utf8("2"));

            ReplyTimeoutException e = timesOut(p::sync);

            assertThat(e).hasMessageContaining("outcome is unknown");
            assertThatThrownBy(get::get).isSameAs(e);
            assertThatThrownBy(set::get).isSameAs(e);
            proxy.resume();
            assertThat(map.get("a").orElseThrow().valueAsString()).isIn("1", "2");
            assertThat(map.sequencesInFlight()).isZero();
        }
    }

    @Test
    void get_daemonStalled_directReadAnswersAndSocketReadTimesOut() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                StallingProxy proxy = new StallingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap map = SharedMap.connect(proxy.socket, options())) {
            map.set("k", "v");
            assertThat(map.readStats().viewMapped()).isTrue();
            proxy.stall();

            long start = System.nanoTime();
            assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("v"); // shared memory: no wait
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT);
            ReplyTimeoutException e = timesOut(() -> map.get("absent")); // not in the view: the socket
            assertThat(e).hasMessageContaining("nothing was changed");
            proxy.resume();
            assertThat(map.get("absent")).isEmpty();
        }
    }

    @Test
    void manyThreads_daemonStalled_everyCallReturnsWithinBound_noConnectionLeft() throws Exception {
        int threads = SharedMap.MAX_IDLE_CONNECTIONS + 8; // more than the pool keeps
        try (TestDaemon daemon = TestDaemon.start();
                StallingProxy proxy = new StallingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap map = SharedMap.connect(proxy.socket, options().directReads(false))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                map.set("k", "v");
                proxy.stall();
                List<Future<Throwable>> calls = runTogether(pool, threads, i -> () -> {
                    try {
                        if (i % 2 == 0) {
                            map.get("k");
                        } else {
                            map.set("k" + i, "x");
                        }
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                });
                for (Future<Throwable> call : calls) {
                    assertThat(call.get(TIMEOUT.plus(SLACK).toMillis() * 2, TimeUnit.MILLISECONDS))
                            .isInstanceOf(ReplyTimeoutException.class);
                }
                assertThat(map.idleConnections())
                        .as("timed-out connections are never pooled")
                        .isZero();
                assertThat(ReplyWatchdog.SHARED.watchedConnections(proxy.socket))
                        .as("open connections")
                        .isZero();

                proxy.resume();
                List<Future<Throwable>> after = runTogether(pool, threads, i -> () -> {
                    patiently(() -> map.set("k" + i, "y")); // 24 threads at once on a loaded machine may miss 300 ms
                    return patiently(() -> map.get("k" + i))
                                    .orElseThrow()
                                    .valueAsString()
                                    .equals("y")
                            ? null
                            : new AssertionError("k" + i);
                });
                for (Future<Throwable> call : after) {
                    assertThat(call.get(30, TimeUnit.SECONDS)).isNull();
                }
                assertThat(map.idleConnections()).isBetween(1, SharedMap.MAX_IDLE_CONNECTIONS);
                assertThat(ReplyWatchdog.SHARED.watchedConnections(proxy.socket))
                        .as("open connections are the idle ones")
                        .isEqualTo(map.idleConnections());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * The race between a reply and the watchdog, many times: a daemon that stalls for 0 to 100 ms at a
     * time while threads call with a 50 ms timeout. Every call either answers correctly or throws a
     * ReplyTimeoutException: the watchdog never closes a connection under a later call, and a stream
     * is never read out of step (which would show as a wrong or malformed reply). A plain client,
     * because a recovering one would hide a wrongly closed connection by retrying.
     */
    @Test
    void shortStalls_nearTheTimeout_everyCallAnswersOrTimesOut_neverAnythingElse() throws Exception {
        int threads = 4;
        Duration timeout = Duration.ofMillis(50);
        try (TestDaemon daemon = TestDaemon.start();
                StallingProxy proxy = new StallingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap map = connectPatiently(
                        proxy.socket,
                        Options.defaults()
                                .replyTimeout(timeout)
                                .recovering(false)
                                .directReads(false))) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong allAnswers = new AtomicLong();
            AtomicLong allTimeouts = new AtomicLong();
            try {
                List<Future<Throwable>> callers = runTogether(pool, threads, t -> () -> {
                    long timeouts = 0;
                    long answers = 0;
                    for (long j = 1; !stop.get(); j++) {
                        try {
                            String key = "t" + t;
                            map.set(key, Long.toString(j));
                            long seen =
                                    Long.parseLong(map.get(key).orElseThrow().valueAsString());
                            if (seen > j) { // an older SET that timed out may land later; a newer one cannot exist
                                return new AssertionError(key + " = " + seen + " after set " + j);
                            }
                            map.ping();
                            answers++;
                        } catch (ReplyTimeoutException e) {
                            timeouts++;
                        } catch (Throwable e) {
                            return e;
                        }
                    }
                    allAnswers.addAndGet(answers);
                    allTimeouts.addAndGet(timeouts);
                    return null;
                });
                Random random = new Random(42);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (System.nanoTime() - end < 0) {
                    proxy.stall();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(100)));
                    proxy.resume();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt(50)));
                }
                stop.set(true);
                for (Future<Throwable> caller : callers) {
                    assertThat(caller.get(30, TimeUnit.SECONDS)).isNull();
                }
                assertThat(allAnswers.get())
                        .as("calls answered: the test raced")
                        .isPositive();
                assertThat(allTimeouts.get())
                        .as("calls timed out: the test raced")
                        .isPositive();
                assertThat(patiently(() -> map.get("t0"))).isPresent();
                assertThat(ReplyWatchdog.SHARED.watchedConnections(proxy.socket))
                        .isEqualTo(map.idleConnections());
            } finally {
                stop.set(true);
                proxy.resume();
                pool.shutdownNow();
            }
        }
    }

    /**
     * {@code call}, again after each ReplyTimeoutException, for up to 30 s: with a timeout of tens of
     * milliseconds, a loaded machine may miss it even when nothing stalls (tests never fail for a slow
     * machine).
     */
    private static <T> T patiently(Supplier<T> call) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return call.get();
            } catch (ReplyTimeoutException e) {
                if (System.nanoTime() - end > 0) {
                    throw e;
                }
            }
        }
    }

    private static SharedMap connectPatiently(Path socket, Options options) {
        return patiently(() -> SharedMap.connect(socket, options));
    }

    /** Starts call(i) for i in [0, n) on {@code pool}, all released at once. */
    private static List<Future<Throwable>> runTogether(
            ExecutorService pool, int n, IntFunction<Callable<Throwable>> call) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Throwable>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Callable<Throwable> c = call.apply(i);
            futures.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                return c.call();
            }));
        }
        assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
        go.countDown();
        return futures;
    }

    @Test
    void zeroTimeout_callOutlastsWhatAShortTimeoutAllows_thenSucceeds() throws Exception {
        try (TestDaemon daemon = TestDaemon.start();
                StallingProxy proxy = new StallingProxy(daemon.root.resolve("p.sock"), daemon.socket);
                SharedMap patient = SharedMap.connect(
                        proxy.socket,
                        Options.defaults().replyTimeout(Duration.ZERO).directReads(false));
                SharedMap impatient = SharedMap.connect(proxy.socket, options().directReads(false))) {
            patient.set("k", "v");
            assertThat(ReplyWatchdog.SHARED.watchedConnections(proxy.socket))
                    .as("only the impatient client's connection is watched")
                    .isEqualTo(1);
            ExecutorService caller = Executors.newSingleThreadExecutor();
            try {
                proxy.stall();
                Future<Optional<Entry>> waiting = caller.submit(() -> patient.get("k"));

                timesOut(() -> impatient.get("k"));
                // the patient call has now waited longer than the impatient one was allowed to
                assertThatThrownBy(() -> waiting.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                        .isInstanceOf(TimeoutException.class);

                proxy.resume();
                assertThat(waiting.get(30, TimeUnit.SECONDS).orElseThrow().valueAsString())
                        .isEqualTo("v");
            } finally {
                caller.shutdownNow();
            }
        }
    }
}
