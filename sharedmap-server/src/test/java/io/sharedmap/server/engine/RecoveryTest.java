package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sharedmap.server.Durability;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery from the journal and snapshots, with the damage cases of google/leveldb's
 * db/log_test.cc: bad record type, truncated trailing record, bad length, checksum mismatch.
 */
class RecoveryTest {
    @TempDir
    Path dir;

    private Engine open() throws IOException {
        return Engine.open(new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30));
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static String value(Engine e, String key) {
        Results.Lookup l = e.get(b(key));
        return l.entry() == null ? null : new String(l.entry().value(), UTF_8);
    }

    private void write(Engine e, String key, String value) throws IOException {
        Results.Write w = e.set(b(key), b(value));
        e.awaitDurable(w.visibleVersion());
    }

    private Path segment(long n) {
        return dir.resolve(segmentName(n));
    }

    /**
     * Deletes the mapped store, so that the next open rebuilds it from the snapshot and the journal
     * (as after a reboot, which empties the memory file system it lives on). A continued store reads
     * only the journal after its checkpoint.
     */
    private void dropStore() throws IOException {
        try (Stream<Path> all = Files.walk(dir.resolve("store"))) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Writes k1..k3, closes, returns the offset where k3's record starts. */
    private long threeRecords() throws IOException {
        long k3Start;
        try (Engine e = open()) {
            write(e, "k1", "v1");
            write(e, "k2", "v2");
            k3Start = e.stats().segmentBytes(); // the file itself is longer: preallocated zeros
            write(e, "k3", "v3");
        }
        return k3Start;
    }

    private static void poke(Path file, long offset, int b) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            f.write(b);
        }
    }

    @Test
    void reopen_cleanJournal_everythingBackWithVersions() throws IOException {
        long v;
        try (Engine e = open()) {
            write(e, "a", "1");
            write(e, "b", "2");
            write(e, "a", "3");
            Results.Write d = e.delete(b("b"), 0);
            e.awaitDurable(d.visibleVersion());
            v = e.get(b("a")).entry().version();
        }
        try (Engine e = open()) {
            assertThat(value(e, "a")).isEqualTo("3");
            assertThat(e.get(b("a")).entry().version()).isEqualTo(v);
            assertThat(value(e, "b")).isNull();
            assertThat(e.recovery().droppedBytes()).isZero();
            Results.Write w = e.set(b("c"), b("x"));
            assertThat(w.version())
                    .as("versions keep increasing across restarts")
                    .isGreaterThan(v + 1);
        }
    }

    @Test
    void recovery_truncatedTrailingRecord_dropsOnlyThatRecordAndReports() throws IOException {
        long k3Start = threeRecords();
        try (RandomAccessFile f = new RandomAccessFile(segment(1).toFile(), "rw")) {
            f.setLength(f.length() - 2);
        }
        try (Engine e = open()) {
            assertThat(value(e, "k1")).isEqualTo("v1");
            assertThat(value(e, "k2")).isEqualTo("v2");
            assertThat(value(e, "k3")).isNull();
            RecoveryReport r = e.recovery();
            assertThat(r.droppedBytes()).isEqualTo(RecordCodec.recordLength(StoreFileDescriptor.FLAG_OWNED, 2, 2) - 2);
            assertThat(r.dropReason()).contains("truncated record").contains("offset " + k3Start);
            assertThat(r.savedTail()).exists();
            assertThat(Files.size(r.savedTail())).isEqualTo(r.droppedBytes());
            write(e, "k4", "v4");
        }
        try (Engine e = open()) {
            assertThat(value(e, "k4"))
                    .as("appends after a dropped tail are readable")
                    .isEqualTo("v4");
            assertThat(e.recovery().droppedBytes()).isZero();
        }
    }

    @Test
    void recovery_truncatedTrailingHeader_dropped() throws IOException {
        long k3Start = threeRecords();
        try (RandomAccessFile f = new RandomAccessFile(segment(1).toFile(), "rw")) {
            f.setLength(k3Start + 10);
        }
        try (Engine e = open()) {
            assertThat(value(e, "k2")).isEqualTo("v2");
            assertThat(value(e, "k3")).isNull();
            assertThat(e.recovery().dropReason()).contains("truncated record header");
        }
    }

    @Test
    void recovery_badRecordType_dropsFromThere() throws IOException {
        long k3Start = threeRecords();
        poke(segment(1), k3Start + RECORD_TYPE_OFFSET, 77);
        try (Engine e = open()) {
            assertThat(value(e, "k2")).isEqualTo("v2");
            assertThat(value(e, "k3")).isNull();
            assertThat(e.recovery().dropReason()).contains("bad record type 77");
        }
    }

    @Test
    void recovery_badLength_dropsFromThere() throws IOException {
        long k3Start = threeRecords();
        poke(segment(1), k3Start + RECORD_LENGTH_OFFSET, 0x7F);
        try (Engine e = open()) {
            assertThat(value(e, "k2")).isEqualTo("v2");
            assertThat(value(e, "k3")).isNull();
            assertThat(e.recovery().dropReason()).contains("bad length");
        }
    }

    @Test
    void recovery_checksumMismatch_dropsFromThere() throws IOException {
        long k3Start = threeRecords();
        poke(segment(1), k3Start + RECORD_HEADER_LENGTH + 2, 'X'); // inside the value "v3"
        try (Engine e = open()) {
            assertThat(value(e, "k2")).isEqualTo("v2");
            assertThat(value(e, "k3")).isNull();
            assertThat(e.recovery().dropReason()).contains("checksum mismatch");
        }
    }

    @Test
    void recovery_damageInSealedSegment_refusesToStart() throws IOException {
        long last;
        try (Engine e = open()) {
            write(e, "k1", "v1");
            e.snapshot(); // snapshot 2, active segment 2
            write(e, "k2", "v2");
            write(e, "k3", "v3");
            last = e.stats().lastVersion();
        }
        Journal.createSegment(dir, 3, last).close(); // segment 2 is now sealed: a later one exists
        poke(segment(2), FILE_HEADER_LENGTH + RECORD_HEADER_LENGTH + 1, 'X');
        dropStore(); // a rebuild must read segment 2
        assertThatThrownBy(this::open)
                .isInstanceOf(StoreFormatException.class)
                .hasMessageContaining("sealed journal segment is damaged")
                .hasMessageContaining(segmentName(2))
                .hasMessageContaining("checksum mismatch");
    }

    @Test
    void recovery_missingMiddleSegment_refusesToStart() throws IOException {
        long last;
        try (Engine e = open()) {
            write(e, "k1", "v1");
            e.snapshot(); // snapshot 2, active segment 2
            write(e, "k2", "v2");
            last = e.stats().lastVersion();
        }
        Journal.createSegment(dir, 4, last).close(); // segment 3 never existed
        assertThatThrownBy(this::open)
                .isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(segmentName(3) + " is missing");
    }

    @Test
    void recovery_unknownFormatVersion_refusedClearly() throws IOException {
        threeRecords();
        poke(segment(1), 11, 9); // format version int32 at offset 8..11 -> 9
        assertThatThrownBy(this::open)
                .isInstanceOf(StoreFormatException.class)
                .hasMessageContaining("format version 9 is not supported");
    }

    @Test
    void recovery_badMagic_refusedClearly() throws IOException {
        threeRecords();
        poke(segment(1), 0, 'X');
        assertThatThrownBy(this::open).isInstanceOf(StoreFormatException.class).hasMessageContaining("bad magic");
    }

    @Test
    void snapshot_thenJournal_replaysOnlyWhatIsNewer() throws IOException {
        try (Engine e = open()) {
            for (int i = 0; i < 100; i++) {
                write(e, "key" + i, "old" + i);
            }
            e.delete(b("key5"), 0);
            e.snapshot();
            write(e, "key1", "new1");
            Results.Write d = e.delete(b("key2"), 0);
            e.awaitDurable(d.visibleVersion());
            write(e, "key5", "back");
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names =
                    files.map(p -> p.getFileName().toString()).sorted().toList();
            assertThat(names).contains(snapshotName(2), segmentName(2)).doesNotContain(segmentName(1));
        }
        dropStore();
        try (Engine e = open()) {
            assertThat(e.recovery().storeContinued()).isFalse();
            assertThat(e.recovery().snapshot()).isEqualTo(2);
            assertThat(e.recovery().snapshotEntries()).isEqualTo(99);
            assertThat(value(e, "key1")).isEqualTo("new1");
            assertThat(value(e, "key2")).isNull();
            assertThat(value(e, "key5")).isEqualTo("back");
            assertThat(value(e, "key99")).isEqualTo("old99");
            assertThat(e.stats().keys()).isEqualTo(99);
        }
    }

    @Test
    void snapshot_thenRestartsWithoutWrites_continueTheStore() throws IOException {
        try (Engine e = open()) {
            for (int i = 0; i < 50; i++) {
                write(e, "key" + i, "v" + i);
            }
            e.snapshot(); // prunes the segment that holds the store's checkpoint
        }
        for (int round = 0; round < 2; round++) {
            try (Engine e = open()) {
                assertThat(e.recovery().storeContinued())
                        .as(
                                "restart %d after the snapshot: %s",
                                round, e.recovery().storeRebuiltBecause())
                        .isTrue();
                assertThat(value(e, "key7")).isEqualTo("v7");
                assertThat(e.stats().keys()).isEqualTo(50);
            }
        }
        dropStore(); // rebuilt from the snapshot (no record after it): the rebuilt store is continued next
        try (Engine e = open()) {
            assertThat(e.recovery().storeContinued()).isFalse();
        }
        try (Engine e = open()) {
            assertThat(e.recovery().storeContinued())
                    .as("after a rebuild from the snapshot: %s", e.recovery().storeRebuiltBecause())
                    .isTrue();
            assertThat(value(e, "key49")).isEqualTo("v49");
            assertThat(e.stats().keys()).isEqualTo(50);
            write(e, "key50", "v50");
        }
        try (Engine e = open()) {
            assertThat(e.recovery().storeContinued()).isTrue();
            assertThat(value(e, "key50")).isEqualTo("v50");
        }
    }

    @Test
    void snapshot_truncated_refusesToStart() throws IOException {
        try (Engine e = open()) {
            write(e, "a", "1");
            e.snapshot();
        }
        Path snap = dir.resolve(snapshotName(2));
        try (RandomAccessFile f = new RandomAccessFile(snap.toFile(), "rw")) {
            f.setLength(f.length() - 5);
        }
        dropStore(); // a continued store needs no snapshot; a rebuild reads it
        assertThatThrownBy(this::open)
                .isInstanceOf(StoreFormatException.class)
                .hasMessageContaining("snapshot")
                .hasMessageContaining("is corrupt");
    }

    @Test
    void versions_afterCompactingAwayEveryKey_stillIncrease() throws IOException {
        long last;
        try (Engine e = open()) {
            write(e, "a", "1");
            Results.Write d = e.delete(b("a"), 0);
            e.awaitDurable(d.visibleVersion());
            last = d.visibleVersion();
            e.snapshot();
        }
        try (Engine e = open()) {
            assertThat(e.stats().keys()).isZero();
            assertThat(e.set(b("b"), b("2")).version()).isGreaterThan(last);
        }
    }
}
