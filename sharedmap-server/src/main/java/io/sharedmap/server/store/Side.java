package io.sharedmap.server.store;

import static io.sharedmap.os.store.StoreDescriptor.*;

import io.sharedmap.server.store.StoreFiles.Access;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * One side of the store (public or private, {@link io.sharedmap.os.store.StoreDescriptor}): its root,
 * its live hash index and its chunks of entries, with the entry-level operations of the writing
 * protocol. Single writer (the store's, under its write lock); the daemon's readers read lock-free
 * through {@link #read}, inside a {@link Grace} read section.
 *
 * <p>Allocation is log-structured: a new or moved entry goes to the end of the head chunk (a new
 * chunk when it is full; chunks grow from 256 KiB to 64 MiB; an entry of 8 MiB or more gets a chunk
 * of its own). A change that keeps the entry's length is made in place; any other leaves a dead
 * entry behind, whose bytes the compactor reclaims by moving the live entries of a mostly dead
 * chunk to the head and deleting the chunk.
 */
final class Side implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Side.class.getName());
    static final long MIN_CHUNK = 256L << 10;
    static final long MAX_CHUNK = 64L << 20;
    static final long LARGE_ENTRY = MAX_CHUNK / 8;

    /** Chunk sizes: the first, the largest, and the entry length from which an entry gets a chunk of its own. */
    record Chunking(long first, long max, long large) {
        static final Chunking DEFAULT = new Chunking(MIN_CHUNK, MAX_CHUNK, LARGE_ENTRY);
    }

    /** A mapped chunk. */
    record Chunk(int number, long incarnation, MemorySegment segment, Arena arena) {}

    /** What a read found: version, owner number, value length, and the value if asked for. */
    record Read(long version, int ownerWord, int valueLength, byte @Nullable [] value, long deadline) {}

    final boolean isPrivate;
    final Path dir;
    final Access access;
    final long generation;
    private final Meta meta;
    private final Chunking chunking;
    private final Arena rootArena;
    final MemorySegment root;
    volatile HashIndex index;
    final AtomicReferenceArray<Chunk> chunks = new AtomicReferenceArray<>(MAX_CHUNKS);
    // Writer only:
    private final long[] liveBytes = new long[MAX_CHUNKS];
    private int headChunk;
    private long headOffset;
    private long nextChunkSize;
    private long chunkBytes;
    private int chunkCount;
    private long entryBytes;

    private Side(
            boolean isPrivate,
            Path dir,
            Access access,
            long generation,
            Meta meta,
            Chunking chunking,
            Arena rootArena,
            MemorySegment root,
            HashIndex index) {
        this.index = index;
        this.chunking = chunking;
        this.nextChunkSize = chunking.first();
        this.isPrivate = isPrivate;
        this.dir = dir;
        this.access = access;
        this.generation = generation;
        this.meta = meta;
        this.rootArena = rootArena;
        this.root = root;
    }

    /** Creates an empty side in the empty directory {@code dir}, its root LIVE. */
    static Side create(boolean isPrivate, Path dir, Access access, long generation, Meta meta, Chunking chunking)
            throws IOException {
        Arena arena = Arena.ofShared();
        Side s = null;
        try {
            MemorySegment root = StoreFiles.create(dir.resolve(ROOT_FILE), ROOT_LENGTH, access, arena);
            root.set(LONG, 0, ROOT_MAGIC);
            root.set(INT, 8, ROOT_FORMAT_VERSION);
            root.set(INT, 12, ROOT_HEADER_LENGTH);
            root.set(LONG, ROOT_GENERATION_OFFSET, generation);
            HashIndex ix = HashIndex.create(dir, meta.nextIndexGeneration(), generation, MIN_LOG2_SLOTS, access);
            s = new Side(isPrivate, dir, access, generation, meta, chunking, arena, root, ix);
            WORD.setRelease(root, (long) ROOT_INDEX_GENERATION_OFFSET, ix.generation);
            meta.setHead(isPrivate, 0, 0);
            WORD.setRelease(root, (long) ROOT_STATE_OFFSET, STATE_LIVE);
            return s;
        } catch (IOException | RuntimeException e) {
            if (s != null) {
                s.close();
            } else {
                arena.close();
            }
            throw e;
        }
    }

    /**
     * Maps an existing side and deletes the files it does not use (an index generation or chunk that
     * a crash left half made or half deleted).
     *
     * @throws StoreCorruptException if a file it names is missing or is not what it says
     */
    static Side open(
            boolean isPrivate,
            Path dir,
            Access access,
            long generation,
            Meta meta,
            Chunking chunking,
            boolean exactCounts)
            throws IOException {
        Arena arena = Arena.ofShared();
        Side s = null;
        try {
            Path rootFile = dir.resolve(ROOT_FILE);
            MemorySegment root = StoreFiles.map(rootFile, arena);
            String bad = checkHeader(root, ROOT_MAGIC, ROOT_FORMAT_VERSION, ROOT_HEADER_LENGTH, rootFile.toString());
            if (bad == null && root.byteSize() < ROOT_LENGTH) {
                bad = rootFile + " is shorter than a root";
            }
            if (bad == null && root.get(LONG, ROOT_GENERATION_OFFSET) != generation) {
                bad = rootFile + ": names another store generation than the store's meta";
            }
            if (bad != null) {
                throw new StoreCorruptException(bad);
            }
            long g = root.get(LONG, ROOT_INDEX_GENERATION_OFFSET);
            s = new Side(
                    isPrivate,
                    dir,
                    access,
                    generation,
                    meta,
                    chunking,
                    arena,
                    root,
                    HashIndex.open(dir, g, generation, exactCounts));
            List<String> keep = new ArrayList<>(List.of(ROOT_FILE, indexFile(g)));
            for (int c = 1; c < MAX_CHUNKS; c++) {
                long incarnation = root.get(LONG, directoryOffset(c));
                if (incarnation == 0) {
                    continue;
                }
                Path f = dir.resolve(chunkFile(c));
                Arena a = Arena.ofShared();
                MemorySegment seg;
                try {
                    seg = StoreFiles.map(f, a);
                } catch (IOException e) {
                    a.close();
                    throw new StoreCorruptException(f + " is named by the root but cannot be mapped: " + e);
                }
                String cb = checkHeader(seg, CHUNK_MAGIC, CHUNK_FORMAT_VERSION, CHUNK_HEADER_LENGTH, f.toString());
                if (cb == null
                        && (seg.get(LONG, CHUNK_INCARNATION_OFFSET) != incarnation
                                || seg.get(INT, CHUNK_NUMBER_OFFSET) != c
                                || seg.get(LONG, CHUNK_STORE_GENERATION_OFFSET) != generation
                                || seg.byteSize() != root.get(LONG, directoryOffset(c) + 8))) {
                    cb = f + ": is not the chunk the root names";
                }
                if (cb != null) {
                    a.close();
                    throw new StoreCorruptException(cb);
                }
                s.chunks.set(c, new Chunk(c, incarnation, seg, a));
                s.chunkBytes += seg.byteSize();
                s.chunkCount++;
                s.nextChunkSize = Math.min(chunking.max(), Math.max(s.nextChunkSize, seg.byteSize() * 2));
                keep.add(chunkFile(c));
            }
            s.headChunk = (int) meta.headChunk(isPrivate);
            s.headOffset = meta.headOffset(isPrivate);
            if (s.headChunk != 0
                    && (s.chunks.get(s.headChunk) == null
                            || s.headOffset < CHUNK_HEADER_LENGTH
                            || s.headOffset > s.chunks.get(s.headChunk).segment.byteSize())) {
                throw new StoreCorruptException(dir + ": the head chunk " + s.headChunk + " at " + s.headOffset
                        + " is not a chunk of this side");
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "{index-,chunk-}*")) {
                for (Path p : files) {
                    if (!keep.contains(p.getFileName().toString())) {
                        Files.delete(p); // a generation or chunk a crash left half made or half deleted
                    }
                }
            }
            return s;
        } catch (IOException | RuntimeException e) {
            if (s != null) {
                s.close();
            } else {
                arena.close();
            }
            throw e;
        }
    }

    // ---- entries ----

    MemorySegment chunkSegment(long ref) {
        Chunk c = chunks.get(chunkOf(ref));
        if (c == null) {
            throw new IllegalStateException((isPrivate ? "private" : "public") + " entry reference "
                    + Long.toHexString(ref) + " names no chunk");
        }
        return c.segment;
    }

    long stamp(long ref) {
        return (long) WORD.getAcquire(chunkSegment(ref), offsetOf(ref));
    }

    int keyLength(long ref) {
        return chunkSegment(ref).get(SHORT, offsetOf(ref) + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF;
    }

    /** The value's own length (without a deadline's bytes). */
    long valueLength(long ref) {
        return valueLengthOf(ownerWord(ref), storedLength(ref));
    }

    /** The entry's value length field: the value, and the deadline's 8 bytes if it has one. */
    long storedLength(long ref) {
        return chunkSegment(ref).get(INT, offsetOf(ref) + ENTRY_VALUE_LENGTH_OFFSET) & 0xFFFF_FFFFL;
    }

    /** The entry's deadline, epoch milliseconds, or 0 if it has none. */
    long deadline(long ref) {
        MemorySegment s = chunkSegment(ref);
        long off = offsetOf(ref);
        int ow = s.get(INT, off + ENTRY_OWNER_OFFSET);
        if ((ow & FLAG_DEADLINE) == 0) {
            return 0;
        }
        int kl = s.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF;
        return s.get(LONG, off + ENTRY_HEADER_LENGTH + kl + valueLength(ref));
    }

    /** The value length field of an entry holding {@code valueLength} bytes of value and {@code deadline}. */
    static long storedLength(long valueLength, long deadline) {
        return deadline != 0 ? valueLength + DEADLINE_LENGTH : valueLength;
    }

    int ownerWord(long ref) {
        return chunkSegment(ref).get(INT, offsetOf(ref) + ENTRY_OWNER_OFFSET);
    }

    long length(long ref) {
        return entryLength(keyLength(ref), storedLength(ref));
    }

    byte[] key(long ref) {
        MemorySegment s = chunkSegment(ref);
        long off = offsetOf(ref);
        byte[] k = new byte[s.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, off + ENTRY_HEADER_LENGTH, k, 0, k.length);
        return k;
    }

    byte[] value(long ref) {
        MemorySegment s = chunkSegment(ref);
        long off = offsetOf(ref);
        int kl = s.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF;
        byte[] v = new byte[(int) valueLength(ref)];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, off + ENTRY_HEADER_LENGTH + kl, v, 0, v.length);
        return v;
    }

    /** Whether the entry at {@code ref} holds {@code key} (whatever its stamp). */
    boolean holds(long ref, byte[] key) {
        MemorySegment s = chunkSegment(ref);
        long off = offsetOf(ref);
        return (s.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF) == key.length
                && keyEquals(s, off + ENTRY_HEADER_LENGTH, key);
    }

    /** Unsigned comparison of the key at {@code ref} with {@code key}, in place. */
    int compareKey(long ref, byte[] key) {
        MemorySegment s = chunkSegment(ref);
        long off = offsetOf(ref);
        int kl = s.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF;
        long start = off + ENTRY_HEADER_LENGTH;
        long m = MemorySegment.mismatch(s, start, start + kl, MemorySegment.ofArray(key), 0, key.length);
        if (m < 0) {
            return 0;
        }
        if (m == kl) {
            return -1;
        }
        if (m == key.length) {
            return 1;
        }
        return Integer.compare(s.get(ValueLayout.JAVA_BYTE, start + m) & 0xFF, key[(int) m] & 0xFF);
    }

    /**
     * Writer: writes a new entry at {@code ref} with an odd stamp (not yet readable); the caller
     * points a slot at it and then calls {@link #publish}.
     */
    void write(long ref, long version, int ownerWord, byte[] key, byte[] value, long deadline) {
        MemorySegment s = chunkSegment(ref);
        long off = offsetOf(ref);
        long stored = storedLength(value.length, deadline);
        WORD.setOpaque(s, off, stampOf(version) | 1);
        VarHandle.storeStoreFence();
        s.set(INT, off + ENTRY_VALUE_LENGTH_OFFSET, (int) stored);
        s.set(INT, off + ENTRY_OWNER_OFFSET, ownerWord | (deadline != 0 ? FLAG_DEADLINE : 0));
        s.set(SHORT, off + ENTRY_KEY_LENGTH_OFFSET, (short) key.length);
        MemorySegment.copy(key, 0, s, ValueLayout.JAVA_BYTE, off + ENTRY_HEADER_LENGTH, key.length);
        MemorySegment.copy(value, 0, s, ValueLayout.JAVA_BYTE, off + ENTRY_HEADER_LENGTH + key.length, value.length);
        if (deadline != 0) {
            s.set(LONG, off + ENTRY_HEADER_LENGTH + key.length + value.length, deadline);
        }
        liveBytes[chunkOf(ref)] += entryLength(key.length, stored);
        entryBytes += entryLength(key.length, stored);
    }

    /** Writer: copies the whole entry at {@code from} of {@code source} to {@code ref} here, with an odd stamp. */
    void copy(long ref, Side source, long from, int ownerWord) {
        MemorySegment s = chunkSegment(ref);
        MemorySegment f = source.chunkSegment(from);
        long off = offsetOf(ref);
        long fo = offsetOf(from);
        long len = source.length(from);
        long stamp = source.stamp(from) | 1;
        WORD.setOpaque(s, off, stamp);
        VarHandle.storeStoreFence();
        MemorySegment.copy(f, fo + 8, s, off + 8, len - 8);
        int flags = f.get(INT, fo + ENTRY_OWNER_OFFSET) & ~OWNER_INDEX_MASK; // the deadline stays
        s.set(INT, off + ENTRY_OWNER_OFFSET, (ownerWord & OWNER_INDEX_MASK) | flags);
        liveBytes[chunkOf(ref)] += len;
        entryBytes += len;
    }

    /** Writer: makes the entry at {@code ref} readable at {@code version} (release). */
    void publish(long ref, long version) {
        WORD.setRelease(chunkSegment(ref), offsetOf(ref), stampOf(version));
    }

    /**
     * Writer: rewrites the value (same entry length) and owner of the entry at {@code ref} in place
     * under its seqlock: odd stamp, fence, bytes, new even stamp (release).
     */
    void rewrite(long ref, long version, int ownerWord, byte[] value, long deadline) {
        MemorySegment s = chunkSegment(ref);
        long off = offsetOf(ref);
        long old = (long) WORD.get(s, off);
        WORD.setOpaque(s, off, old | 1);
        VarHandle.storeStoreFence();
        int kl = s.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF;
        long oldStored = s.get(INT, off + ENTRY_VALUE_LENGTH_OFFSET) & 0xFFFF_FFFFL;
        long stored = storedLength(value.length, deadline);
        s.set(INT, off + ENTRY_VALUE_LENGTH_OFFSET, (int) stored);
        s.set(INT, off + ENTRY_OWNER_OFFSET, ownerWord | (deadline != 0 ? FLAG_DEADLINE : 0));
        long valueAt = off + ENTRY_HEADER_LENGTH + kl;
        MemorySegment.copy(value, 0, s, ValueLayout.JAVA_BYTE, valueAt, value.length);
        if (deadline != 0) {
            s.set(LONG, valueAt + value.length, deadline);
        }
        if (oldStored > stored) {
            s.asSlice(valueAt + stored, oldStored - stored).fill((byte) 0);
        }
        WORD.setRelease(s, off, stampOf(version));
    }

    /** Writer: gives the entry at {@code ref} a new owner word (the value and version stay). */
    void setOwner(long ref, int ownerWord) {
        MemorySegment s = chunkSegment(ref);
        int flags = s.get(INT, offsetOf(ref) + ENTRY_OWNER_OFFSET) & ~OWNER_INDEX_MASK; // the deadline stays
        VarHandle.releaseFence();
        s.set(INT, offsetOf(ref) + ENTRY_OWNER_OFFSET, (ownerWord & OWNER_INDEX_MASK) | flags);
    }

    /** Writer: marks the entry dead (release); its slot must leave it next. */
    void kill(long ref) {
        if ((long) WORD.get(chunkSegment(ref), offsetOf(ref)) != STAMP_DEAD) {
            long len = length(ref);
            liveBytes[chunkOf(ref)] -= len;
            entryBytes -= len;
        }
        WORD.setRelease(chunkSegment(ref), offsetOf(ref), STAMP_DEAD);
    }

    /**
     * Writer: zeroes a dead entry's owner, key and value, keeping its lengths (so that a walk of the
     * chunk can step over it). Call after no slot points to it: a withdrawn key must not stay
     * readable in the file.
     */
    void zero(long ref) {
        // The kill and the slot's change are release stores, which order what came before them, not
        // what follows: without this fence a weakly ordered CPU could show the zeros to a reader
        // before the dead stamp or the slot's new word, and the reader would pass both checks.
        VarHandle.storeStoreFence();
        MemorySegment s = chunkSegment(ref);
        long off = offsetOf(ref);
        long payload = keyLength(ref) + storedLength(ref);
        s.set(INT, off + ENTRY_OWNER_OFFSET, 0);
        s.asSlice(off + ENTRY_HEADER_LENGTH, payload).fill((byte) 0);
    }

    // ---- slots ----

    /**
     * Writer: the slot holding {@code key} (whatever its entry's stamp), or {@code -(free slot) - 1}
     * where it would go: the first EMPTY or TOMBSTONE slot of its probe sequence.
     */
    long find(byte[] key, long hash) {
        HashIndex ix = index;
        long i = home(hash, ix.log2Slots);
        long free = -1;
        for (long n = 0; n <= ix.mask; n++, i = (i + 1) & ix.mask) {
            long w = ix.word(i);
            if (w == SLOT_EMPTY) {
                return -(free >= 0 ? free : i) - 1;
            }
            if (w == SLOT_TOMBSTONE) {
                if (free < 0) {
                    free = i;
                }
                continue;
            }
            if (hashMatches(w, hash) && holds(refOf(w), key)) {
                return i;
            }
        }
        if (free >= 0) {
            return -free - 1;
        }
        throw new IllegalStateException("hash index " + ix.file + " has no free slot");
    }

    /**
     * Any thread, inside a {@link Grace} read section: the key's entry, read under its seqlock and
     * validated against its slot; null if this side does not hold the key. Retries while the entry
     * or slot changes under it.
     */
    @Nullable
    Read read(byte[] key, long hash, boolean withValue) {
        for (int attempt = 0; ; attempt++) {
            if (attempt > 0) {
                Thread.onSpinWait();
            }
            HashIndex ix = index;
            long i = home(hash, ix.log2Slots);
            Read r = null;
            boolean retry = false;
            for (long n = 0; n <= ix.mask; n++, i = (i + 1) & ix.mask) {
                long w = ix.word(i);
                if (w == SLOT_EMPTY) {
                    break;
                }
                if (!isEntry(w) || !hashMatches(w, hash)) {
                    continue;
                }
                long ref = refOf(w);
                Chunk c = chunks.get(chunkOf(ref));
                if (c == null) {
                    retry = true;
                    break;
                }
                MemorySegment s = c.segment;
                long off = offsetOf(ref);
                // The slot may name a chunk number that compaction deleted and a smaller chunk took
                // since: check the bounds before each read (the slot's re-read below then fails).
                if (off + ENTRY_HEADER_LENGTH > s.byteSize()) {
                    retry = true;
                    break;
                }
                long s1 = (long) WORD.getAcquire(s, off);
                if ((s1 & 1) != 0) {
                    retry = true;
                    break;
                }
                int kl = s.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF;
                if (off + ENTRY_HEADER_LENGTH + kl > s.byteSize()) {
                    retry = true;
                    break;
                }
                boolean same = kl == key.length && keyEquals(s, off + ENTRY_HEADER_LENGTH, key);
                Read found = null;
                if (same) {
                    int field = s.get(INT, off + ENTRY_VALUE_LENGTH_OFFSET);
                    int ow = s.get(INT, off + ENTRY_OWNER_OFFSET);
                    int vl = (int) valueLengthOf(ow, field);
                    if (field < 0 || vl < 0 || off + ENTRY_HEADER_LENGTH + kl + (long) field > s.byteSize()) {
                        retry = true;
                        break;
                    }
                    byte[] value = null;
                    if (withValue) {
                        value = new byte[vl];
                        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, off + ENTRY_HEADER_LENGTH + kl, value, 0, vl);
                    }
                    long deadline = (ow & FLAG_DEADLINE) != 0 ? s.get(LONG, off + ENTRY_HEADER_LENGTH + kl + vl) : 0;
                    found = new Read(versionOf(s1), ow, vl, value, deadline);
                }
                VarHandle.acquireFence();
                if ((long) WORD.getOpaque(s, off) != s1 || ix.word(i) != w) {
                    retry = true;
                    break;
                }
                if (same) {
                    r = found;
                    break;
                }
            }
            if (retry) {
                continue;
            }
            VarHandle.acquireFence();
            if (ix != index) {
                continue; // replaced while probing
            }
            return r;
        }
    }

    // ---- allocation ----

    /**
     * Writer: room for an entry of a key and a value of these lengths; returns its reference. The
     * room gets a dead entry's header with those lengths before the head moves past it (see {@link
     * #placeholder}).
     */
    long allocate(int keyLength, long valueLength) throws IOException {
        long length = entryLength(keyLength, valueLength);
        if (length >= chunking.large()) {
            Chunk c = newChunk(CHUNK_HEADER_LENGTH + length);
            placeholder(c.segment, CHUNK_HEADER_LENGTH, keyLength, valueLength);
            return ref(c.number, CHUNK_HEADER_LENGTH);
        }
        Chunk head = headChunk == 0 ? null : chunks.get(headChunk);
        if (head == null || headOffset + length > head.segment.byteSize() || headOffset >= MAX_ENTRY_START) {
            if (head != null && headOffset + ENTRY_HEADER_LENGTH <= head.segment.byteSize()) {
                // Seal it: a zero header ends its entries for a walk (bytes past the head may be a crash's leftovers).
                head.segment.asSlice(headOffset, ENTRY_HEADER_LENGTH).fill((byte) 0);
            }
            long size = nextChunkSize;
            while (size < CHUNK_HEADER_LENGTH + length) {
                size *= 2; // an entry below the large size, bigger than the next chunk: a bigger chunk
            }
            head = newChunkFitting(size, CHUNK_HEADER_LENGTH + length);
            nextChunkSize = Math.min(chunking.max(), Math.max(chunking.first(), head.segment.byteSize() * 2));
            headChunk = head.number;
            headOffset = CHUNK_HEADER_LENGTH;
        }
        long r = ref(headChunk, headOffset);
        placeholder(head.segment, headOffset, keyLength, valueLength);
        headOffset += length;
        meta.setHead(isPrivate, headChunk, headOffset); // before any slot can point to the entry (see Meta)
        return r;
    }

    /**
     * Writes a dead entry's header (stamp {@code STAMP_DEAD}, the entry's real key and
     * value lengths, no owner) where an entry is about to be written. A crash after the head moved
     * past the room and before the entry was written then leaves a dead entry that the chunk walks
     * ({@link #recountChunks}, compaction) step over, never a zero header, which would end the chunk's
     * entries for them and hide every entry after it. {@link #write} and {@link #copy} then write the
     * same lengths, so the header names the same length at every moment.
     */
    private static void placeholder(MemorySegment s, long off, int keyLength, long valueLength) {
        s.set(LONG, off, STAMP_DEAD);
        s.set(INT, off + ENTRY_VALUE_LENGTH_OFFSET, (int) valueLength);
        s.set(INT, off + ENTRY_OWNER_OFFSET, 0);
        s.set(SHORT, off + ENTRY_KEY_LENGTH_OFFSET, (short) keyLength);
    }

    /**
     * A new chunk of {@code size} bytes or, when the file system has no room for that (a full tmpfs),
     * the largest smaller one, halving down to the first chunk size, that still holds {@code needed}.
     */
    private Chunk newChunkFitting(long size, long needed) throws IOException {
        while (true) {
            try {
                return newChunk(size);
            } catch (StoreFullException e) {
                throw e;
            } catch (IOException e) {
                long smaller = size / 2;
                if (smaller < needed || smaller < chunking.first()) {
                    throw e;
                }
                LOG.log(
                        System.Logger.Level.WARNING,
                        "no room for a chunk of " + size + " bytes in " + dir + " (" + e.getMessage() + "); trying "
                                + smaller);
                size = smaller;
            }
        }
    }

    private Chunk newChunk(long size) throws IOException {
        int c = freeChunkNumber();
        long incarnation = meta.nextIncarnation();
        Arena a = Arena.ofShared();
        try {
            MemorySegment s = StoreFiles.create(dir.resolve(chunkFile(c)), size, access, a);
            s.set(LONG, 0, CHUNK_MAGIC);
            s.set(INT, 8, CHUNK_FORMAT_VERSION);
            s.set(INT, 12, CHUNK_HEADER_LENGTH);
            s.set(INT, CHUNK_NUMBER_OFFSET, c);
            s.set(LONG, CHUNK_INCARNATION_OFFSET, incarnation);
            s.set(LONG, CHUNK_LENGTH_OFFSET, size);
            s.set(LONG, CHUNK_STORE_GENERATION_OFFSET, generation);
            Chunk chunk = new Chunk(c, incarnation, s, a);
            chunks.set(c, chunk);
            root.set(LONG, directoryOffset(c) + 8, size);
            WORD.setRelease(root, directoryOffset(c), incarnation); // before any slot points into it
            chunkBytes += size;
            chunkCount++;
            liveBytes[c] = 0;
            return chunk;
        } catch (IOException | RuntimeException e) {
            a.close();
            throw e;
        }
    }

    /** The lowest chunk number not in use: a deleted chunk's number comes back first (as a new incarnation). */
    private int freeChunkNumber() throws StoreFullException {
        for (int c = 1; c < MAX_CHUNKS; c++) {
            if (chunks.get(c) == null) {
                return c;
            }
        }
        throw new StoreFullException(
                "the " + (isPrivate ? "private" : "public") + " side has " + (MAX_CHUNKS - 1) + " chunks, its limit");
    }

    /**
     * Writer: unpublishes chunk {@code c} (the root's directory first, then the file) and returns it,
     * to be unmapped once no reader of the daemon can hold it (after {@link Grace#synchronize}).
     */
    Chunk deleteChunk(int c) throws IOException {
        Chunk k = chunks.get(c);
        WORD.setRelease(root, directoryOffset(c), 0L);
        WORD.getAndAdd(root, (long) ROOT_CHUNK_EPOCH_OFFSET, 1L);
        chunks.set(c, null);
        chunkBytes -= k.segment.byteSize();
        chunkCount--;
        entryBytes -= liveBytes[c];
        liveBytes[c] = 0;
        if (c == headChunk) {
            headChunk = 0;
            headOffset = 0;
            meta.setHead(isPrivate, 0, 0);
        }
        Files.deleteIfExists(dir.resolve(chunkFile(c)));
        return k;
    }

    /**
     * Writer, once after an unclean open (and after the journal's replay): recomputes every chunk's
     * live bytes from the entries' stamps (even: live), for the compactor's choices, and zeroes every
     * other entry (dead, or left unlinked by a crash), so no withdrawn value stays in a file.
     */
    void recountChunks(@Nullable EntryVisitor visitor) {
        entryBytes = 0;
        for (int c = 1; c < MAX_CHUNKS; c++) {
            Chunk k = chunks.get(c);
            if (k == null) {
                continue;
            }
            long live = 0;
            long end = c == headChunk ? headOffset : k.segment.byteSize();
            for (long off = CHUNK_HEADER_LENGTH; off + ENTRY_HEADER_LENGTH <= end; ) {
                long stamp = k.segment.get(LONG, off);
                int kl = k.segment.get(SHORT, off + ENTRY_KEY_LENGTH_OFFSET) & 0xFFFF;
                if (kl == 0) {
                    break; // never written: the end of the chunk's entries
                }
                long len = entryLength(kl, k.segment.get(INT, off + ENTRY_VALUE_LENGTH_OFFSET) & 0xFFFF_FFFFL);
                if ((stamp & 1) == 0) {
                    live += len;
                    if (visitor != null) {
                        int ow = k.segment.get(INT, off + ENTRY_OWNER_OFFSET);
                        visitor.visit(
                                ref(c, off),
                                ow,
                                kl,
                                valueLengthOf(ow, k.segment.get(INT, off + ENTRY_VALUE_LENGTH_OFFSET) & 0xFFFF_FFFFL));
                    }
                } else {
                    // Dead, or written and never linked (a crash came first): zeroed, for a crash may have come
                    // before it was; no linked entry is odd once the journal's replay is done.
                    WORD.setRelease(k.segment, off, STAMP_DEAD);
                    zero(ref(c, off));
                }
                off += len;
            }
            liveBytes[c] = live;
            entryBytes += live;
        }
    }

    /** Writer, at a clean stop: records each chunk's live bytes in its header (with their check). */
    void recordLiveBytes() {
        for (int c = 1; c < MAX_CHUNKS; c++) {
            Chunk k = chunks.get(c);
            if (k != null) {
                k.segment.set(LONG, CHUNK_LIVE_BYTES_OFFSET, liveBytes[c]);
                k.segment.set(LONG, CHUNK_LIVE_CHECK_OFFSET, liveBytes[c] ^ CHUNK_LIVE_CHECK);
            }
        }
    }

    /**
     * Writer, at a clean open: each chunk's live bytes as the clean stop recorded them; false (and
     * nothing changed) if a chunk has none, as in a store written before they were recorded: then
     * {@link #recountChunks} counts them.
     */
    boolean restoreLiveBytes() {
        long[] live = new long[MAX_CHUNKS];
        long total = 0;
        for (int c = 1; c < MAX_CHUNKS; c++) {
            Chunk k = chunks.get(c);
            if (k != null) {
                long bytes = k.segment.get(LONG, CHUNK_LIVE_BYTES_OFFSET);
                if ((bytes ^ CHUNK_LIVE_CHECK) != k.segment.get(LONG, CHUNK_LIVE_CHECK_OFFSET)
                        || bytes < 0
                        || bytes > k.segment.byteSize()) {
                    return false;
                }
                live[c] = bytes;
                total += bytes;
            }
        }
        System.arraycopy(live, 0, liveBytes, 0, MAX_CHUNKS);
        entryBytes = total;
        return true;
    }

    /** Called for each live entry by {@link #recountChunks}. */
    interface EntryVisitor {
        void visit(long ref, int ownerWord, int keyLength, long valueLength);
    }

    /**
     * Writer: the chunk, other than the head, whose share of live bytes is lowest, if below three
     * quarters (moving a fuller chunk gains too little); 0 if none.
     */
    int emptiestChunk() {
        return emptiestChunk(0.75);
    }

    /** As {@link #emptiestChunk()}, for chunks less than {@code maxShare} live. */
    int emptiestChunk(double maxShare) {
        int best = 0;
        double bestShare = maxShare;
        for (int c = 1; c < MAX_CHUNKS; c++) {
            if (chunks.get(c) == null || c == headChunk) {
                continue;
            }
            double share = liveShare(c);
            if (share < bestShare) {
                bestShare = share;
                best = c;
            }
        }
        return best;
    }

    /** Share of chunk {@code c}'s room taken by live entries. */
    double liveShare(int c) {
        Chunk k = chunks.get(c);
        return k == null ? 1 : (double) liveBytes[c] / (k.segment.byteSize() - CHUNK_HEADER_LENGTH);
    }

    long liveBytes(int c) {
        return liveBytes[c];
    }

    int headChunk() {
        return headChunk;
    }

    long headOffset() {
        return headOffset;
    }

    /** Bytes of all chunk files. */
    long chunkBytes() {
        return chunkBytes;
    }

    /**
     * Bytes in this side's chunks taken by dead entries: everything but the headers, the live
     * entries and the head chunk's room not yet used. Racy outside the writer; for scheduling.
     */
    long deadBytes() {
        long room = 0;
        Chunk head = headChunk == 0 ? null : chunks.get(headChunk);
        if (head != null) {
            room = head.segment.byteSize() - headOffset;
        }
        return Math.max(0, chunkBytes - (long) chunkCount * CHUNK_HEADER_LENGTH - room - entryBytes);
    }

    /** Bytes of live entries (headers, keys, values, padding). */
    long entryBytes() {
        return entryBytes;
    }

    /** Writer: counters of keys in the private side, for readers of the public side (see the descriptor). */
    void privateKeyEntering() {
        WORD.getAndAdd(root, (long) ROOT_PRIVATE_INSERTS_OFFSET, 1L);
        WORD.getAndAdd(root, (long) ROOT_PRIVATE_LIVE_OFFSET, 1L);
    }

    void privateKeyLeft() {
        WORD.getAndAdd(root, (long) ROOT_PRIVATE_LIVE_OFFSET, -1L);
    }

    void setPrivateLive(long n) {
        WORD.setRelease(root, (long) ROOT_PRIVATE_LIVE_OFFSET, n);
    }

    /** Marks the side RETIRED: clients stop reading it and ask the daemon. */
    void retire() {
        WORD.setRelease(root, (long) ROOT_STATE_OFFSET, STATE_RETIRED);
    }

    void markLive() {
        WORD.setRelease(root, (long) ROOT_STATE_OFFSET, STATE_LIVE);
    }

    boolean live() {
        return (long) WORD.getAcquire(root, (long) ROOT_STATE_OFFSET) == STATE_LIVE;
    }

    /** Unmaps everything. Only when no thread of the daemon can be reading. */
    @Override
    public void close() {
        HashIndex ix = index;
        if (ix != null) {
            ix.close();
        }
        for (int c = 1; c < MAX_CHUNKS; c++) {
            Chunk k = chunks.get(c);
            if (k != null) {
                k.arena.close();
            }
        }
        rootArena.close();
    }
}
