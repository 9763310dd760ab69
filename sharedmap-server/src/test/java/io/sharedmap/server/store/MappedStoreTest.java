package io.sharedmap.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.os.store.StoreDescriptor;
import io.sharedmap.os.store.StoreReader;
import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The mapped store on its own: reads, writes, both sides, growth, compaction, reopening. */
class MappedStoreTest {
    static final Owner PUBLIC = new Owner(1000, 1000, 0644);
    static final Owner PRIVATE = new Owner(1000, 1000, 0600);
    static final long DATA_DIR_ID = 42;

    private Path dir;

    @BeforeEach
    void makeDir() throws IOException {
        dir = StoreTestSupport.tempStoreDir("store");
    }

    @AfterEach
    void removeDir() throws IOException {
        StoreTestSupport.deleteTree(dir);
    }

    static MappedStore.Settings settings(Path dir) {
        return new MappedStore.Settings(dir, 0644, -1, o -> (o.mode() & 0444) == 0444);
    }

    /** A change for {@link MappedStore#apply}. */
    record Op(int changeKind, byte[] key, byte[] value, long version, Owner owner) implements MappedStore.Change {
        static Op put(String k, byte[] v, long version, Owner o) {
            return new Op(PUT, bytes(k), v, version, o);
        }

        static Op delete(String k, long version) {
            return new Op(DELETE, bytes(k), new byte[0], version, null);
        }

        static Op chmod(String k, long version, Owner o) {
            return new Op(OWNER, bytes(k), new byte[0], version, o);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static MappedStore.Checkpoint at(long version) {
        return new MappedStore.Checkpoint(version, 1, 0, 0);
    }

    @Test
    void putGetDelete() throws IOException {
        try (MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID)) {
            s.apply(List.of(Op.put("a", bytes("one"), 1, PUBLIC), Op.put("b", bytes("two"), 2, PRIVATE)), at(2));
            MappedStore.Stored a = s.get(bytes("a"), true);
            assertThat(a.version()).isEqualTo(1);
            assertThat(a.owner()).isEqualTo(PUBLIC);
            assertThat(new String(a.value(), StandardCharsets.UTF_8)).isEqualTo("one");
            assertThat(s.get(bytes("b"), true).owner()).isEqualTo(PRIVATE);
            assertThat(s.get(bytes("b"), false).valueLength()).isEqualTo(3);
            s.apply(List.of(Op.put("a", bytes("uno"), 3, PUBLIC), Op.delete("b", 4)), at(4));
            assertThat(s.get(bytes("a"), true).version()).isEqualTo(3);
            assertThat(s.get(bytes("b"), true)).isNull();
            assertThat(s.get(bytes("c"), true)).isNull();
            assertThat(s.size()).isEqualTo(1);
        }
    }

    @Test
    void reader_findsPublicKeys_andCallsAMissAbsentOnlyWithNoPrivateKeys() throws IOException {
        try (MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID)) {
            s.apply(List.of(Op.put("pub", bytes("v"), 1, PUBLIC)), at(1));
            StoreReader r = StoreReader.open(s.publicDir(), s.generation());
            assertThat(r.lookup(bytes("pub"))).isInstanceOfSatisfying(StoreReader.Found.class, f -> {
                assertThat(f.value()).isEqualTo(bytes("v"));
                assertThat(f.version()).isEqualTo(1);
            });
            assertThat(r.lookup(bytes("nothing"))).isSameAs(StoreReader.ABSENT);
            s.apply(List.of(Op.put("secret", bytes("s"), 2, PRIVATE)), at(2));
            assertThat(r.lookup(bytes("secret"))).isSameAs(StoreReader.UNKNOWN);
            assertThat(r.lookup(bytes("nothing"))).isSameAs(StoreReader.UNKNOWN);
            s.apply(List.of(Op.delete("secret", 3)), at(3));
            assertThat(r.lookup(bytes("nothing"))).isSameAs(StoreReader.ABSENT);
        }
    }

    @Test
    void chmod_movesTheKeyBetweenSides_andZeroesItsBytesInThePublicFiles() throws IOException {
        byte[] marker = bytes("MARKER-" + "q".repeat(40));
        try (MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID)) {
            s.apply(List.of(Op.put("k", marker, 1, PUBLIC)), at(1));
            StoreReader r = StoreReader.open(s.publicDir(), s.generation());
            assertThat(r.lookup(bytes("k"))).isInstanceOf(StoreReader.Found.class);
            assertThat(publicFilesContain(marker)).isTrue();
            s.apply(List.of(Op.chmod("k", 2, PRIVATE)), at(2));
            assertThat(r.lookup(bytes("k"))).isSameAs(StoreReader.UNKNOWN);
            assertThat(publicFilesContain(marker)).isFalse();
            MappedStore.Stored st = s.get(bytes("k"), true);
            assertThat(st.value()).isEqualTo(marker);
            assertThat(st.version()).isEqualTo(1); // a chmod keeps the value's version
            assertThat(st.owner()).isEqualTo(PRIVATE);
            s.apply(List.of(Op.chmod("k", 3, PUBLIC)), at(3));
            assertThat(r.lookup(bytes("k")))
                    .isInstanceOfSatisfying(
                            StoreReader.Found.class, f -> assertThat(f.value()).isEqualTo(marker));
            assertThat(r.lookup(bytes("absent"))).isSameAs(StoreReader.ABSENT);
        }
    }

    private boolean publicFilesContain(byte[] needle) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve("public"))) {
            for (Path p : files.toList()) {
                byte[] all = Files.readAllBytes(p);
                for (int i = 0; i + needle.length <= all.length; i++) {
                    if (Arrays.equals(all, i, i + needle.length, needle, 0, needle.length)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Test
    void manyKeys_growTheIndex_andStayReadable() throws IOException {
        int n = 100_000;
        try (MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID)) {
            StoreReader r = StoreReader.open(s.publicDir(), s.generation());
            List<Op> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                batch.add(Op.put("key:" + i, bytes("value-" + i), i + 1, PUBLIC));
                if (batch.size() == 1000) {
                    s.apply(batch, at(i + 1));
                    batch.clear();
                    int probe = i / 2;
                    assertThat(r.lookup(bytes("key:" + probe)))
                            .isInstanceOfSatisfying(
                                    StoreReader.Found.class,
                                    f -> assertThat(f.value()).isEqualTo(bytes("value-" + probe)));
                }
            }
            assertThat(s.stats().rebuilds()).isGreaterThan(5);
            for (int i = 0; i < n; i += 997) {
                assertThat(s.get(bytes("key:" + i), true).value()).isEqualTo(bytes("value-" + i));
            }
            List<String> scanned = new ArrayList<>();
            s.scan(bytes("key:9999"), true, e -> {
                scanned.add(new String(e.key(), StandardCharsets.UTF_8));
                return scanned.size() < 3;
            });
            assertThat(scanned).containsExactly("key:9999", "key:99990", "key:99991");
            // delete nearly all: the index shrinks, and what is left is still there
            long version = n;
            for (int i = 0; i < n; i++) {
                if (i % 100 != 0) {
                    batch.add(Op.delete("key:" + i, ++version));
                }
                if (batch.size() == 1000) {
                    s.apply(batch, at(version));
                    batch.clear();
                }
            }
            s.apply(batch, at(version));
            assertThat(s.size()).isEqualTo(n / 100);
            assertThat(s.stats().indexBytes()).isLessThan(n * 8L);
            for (int i = 0; i < n; i += 100) {
                assertThat(r.lookup(bytes("key:" + i))).isInstanceOf(StoreReader.Found.class);
                assertThat(r.lookup(bytes("key:" + (i + 1)))).isSameAs(StoreReader.ABSENT);
            }
        }
    }

    @Test
    void compaction_deletesDeadChunks_andKeepsEveryValue() throws IOException {
        TreeMap<String, byte[]> model = new TreeMap<>();
        try (MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID)) {
            long v = 0;
            for (int round = 0; round < 8; round++) {
                List<Op> batch = new ArrayList<>();
                for (int i = 0; i < 60_000; i++) {
                    if (round > 0 && i % 2 == 1) {
                        continue; // half the keys stay where the first round put them: compaction must move them
                    }
                    byte[] value = bytes("r" + round + "-" + "x".repeat((i + round * 13) % 150));
                    batch.add(Op.put("k" + i, value, ++v, i % 10 == 0 ? PRIVATE : PUBLIC));
                    model.put("k" + i, value);
                }
                s.apply(batch, at(v));
            }
            long before = s.stats().chunkBytes();
            assertThat(s.wantsCompaction()).isTrue();
            int steps = 0;
            while (s.compactStep(1 << 20) && steps++ < 10_000) {
                // compacting
            }
            assertThat(s.wantsCompaction()).isFalse();
            assertThat(s.stats().chunkBytes()).isLessThan(before);
            assertThat(s.stats().compactedBytes()).isPositive();
            for (Map.Entry<String, byte[]> e : model.entrySet()) {
                assertThat(s.get(bytes(e.getKey()), true).value())
                        .as(e.getKey())
                        .isEqualTo(e.getValue());
            }
            StoreReader r = StoreReader.open(s.publicDir(), s.generation());
            assertThat(r.lookup(bytes("k1")))
                    .isInstanceOfSatisfying(
                            StoreReader.Found.class, f -> assertThat(f.value()).isEqualTo(model.get("k1")));
        }
    }

    @Test
    void largeValues_haveChunksOfTheirOwn_freedWhenReplaced() throws IOException {
        byte[] big = new byte[(int) Side.LARGE_ENTRY + 100];
        Arrays.fill(big, (byte) 7);
        try (MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID)) {
            s.apply(List.of(Op.put("big", big, 1, PUBLIC)), at(1));
            assertThat(s.get(bytes("big"), true).value()).isEqualTo(big);
            StoreReader r = StoreReader.open(s.publicDir(), s.generation());
            assertThat(r.lookup(bytes("big")))
                    .isInstanceOfSatisfying(
                            StoreReader.Found.class, f -> assertThat(f.value()).isEqualTo(big));
            s.apply(List.of(Op.put("big", bytes("small now"), 2, PUBLIC)), at(2));
            assertThat(s.wantsCompaction()).isTrue();
            while (s.compactStep(1 << 20)) {
                // the dead chunk of its own goes
            }
            assertThat(s.stats().chunkBytes()).isLessThan(Side.LARGE_ENTRY);
            assertThat(r.lookup(bytes("big")))
                    .isInstanceOfSatisfying(
                            StoreReader.Found.class, f -> assertThat(f.value()).isEqualTo(bytes("small now")));
        }
    }

    /** Lines of this process's memory map naming a file in {@code dir} (and, if asked, deleted). */
    private static long mappings(Path dir, boolean deletedOnly) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.contains(dir + "/") && (!deletedOnly || l.endsWith("(deleted)")))
                    .count();
        }
    }

    /**
     * A reader lets go of what the store retired (a chunk compacted away) at its sweep, not at some
     * garbage collection, and of everything at close: memory in the store's file system is not
     * kept by readers of files long deleted.
     */
    @Test
    void reader_unmapsChunksTheStoreDeleted_andEverythingAtClose() throws Exception {
        byte[] big = new byte[(int) Side.LARGE_ENTRY + 100];
        try (MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID)) {
            s.apply(List.of(Op.put("big", big, 1, PUBLIC), Op.put("small", bytes("v"), 2, PUBLIC)), at(2));
            Path pub = s.publicDir();
            StoreReader r = StoreReader.open(pub, s.generation());
            assertThat(r.lookup(bytes("big"))).isInstanceOf(StoreReader.Found.class);
            s.apply(List.of(Op.put("big", bytes("small now"), 3, PUBLIC)), at(3));
            while (s.compactStep(1 << 20)) {
                // the big value's chunk of its own is deleted
            }
            assertThat(mappings(pub, true))
                    .as("the reader still maps the deleted chunk")
                    .isPositive();
            r.releaseRetired();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (mappings(pub, true) > 0) { // the store's own mapping goes after a grace period
                assertThat(System.nanoTime() - deadline)
                        .as("a deleted chunk still mapped")
                        .isNegative();
                Thread.onSpinWait();
            }
            assertThat(r.lookup(bytes("big")))
                    .isInstanceOfSatisfying(
                            StoreReader.Found.class, f -> assertThat(f.value()).isEqualTo(bytes("small now")));
            long withReader = mappings(pub, false);
            r.close();
            long storeOnly = mappings(pub, false);
            assertThat(storeOnly).as("mappings after the reader closed").isLessThan(withReader);
            assertThat(r.lookup(bytes("big"))).isSameAs(StoreReader.UNKNOWN);
            StoreReader again = StoreReader.open(pub, s.generation());
            assertThat(again.lookup(bytes("small"))).isInstanceOf(StoreReader.Found.class);
            assertThat(mappings(pub, false)).isGreaterThan(storeOnly);
            again.close();
            assertThat(mappings(pub, false))
                    .as("a closed reader leaves nothing mapped")
                    .isEqualTo(storeOnly);
        }
    }

    @Test
    void reopen_afterACleanClose_trustsCountsAndUsage() throws IOException {
        Map<Owner, long[]> usage;
        long liveEntryBytes;
        long deadBytes;
        try (MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID)) {
            s.apply(
                    List.of(
                            Op.put("a", bytes("12345"), 1, PUBLIC),
                            Op.put("bb", bytes("1"), 2, PRIVATE),
                            Op.put("c", bytes("123"), 3, PUBLIC)),
                    at(3));
            usage = s.usage();
            liveEntryBytes = s.stats().liveEntryBytes();
            deadBytes = s.deadBytes();
            s.close(true);
        }
        MappedStore.Found f = MappedStore.open(settings(dir), DATA_DIR_ID);
        assertThat(f.distrust()).isNull();
        assertThat(f.clean()).isTrue();
        assertThat(f.checkpoint().version()).isEqualTo(3);
        try (MappedStore s = f.store()) {
            s.beginRecovery();
            s.recovered(true);
            // Each chunk's live bytes are counted again (they were not recorded): a store that looked
            // empty would be moved whole by the compactor after every clean restart.
            assertThat(s.stats().liveEntryBytes()).isEqualTo(liveEntryBytes).isPositive();
            assertThat(s.deadBytes()).isEqualTo(deadBytes);
            assertThat(s.usage()).hasSameSizeAs(usage);
            assertThat(s.usage().get(PUBLIC)).containsExactly(2, 1 + 5 + 1 + 3);
            assertThat(s.usage().get(PRIVATE)).containsExactly(1, 3);
            assertThat(s.get(bytes("bb"), true).value()).isEqualTo(bytes("1"));
        }
    }

    @Test
    void reopen_afterACleanCloseWithoutRecordedLiveBytes_countsThem() throws IOException {
        long liveEntryBytes;
        try (MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID)) {
            s.apply(
                    List.of(
                            Op.put("a", bytes("12345"), 1, PUBLIC),
                            Op.put("bb", bytes("1"), 2, PRIVATE),
                            Op.put("a", bytes("123456789012345678901234567890"), 3, PUBLIC)),
                    at(3));
            liveEntryBytes = s.stats().liveEntryBytes();
            s.close(true);
        }
        // As a store closed before the live bytes were recorded: the check no longer matches.
        int chunks = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith("chunk-"))
                    .toList()) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.allocate(16), StoreDescriptor.CHUNK_LIVE_BYTES_OFFSET);
                }
                chunks++;
            }
        }
        assertThat(chunks).isPositive();
        MappedStore.Found f = MappedStore.open(settings(dir), DATA_DIR_ID);
        assertThat(f.clean()).isTrue();
        try (MappedStore s = f.store()) {
            s.beginRecovery();
            s.recovered(true);
            assertThat(s.stats().liveEntryBytes()).isEqualTo(liveEntryBytes);
        }
    }

    @Test
    void reopen_afterAnUncleanStop_recountsUsage() throws IOException {
        MappedStore s = MappedStore.create(settings(dir), DATA_DIR_ID);
        s.apply(List.of(Op.put("a", bytes("12345"), 1, PUBLIC), Op.put("b", bytes("1"), 2, PRIVATE)), at(2));
        s.apply(List.of(Op.put("a", bytes("123456789"), 3, PUBLIC)), at(3));
        s.abandon();
        MappedStore.Found f = MappedStore.open(settings(dir), DATA_DIR_ID);
        assertThat(f.distrust()).isNull();
        assertThat(f.clean()).isFalse();
        try (MappedStore again = f.store()) {
            again.replay(List.of(), null);
            again.recovered(false);
            assertThat(again.usage().get(PUBLIC)).containsExactly(1, 10);
            assertThat(again.usage().get(PRIVATE)).containsExactly(1, 2);
        }
    }

    @Test
    void open_refusesAStoreOfAnotherDataDirectory() throws IOException {
        MappedStore.create(settings(dir), DATA_DIR_ID).close(true);
        MappedStore.Found f = MappedStore.open(settings(dir), DATA_DIR_ID + 1);
        assertThat(f.store()).isNull();
        assertThat(f.distrust()).contains("another data directory");
    }
}
