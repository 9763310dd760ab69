package io.sharedmap.server.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.os.store.StoreReader;
import io.sharedmap.server.Durability;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The golden files of every format version (src/test/resources/golden, README there), written by
 * the real code of each release: read with today's code, every change is there, sessions too, and a
 * directory of an older format is rewritten in today's at start. The mapped store's golden files
 * are continued as a restart after a clean stop would continue them.
 */
class GoldenFilesTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final Owner ROOT = new Owner(0, 0, 0644);
    private static final Owner LEGACY = Owner.LEGACY;
    private static final Owner ALICE = new Owner(1001, 100, 0640);

    @TempDir
    Path tmp;

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    private EngineConfig config(Path data, Path store) {
        return new EngineConfig(data, Durability.ALWAYS, 1000, 1L << 30)
                .withStore(new StoreSettings(store, 0640, -1, 0, true));
    }

    /** The state every golden directory holds; format 1 has no owners (root, 0666) and no alice keys. */
    private static void checkContent(Engine e, int format) throws Exception {
        Owner plain = format == 1 ? LEGACY : ROOT;
        for (int i = 0; i < 25; i++) {
            Entry got = e.get(b("k" + i)).entry();
            if (i == 2) {
                assertThat(got).as("k2 was deleted").isNull();
                continue;
            }
            assertThat(got).as("k" + i).isNotNull();
            assertThat(new String(got.value(), UTF_8)).isEqualTo(i == 1 ? "v1b" : "v" + i);
            assertThat(got.owner()).isEqualTo(plain);
        }
        int alice = format == 1 ? 0 : 5;
        for (int i = 0; i < alice; i++) {
            Entry got = e.get(b("a" + i)).entry();
            assertThat(new String(got.value(), UTF_8)).isEqualTo("alice" + i);
            assertThat(got.owner()).isEqualTo(i == 1 ? ALICE.withMode(0600) : ALICE);
        }
        // versions: k0..k19 are 1..20, then (format 2 on) a0..a4, k20..k24, k1, the delete, (the chmod), seq
        assertThat(e.get(b("k0")).entry().version()).isEqualTo(1);
        long k1 = 26 + alice;
        assertThat(e.get(b("k1")).entry().version()).isEqualTo(k1);
        long seq = k1 + 2 + (format == 1 ? 0 : 1);
        assertThat(e.get(b("seq")).entry().version()).isEqualTo(seq);
        assertThat(e.stats().keys()).isEqualTo(25 - 1 + 1 + alice + (format >= 4 ? 1 : 0));
        if (format >= 4) {
            assertThat(e.get(b("t1")).entry().deadline()).as("renewed").isEqualTo(GoldenFiles.T1_DEADLINE + 1);
            assertThat(e.get(b("t2")).entry()).as("expired").isNull();
        }
        // the sessions: both changes of client 77 are remembered, not applied again
        Results.Write again = e.set(b("seq"), b("twice"), 77, 1);
        assertThat(again.version()).isEqualTo(seq);
        assertThat(new String(e.get(b("seq")).entry().value(), UTF_8)).isEqualTo("s1");
        assertThat(e.compareAndSet(b("k3"), 999_999, b("x"), 77, 2).outcome()).isEqualTo(Results.Outcome.CONFLICT);
        assertThat(new String(e.get(b("k3")).entry().value(), UTF_8)).isEqualTo("v3");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4})
    void dataDirectory_ofEveryFormat_isReadAndUpgraded(int format) throws Exception {
        Path data = tmp.resolve("data");
        copy(GOLDEN.resolve("data-v" + format), data);
        try (Engine e = Engine.open(config(data, tmp.resolve("store")), EngineHooks.NONE)) {
            assertThat(e.recovery().storeContinued())
                    .as("no store came with it")
                    .isFalse();
            checkContent(e, format);
        }
        try (Stream<Path> files = Files.list(data)) {
            List<Path> journalAndSnapshots = files.filter(
                            p -> p.getFileName().toString().matches("(journal|snapshot)-\\p{XDigit}{16}\\.(log|snap)"))
                    .toList();
            assertThat(journalAndSnapshots).isNotEmpty();
            for (Path p : journalAndSnapshots) {
                assertThat(formatOf(p))
                        .as(p + " rewritten in today's format")
                        .isEqualTo(StoreFileDescriptor.FORMAT_VERSION);
            }
        }
        try (Engine e = Engine.open(config(data, tmp.resolve("store")), EngineHooks.NONE)) {
            checkContent(e, format); // after the upgrade, as before
        }
    }

    private static int formatOf(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            c.read(b, 8);
        }
        return b.flip().getInt();
    }

    /**
     * The store's format 1, as written at a clean stop: its chunks cannot hold deadlines, and a reader
     * of format 1 would return a deadline's bytes as value, so it is rebuilt in format 2 (a new
     * generation, which older readers cannot map: they ask the daemon), then read directly.
     */
    @Test
    void mappedStore_format1_isRebuilt_andReadDirectly() throws Exception {
        Path data = tmp.resolve("data");
        Path store = tmp.resolve("store");
        copy(GOLDEN.resolve("data-v3"), data);
        copy(GOLDEN.resolve("store-v1"), store);
        writeThisBootId(store.resolve("private/meta"));
        try (Engine e = Engine.open(config(data, store), EngineHooks.NONE)) {
            assertThat(e.recovery().storeRebuiltBecause()).contains("format 1 is not the supported format 2");
            assertThat(e.recovery().storeContinued()).isFalse();
            Engine.StoreInfo info = e.storeInfo();
            StoreReader r = StoreReader.open(info.dir(), info.generation());
            assertThat(r.lookup(b("k24"))).isInstanceOfSatisfying(StoreReader.Found.class, f -> {
                assertThat(f.value()).isEqualTo(b("v24"));
                assertThat(f.version()).isEqualTo(30);
            });
            assertThat(r.lookup(b("a0"))).as("alice's 0640 key: private").isSameAs(StoreReader.UNKNOWN);
            checkContent(e, 3);
        }
    }

    /** The store's chunk format 2 (deadlines), as written at a clean stop: continued, nothing replayed. */
    @Test
    void mappedStore_format2_isContinued_andReadDirectly() throws Exception {
        Path data = tmp.resolve("data");
        Path store = tmp.resolve("store");
        copy(GOLDEN.resolve("data-v4"), data);
        copy(GOLDEN.resolve("store-v2"), store);
        writeThisBootId(store.resolve("private/meta"));
        try (Engine e = Engine.open(config(data, store), EngineHooks.NONE)) {
            assertThat(e.recovery().storeRebuiltBecause()).isNull();
            assertThat(e.recovery().storeContinued()).isTrue();
            assertThat(e.recovery().storeRecords()).isZero();
            Engine.StoreInfo info = e.storeInfo();
            StoreReader r = StoreReader.open(info.dir(), info.generation());
            assertThat(r.lookup(b("t1"), 0))
                    .isInstanceOfSatisfying(
                            StoreReader.Found.class,
                            f -> assertThat(f.value())
                                    .as("the value without its deadline")
                                    .isEqualTo(b("lease")));
            assertThat(r.lookup(b("t1"), GoldenFiles.T1_DEADLINE + 1)).isSameAs(StoreReader.ABSENT);
            checkContent(e, 4);
        }
    }

    /** Writes this machine's boot id where a store's meta keeps the boot it was written on. */
    private static void writeThisBootId(Path meta) throws IOException {
        UUID u = UUID.fromString(
                Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(u.getMostSignificantBits())
                .putLong(u.getLeastSignificantBits())
                .flip();
        try (FileChannel c = FileChannel.open(meta, StandardOpenOption.WRITE)) {
            c.write(b, 40);
        }
    }
}
