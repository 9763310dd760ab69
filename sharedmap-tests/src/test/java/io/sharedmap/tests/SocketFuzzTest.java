package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.Entry;
import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.clients.Verify;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import io.sharedmap.tests.tools.SocketFuzzer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Socket fuzzing, bounded for CI: 30,000 random and mutated frames from four connections at a time
 * while two honest clients work. The daemon stays up and logs no ERROR, the honest clients see no
 * error, keys written before are intact. The long run is {@code SocketFuzzer --frames 1000000}.
 */
class SocketFuzzTest {
    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void fuzzFrames_fromFourConnections_daemonUpHonestClientsUnaffectedDataIntact() throws Exception {
        long seed = System.nanoTime();
        DaemonProcess daemon = env.startDaemon(env.daemonSpec()
                .withServerArgs("--max-value-bytes", "1048576", "--stall-timeout-ms", "2000")
                .withJvmArgs("-Xmx128m"));
        try (SharedMap map =
                        SharedMap.connect(daemon.socket(), Options.defaults().recovering(false));
                HonestClient h1 = new HonestClient(daemon.socket(), "honest1");
                HonestClient h2 = new HonestClient(daemon.socket(), "honest2")) {
            Map<String, Entry> stable = SocketFuzzer.writeStable(map);
            SocketFuzzer.Stats s = SocketFuzzer.run(daemon.socket(), 30_000, 4, seed);
            assertThat(s.frames()).as("seed %d: %s", seed, s).isGreaterThanOrEqualTo(25_000);
            assertThat(daemon.isAlive())
                    .as("daemon alive after %s (seed %d)", s, seed)
                    .isTrue();
            h1.stopAndCheck(10, Duration.ofSeconds(10));
            h2.stopAndCheck(10, Duration.ofSeconds(10));
            Verify.assertNone("stable keys after fuzzing (seed " + seed + ")", SocketFuzzer.checkStable(map, stable));
            assertThat(map.stats().get("connections")).isNotNull();
        }
        daemon.stop();
        daemon.assertNoUnexpectedErrors(List.of());
    }
}
