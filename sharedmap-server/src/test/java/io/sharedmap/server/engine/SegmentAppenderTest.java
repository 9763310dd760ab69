package io.sharedmap.server.engine;

import static io.sharedmap.server.engine.StoreFileDescriptor.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sharedmap.server.Durability;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mapped journal appends ({@link SegmentAppender}) and what recovery makes of the files they leave:
 * records copied into preallocated room, the positional-write fallback (a record larger than the
 * room, a record at an extent boundary, preallocation failing as on a full disk), the zero tail a
 * crash leaves (the clean end), and garbage after it (a damaged tail, as before).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SegmentAppenderTest {
    @TempDir
    Path dir;

    @AfterEach
    void clearFaults() {
        System.clearProperty(Faults.PROPERTY);
    }

    private SegmentAppender newSegment(Faults faults, int maxExtent, int readyAhead) throws IOException {
        FileChannel c = Journal.createSegment(dir, 1, 0);
        return new SegmentAppender(c, c.position(), segmentName(1), faults, maxExtent, readyAhead);
    }

    private static byte[] value(int i, int size) {
        byte[] v = new byte[size];
        Arrays.fill(v, (byte) (i * 31 + 7));
        return v;
    }

    private static void append(SegmentAppender a, int i, int size) throws IOException {
        a.append(TYPE_PUT, 0, 0, 0, ("k" + i).getBytes(UTF_8), value(i, size), i + 1, null, 0);
    }

    /** Reads the segment back: the versions found; asserts it ends cleanly. */
    private List<Long> readBack(int... sizes) throws IOException {
        List<Long> versions = new ArrayList<>();
        Path file = dir.resolve(segmentName(1));
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ);
                RecordReader r = new RecordReader(c, FILE_HEADER_LENGTH, file.toString())) {
            RecordReader.Record rec;
            while ((rec = r.next()) != null) {
                int i = (int) rec.version() - 1;
                assertThat(new String(rec.key(), UTF_8)).isEqualTo("k" + i);
                int size = sizes.length == 1 ? sizes[0] : sizes[i];
                assertThat(rec.value()).as("value of record %d", i).isEqualTo(value(i, size));
                versions.add(rec.version());
            }
            assertThat(r.problem()).as("the sealed segment ends cleanly").isNull();
        }
        return versions;
    }

    private static List<Long> oneTo(int n) {
        List<Long> l = new ArrayList<>();
        for (long v = 1; v <= n; v++) {
            l.add(v);
        }
        return l;
    }

    @Test
    void smallRecords_copiedIntoTheMapping_noWrite_sealCutsTheZeros() throws IOException {
        SegmentAppender a =
                newSegment(Faults.NONE, SegmentAppender.MAX_EXTENT_BYTES, SegmentAppender.READY_AHEAD_BYTES);
        a.preallocateFirst();
        assertThat(a.allocatedEnd()).isEqualTo(FILE_HEADER_LENGTH + SegmentAppender.FIRST_EXTENT_BYTES);
        Path file = dir.resolve(segmentName(1));
        assertThat(Files.size(file)).as("real zeros written ahead").isEqualTo(a.allocatedEnd());
        for (int i = 0; i < 100; i++) {
            append(a, i, 100);
        }
        a.publish();
        assertThat(a.mappedRecords()).isEqualTo(100);
        assertThat(a.fallbackWrites()).isZero();
        long end = a.committed();
        assertThat(end)
                .isEqualTo(FILE_HEADER_LENGTH
                        + 100L * RecordCodec.recordLength(2, 100)
                        + 90L * 1); // keys k10..k99 are one byte longer
        a.seal(true);
        assertThat(Files.size(file)).as("cut to the logical end").isEqualTo(end);
        assertThat(readBack(100)).isEqualTo(oneTo(100));
    }

    @Test
    void zeroFill_writesPageByPage_soAnFsyncWritesBackPagesNotLargeFolios() throws IOException {
        FileChannel real = Journal.createSegment(dir, 1, 0);
        long start = real.position();
        assertThat(start % SegmentAppender.ZERO_FILL_WRITE_BYTES)
                .as("the header leaves it mid-page")
                .isNotZero();
        LoggingChannel log = new LoggingChannel(real);
        SegmentAppender a = new SegmentAppender(log, start, segmentName(1), Faults.NONE);
        a.preallocateFirst();
        a.publish();
        a.preallocateAhead();
        long end = a.allocatedEnd();
        assertThat(end - start).isGreaterThanOrEqualTo(SegmentAppender.READY_AHEAD_BYTES);
        long at = start;
        for (long[] w : log.writes) {
            assertThat(w[0]).as("writes are contiguous").isEqualTo(at);
            long page = w[0] / SegmentAppender.ZERO_FILL_WRITE_BYTES;
            assertThat((w[0] + w[1] - 1) / SegmentAppender.ZERO_FILL_WRITE_BYTES)
                    .as("the write at %d of %d bytes stays in one page", w[0], w[1])
                    .isEqualTo(page);
            at += w[1];
        }
        assertThat(at).as("every byte zero-filled").isEqualTo(end);
        for (int i = 0; i < 50; i++) {
            append(a, i, 100);
        }
        a.publish();
        a.seal(true);
        assertThat(readBack(100)).isEqualTo(oneTo(50));
    }

    /** A segment's channel that logs every positional write (offset, bytes) and passes everything on. */
    private static final class LoggingChannel extends FileChannel {
        final FileChannel c;
        final List<long[]> writes = Collections.synchronizedList(new ArrayList<>());

        LoggingChannel(FileChannel c) {
            this.c = c;
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            int n = c.write(src, position);
            writes.add(new long[] {position, n});
            return n;
        }

        @Override
        public MemorySegment map(MapMode mode, long offset, long size, Arena arena) throws IOException {
            return c.map(mode, offset, size, arena);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return c.map(mode, position, size);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return c.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return c.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) {
            throw new UnsupportedOperationException("the appender writes at positions only");
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            throw new UnsupportedOperationException("the appender writes at positions only");
        }

        @Override
        public long position() throws IOException {
            return c.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            c.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return c.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            c.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            c.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return c.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return c.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return c.read(dst, position);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return c.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return c.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            c.close();
        }
    }

    @Test
    void recordLargerThanTheReadyRoom_fallsBackToOneWrite_thenMappingResumes() throws IOException {
        SegmentAppender a =
                newSegment(Faults.NONE, SegmentAppender.MAX_EXTENT_BYTES, SegmentAppender.READY_AHEAD_BYTES);
        a.preallocateFirst();
        int[] sizes = {100, 300 << 10, 100, 100};
        append(a, 0, sizes[0]);
        append(a, 1, sizes[1]); // 300 KiB: beyond the 64 KiB first extent
        assertThat(a.fallbackWrites()).isEqualTo(1);
        assertThat(a.allocatedEnd()).as("the write extended the file").isEqualTo(a.position());
        a.publish();
        a.preallocateAhead();
        assertThat(a.allocatedEnd() - a.position()).isGreaterThanOrEqualTo(SegmentAppender.READY_AHEAD_BYTES);
        append(a, 2, sizes[2]);
        append(a, 3, sizes[3]);
        a.publish();
        assertThat(a.mappedRecords()).as("records 0, 2, 3").isEqualTo(3);
        a.seal(true);
        assertThat(readBack(sizes)).isEqualTo(oneTo(4));
    }

    @Test
    void manySmallExtents_recordsAtBoundariesWritten_noGapNoOverlap() throws IOException {
        SegmentAppender a = newSegment(Faults.NONE, 4096, 8192);
        a.preallocateFirst();
        for (int i = 0; i < 2000; i++) {
            append(a, i, 50 + i % 200);
            if (i % 7 == 0 && a.publish()) {
                a.preallocateAhead();
            }
        }
        a.publish();
        assertThat(a.mappedRecords()).isGreaterThan(1000);
        assertThat(a.fallbackWrites())
                .as("records that straddle an extent end, or found no room")
                .isPositive();
        a.seal(true);
        int[] sizes = new int[2000];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 50 + i % 200;
        }
        assertThat(readBack(sizes)).isEqualTo(oneTo(2000));
    }

    @Test
    void preallocationFails_likeAFullDisk_recordsStillWrittenThroughWrite() throws IOException {
        System.setProperty(Faults.PROPERTY, "fail-preallocate-after=0");
        SegmentAppender a = newSegment(
                Faults.fromSystemProperty(), SegmentAppender.MAX_EXTENT_BYTES, SegmentAppender.READY_AHEAD_BYTES);
        a.preallocateFirst();
        assertThat(a.allocatedEnd()).isEqualTo(FILE_HEADER_LENGTH);
        for (int i = 0; i < 50; i++) {
            append(a, i, 100);
        }
        assertThat(a.publish()).as("no retry before the back-off has passed").isFalse();
        assertThat(a.mappedRecords()).isZero();
        assertThat(a.fallbackWrites()).isEqualTo(50);
        a.seal(true);
        assertThat(readBack(100)).isEqualTo(oneTo(50));
    }

    /** A hand-made crash: records in a segment with its preallocated zeros still after them. */
    private long crashedSegment(int records, byte[] after) throws IOException {
        SegmentAppender a =
                newSegment(Faults.NONE, SegmentAppender.MAX_EXTENT_BYTES, SegmentAppender.READY_AHEAD_BYTES);
        a.preallocateFirst();
        for (int i = 0; i < records; i++) {
            append(a, i, 100);
        }
        a.publish();
        long end = a.committed();
        long allocated = a.allocatedEnd();
        if (after != null) {
            a.channel().write(ByteBuffer.wrap(after), allocated);
        }
        a.channel().close(); // no seal: the zeros stay, as after kill -9
        return end;
    }

    private static Engine open(Path dir) throws IOException {
        return Engine.open(new EngineConfig(dir, Durability.ALWAYS, 1000, 1L << 30));
    }

    private List<Path> damagedFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(".damaged-"))
                    .toList();
        }
    }

    @Test
    void recovery_zeroTail_isTheCleanEnd_nothingDroppedOrSaved() throws IOException {
        long end = crashedSegment(10, null);
        assertThat(Files.size(dir.resolve(segmentName(1)))).isGreaterThan(end);
        try (Engine e = open(dir)) {
            for (int i = 0; i < 10; i++) {
                assertThat(e.get(("k" + i).getBytes(UTF_8)).entry().value()).isEqualTo(value(i, 100));
            }
            assertThat(e.recovery().droppedBytes()).isZero();
            assertThat(e.recovery().dropReason()).isNull();
            assertThat(damagedFiles()).isEmpty();
            e.awaitDurable(
                    e.set("after".getBytes(UTF_8), "restart".getBytes(UTF_8)).visibleVersion());
        }
        try (Engine e = open(dir)) {
            assertThat(e.get("after".getBytes(UTF_8)).entry()).isNotNull();
            assertThat(e.get("k9".getBytes(UTF_8)).entry()).isNotNull();
            assertThat(e.recovery().droppedBytes()).isZero();
        }
    }

    @Test
    void recovery_garbageAfterTheZeros_isADamagedTail_savedAsBefore() throws IOException {
        long end = crashedSegment(10, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        long size = Files.size(dir.resolve(segmentName(1)));
        try (Engine e = open(dir)) {
            assertThat(e.get("k9".getBytes(UTF_8)).entry()).isNotNull();
            assertThat(e.recovery().droppedBytes()).isEqualTo(size - end);
            assertThat(e.recovery().dropReason()).contains("offset " + end);
            assertThat(damagedFiles()).hasSize(1);
        }
    }

    @Test
    void recovery_zeroTailInASealedSegment_accepted() throws IOException {
        crashedSegment(5, null); // segment 1 keeps its zeros
        FileChannel next = Journal.createSegment(dir, 2, 5);
        next.close();
        try (Engine e = open(dir)) {
            assertThat(e.get("k4".getBytes(UTF_8)).entry()).isNotNull();
            assertThat(e.recovery().droppedBytes()).isZero();
        }
    }
}
