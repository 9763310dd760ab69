package io.sharedmap.tests;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.tests.support.DaemonProcess;
import io.sharedmap.tests.support.SystemTestEnv;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A client that mapped a daemon's store, the daemon killed with kill -9 and a new one started on the
 * same data directory: a direct GET after the new daemon acknowledged a write must show that write
 * (the SharedMap contract: never older than a write acknowledged before the read began), whether
 * the new daemon continued the store (the same files: the client keeps its mapping) or retired it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DirectReadRestartTest {
    @RegisterExtension
    final SystemTestEnv env = new SystemTestEnv();

    private void killRestartAndRead(String... restartArgs) {
        DaemonProcess.Spec spec = env.daemonSpec();
        DaemonProcess daemon = env.startDaemon(spec);
        try (SharedMap direct = SharedMap.connect(daemon.socket());
                SharedMap socketOnly =
                        SharedMap.connect(daemon.socket(), Options.defaults().directReads(false))) {
            socketOnly.set("k", "v1");
            assertThat(direct.get("k").orElseThrow().valueAsString()).isEqualTo("v1");
            assertThat(direct.readStats().direct())
                    .as("read from the mapped store")
                    .isEqualTo(1);

            daemon.kill9();
            env.startDaemon(spec.withServerArgs(restartArgs));
            socketOnly.set("k", "v2"); // acknowledged by the new daemon

            assertThat(direct.get("k").orElseThrow().valueAsString())
                    .as("direct GET after the new daemon acknowledged v2 (%s)", direct.readStats())
                    .isEqualTo("v2");
        }
    }

    @Test
    void kill9ThenSameDaemon_directReaderSeesTheNewWrite() {
        killRestartAndRead();
    }

    /**
     * A daemon restarted with {@code --no-direct-reads} or in {@code --durability never} offers no
     * direct reads, yet it must retire the store the killed daemon left, whose public side clients
     * still map, before it acknowledges anything: otherwise those clients would answer GET from it,
     * "v1" forever, after "v2" was acknowledged. (Its own store's public files are then readable by
     * its user only, so it rebuilds the store for that audience.) Found, for the view before the
     * mapped store, by the torture work for issue #6.
     */
    @ParameterizedTest(name = "restarted with {0}")
    @ValueSource(strings = {"--no-direct-reads", "--durability=never"})
    void kill9ThenDaemonWithoutDirectReads_directReaderMustNotReadTheOldStore(String restartArg) {
        killRestartAndRead(restartArg);
    }
}
