package io.sharedmap.server.store;

import static io.sharedmap.os.store.StoreDescriptor.*;

import io.sharedmap.server.store.StoreFiles.Access;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * One generation of a side's hash index (file {@code index-<generation>}, {@link
 * io.sharedmap.os.store.StoreDescriptor}): an open-addressing table of slot words with linear
 * probing from the top bits of the key hash. The store's writer is its only writer; the daemon's
 * readers and client processes read it lock-free.
 *
 * <p>Keys never move between slots of one generation: an insert fills the first EMPTY or TOMBSTONE
 * slot of the key's probe sequence (after checking that the key is not further on), a change swaps
 * the slot's word, a removal leaves a TOMBSTONE. The writer replaces the generation (see {@link
 * #needsRebuild}) before fewer than an eighth of the slots would be EMPTY, so every probe ends.
 */
final class HashIndex implements AutoCloseable {
    /** Rebuild when live keys plus tombstones reach this share of the slots ... */
    private static final double MAX_FILL = 0.75;
    /** ... or live keys fall below this share of a table larger than the smallest. */
    private static final double MIN_FILL = 0.125;

    final Path file;
    final long generation;
    final int log2Slots;
    final long mask;
    private final Arena arena;
    final MemorySegment segment;
    private long live; // writer only
    private long tombstones; // writer only

    private HashIndex(Path file, long generation, int log2Slots, Arena arena, MemorySegment segment) {
        this.file = file;
        this.generation = generation;
        this.log2Slots = log2Slots;
        this.mask = (1L << log2Slots) - 1;
        this.arena = arena;
        this.segment = segment;
    }

    /** Creates an empty, LIVE generation. */
    static HashIndex create(Path dir, long generation, long storeGeneration, int log2Slots, Access access)
            throws IOException {
        if (log2Slots < MIN_LOG2_SLOTS || log2Slots > MAX_LOG2_SLOTS) {
            throw new StoreFullException(
                    "an index of 2^" + log2Slots + " slots is outside 2^" + MIN_LOG2_SLOTS + "..2^" + MAX_LOG2_SLOTS);
        }
        Path file = dir.resolve(indexFile(generation));
        Arena arena = Arena.ofShared();
        try {
            MemorySegment s = StoreFiles.create(file, indexLength(log2Slots), access, arena);
            s.set(LONG, 0, INDEX_MAGIC);
            s.set(INT, 8, INDEX_FORMAT_VERSION);
            s.set(INT, 12, INDEX_HEADER_LENGTH);
            s.set(INT, INDEX_LOG2_SLOTS_OFFSET, log2Slots);
            s.set(LONG, INDEX_GENERATION_OFFSET, generation);
            s.set(LONG, INDEX_STORE_GENERATION_OFFSET, storeGeneration);
            WORD.setRelease(s, (long) INDEX_STATE_OFFSET, STATE_LIVE);
            return new HashIndex(file, generation, log2Slots, arena, s);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Maps an existing generation; its counts are taken from the header ({@code exactCounts}) or
     * counted by a pass over the slots.
     *
     * @throws StoreCorruptException if the file is not that generation of that store
     */
    static HashIndex open(Path dir, long generation, long storeGeneration, boolean exactCounts) throws IOException {
        Path file = dir.resolve(indexFile(generation));
        Arena arena = Arena.ofShared();
        try {
            MemorySegment s = StoreFiles.map(file, arena);
            String bad = checkHeader(s, INDEX_MAGIC, INDEX_FORMAT_VERSION, INDEX_HEADER_LENGTH, file.toString());
            int log2 = bad == null ? s.get(INT, INDEX_LOG2_SLOTS_OFFSET) : 0;
            if (bad == null && (log2 < MIN_LOG2_SLOTS || log2 > MAX_LOG2_SLOTS || s.byteSize() < indexLength(log2))) {
                bad = file + ": " + log2 + " is not a valid slot count exponent for its length";
            }
            if (bad == null
                    && (s.get(LONG, INDEX_GENERATION_OFFSET) != generation
                            || s.get(LONG, INDEX_STORE_GENERATION_OFFSET) != storeGeneration)) {
                bad = file + ": names another index or store generation";
            }
            if (bad != null) {
                throw new StoreCorruptException(bad);
            }
            HashIndex ix = new HashIndex(file, generation, log2, arena, s);
            if (exactCounts) {
                ix.live = s.get(LONG, INDEX_LIVE_OFFSET);
                ix.tombstones = s.get(LONG, INDEX_TOMBSTONES_OFFSET);
            } else {
                ix.recount();
            }
            WORD.setRelease(s, (long) INDEX_STATE_OFFSET, STATE_LIVE);
            return ix;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private void recount() {
        long l = 0;
        long t = 0;
        for (long i = 0; i <= mask; i++) {
            long w = segment.get(LONG, slotOffset(i));
            if (w == SLOT_TOMBSTONE) {
                t++;
            } else if (w != SLOT_EMPTY) {
                l++;
            }
        }
        live = l;
        tombstones = t;
    }

    long slots() {
        return mask + 1;
    }

    /** The slot word at {@code slot}, with acquire semantics (any thread). */
    long word(long slot) {
        return (long) WORD.getAcquire(segment, slotOffset(slot));
    }

    /** Writer: sets a slot that held an entry or was free, with release semantics. */
    void set(long slot, long word, long previous) {
        WORD.setRelease(segment, slotOffset(slot), word);
        boolean wasEntry = isEntry(previous);
        boolean isEntryNow = isEntry(word);
        if (!wasEntry && isEntryNow) {
            live++;
            if (previous == SLOT_TOMBSTONE) {
                tombstones--;
            }
        } else if (wasEntry && !isEntryNow) {
            live--;
            if (word == SLOT_TOMBSTONE) {
                tombstones++;
            }
        }
    }

    long live() {
        return live;
    }

    long tombstones() {
        return tombstones;
    }

    /**
     * The slot-count exponent a new generation should have, or -1 if this one is fine before one more
     * key is inserted.
     */
    int needsRebuild() {
        long n = slots();
        if (live + tombstones + 1 > (long) (n * MAX_FILL)) {
            return sizeFor(live + 1);
        }
        if (log2Slots > MIN_LOG2_SLOTS && live < (long) (n * MIN_FILL)) {
            return sizeFor(live);
        }
        return -1;
    }

    /** The smallest exponent whose table holds {@code keys} at most half full. */
    static int sizeFor(long keys) {
        int log2 = MIN_LOG2_SLOTS;
        while (log2 < MAX_LOG2_SLOTS && (1L << log2) < keys * 2) {
            log2++;
        }
        return log2;
    }

    /**
     * Writer: inserts an entry word into a table known not to hold its key, at the first free slot of
     * its probe sequence. Used to build a new generation.
     */
    void insertNew(long hash, long word) {
        long i = home(hash, log2Slots);
        while (true) {
            long w = segment.get(LONG, slotOffset(i));
            if (!isEntry(w)) {
                set(i, word, w);
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /** Writer: records its counts in the header (exact from here on, until the next change). */
    void writeCounts() {
        segment.set(LONG, INDEX_LIVE_OFFSET, live);
        segment.set(LONG, INDEX_TOMBSTONES_OFFSET, tombstones);
    }

    /** Marks this generation RETIRED: readers that find it so go back to the root for the live one. */
    void retire() {
        WORD.setRelease(segment, (long) INDEX_STATE_OFFSET, STATE_RETIRED);
    }

    /** Unmaps. Only when no thread of the daemon can be reading it (see {@link Grace}). */
    @Override
    public void close() {
        arena.close();
    }
}
