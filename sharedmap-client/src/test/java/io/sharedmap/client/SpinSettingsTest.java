package io.sharedmap.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.ServerConfig;
import io.sharedmap.server.testing.TestDaemon;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same calls with spinning on and off, at both ends: {@code --spin-us 0} and a client spin time
 * of zero keep the block-at-once path covered, and {@code --max-spinners 0} the path where the
 * limit is reached. Every combination must behave the same: small calls, a large value both ways,
 * a pipeline, concurrent callers, and a daemon restart under a recovering client.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SpinSettingsTest {

    static Stream<Arguments> settings() {
        return Stream.of(
                Arguments.of("daemon and client block at once", 0, -1, Duration.ZERO),
                Arguments.of("daemon blocks, client spins", 0, -1, Options.DEFAULT_SPIN_TIME),
                Arguments.of("daemon spins, client blocks", 50, -1, Duration.ZERO),
                Arguments.of("both spin (the defaults)", 50, -1, Options.DEFAULT_SPIN_TIME),
                Arguments.of("daemon spin limit 0", 1000, 0, Duration.ofMillis(1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void calls_workAlike(String name, int daemonSpinUs, int maxSpinners, Duration clientSpin) throws Exception {
        UnaryOperator<ServerConfig> tweak = c -> maxSpinners < 0
                ? c.withSpinUs(daemonSpinUs)
                : c.withSpinUs(daemonSpinUs).withMaxSpinners(maxSpinners);
        Options options = Options.defaults().spinTime(clientSpin).reconnectWindow(Duration.ofSeconds(20));
        try (TestDaemon daemon = TestDaemon.start(tweak);
                SharedMap map = SharedMap.connect(daemon.socket, options)) {
            assertThat(map.stats()).containsEntry("spin_us", Integer.toString(daemonSpinUs));
            for (int i = 0; i < 200; i++) {
                map.set("k" + i, "v" + i);
            }
            for (int i = 0; i < 200; i++) {
                assertThat(map.get("k" + i).orElseThrow().valueAsString()).isEqualTo("v" + i);
            }
            map.ping();

            byte[] large = new byte[12 << 20];
            for (int i = 0; i < large.length; i++) {
                large[i] = (byte) (i ^ (i >>> 9));
            }
            map.set("large".getBytes(UTF_8), large);
            assertThat(Arrays.equals(
                            map.get("large".getBytes(UTF_8)).orElseThrow().value(), large))
                    .isTrue();

            List<Response<SetResult>> sets = new ArrayList<>();
            try (Pipeline p = map.pipelined()) {
                for (int i = 0; i < 500; i++) {
                    sets.add(p.set(("p" + i).getBytes(UTF_8), ("w" + i).getBytes(UTF_8)));
                }
                p.sync();
            }
            assertThat(sets).allSatisfy(r -> assertThat(r.get()).isNotNull());
            assertThat(map.get("p499").orElseThrow().valueAsString()).isEqualTo("w499");

            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    done.add(threads.submit(() -> {
                        for (int i = 0; i < 300; i++) {
                            map.set("t" + thread + "-" + i, "x");
                            assertThat(map.get("t" + thread + "-" + i)).isPresent();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                threads.shutdownNow();
            }

            daemon.restart();
            assertThat(map.get("k7").orElseThrow().valueAsString()).isEqualTo("v7");
        }
    }

    @Test
    void spinTime_outOfRange_isRefused() {
        assertThatThrownBy(() -> Options.defaults().spinTime(Duration.ofNanos(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Options.defaults().spinTime(Duration.ofMillis(11)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Options.defaults().spinTime()).isEqualTo(Duration.ofNanos(10_000));
        assertThat(Options.defaults().spinTime(Duration.ZERO).spinTime()).isZero();
    }
}
