package io.sharedmap.protocol.view;

import static io.sharedmap.protocol.view.ViewDescriptor.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * The daemon's side of the view ({@link ViewDescriptor}): publishes, replaces and withdraws keys.
 *
 * <p>Single writer: every method that changes the view must be called by one thread at a time,
 * with a happens-before edge between successive callers (the daemon calls it only from the
 * journal's leader, whose leadership is handed over through a volatile flag). Readers in any
 * process may read at any time.
 *
 * <p>Every change keeps this invariant, which is what lets a reader trust a miss to mean only "ask
 * the socket": a key is in at most one FULL slot (two holding the same version while {@link
 * #remove} moves it closer to its home), within {@code maxProbe} slots past its home, and no EMPTY
 * slot lies between its home and its slot. Between calls no slot is a TOMBSTONE. A key that cannot
 * be placed (too large for a slot, or no free slot within reach) is withdrawn instead, so the view
 * never holds a stale copy.
 */
public final class ViewWriter implements AutoCloseable {
    private final MemorySegment view;
    private final Arena arena; // null when the segment belongs to the caller
    private final int slotCount;
    private final int slotSize;
    private final int mask;
    private final int maxProbe;
    private final int capacity;
    private final int maxUsed;
    // Writer-thread state (single writer, see the class comment).
    private int full;
    private long published;
    private long withdrawnTooLarge;
    private long withdrawnNoRoom;

    private ViewWriter(MemorySegment view, Arena arena, int slotCount, int slotSize, int maxProbe) {
        this.view = view;
        this.arena = arena;
        this.slotCount = slotCount;
        this.slotSize = slotSize;
        this.mask = slotCount - 1;
        this.maxProbe = maxProbe;
        this.capacity = ViewDescriptor.payloadCapacity(slotSize);
        this.maxUsed = slotCount - slotCount / 8; // keep 1/8 of the slots EMPTY so misses stay short
    }

    /**
     * Formats {@code segment} (zero-filled, at least {@link ViewDescriptor#fileLength} bytes) as a
     * LIVE view. For tests and for {@link #create}.
     */
    public static ViewWriter format(MemorySegment segment, int slotCount, int slotSize, long generation) {
        return format(segment, null, slotCount, slotSize, generation);
    }

    private static ViewWriter format(MemorySegment segment, Arena arena, int slotCount, int slotSize, long generation) {
        String bad = checkGeometry(slotCount, slotSize);
        if (bad == null) {
            bad = checkAlignment(segment);
        }
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        if (segment.byteSize() < fileLength(slotCount, slotSize)) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes is too small for the view ("
                    + fileLength(slotCount, slotSize) + ")");
        }
        int probe = Math.min(MAX_PROBE, slotCount - 1);
        segment.set(LONG, MAGIC_OFFSET, MAGIC);
        segment.set(INT, FORMAT_VERSION_OFFSET, FORMAT_VERSION);
        segment.set(INT, HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        segment.set(INT, SLOT_COUNT_OFFSET, slotCount);
        segment.set(INT, SLOT_SIZE_OFFSET, slotSize);
        segment.set(LONG, GENERATION_OFFSET, generation);
        segment.set(INT, MAX_PROBE_OFFSET, probe);
        WORD.setRelease(segment, (long) STATE_OFFSET, STATE_LIVE);
        return new ViewWriter(segment, arena, slotCount, slotSize, probe);
    }

    /**
     * Creates the view file {@code file} with permissions {@code mode} and the given geometry, empty
     * and LIVE: written to a temporary file first and renamed over {@code file}, so a reader opening
     * {@code file} finds the old view (which the caller has {@linkplain #retire(Path) retired}) or
     * the new one, never a half-made one.
     */
    public static ViewWriter create(
            Path file, int slotCount, int slotSize, long generation, Set<PosixFilePermission> mode) throws IOException {
        return create(file, slotCount, slotSize, generation, mode, -1);
    }

    /**
     * As {@link #create(Path, int, int, long, Set)}, with group id {@code gid} (-1: the one the file
     * system gives; set by number, never by a name that digits could also be). The temporary file is
     * created readable by its owner only and gets its group before its mode, so nobody outside the
     * final audience can open it even for an instant.
     */
    public static ViewWriter create(
            Path file, int slotCount, int slotSize, long generation, Set<PosixFilePermission> mode, long gid)
            throws IOException {
        String bad = checkGeometry(slotCount, slotSize);
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Set<PosixFilePermission> ownerOnly =
                EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(ownerOnly));
        if (gid >= 0) {
            Files.setAttribute(tmp, "unix:gid", (int) gid);
        }
        Files.setPosixFilePermissions(tmp, mode); // exactly: the process umask does not narrow it
        Arena arena = Arena.ofShared();
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long length = fileLength(slotCount, slotSize);
            MemorySegment segment =
                    c.map(FileChannel.MapMode.READ_WRITE, 0, length, arena); // grows the file, zero-filled
            ViewWriter w = format(segment, arena, slotCount, slotSize, generation);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return w;
        } catch (IOException | RuntimeException e) {
            arena.close();
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Marks the view file at {@code file}, if there is one, RETIRED, so that every reader still
     * mapping it goes back to the daemon. Returns whether a view was retired. A file that is not a
     * view of this format is left alone.
     */
    public static boolean retire(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (Arena arena = Arena.ofConfined();
                FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (c.size() < HEADER_LENGTH) {
                return false;
            }
            MemorySegment header = c.map(FileChannel.MapMode.READ_WRITE, 0, HEADER_LENGTH, arena);
            if (header.get(LONG, MAGIC_OFFSET) != MAGIC) {
                return false;
            }
            WORD.setRelease(header, (long) STATE_OFFSET, STATE_RETIRED);
            return true;
        }
    }

    /** Marks this view RETIRED: readers stop using it and go back to the daemon. */
    public void retire() {
        WORD.setRelease(view, (long) STATE_OFFSET, STATE_RETIRED);
    }

    /**
     * Publishes {@code key} with {@code value} at {@code version}, replacing its old copy in place.
     * Returns false if the key cannot be placed (key and value longer than a slot holds, or no free
     * slot within reach); the key is then withdrawn, so readers ask the daemon for it.
     */
    public boolean put(byte[] key, byte[] value, long version) {
        int h = hash(key);
        if ((long) key.length + value.length > capacity) {
            remove(key, h);
            withdrawnTooLarge++;
            return false;
        }
        int home = h & mask;
        int free = -1;
        for (int d = 0; d <= maxProbe; d++) {
            int i = (home + d) & mask;
            long off = slotOffset(i, slotSize);
            byte state = view.get(ValueLayout.JAVA_BYTE, off + SLOT_STATE_OFFSET);
            if (state == EMPTY) {
                if (free < 0) {
                    free = i;
                }
                break; // the key is nowhere past an EMPTY slot
            }
            if (state == TOMBSTONE) {
                if (free < 0) {
                    free = i;
                }
            } else if (holds(off, h, key)) {
                writeSlot(off, FULL, h, key, value, version);
                published++;
                return true;
            }
        }
        if (free < 0) {
            withdrawnNoRoom++;
            return false;
        }
        long off = slotOffset(free, slotSize);
        if (full >= maxUsed) {
            withdrawnNoRoom++;
            return false;
        }
        writeSlot(off, FULL, h, key, value, version);
        full++;
        published++;
        return true;
    }

    /** Withdraws {@code key} from the view, if it is there. */
    public void remove(byte[] key) {
        remove(key, hash(key));
    }

    private void remove(byte[] key, int h) {
        int home = h & mask;
        for (int d = 0; d <= maxProbe; d++) {
            int i = (home + d) & mask;
            long off = slotOffset(i, slotSize);
            byte state = view.get(ValueLayout.JAVA_BYTE, off + SLOT_STATE_OFFSET);
            if (state == EMPTY) {
                return;
            }
            if (state == FULL && holds(off, h, key)) {
                writeSlot(off, TOMBSTONE, 0, null, null, 0);
                full--;
                closeHole(i);
                return;
            }
        }
    }

    /**
     * Backward-shift deletion (Knuth's Algorithm R for linear probing): fills the hole at slot
     * {@code hole}, a TOMBSTONE, with the next key of its cluster that may sit there (one whose home
     * is not between the hole and its slot), then fills the hole that key left, and so on up to the
     * cluster's end; the last hole becomes EMPTY. So no tombstone outlives a remove, keys only move
     * closer to their home, and a table under delete churn keeps its free slots (with tombstones left
     * behind, churn filled it up and new keys had to be withdrawn).
     *
     * <p>Readers stay safe while keys move: a key is copied to the hole before its old slot becomes a
     * TOMBSTONE (probes go on past it), so at every moment it is in one or two FULL slots holding the
     * same version, or a reader that raced with the move misses it and asks the daemon.
     */
    private void closeHole(int hole) {
        for (int j = (hole + 1) & mask, n = 0; n < slotCount; j = (j + 1) & mask, n++) {
            long off = slotOffset(j, slotSize);
            byte state = view.get(ValueLayout.JAVA_BYTE, off + SLOT_STATE_OFFSET);
            if (state == EMPTY) {
                break;
            }
            if (state != FULL) {
                continue; // a TOMBSTONE cannot outlive a remove; pass over one anyway, as probes do
            }
            int home = view.get(INT, off + SLOT_HASH_OFFSET) & mask;
            if (((hole - home) & mask) < ((j - home) & mask)) { // the hole lies between its home and its slot
                copySlot(off, slotOffset(hole, slotSize));
                writeSlot(off, TOMBSTONE, 0, null, null, 0);
                hole = j;
            }
        }
        writeSlot(slotOffset(hole, slotSize), EMPTY, 0, null, null, 0);
    }

    private boolean holds(long off, int h, byte[] key) {
        if (view.get(INT, off + SLOT_HASH_OFFSET) != h
                || (view.get(SHORT, off + SLOT_KEY_LENGTH_OFFSET) & 0xFFFF) != key.length) {
            return false;
        }
        long start = off + SLOT_PAYLOAD_OFFSET;
        return MemorySegment.mismatch(view, start, start + key.length, MemorySegment.ofArray(key), 0, key.length) < 0;
    }

    /**
     * Rewrites one slot under its seqlock: stamp odd, fields and bytes, stamp even (release). The
     * store-store fence keeps the odd stamp ahead of the data; the release keeps the data ahead of
     * the even stamp, so a reader that sees the same even stamp before and after its copy saw none
     * of this write or all of it. Bytes of the slot's previous key and value that the new contents
     * do not cover are zeroed: a withdrawn key (deleted, or chmod-ed out of the readers' reach) must
     * not stay readable in the file.
     */
    private void writeSlot(long off, byte state, int h, byte[] key, byte[] value, long version) {
        long stamp = (long) WORD.get(view, off + SLOT_STAMP_OFFSET);
        WORD.setOpaque(view, off + SLOT_STAMP_OFFSET, stamp + 1);
        VarHandle.storeStoreFence();
        int keyLength = key == null ? 0 : key.length;
        int valueLength = value == null ? 0 : value.length;
        long oldPayload = Math.min(
                (long) capacity,
                (view.get(SHORT, off + SLOT_KEY_LENGTH_OFFSET) & 0xFFFF)
                        + (view.get(INT, off + SLOT_VALUE_LENGTH_OFFSET) & 0xFFFF_FFFFL));
        long newPayload = keyLength + valueLength;
        if (oldPayload > newPayload) {
            view.asSlice(off + SLOT_PAYLOAD_OFFSET + newPayload, oldPayload - newPayload)
                    .fill((byte) 0);
        }
        view.set(LONG, off + SLOT_VERSION_OFFSET, version);
        view.set(INT, off + SLOT_HASH_OFFSET, h);
        view.set(SHORT, off + SLOT_KEY_LENGTH_OFFSET, (short) keyLength);
        view.set(ValueLayout.JAVA_BYTE, off + SLOT_STATE_OFFSET, state);
        view.set(INT, off + SLOT_VALUE_LENGTH_OFFSET, valueLength);
        if (keyLength > 0) {
            MemorySegment.copy(key, 0, view, ValueLayout.JAVA_BYTE, off + SLOT_PAYLOAD_OFFSET, keyLength);
        }
        if (valueLength > 0) {
            MemorySegment.copy(
                    value, 0, view, ValueLayout.JAVA_BYTE, off + SLOT_PAYLOAD_OFFSET + keyLength, valueLength);
        }
        WORD.setRelease(view, off + SLOT_STAMP_OFFSET, stamp + 2);
    }

    /** Rewrites slot {@code to} (a TOMBSTONE, so zero-filled) as a copy of FULL slot {@code from}, under its seqlock. */
    private void copySlot(long from, long to) {
        long stamp = (long) WORD.get(view, to + SLOT_STAMP_OFFSET);
        WORD.setOpaque(view, to + SLOT_STAMP_OFFSET, stamp + 1);
        VarHandle.storeStoreFence();
        int keyLength = view.get(SHORT, from + SLOT_KEY_LENGTH_OFFSET) & 0xFFFF;
        int valueLength = view.get(INT, from + SLOT_VALUE_LENGTH_OFFSET);
        view.set(LONG, to + SLOT_VERSION_OFFSET, view.get(LONG, from + SLOT_VERSION_OFFSET));
        view.set(INT, to + SLOT_HASH_OFFSET, view.get(INT, from + SLOT_HASH_OFFSET));
        view.set(SHORT, to + SLOT_KEY_LENGTH_OFFSET, (short) keyLength);
        view.set(ValueLayout.JAVA_BYTE, to + SLOT_STATE_OFFSET, FULL);
        view.set(INT, to + SLOT_VALUE_LENGTH_OFFSET, valueLength);
        MemorySegment.copy(
                view, from + SLOT_PAYLOAD_OFFSET, view, to + SLOT_PAYLOAD_OFFSET, (long) keyLength + valueLength);
        WORD.setRelease(view, to + SLOT_STAMP_OFFSET, stamp + 2);
    }

    /** Keys in the view. */
    public int entries() {
        return full;
    }

    /** Successful {@link #put}s. */
    public long published() {
        return published;
    }

    /** Puts refused because key and value exceed {@link #payloadCapacity()}. */
    public long withdrawnTooLarge() {
        return withdrawnTooLarge;
    }

    /** Puts refused for want of a free slot within reach. */
    public long withdrawnNoRoom() {
        return withdrawnNoRoom;
    }

    /** Bytes of key plus value one slot holds. */
    public int payloadCapacity() {
        return capacity;
    }

    public int slotCount() {
        return slotCount;
    }

    public int slotSize() {
        return slotSize;
    }

    /** Unmaps the view (it is not retired: call {@link #retire()} first if readers must leave it). */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
