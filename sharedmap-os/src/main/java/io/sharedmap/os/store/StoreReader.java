package io.sharedmap.os.store;

import static io.sharedmap.os.store.StoreDescriptor.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * A client's side of the mapped store ({@link StoreDescriptor}): answers GET from the public side's
 * files, with no system call and no write to shared memory. Thread-safe; any number of readers in
 * any number of processes.
 *
 * <p>Contract: {@link #lookup} returns {@link Found} with a value and version that the key had at
 * some moment during the call, copied whole; {@link #ABSENT} only if the key was absent at some
 * moment during the call; or {@link #UNKNOWN} ("ask the daemon") when the store was retired, the
 * key may be in the private side, a file could not be mapped, or the slot kept changing for
 * {@link #MAX_ATTEMPTS} tries. Happens-before: the daemon applies a change to the store before it
 * acknowledges it, with release stores; a lookup that starts after the acknowledgment reads with
 * acquire loads, so it sees that change or a later one, never an older value.
 *
 * <p>Memory: the root, the live index and every chunk met are mapped read-only, each in its own
 * shared arena. A mapping the daemon replaced (an index generation, a chunk's incarnation) is
 * unmapped as soon as a lookup finds its successor; chunks the daemon deleted are unmapped by
 * {@link #releaseRetired}, which every {@value #SWEEP_EVERY}th lookup calls; and {@link #close}
 * unmaps everything. So a reader keeps a retired file's memory allocated in the store's file system
 * only while it is idle, never until some garbage collection. Unmapping while
 * another thread reads is safe: that lookup fails with {@link IllegalStateException}, caught here,
 * and tries again (or answers {@link #UNKNOWN} once closed).
 */
public final class StoreReader implements AutoCloseable {
    /** Tries per lookup before giving up to the daemon. */
    public static final int MAX_ATTEMPTS = 64;

    /** Lookups between two calls of {@link #releaseRetired} (a power of two). */
    public static final int SWEEP_EVERY = 1 << 16;

    /** What a lookup found. */
    public sealed interface Result permits Found, Absent, Unknown {}

    /** The key's value and version. */
    public record Found(byte[] value, long version) implements Result {}

    /** The key was absent. */
    public static final class Absent implements Result {
        private Absent() {}

        @Override
        public String toString() {
            return "ABSENT";
        }
    }

    /** The reader cannot tell: ask the daemon. */
    public static final class Unknown implements Result {
        private Unknown() {}

        @Override
        public String toString() {
            return "UNKNOWN";
        }
    }

    public static final Absent ABSENT = new Absent();
    /** Inside a lookup: the key is in this side with a deadline the reader's clock has reached. */
    private static final Absent EXPIRED = new Absent();

    public static final Unknown UNKNOWN = new Unknown();

    private record Index(MemorySegment segment, long generation, int log2Slots, Arena arena) {}

    private record Chunk(MemorySegment segment, long incarnation, Arena arena) {}

    private final Path dir;
    private final Arena rootArena;
    private final MemorySegment root;
    private final long generation;
    private final AtomicReference<@Nullable Index> index = new AtomicReference<>();
    private final AtomicReferenceArray<@Nullable Chunk> chunks = new AtomicReferenceArray<>(MAX_CHUNKS);
    private volatile boolean closed;
    /** Lookups so far, counted without synchronization (a lost increment only delays a sweep). */
    private int lookups;

    private StoreReader(Path dir, Arena rootArena, MemorySegment root, long generation) {
        this.dir = dir;
        this.rootArena = rootArena;
        this.root = root;
        this.generation = generation;
    }

    /**
     * Maps the public side in {@code dir} read-only.
     *
     * @throws IOException if its root cannot be opened (for example, this user may not read it), is
     *     not a store root of this format, or is not the store of {@code generation}
     */
    public static StoreReader open(Path dir, long generation) throws IOException {
        Path file = dir.resolve(ROOT_FILE);
        Arena arena = Arena.ofShared();
        boolean opened = false;
        try {
            MemorySegment root = mapReadOnly(file, arena);
            String bad = checkHeader(root, ROOT_MAGIC, ROOT_FORMAT_VERSION, ROOT_HEADER_LENGTH, file.toString());
            if (bad == null && root.byteSize() < ROOT_LENGTH) {
                bad = file + " is " + root.byteSize() + " bytes, shorter than a root (" + ROOT_LENGTH + ")";
            }
            if (bad != null) {
                throw new IOException(bad);
            }
            long g = root.get(LONG, ROOT_GENERATION_OFFSET);
            if (g != generation) {
                throw new IOException(file + ": holds store generation " + Long.toHexString(g)
                        + ", the daemon announced " + Long.toHexString(generation) + " (replaced meanwhile)");
            }
            opened = true;
            return new StoreReader(dir, arena, root, generation);
        } finally {
            if (!opened) {
                arena.close();
            }
        }
    }

    private static MemorySegment mapReadOnly(Path file, Arena arena) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            return c.map(FileChannel.MapMode.READ_ONLY, 0, c.size(), arena);
        }
    }

    /**
     * Unmaps every file of this store; lookups from then on (and any still running) answer {@link
     * #UNKNOWN}. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        release(index.getAndSet(null));
        for (int c = 0; c < MAX_CHUNKS; c++) {
            release(chunks.getAndSet(c, null));
        }
        closeQuietly(rootArena);
    }

    /**
     * Unmaps every chunk this reader maps that the daemon has since deleted or replaced (its
     * directory entry in the root names another incarnation, or none).
     */
    public void releaseRetired() {
        try {
            for (int c = 1; c < MAX_CHUNKS; c++) {
                Chunk k = chunks.getAcquire(c);
                if (k != null
                        && (long) WORD.getAcquire(root, directoryOffset(c)) != k.incarnation
                        && chunks.compareAndSet(c, k, null)) {
                    release(k);
                }
            }
        } catch (IllegalStateException closedMeanwhile) {
            // close() released everything
        }
    }

    private static void release(@Nullable Object mapping) {
        if (mapping instanceof Index ix) {
            closeQuietly(ix.arena);
        } else if (mapping instanceof Chunk k) {
            closeQuietly(k.arena);
        }
    }

    private static void closeQuietly(Arena arena) {
        try {
            arena.close();
        } catch (IllegalStateException alreadyClosed) {
            // two threads released the same mapping: once is enough
        }
    }

    /** The store generation this reader maps. */
    public long generation() {
        return generation;
    }

    /**
     * Whether the daemon retired this store (a reader must go back to the daemon for the new one), or
     * this reader was closed.
     */
    public boolean retired() {
        try {
            return closed || (long) WORD.getAcquire(root, (long) ROOT_STATE_OFFSET) != STATE_LIVE;
        } catch (IllegalStateException closedMeanwhile) {
            return true;
        }
    }

    /**
     * The key's value and version, {@link #ABSENT}, or {@link #UNKNOWN}: see the class comment. A key
     * whose deadline this process's wall clock ({@link System#currentTimeMillis}) has reached is
     * {@link #ABSENT}, as the daemon answers it.
     */
    public Result lookup(byte[] key) {
        return lookup(key, System.currentTimeMillis());
    }

    /** {@link #lookup(byte[])} with the clock read as {@code nowMillis} (epoch milliseconds). */
    public Result lookup(byte[] key, long nowMillis) {
        if ((++lookups & (SWEEP_EVERY - 1)) == 0) {
            releaseRetired();
        }
        long h = hash(key);
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            if (attempt > 0) {
                Thread.onSpinWait();
            }
            try {
                Result r = attempt(key, h, nowMillis);
                if (r != null) {
                    return r;
                }
            } catch (IllegalStateException unmapped) {
                // a mapping this lookup used was replaced and unmapped by another thread: try again
            }
        }
        return UNKNOWN;
    }

    /** One try: the answer, or null to try again. */
    private @Nullable Result attempt(byte[] key, long h, long nowMillis) {
        if (retired()) {
            return UNKNOWN;
        }
        Index ix = currentIndex();
        if (ix == null) {
            return null;
        }
        long inserts = (long) WORD.getAcquire(root, (long) ROOT_PRIVATE_INSERTS_OFFSET);
        long live = (long) WORD.getAcquire(root, (long) ROOT_PRIVATE_LIVE_OFFSET);
        Result r = probe(ix, key, h, nowMillis);
        if (r == null) {
            return null; // something changed under the probe
        }
        VarHandle.acquireFence();
        if ((long) WORD.getAcquire(ix.segment, (long) INDEX_STATE_OFFSET) != STATE_LIVE) {
            return null; // replaced by a new generation while probing: changes since went there only
        }
        if (r == EXPIRED) {
            return ABSENT; // a key is in one side only: found here, expired, so absent
        }
        if (r != ABSENT) {
            return r;
        }
        boolean privateEmpty = live == 0
                && (long) WORD.getAcquire(root, (long) ROOT_PRIVATE_LIVE_OFFSET) == 0
                && (long) WORD.getAcquire(root, (long) ROOT_PRIVATE_INSERTS_OFFSET) == inserts;
        return privateEmpty ? ABSENT : UNKNOWN;
    }

    /** Found, ABSENT (not in this side), EXPIRED, or null: retry. */
    private @Nullable Result probe(Index ix, byte[] key, long h, long nowMillis) {
        MemorySegment s = ix.segment;
        long mask = (1L << ix.log2Slots) - 1;
        long i = home(h, ix.log2Slots);
        for (long n = 0; n <= mask; n++, i = (i + 1) & mask) {
            long slotAt = slotOffset(i);
            long w = (long) WORD.getAcquire(s, slotAt);
            if (w == SLOT_EMPTY) {
                return ABSENT;
            }
            if (!isEntry(w) || !hashMatches(w, h)) {
                continue;
            }
            long ref = refOf(w);
            Chunk c = chunk(chunkOf(ref));
            if (c == null) {
                return null;
            }
            MemorySegment e = c.segment;
            long off = offsetOf(ref);
            long size = e.byteSize();
            if (off < CHUNK_HEADER_LENGTH || off + ENTRY_HEADER_LENGTH > size) {
                return null;
            }
            long s1 = (long) WORD.getAcquire(e, off + ENTRY_STAMP_OFFSET);
            if ((s1 & 1) != 0) {
                return null;
            }
            // Bounds first: a torn read may show any lengths; nothing outside the chunk is touched.
            int keyLength = e.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF;
            long field = e.get(INT, off + ENTRY_VALUE_LENGTH_OFFSET) & 0xFFFF_FFFFL;
            int ownerWord = e.get(INT, off + ENTRY_OWNER_OFFSET);
            long keyAt = off + ENTRY_HEADER_LENGTH;
            boolean same = keyLength == key.length && keyAt + keyLength <= size && keyEquals(e, keyAt, key);
            byte[] value = null;
            long deadline = 0;
            if (same) {
                long valueLength = valueLengthOf(ownerWord, field);
                if (field > size - keyAt - keyLength || valueLength < 0 || valueLength > Integer.MAX_VALUE - 16) {
                    return null;
                }
                value = new byte[(int) valueLength];
                MemorySegment.copy(e, ValueLayout.JAVA_BYTE, keyAt + keyLength, value, 0, value.length);
                if ((ownerWord & FLAG_DEADLINE) != 0) {
                    deadline = e.get(LONG, keyAt + keyLength + valueLength);
                }
            }
            VarHandle.acquireFence(); // the reads above complete before the stamp and slot are read again
            if ((long) WORD.getOpaque(e, off + ENTRY_STAMP_OFFSET) != s1 || (long) WORD.getOpaque(s, slotAt) != w) {
                return null;
            }
            if (value != null) { // the key matched
                return expired(deadline, nowMillis) ? EXPIRED : new Found(value, versionOf(s1));
            }
            // another key whose hash shares the slot's bits: probe on
        }
        return ABSENT;
    }

    /** The live index generation, mapped; null if it could not be (replaced meanwhile: retry). */
    private @Nullable Index currentIndex() {
        long g = (long) WORD.getAcquire(root, (long) ROOT_INDEX_GENERATION_OFFSET);
        Index ix = index.get();
        if (ix != null && ix.generation == g) {
            return ix;
        }
        Arena arena = Arena.ofShared();
        Index mapped = null;
        try {
            Path file = dir.resolve(indexFile(g));
            MemorySegment s = mapReadOnly(file, arena);
            if (checkHeader(s, INDEX_MAGIC, INDEX_FORMAT_VERSION, INDEX_HEADER_LENGTH, file.toString()) != null
                    || s.get(LONG, INDEX_GENERATION_OFFSET) != g
                    || s.get(LONG, INDEX_STORE_GENERATION_OFFSET) != generation) {
                return null;
            }
            int log2 = s.get(INT, INDEX_LOG2_SLOTS_OFFSET);
            if (log2 < MIN_LOG2_SLOTS || log2 > MAX_LOG2_SLOTS || s.byteSize() < indexLength(log2)) {
                return null;
            }
            mapped = new Index(s, g, log2, arena);
        } catch (IOException e) {
            return null;
        } finally {
            if (mapped == null) {
                arena.close();
            }
        }
        if (closed || !index.compareAndSet(ix, mapped)) {
            arena.close(); // another thread mapped it first (or closed this reader): use theirs
            return null;
        }
        release(ix); // the generation it replaces: unmapped now, not at some garbage collection
        if (closed) {
            release(index.getAndSet(null)); // close() ran meanwhile and may have missed this one
            return null;
        }
        return mapped;
    }

    /** Chunk {@code c} as the root's directory names it now, mapped; null if it cannot be. */
    private @Nullable Chunk chunk(int c) {
        if (c <= 0 || c >= MAX_CHUNKS) {
            return null;
        }
        long incarnation = (long) WORD.getAcquire(root, directoryOffset(c));
        Chunk k = chunks.getAcquire(c);
        if (k != null && k.incarnation == incarnation) {
            return k;
        }
        if (incarnation == 0) {
            return null;
        }
        Arena arena = Arena.ofShared();
        Chunk mapped = null;
        try {
            Path file = dir.resolve(chunkFile(c));
            MemorySegment s = mapReadOnly(file, arena);
            if (checkHeader(s, CHUNK_MAGIC, CHUNK_FORMAT_VERSION, CHUNK_HEADER_LENGTH, file.toString()) != null
                    || s.get(LONG, CHUNK_INCARNATION_OFFSET) != incarnation
                    || s.get(LONG, CHUNK_STORE_GENERATION_OFFSET) != generation) {
                return null;
            }
            mapped = new Chunk(s, incarnation, arena);
        } catch (IOException e) {
            return null;
        } finally {
            if (mapped == null) {
                arena.close();
            }
        }
        if (closed || !chunks.compareAndSet(c, k, mapped)) {
            arena.close(); // another thread mapped it first (or closed this reader): use theirs
            return null;
        }
        release(k); // the incarnation it replaces: unmapped now
        if (closed) {
            release(chunks.getAndSet(c, null)); // close() ran meanwhile and may have missed this one
            return null;
        }
        return mapped;
    }
}
