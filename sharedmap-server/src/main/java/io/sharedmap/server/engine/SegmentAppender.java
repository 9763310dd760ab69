package io.sharedmap.server.engine;

import io.sharedmap.server.security.Owner;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Appends records to one journal segment by copying them into a shared memory mapping of a
 * preallocated, zero-filled region of the file, instead of a {@code write(2)} per batch.
 *
 * <p>Why it is as durable as a write: a store into a {@code MAP_SHARED} file mapping lands in the
 * kernel's page cache at once, the same pages a {@code write(2)} fills, so it survives {@code kill
 * -9} of the daemon; {@code fdatasync} ({@link FileChannel#force}) writes back the pages dirtied
 * through the mapping too (Linux has one page cache).
 *
 * <p>Why it never raises SIGBUS: records are only ever stored into <em>extents</em> whose bytes were
 * first written as real zeros with {@code write(2)} (not a sparse {@code setLength}: a store into a
 * hole on a full disk faults). Space is therefore reserved before a record is stored, and a full disk
 * shows up as a failed zero-fill, which only means the records that do not fit go through a
 * positional {@code write} instead, and fail there, as before, if the disk is still full.
 *
 * <p>The file: records from the header up to {@link #position()} (the logical end), then zeros up to
 * the preallocated end. {@link #seal} unmaps and cuts the file to its logical end; after a crash,
 * recovery treats an all-zero tail as the clean end of the journal.
 *
 * <p>Memory: each extent is mapped in an arena of its own and unmapped as soon as the leader moves
 * past it, so the daemon's resident memory holds at most the current extent and those ready ahead
 * (about {@link #READY_AHEAD_BYTES} + {@link #MAX_EXTENT_BYTES}), not the whole segment. Unmapping
 * loses nothing: the pages stay in the page cache, and the next {@code fdatasync} writes them back.
 *
 * <p>Threads:
 *
 * <ul>
 *   <li>The journal leader (one thread at a time, see {@link Journal}) calls {@link #append},
 *       {@link #publish}, {@link #position} and {@link #seal}. It owns {@code position} and the
 *       current extent.
 *   <li>The preallocator thread calls {@link #preallocateAhead}: it reserves the range after the
 *       preallocated end under {@code extendLock}, writes zeros into it and maps it <em>without</em>
 *       the lock, then publishes the extent under the lock.
 *   <li>{@code extendLock} (a leaf) guards the ready extents, the preallocated end, the range being
 *       filled and {@code sealed}. The leader takes it to pick up ready extents (once per extent) and
 *       around a fallback {@code write}, which waits only if it would overlap the range being
 *       zero-filled. No lock is held while copying a record into the mapping.
 * </ul>
 *
 * Invariant: {@code position <= allocatedEnd}, and the preallocator only ever writes zeros at or
 * after {@code allocatedEnd}, so it never overwrites a record.
 */
final class SegmentAppender {
    private static final System.Logger LOG = System.getLogger(SegmentAppender.class.getName());

    /** The first extent of a segment, made synchronously when the segment is opened. */
    static final int FIRST_EXTENT_BYTES = 64 << 10;
    /** Extents double up to this size. */
    static final int MAX_EXTENT_BYTES = 1 << 20;
    /** The preallocator keeps at least this much zero-filled room ahead of the logical end. */
    static final int READY_AHEAD_BYTES = 512 << 10;
    /** After a failed preallocation (disk full), the next attempt waits this long. */
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * Zero-fill writes never cross a boundary of this many bytes (the page size of x86-64). Where the
     * page cache has large folios (ext4 since Linux 6.16, XFS since 5.18) a new folio is as large as
     * the write that creates it allows, and a store through the mapping dirties its whole folio, which
     * the next {@code fdatasync} writes back. Zero-filled 64 KiB per write (from 32 bytes past a page
     * boundary: folios of 4 to 32 KiB), an {@code always} commit of a few hundred bytes wrote 22–24 KiB
     * to the device; page by page, about 4 (docs/BENCHMARKS.md, "What an fsync writes"). On a kernel
     * with larger pages every folio is a page or more anyway.
     */
    static final int ZERO_FILL_WRITE_BYTES = 4 << 10;

    private static final int FALLBACK_BUFFER_BYTES = 256 << 10;

    /** A mapped, zero-filled range {@code [start, end)} of the file, mapped in {@code arena}. */
    private record Extent(long start, long end, ByteBuffer buffer, Arena arena) {}

    private final FileChannel channel;
    private final String name;
    private final Faults faults;
    private final RecordCodec codec = new RecordCodec();
    private final int maxExtentBytes;
    private final int readyAheadBytes;

    // Owned by the leader.
    private long position;
    private @Nullable ByteBuffer current; // the extent position is in, or null
    private @Nullable Arena currentArena; // its mapping's arena, or null
    private long currentStart;
    private long currentEnd;
    private @Nullable ByteBuffer fallbackBuffer;
    private long mappedRecords;
    private long fallbackWrites;

    /** The logical end after the last {@link #publish}: what {@link #seal} keeps. */
    private volatile long committed;

    private final ReentrantLock extendLock = new ReentrantLock();
    private final Condition fillDone = extendLock.newCondition();
    // @GuardedBy("extendLock"), in file order, contiguous, after the current extent
    private final ArrayDeque<Extent> ready = new ArrayDeque<>();
    // written under extendLock; read without it by needsExtent()
    private volatile long allocatedEnd;
    // @GuardedBy("extendLock")
    private long fillStart = -1; // start of the range being zero-filled, or -1
    // @GuardedBy("extendLock")
    private int nextExtentBytes = FIRST_EXTENT_BYTES;
    // @GuardedBy("extendLock")
    private boolean sealed;
    private volatile long retryAfterNanos;
    private volatile boolean retryPending;

    /**
     * @param channel the segment, readable and writable; everything from {@code position} on is
     *     discarded
     * @param position the end of the last record (the logical end)
     */
    SegmentAppender(FileChannel channel, long position, String name, Faults faults) throws IOException {
        this(channel, position, name, faults, MAX_EXTENT_BYTES, READY_AHEAD_BYTES);
    }

    /** For tests: small extents. */
    SegmentAppender(
            FileChannel channel, long position, String name, Faults faults, int maxExtentBytes, int readyAheadBytes)
            throws IOException {
        this.channel = channel;
        this.name = name;
        this.faults = faults;
        this.maxExtentBytes = maxExtentBytes;
        this.readyAheadBytes = readyAheadBytes;
        this.nextExtentBytes = Math.min(FIRST_EXTENT_BYTES, maxExtentBytes);
        if (channel.size() > position) {
            channel.truncate(position); // only bytes this appender zero-filled are trusted to be zero
        }
        this.position = position;
        this.committed = position;
        this.allocatedEnd = position;
    }

    FileChannel channel() {
        return channel;
    }

    /** Leader only: the logical end, including records appended since the last {@link #publish}. */
    long position() {
        return position;
    }

    /** The logical end as of the last {@link #publish}. */
    long committed() {
        return committed;
    }

    /** End of the zero-filled (or written) part of the file. */
    long allocatedEnd() {
        return allocatedEnd;
    }

    long mappedRecords() {
        return mappedRecords;
    }

    long fallbackWrites() {
        return fallbackWrites;
    }

    /**
     * Leader only: appends one record at the logical end, into the mapping when the current extent
     * (or the next ready one, if the current is used up) holds all of it, else with one positional
     * write. Consults {@link Faults#beforeWrite} first, as every record write does.
     */
    void append(
            int type,
            int flags,
            long clientId,
            long sequence,
            byte[] key,
            byte[] value,
            long version,
            @Nullable Owner owner,
            long deadline)
            throws IOException {
        faults.beforeWrite();
        int length = RecordCodec.recordLength(flags, key.length, value.length);
        if (currentEnd - position < length) {
            nextExtent();
        }
        if (current != null && currentEnd - position >= length) {
            ByteBuffer b = current;
            b.position((int) (position - currentStart));
            codec.writeRecordHeader(b, type, flags, clientId, sequence, key, value, version, owner, deadline);
            b.put(key);
            b.put(value);
            position += length;
            mappedRecords++;
            return;
        }
        writeAtPosition(type, flags, clientId, sequence, key, value, version, owner, deadline, length);
    }

    /** Moves to the next ready extent if the current one is used up (a record never spans two). */
    private void nextExtent() {
        if (current != null && position < currentEnd) {
            return; // room left here, too little for this record: it goes to the fallback write
        }
        extendLock.lock();
        try {
            Extent e = ready.peekFirst();
            if (e != null && e.start() == position) {
                useNextExtent();
            } else {
                noExtent(position);
            }
        } finally {
            extendLock.unlock();
        }
    }

    /** Under {@code extendLock}: the first ready extent becomes the current one. */
    private void useNextExtent() {
        Extent e = ready.removeFirst();
        unmapCurrent();
        current = e.buffer();
        currentArena = e.arena();
        currentStart = e.start();
        currentEnd = e.end();
    }

    /** Under {@code extendLock}: no mapped room at {@code at}; appends there go through a positional write. */
    private void noExtent(long at) {
        unmapCurrent();
        current = null;
        currentStart = currentEnd = at;
    }

    /** Leader only: unmaps the extent it is leaving (its records stay in the page cache). */
    private void unmapCurrent() {
        if (currentArena != null) {
            currentArena.close();
            currentArena = null;
        }
    }

    /**
     * The fallback: one record written with positional writes at the logical end (page-cache coherent
     * with the mapping). Waits only for a zero-fill of a range it would overwrite.
     */
    private void writeAtPosition(
            int type,
            int flags,
            long clientId,
            long sequence,
            byte[] key,
            byte[] value,
            long version,
            @Nullable Owner owner,
            long deadline,
            int length)
            throws IOException {
        if (fallbackBuffer == null) {
            fallbackBuffer = ByteBuffer.allocateDirect(FALLBACK_BUFFER_BYTES);
        }
        ByteBuffer buf = fallbackBuffer;
        long end = position + length;
        extendLock.lock();
        try {
            while (fillStart >= 0 && end > fillStart) {
                fillDone.awaitUninterruptibly();
            }
            buf.clear();
            long at = position;
            codec.writeRecordHeader(buf, type, flags, clientId, sequence, key, value, version, owner, deadline);
            at = putAll(buf, key, at);
            at = putAll(buf, value, at);
            at = drain(buf, at);
            assert at == end;
            if (end > allocatedEnd) {
                allocatedEnd = end;
            }
            position = end;
            fallbackWrites++;
            // Extents now behind the logical end are used up; one that holds it becomes current.
            while (!ready.isEmpty() && ready.peekFirst().end() <= end) {
                ready.removeFirst().arena().close();
            }
            Extent e = ready.peekFirst();
            if (current != null && end < currentEnd) {
                // still inside the current extent
            } else if (e != null && e.start() <= end) {
                useNextExtent();
            } else {
                noExtent(end);
            }
        } finally {
            extendLock.unlock();
        }
    }

    // Large values go through the direct buffer in pieces: writing a heap array directly would make
    // the JDK allocate (and cache, per thread) a native buffer as large as the value.
    private long putAll(ByteBuffer buf, byte[] bytes, long at) throws IOException {
        for (int off = 0; off < bytes.length; ) {
            if (!buf.hasRemaining()) {
                at = drain(buf, at);
            }
            int n = Math.min(buf.remaining(), bytes.length - off);
            buf.put(bytes, off, n);
            off += n;
        }
        return at;
    }

    private long drain(ByteBuffer buf, long at) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            at += channel.write(buf, at);
        }
        buf.clear();
        return at;
    }

    /**
     * Leader only, after a batch is appended: makes its end the committed length, and says whether
     * the preallocator should be woken.
     */
    boolean publish() {
        committed = position;
        return needsExtent();
    }

    /** True if the zero-filled room ahead is short and a preallocation may be tried now. */
    boolean needsExtent() {
        if (allocatedEnd - committed >= readyAheadBytes) {
            return false;
        }
        return !retryPending || System.nanoTime() - retryAfterNanos >= 0;
    }

    /**
     * Preallocator thread: zero-fills and maps extents until {@link #READY_AHEAD_BYTES} are ready
     * ahead of the logical end, the segment is sealed, or a zero-fill fails (then it retries no
     * sooner than {@link #RETRY_NANOS} later).
     */
    void preallocateAhead() {
        preallocate(Integer.MAX_VALUE);
    }

    /** Makes the first extent, synchronously, when the segment is opened (a failure is only logged). */
    void preallocateFirst() {
        preallocate(1);
    }

    private void preallocate(int maxExtents) {
        for (int made = 0; made < maxExtents && needsExtent(); made++) {
            long start;
            int size;
            extendLock.lock();
            try {
                if (sealed || fillStart >= 0) {
                    return;
                }
                start = allocatedEnd;
                size = nextExtentBytes;
                fillStart = start;
            } finally {
                extendLock.unlock();
            }
            Extent extent = null;
            Arena arena = Arena.ofShared();
            try {
                faults.beforePreallocate();
                zeroFill(start, size);
                MemorySegment m = channel.map(FileChannel.MapMode.READ_WRITE, start, size, arena);
                extent = new Extent(start, start + size, m.asByteBuffer(), arena);
            } catch (IOException | RuntimeException e) {
                arena.close();
                retryAfterNanos = System.nanoTime() + RETRY_NANOS;
                retryPending = true;
                LOG.log(
                        System.Logger.Level.WARNING,
                        "journal segment " + name + ": cannot preallocate " + size
                                + " bytes at offset " + start + " (" + e
                                + "); records go through write(2) meanwhile, and fail if"
                                + " the disk is really full");
            }
            extendLock.lock();
            try {
                fillStart = -1;
                if (extent != null) {
                    retryPending = false;
                    // A fallback write never went past start meanwhile (it waits for this fill first).
                    ready.addLast(extent);
                    allocatedEnd = Math.max(allocatedEnd, extent.end());
                    nextExtentBytes = Math.min(maxExtentBytes, nextExtentBytes * 2);
                }
                fillDone.signalAll();
                if (extent == null) {
                    return;
                }
            } finally {
                extendLock.unlock();
            }
        }
    }

    /** Writes zeros over {@code [start, start + size)}, each write within one {@link #ZERO_FILL_WRITE_BYTES} page. */
    private void zeroFill(long start, int size) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_FILL_WRITE_BYTES);
        long at = start;
        long end = start + size;
        while (at < end) {
            long pageEnd = Math.min(end, (at / ZERO_FILL_WRITE_BYTES + 1) * ZERO_FILL_WRITE_BYTES);
            zeros.clear();
            zeros.limit((int) (pageEnd - at));
            while (zeros.hasRemaining()) {
                at += channel.write(zeros, at);
            }
        }
    }

    /**
     * Leader only, and last: stops preallocation, unmaps, and cuts the file to the committed length
     * (records of a batch that failed half way are dropped with it); with {@code sync}, fsyncs the new
     * length; closes the channel, even if that failed.
     */
    void seal(boolean sync) throws IOException {
        try {
            cut(sync);
        } finally {
            channel.close();
        }
    }

    private void cut(boolean sync) throws IOException {
        extendLock.lock();
        try {
            if (sealed) {
                return;
            }
            sealed = true;
            while (fillStart >= 0) {
                fillDone.awaitUninterruptibly();
            }
            for (Extent e : ready) {
                e.arena().close();
            }
            ready.clear();
        } finally {
            extendLock.unlock();
        }
        unmapCurrent();
        current = null;
        channel.truncate(committed);
        if (sync) {
            channel.force(true);
        }
    }
}
