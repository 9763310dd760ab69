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
 * A client that mapped a daemon's view, the daemon killed with kill -9 and a new one started on the
 * same data directory: a direct GET after the new daemon acknowledged a write must show that write
 * (the SharedMap contract: never older than a write acknowledged before the read began).
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
            assertThat(direct.readStats().direct()).as("read from the view").isEqualTo(1);

            daemon.kill9();
            env.startDaemon(spec.withServerArgs(restartArgs));
            socketOnly.set("k", "v2"); // acknowledged by the new daemon

            assertThat(direct.get("k").orElseThrow().valueAsString())
                    .as("direct GET after the new daemon acknowledged v2 (%s)", direct.readStats())
                    .isEqualTo("v2");
        }
    }

    @Test
    void kill9ThenSameDaemon_directReaderRemapsAndSeesTheNewWrite() {
        killRestartAndRead();
    }

    /**
     * A daemon restarted with {@code --no-view} or in {@code --durability never} has no view of its
     * own, yet it must retire the killed daemon's (which it finds beside the socket) before it
     * acknowledges anything: otherwise clients that mapped it would answer GET from it, "v1" forever,
     * after "v2" was acknowledged. Found by the torture work for issue #6.
     */
    @ParameterizedTest(name = "restarted with {0}")
    @ValueSource(strings = {"--no-view", "--durability=never"})
    void kill9ThenDaemonWithoutAView_directReaderMustNotReadTheOldView(String restartArg) {
        killRestartAndRead(restartArg);
    }
}
