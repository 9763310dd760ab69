package io.sharedmap.server.store;

import static io.sharedmap.server.store.StoreLayout.*;

import io.sharedmap.os.store.StoreDescriptor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The store's own bookkeeping, file {@code private/meta} ({@link StoreLayout}): which store it is,
 * for which data directory and machine boot, whether it was closed cleanly, how far the journal
 * has been applied (the checkpoint), the one multi-step change that may be in flight (the intent),
 * and where each side allocates next.
 *
 * <p>Crash safety: every field is one aligned word, and the order of stores is the order a crash
 * may cut: a checkpoint slot is invalidated (sequence 0), filled, then given its sequence
 * (release), alternating between two slots, so the newest whole one survives any cut; an intent's
 * fields are written before its kind (release) and the kind cleared when the change is whole; a
 * side's head offset is stored before any slot points past the old one (the slot's release store
 * orders it).
 *
 * <p>Writer only, except {@link #checkpoint()} at open.
 */
final class Meta implements AutoCloseable {
    /** How far the journal has been applied to the store. */
    record Checkpoint(long version, long segment, long recordStart, long recordEnd) {
        static final Checkpoint NONE = new Checkpoint(0, 0, 0, 0);
    }

    /** A multi-step change in flight: MOVE the entry {@code from} to {@code to} (tree references). */
    record Intent(long kind, long from, long to) {}

    private final Arena arena;
    final MemorySegment segment;

    private Meta(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    static Meta create(Path file, long publicGeneration, long privateGeneration, long dataDirId, long[] bootId)
            throws IOException {
        Arena a = Arena.ofShared();
        MemorySegment s;
        try {
            s = StoreFiles.create(file, META_LENGTH, StoreFiles.Access.PRIVATE, a);
        } catch (IOException | RuntimeException e) {
            a.close();
            throw e;
        }
        Meta m = new Meta(a, s);
        s.set(LONG, 0, META_MAGIC);
        s.set(INT, 8, META_FORMAT_VERSION);
        s.set(INT, 12, META_LENGTH);
        s.set(LONG, META_PUBLIC_GENERATION_OFFSET, publicGeneration);
        s.set(LONG, META_PRIVATE_GENERATION_OFFSET, privateGeneration);
        s.set(LONG, META_DATA_DIR_ID_OFFSET, dataDirId);
        s.set(LONG, META_BOOT_ID_OFFSET, bootId[0]);
        s.set(LONG, META_BOOT_ID_OFFSET + 8, bootId[1]);
        s.set(LONG, META_NEXT_INCARNATION_OFFSET, 1);
        s.set(LONG, META_NEXT_INDEX_GENERATION_OFFSET, 1);
        WORD.setRelease(s, (long) META_STATE_OFFSET, META_STATE_OPEN);
        return m;
    }

    /** @throws StoreCorruptException if the file is not a store's meta of this format */
    static Meta open(Path file) throws IOException {
        Arena a = Arena.ofShared();
        MemorySegment s;
        try {
            s = StoreFiles.map(file, a);
        } catch (IOException e) {
            a.close();
            throw e;
        }
        String bad = StoreDescriptor.checkHeader(s, META_MAGIC, META_FORMAT_VERSION, META_LENGTH, file.toString());
        if (bad != null) {
            a.close();
            throw new StoreCorruptException(bad);
        }
        return new Meta(a, s);
    }

    long publicGeneration() {
        return segment.get(LONG, META_PUBLIC_GENERATION_OFFSET);
    }

    long privateGeneration() {
        return segment.get(LONG, META_PRIVATE_GENERATION_OFFSET);
    }

    long dataDirId() {
        return segment.get(LONG, META_DATA_DIR_ID_OFFSET);
    }

    boolean bootIdIs(long[] bootId) {
        return segment.get(LONG, META_BOOT_ID_OFFSET) == bootId[0]
                && segment.get(LONG, META_BOOT_ID_OFFSET + 8) == bootId[1];
    }

    boolean closedCleanly() {
        return (long) WORD.getAcquire(segment, (long) META_STATE_OFFSET) == META_STATE_CLOSED;
    }

    void markOpen() {
        WORD.setRelease(segment, (long) META_STATE_OFFSET, META_STATE_OPEN);
    }

    void markClosed() {
        WORD.setRelease(segment, (long) META_STATE_OFFSET, META_STATE_CLOSED);
    }

    long nextIncarnation() {
        long n = segment.get(LONG, META_NEXT_INCARNATION_OFFSET);
        WORD.setRelease(segment, (long) META_NEXT_INCARNATION_OFFSET, n + 1);
        return n;
    }

    long nextIndexGeneration() {
        long n = segment.get(LONG, META_NEXT_INDEX_GENERATION_OFFSET);
        WORD.setRelease(segment, (long) META_NEXT_INDEX_GENERATION_OFFSET, n + 1);
        return n;
    }

    /** The newest whole checkpoint, or {@link Checkpoint#NONE}. */
    Checkpoint checkpoint() {
        long a = (long) WORD.getAcquire(segment, (long) META_CHECKPOINT_A_OFFSET + CHECKPOINT_SEQUENCE);
        long b = (long) WORD.getAcquire(segment, (long) META_CHECKPOINT_B_OFFSET + CHECKPOINT_SEQUENCE);
        if (a == 0 && b == 0) {
            return Checkpoint.NONE;
        }
        int at = Long.compareUnsigned(a, b) >= 0 ? META_CHECKPOINT_A_OFFSET : META_CHECKPOINT_B_OFFSET;
        return new Checkpoint(
                segment.get(LONG, at + CHECKPOINT_VERSION),
                segment.get(LONG, at + CHECKPOINT_SEGMENT),
                segment.get(LONG, at + CHECKPOINT_RECORD_START),
                segment.get(LONG, at + CHECKPOINT_RECORD_END));
    }

    /** Records a checkpoint in the older slot. */
    void setCheckpoint(Checkpoint c) {
        long a = segment.get(LONG, META_CHECKPOINT_A_OFFSET + CHECKPOINT_SEQUENCE);
        long b = segment.get(LONG, META_CHECKPOINT_B_OFFSET + CHECKPOINT_SEQUENCE);
        int at = Long.compareUnsigned(a, b) >= 0 ? META_CHECKPOINT_B_OFFSET : META_CHECKPOINT_A_OFFSET;
        long next = Math.max(a, b) + 1;
        WORD.setOpaque(segment, (long) at + CHECKPOINT_SEQUENCE, 0L);
        VarHandle.storeStoreFence();
        segment.set(LONG, at + CHECKPOINT_VERSION, c.version());
        segment.set(LONG, at + CHECKPOINT_SEGMENT, c.segment());
        segment.set(LONG, at + CHECKPOINT_RECORD_START, c.recordStart());
        segment.set(LONG, at + CHECKPOINT_RECORD_END, c.recordEnd());
        WORD.setRelease(segment, (long) at + CHECKPOINT_SEQUENCE, next);
    }

    @Nullable
    Intent intent() {
        long kind = (long) WORD.getAcquire(segment, (long) META_INTENT_OFFSET + INTENT_KIND);
        return kind == INTENT_NONE
                ? null
                : new Intent(
                        kind,
                        segment.get(LONG, META_INTENT_OFFSET + INTENT_FROM),
                        segment.get(LONG, META_INTENT_OFFSET + INTENT_TO));
    }

    void setIntent(long kind, long from, long to) {
        segment.set(LONG, META_INTENT_OFFSET + INTENT_FROM, from);
        segment.set(LONG, META_INTENT_OFFSET + INTENT_TO, to);
        WORD.setRelease(segment, (long) META_INTENT_OFFSET + INTENT_KIND, kind);
    }

    void clearIntent() {
        WORD.setRelease(segment, (long) META_INTENT_OFFSET + INTENT_KIND, INTENT_NONE);
    }

    /** The code of the public side's audience the store was made for (see {@code MappedStore}). */
    long publicAccess() {
        return segment.get(LONG, META_PUBLIC_ACCESS_OFFSET);
    }

    void setPublicAccess(long code) {
        segment.set(LONG, META_PUBLIC_ACCESS_OFFSET, code);
    }

    long headChunk(boolean isPrivate) {
        return segment.get(LONG, META_ALLOCATION_OFFSET + (isPrivate ? 16 : 0));
    }

    long headOffset(boolean isPrivate) {
        return segment.get(LONG, META_ALLOCATION_OFFSET + (isPrivate ? 16 : 0) + 8);
    }

    void setHead(boolean isPrivate, long chunk, long offset) {
        int at = META_ALLOCATION_OFFSET + (isPrivate ? 16 : 0);
        segment.set(LONG, at, chunk);
        WORD.setRelease(segment, (long) at + 8, offset);
    }

    @Override
    public void close() {
        arena.close();
    }
}
