package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.server.testing.TestDaemon;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The example in {@link SharedMap}'s class comment, verbatim, against a real daemon. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SharedMapExampleTest {
    private TestDaemon daemon;

    @BeforeEach
    void startDaemon() throws Exception {
        daemon = TestDaemon.start();
    }

    @AfterEach
    void stopDaemon() throws Exception {
        daemon.close();
    }

    @Test
    void classCommentExample_runsAsWritten() {
        Path socket = daemon.socket;

        // ---- begin: identical to the example in SharedMap's class comment ----
        try (SharedMap map = SharedMap.connect(socket)) {
            map.set("greeting", "hello");
            String greeting = map.get("greeting").orElseThrow().valueAsString(); // "hello"

            // Safe read-modify-write from any number of processes: read, compute, CAS, retry on conflict.
            CasResult result;
            do {
                Optional<Entry> seen = map.get("visits");
                long visits = seen.map(e -> Long.parseLong(e.valueAsString())).orElse(0L);
                long expected = seen.map(Entry::version).orElse(0L); // 0: the key must not exist yet
                result = map.compareAndSet("visits", expected, Long.toString(visits + 1));
            } while (result instanceof CasResult.Conflict);
        }
        // ---- end ----

        try (SharedMap map = SharedMap.connect(socket)) {
            assertThat(map.get("greeting").orElseThrow().valueAsString()).isEqualTo("hello");
            assertThat(map.get("visits").orElseThrow().valueAsString()).isEqualTo("1");
        }
    }
}
