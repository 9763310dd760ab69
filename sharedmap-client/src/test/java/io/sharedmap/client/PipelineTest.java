package io.sharedmap.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.testing.TestDaemon;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pipelines against a real daemon: order, every result type, batches beyond one buffer, failures. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PipelineTest {
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

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void sync_mixedOperations_answersEachInOrder() {
        long v1 = map.set("a", "1").version();

        Pipeline p = map.pipelined();
        Response<Optional<Entry>> getA = p.get(b("a"));
        Response<Optional<Entry>> getMissing = p.get(b("missing"));
        Response<SetResult> setB = p.set(b("b"), b("2"));
        Response<SetResult> setA = p.set(b("a"), b("3"));
        Response<CasResult> casStale = p.compareAndSet(b("a"), v1, b("4"));
        Response<CasResult> casNew = p.compareAndSet(b("c"), 0, b("5"));
        Response<DeleteResult> delStale = p.delete(b("b"), v1);
        Response<DeleteResult> delB = p.delete(b("b"));
        Response<DeleteResult> delMissing = p.delete(b("missing"));
        assertThat(p.size()).isEqualTo(9);
        p.sync();

        assertThat(p.size()).isZero();
        assertThat(getA.get()).contains(new Entry(b("1"), v1));
        assertThat(getMissing.get()).isEmpty();
        assertThat(setB.get().created()).isTrue();
        assertThat(setA.get().created()).isFalse();
        assertThat(casStale.get()).isEqualTo(new CasResult.Conflict(setA.get().version()));
        assertThat(casNew.get())
                .isInstanceOfSatisfying(
                        CasResult.Applied.class, a -> assertThat(a.created()).isTrue());
        assertThat(delStale.get())
                .isEqualTo(new DeleteResult(
                        DeleteResult.Outcome.CONFLICT, setB.get().version()));
        assertThat(delB.get().outcome()).isEqualTo(DeleteResult.Outcome.DELETED);
        assertThat(delMissing.get().outcome()).isEqualTo(DeleteResult.Outcome.NOT_FOUND);
        assertThat(List.of(setB.get().version(), setA.get().version(), ((CasResult.Applied) casNew.get()).version()))
                .isSorted();
    }

    @Test
    void get_beforeSync_illegalState() {
        Pipeline p = map.pipelined();
        Response<SetResult> r = p.set(b("k"), b("v"));

        assertThat(r.isDone()).isFalse();
        assertThatThrownBy(r::get).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void close_withQueuedOperations_syncsThem() {
        Response<SetResult> r;
        try (Pipeline p = map.pipelined()) {
            r = p.set(b("k"), b("v"));
        }

        assertThat(r.get().created()).isTrue();
        assertThat(map.get("k")).isPresent();
    }

    @Test
    void sync_manyMoreBytesThanOneBuffer_answersAllInOrder() {
        int n = 3_000; // ~ 3000 * 150 bytes of requests: several batches
        Pipeline p = map.pipelined();
        List<Response<SetResult>> sets = new ArrayList<>();
        List<Response<Optional<Entry>>> gets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            sets.add(p.set(b("key" + i), b("value-" + i + "-" + "x".repeat(100))));
            gets.add(p.get(b("key" + i)));
        }
        p.sync();

        for (int i = 0; i < n; i++) {
            assertThat(sets.get(i).get().created()).isTrue();
            assertThat(gets.get(i).get().orElseThrow().version())
                    .isEqualTo(sets.get(i).get().version());
            assertThat(gets.get(i).get().orElseThrow().valueAsString()).startsWith("value-" + i + "-");
        }
    }

    @Test
    void sync_valuesLargerThanOneBuffer_goOutAlone() {
        Random random = new Random(7);
        byte[] big = new byte[3 * Connection.BUFFER_BYTES + 5];
        random.nextBytes(big);

        Pipeline p = map.pipelined();
        Response<SetResult> small1 = p.set(b("s1"), b("x"));
        Response<SetResult> large = p.set(b("big"), big);
        Response<Optional<Entry>> read = p.get(b("big"));
        Response<SetResult> small2 = p.set(b("s2"), b("y"));
        p.sync();

        assertThat(small1.get().created()).isTrue();
        assertThat(large.get().created()).isTrue();
        assertThat(read.get().orElseThrow().value()).isEqualTo(big);
        assertThat(small2.get().created()).isTrue();
    }

    @Test
    void sync_empty_doesNothing() {
        map.pipelined().sync();
    }

    @Test
    void sync_afterDaemonRestart_retriesOnFreshConnection() throws Exception {
        map.set("k", "v");
        daemon.restart();

        Pipeline p = map.pipelined();
        Response<Optional<Entry>> r = p.get(b("k"));
        p.sync();

        assertThat(r.get().orElseThrow().valueAsString()).isEqualTo("v");
    }

    @Test
    void sync_daemonGone_failsEveryResponse() throws Exception {
        try (SharedMap plain =
                        SharedMap.connect(daemon.socket, Options.defaults().recovering(false));
                SharedMap shortWindow =
                        SharedMap.connect(daemon.socket, Options.defaults().reconnectWindow(Duration.ofMillis(200)))) {
            daemon.stop();

            for (SharedMap m : List.of(plain, shortWindow)) {
                Pipeline p = m.pipelined();
                Response<SetResult> r1 = p.set(b("a"), b("1"));
                Response<Optional<Entry>> r2 = p.get(b("b"));

                assertThatThrownBy(p::sync).as("%s", m).isInstanceOf(DaemonUnavailableException.class);
                assertThatThrownBy(r1::get).isInstanceOf(DaemonUnavailableException.class);
                assertThatThrownBy(r2::get).isInstanceOf(DaemonUnavailableException.class);
            }
            assertThat(shortWindow.sequencesInFlight()).isZero();
        }
    }
}
