package io.sharedmap.protocol.view;

import static io.sharedmap.protocol.view.ViewDescriptor.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A client's side of the view ({@link ViewDescriptor}): answers GET from mapped memory, with no
 * system call and no write to shared memory. Thread-safe; any number of readers in any number of
 * processes.
 *
 * <p>Contract: {@link #lookup} returns a value and version that some completed write of the
 * daemon's published for the key, copied whole (a read that overlapped a change of the slot is
 * detected by the stamp and retried). It returns null ("ask the daemon") when the key is not in the
 * view, when the view was retired, or when a slot kept changing under it for {@link #MAX_ATTEMPTS}
 * tries. Happens-before: the daemon publishes a write in the view (even stamp, release) before it
 * acknowledges the write; a lookup that starts after the acknowledgment reads the stamp with
 * acquire semantics, so it sees that write or a later one, never an older value.
 */
public final class ViewReader {
    /** Stamp checks per lookup before giving up to the socket. */
    public static final int MAX_ATTEMPTS = 64;

    /** A value found in the view. */
    public record Hit(byte[] value, long version) {}

    private final MemorySegment view;
    private final int mask;
    private final int slotSize;
    private final int maxProbe;
    private final int capacity;
    private final long generation;

    private ViewReader(MemorySegment view) {
        this.view = view;
        int slotCount = view.get(INT, SLOT_COUNT_OFFSET);
        this.mask = slotCount - 1;
        this.slotSize = view.get(INT, SLOT_SIZE_OFFSET);
        this.maxProbe = view.get(INT, MAX_PROBE_OFFSET);
        this.capacity = payloadCapacity(slotSize);
        this.generation = view.get(LONG, GENERATION_OFFSET);
    }

    /**
     * Reads a view laid out in {@code segment} (for tests; {@link #open} for files).
     *
     * @throws IllegalArgumentException if the segment does not hold a view of this format
     */
    public static ViewReader of(MemorySegment segment) {
        String bad = checkHeader(segment);
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        return new ViewReader(segment);
    }

    /**
     * Maps the view file read-only. The mapping is released when the reader is no longer reachable
     * (an automatic arena), so a reader replaced after a daemon restart needs no close that could race
     * a lookup on another thread.
     *
     * @throws IOException if the file cannot be opened (for example, this user may not read it) or
     *     is not a view of this format, or not the one of {@code generation}
     */
    public static ViewReader open(Path file, long generation) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment segment = c.map(FileChannel.MapMode.READ_ONLY, 0, c.size(), Arena.ofAuto());
            String bad = checkHeader(segment);
            if (bad != null) {
                throw new IOException(file + ": " + bad);
            }
            ViewReader r = new ViewReader(segment);
            if (r.generation != generation) {
                throw new IOException(file + ": holds view generation " + Long.toHexString(r.generation)
                        + ", the daemon announced " + Long.toHexString(generation) + " (replaced meanwhile)");
            }
            return r;
        }
    }

    /** The generation named in the header. */
    public long generation() {
        return generation;
    }

    /** Whether the daemon retired this view (a reader must go back to the daemon for the new one). */
    public boolean retired() {
        return (long) WORD.getAcquire(view, (long) STATE_OFFSET) != STATE_LIVE;
    }

    /** The key's value and version, or null: ask the daemon (see the class comment). */
    public Hit lookup(byte[] key) {
        if (retired()) {
            return null;
        }
        int h = hash(key);
        int home = h & mask;
        int attempts = 0;
        for (int d = 0; d <= maxProbe; ) {
            long off = slotOffset((home + d) & mask, slotSize);
            long stamp = (long) WORD.getAcquire(view, off + SLOT_STAMP_OFFSET);
            if ((stamp & 1) != 0) {
                if (++attempts >= MAX_ATTEMPTS) {
                    return null;
                }
                Thread.onSpinWait();
                continue;
            }
            byte state = view.get(ValueLayout.JAVA_BYTE, off + SLOT_STATE_OFFSET);
            Hit hit = null;
            if (state == FULL && view.get(INT, off + SLOT_HASH_OFFSET) == h) {
                int keyLength = view.get(SHORT, off + SLOT_KEY_LENGTH_OFFSET) & 0xFFFF;
                int valueLength = view.get(INT, off + SLOT_VALUE_LENGTH_OFFSET);
                // Bounds first: a torn read may show any lengths; nothing outside the slot is touched.
                if (keyLength == key.length && valueLength >= 0 && valueLength <= capacity - keyLength) {
                    long start = off + SLOT_PAYLOAD_OFFSET;
                    if (MemorySegment.mismatch(view, start, start + keyLength, MemorySegment.ofArray(key), 0, keyLength)
                            < 0) {
                        byte[] value = new byte[valueLength];
                        MemorySegment.copy(view, ValueLayout.JAVA_BYTE, start + keyLength, value, 0, valueLength);
                        hit = new Hit(value, view.get(LONG, off + SLOT_VERSION_OFFSET));
                    }
                }
            }
            VarHandle.acquireFence(); // the reads above complete before the stamp is read again
            if ((long) WORD.getOpaque(view, off + SLOT_STAMP_OFFSET) != stamp) { // opaque: a real second read
                if (++attempts >= MAX_ATTEMPTS) {
                    return null;
                }
                continue; // the slot changed while being read: read it again
            }
            if (hit != null) {
                return hit;
            }
            if (state == EMPTY) {
                return null; // the key is nowhere past an EMPTY slot
            }
            d++;
        }
        return null;
    }
}
