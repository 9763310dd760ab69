package io.sharedmap.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.os.store.StoreReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Where the mapped store lives, and how a starting daemon retires the stores earlier daemons left. */
class StorePlacementTest {
    @TempDir
    Path tmp;

    private static StoreReader reader(SharedMapServer s) throws Exception {
        Map<String, String> stats = s.statsSnapshot();
        Path dir = Path.of(stats.get("store_direct_reads"));
        try (FileChannel c = FileChannel.open(dir.resolve("root"))) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            c.read(b, 24);
            return StoreReader.open(dir, b.flip().getLong());
        }
    }

    @Test
    void defaultDirectory_isPerUserInDevShm_namedAfterTheSocket() {
        Path a = StorePlacement.defaultDirectory(Path.of("/run/a.sock"), 1000);
        Path b = StorePlacement.defaultDirectory(Path.of("/run/b.sock"), 1000);
        if (Files.isDirectory(Path.of("/dev/shm"))) {
            assertThat(a.getParent()).isEqualTo(Path.of("/dev/shm/sharedmap-1000"));
            assertThat(a).isNotEqualTo(b);
            assertThat(StorePlacement.defaultDirectory(Path.of("/run/a.sock"), 1000))
                    .isEqualTo(a);
        } else {
            assertThat(a).isEqualTo(Path.of("/run/a.sock.store"));
        }
    }

    /** /dev/shm is writable by everyone: a per-user directory someone else made is refused. */
    @Test
    void perUserDirectoryOthersMayWrite_isRefused() throws Exception {
        long uid = SocketFile.processUid();
        Path shm = Path.of("/dev/shm/sharedmap-" + uid);
        if (!Files.isDirectory(Path.of("/dev/shm")) || Files.exists(shm)) {
            // a directory of this user already serves a real daemon here: do not touch it; test the check elsewhere
            Path elsewhere = tmp.resolve("not-shm/store");
            StorePlacement.prepare(elsewhere, uid);
            assertThat(elsewhere.getParent()).isDirectory();
            return;
        }
        Files.createDirectory(shm, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        try {
            Files.setPosixFilePermissions(shm, PosixFilePermissions.fromString("rwxrwxrwx"));
            assertThatThrownBy(() -> StorePlacement.prepare(shm.resolve("x"), uid))
                    .isInstanceOf(ServerStartException.class)
                    .hasMessageContaining("no one else may write")
                    .hasMessageContaining("--store-dir");
        } finally {
            Files.delete(shm);
        }
    }

    /**
     * The same data directory served on another socket with another store directory: the new daemon
     * cannot find the old store beside its own socket, but the data directory says where it was.
     */
    private static void startAndStop(Path data, Path socket) throws Exception {
        SharedMapServer s = SharedMapServer.start(
                ServerConfig.defaults(data, socket), SecurityConfig.DEFAULTS, StoreConfig.DEFAULTS);
        s.stop();
        s.awaitStopped();
    }

    /**
     * Stores in the per-user directory of /dev/shm whose data directory was deleted are removed by the
     * next daemon that starts there; a store whose data directory exists is kept.
     */
    @Test
    void storesOfDeletedDataDirectories_areRemovedByTheNextDaemonInDevShm() throws Exception {
        if (!Files.isDirectory(Path.of("/dev/shm"))) {
            return; // no per-user directory on this machine: nothing to test
        }
        long uid = SocketFile.processUid();
        Path gone = tmp.resolve("gone");
        Path kept = tmp.resolve("kept");
        startAndStop(gone, tmp.resolve("gone.sock"));
        startAndStop(kept, tmp.resolve("kept.sock"));
        Path goneStore = StorePlacement.defaultDirectory(tmp.resolve("gone.sock"), uid);
        Path keptStore = StorePlacement.defaultDirectory(tmp.resolve("kept.sock"), uid);
        assertThat(goneStore.resolve(StorePlacement.DATA_RECORD)).content().isEqualToIgnoringNewLines(gone.toString());
        assertThat(goneStore.resolve("public/root")).exists();
        deleteTree(gone);
        try {
            startAndStop(tmp.resolve("next"), tmp.resolve("next.sock"));
            assertThat(goneStore).as("the store of a deleted data directory").doesNotExist();
            assertThat(keptStore.resolve("public/root"))
                    .as("the store of a data directory that exists")
                    .exists();
        } finally {
            for (String d : List.of("kept", "next")) {
                deleteTree(tmp.resolve(d)); // their stores go at the next daemon's start, as orphans
            }
            StorePlacement.removeOrphans(goneStore, uid);
        }
        assertThat(keptStore).as("an orphan once its data directory went").doesNotExist();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void nextDaemonOnTheDataDirectory_retiresTheStoreOfItsLastSocket() throws Exception {
        Path data = tmp.resolve("data");
        SharedMapServer first = SharedMapServer.start(
                ServerConfig.defaults(data, tmp.resolve("a.sock")),
                SecurityConfig.DEFAULTS,
                StoreConfig.DEFAULTS.withDir(tmp.resolve("store-a")));
        StoreReader mapped;
        try {
            mapped = reader(first);
            assertThat(Files.readString(data.resolve(StorePlacement.STORE_RECORD))
                            .strip())
                    .isEqualTo(tmp.resolve("store-a").toString());
        } finally {
            first.stop();
            first.awaitStopped();
        }
        assertThat(mapped.retired()).as("a clean stop retires it").isTrue();
        markLive(tmp.resolve("store-a/public/root")); // as a kill -9 would leave it
        assertThat(mapped.retired()).isFalse();
        SharedMapServer second = SharedMapServer.start(
                ServerConfig.defaults(data, tmp.resolve("b.sock")),
                SecurityConfig.DEFAULTS,
                StoreConfig.DEFAULTS.withDir(tmp.resolve("store-b")));
        try {
            assertThat(mapped.retired()).as("the store of the daemon on a.sock").isTrue();
            assertThat(tmp.resolve("store-a/public/root")).doesNotExist();
            assertThat(Files.readString(data.resolve(StorePlacement.STORE_RECORD))
                            .strip())
                    .isEqualTo(tmp.resolve("store-b").toString());
            assertThat(second.statsSnapshot()).containsEntry("recovery_store_continued", "false");
        } finally {
            second.stop();
            second.awaitStopped();
        }
    }

    /**
     * A daemon killed with -9 leaves its store LIVE. The next daemon on that socket retires it before
     * it serves, whatever its data directory and even without direct reads of its own (or in never
     * mode): clients still mapping it must come back to the socket. Also the previous release's view
     * file beside the socket.
     */
    @ParameterizedTest
    @ValueSource(strings = {"direct reads", "no direct reads", "never mode"})
    void nextDaemonOnTheSocket_retiresWhatTheDeadDaemonLeft(String next) throws Exception {
        Path socket = tmp.resolve("s.sock");
        StoreReader left;
        SharedMapServer dead = SharedMapServer.start(
                ServerConfig.defaults(tmp.resolve("data-1"), socket),
                SecurityConfig.DEFAULTS,
                StoreConfig.DEFAULTS.withDir(tmp.resolve("store-1")));
        try {
            left = reader(dead);
        } finally {
            dead.stop();
            dead.awaitStopped();
        }
        markLive(tmp.resolve("store-1/public/root"));
        Path view = tmp.resolve("s.sock.view");
        legacyView(view);
        ServerConfig config = ServerConfig.defaults(tmp.resolve("data-2"), socket);
        SharedMapServer server = SharedMapServer.start(
                next.equals("never mode") ? config.withDurability(Durability.NEVER) : config,
                SecurityConfig.DEFAULTS,
                (next.equals("no direct reads") ? StoreConfig.NO_DIRECT_READS : StoreConfig.DEFAULTS)
                        .withDir(tmp.resolve("store-2")));
        try {
            assertThat(left.retired()).isTrue();
            assertThat(left.lookup("k".getBytes())).isSameAs(StoreReader.UNKNOWN);
            assertThat(legacyState(view))
                    .as("the old release's view: retired and deleted")
                    .isEqualTo(-1);
            assertThat(server.statsSnapshot().get("store_direct_reads"))
                    .as("direct reads offered")
                    .isEqualTo(
                            next.equals("direct reads")
                                    ? tmp.resolve("store-2/public").toString()
                                    : "");
        } finally {
            server.stop();
            server.awaitStopped();
        }
    }

    private static void markLive(Path root) throws Exception {
        try (Arena a = Arena.ofConfined();
                FileChannel c = FileChannel.open(root, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment h = c.map(FileChannel.MapMode.READ_WRITE, 0, 64, a);
            h.set(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), 16, 1L);
        }
    }

    /** A view file of the release before the mapped store, LIVE: magic "SMAPVIEW", state 1 at byte 24. */
    private static void legacyView(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 0x5745_4956_5041_4D53L).putLong(24, 1);
        Files.write(file, b.array());
    }

    /** The legacy view's state word, or -1 if the file is gone. */
    private static long legacyState(Path file) throws Exception {
        if (!Files.exists(file)) {
            return -1;
        }
        return ByteBuffer.wrap(Files.readAllBytes(file))
                .order(ByteOrder.LITTLE_ENDIAN)
                .getLong(24);
    }
}
