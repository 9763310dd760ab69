package io.sharedmap.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.server.Durability;
import io.sharedmap.server.SecurityConfig;
import io.sharedmap.server.ServerConfig;
import io.sharedmap.server.SharedMapServer;
import io.sharedmap.server.StoreConfig;
import io.sharedmap.server.testing.TestDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** GET from the daemon's mapped store: same answers as the socket, and the fallbacks. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DirectReadTest {
    private TestDaemon daemon;
    private SharedMap map;
    private SharedMap socketOnly;

    @BeforeEach
    void start() throws Exception {
        daemon = TestDaemon.start();
        map = SharedMap.connect(daemon.socket);
        socketOnly = SharedMap.connect(daemon.socket, Options.defaults().directReads(false));
    }

    @AfterEach
    void stop() throws Exception {
        map.close();
        socketOnly.close();
        daemon.close();
    }

    @Test
    void get_ofAnAcknowledgedValue_isDirect_andEqualsTheSocketsAnswer() {
        map.set("k", "v1");
        SharedMap.ReadStats before = map.readStats();
        Optional<Entry> direct = map.get("k");
        assertThat(map.readStats().direct()).isEqualTo(before.direct() + 1);
        assertThat(map.readStats().viewMapped()).isTrue();
        assertThat(direct).isEqualTo(socketOnly.get("k"));
        assertThat(direct.orElseThrow().valueAsString()).isEqualTo("v1");
        assertThat(socketOnly.readStats().direct()).isZero();
        // Another client's change is seen at once by the next direct read.
        socketOnly.set("k", "v2");
        assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("v2");
        socketOnly.delete("k");
        assertThat(map.get("k")).isEmpty();
    }

    @Test
    void get_ofAValueOfAnySize_isDirect() {
        byte[] big = new byte[1 << 20];
        big[big.length - 1] = 7;
        map.set("big".getBytes(), big);
        SharedMap.ReadStats before = map.readStats();
        assertThat(map.get("big").orElseThrow().value()).isEqualTo(big);
        assertThat(map.readStats().direct()).isEqualTo(before.direct() + 1);
        assertThat(map.readStats().socket()).isEqualTo(before.socket());
    }

    @Test
    void get_ofAnAbsentKey_isAnsweredDirectly_whileNoKeyIsPrivate() {
        SharedMap.ReadStats before = map.readStats();
        assertThat(map.get("absent")).isEmpty();
        assertThat(map.readStats().direct()).isEqualTo(before.direct() + 1);
        map.set("secret", "s");
        map.chmod("secret".getBytes(), 0600); // now in the private side: absence can no longer be told directly
        assertThat(map.get("absent")).isEmpty();
        assertThat(map.get("secret").orElseThrow().valueAsString()).isEqualTo("s");
        assertThat(map.readStats().socket()).isEqualTo(before.socket() + 2);
    }

    /** A daemon that stops and comes back on the same store: the client's mapping serves on. */
    @Test
    void restart_thatContinuesTheStore_keepsServingDirectly() throws Exception {
        map.set("k", "before");
        assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("before");
        daemon.restart();
        socketOnly.set("k", "after");
        long direct = map.readStats().direct();
        assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("after");
        assertThat(map.readStats().direct()).as("the same store, live again").isEqualTo(direct + 1);
    }

    /** A daemon that rebuilds its store (here: the store was deleted while it was stopped): the client maps the new one. */
    @Test
    void restart_thatRebuildsTheStore_remapsIt() throws Exception {
        map.set("k", "before");
        assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("before");
        daemon.stop();
        TestDaemon.deleteTree(daemon.dir.resolveSibling(daemon.dir.getFileName() + ".store"));
        daemon.restart();
        socketOnly.set("k", "after");
        long socket = map.readStats().socket();
        assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("after");
        assertThat(map.readStats().socket())
                .as("its store was retired: through the socket")
                .isEqualTo(socket + 1);
        long direct = map.readStats().direct();
        assertThat(map.get("k").orElseThrow().valueAsString()).isEqualTo("after");
        assertThat(map.readStats().direct()).as("served from the new store").isEqualTo(direct + 1);
    }

    @Test
    void get_afterClose_throwsEvenForAKeyInTheStore() {
        map.set("k", "v");
        assertThat(map.get("k")).isPresent();
        SharedMap closed = SharedMap.connect(daemon.socket);
        assertThat(closed.get("k")).isPresent();
        closed.close();
        Assertions.assertThatThrownBy(() -> closed.get("k"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(closed.readStats().viewMapped()).isFalse();
    }

    /**
     * A client that sees the socket under another path than the daemon's (a bind mount into a
     * container; here: the socket's directory renamed after the daemon started) cannot open the path
     * the daemon announces, and maps {@code <its socket>.store/public} instead (a relative link when
     * the store is beside the socket).
     */
    @Test
    void storeOutOfReachAtTheAnnouncedPath_isFoundBesideTheClientsSocket(@TempDir Path tmp) throws Exception {
        Path before = tmp.resolve("before");
        Path after = tmp.resolve("after");
        Files.createDirectories(before);
        SharedMapServer server = SharedMapServer.start(
                ServerConfig.defaults(tmp.resolve("data"), before.resolve("s.sock")),
                SecurityConfig.DEFAULTS,
                StoreConfig.DEFAULTS.withDir(before.resolve("store")));
        try {
            try (SharedMap first = SharedMap.connect(before.resolve("s.sock"))) {
                first.set("k", "v"); // the daemon makes its files now: moved under it, it could not make them
            }
            Files.move(
                    before, after); // the daemon's paths are now stale; socket, link and store moved with the directory
            try (SharedMap moved = SharedMap.connect(after.resolve("s.sock"))) {
                assertThat(moved.get("k").orElseThrow().valueAsString()).isEqualTo("v");
                assertThat(moved.readStats().direct())
                        .as("read from %s", after.resolve("s.sock.store"))
                        .isEqualTo(1);
            }
        } finally {
            Files.move(after, before);
            server.stop();
            server.awaitStopped();
        }
    }

    @Test
    void daemon_inNeverMode_offersNoDirectReads_soEveryGetUsesTheSocket() throws Exception {
        daemon.restart(c -> c.withDurability(Durability.NEVER));
        try (SharedMap m = SharedMap.connect(daemon.socket)) {
            m.set("k", "v");
            assertThat(m.get("k").orElseThrow().valueAsString()).isEqualTo("v");
            assertThat(m.readStats()).isEqualTo(new SharedMap.ReadStats(0, 1, false));
        }
    }
}
