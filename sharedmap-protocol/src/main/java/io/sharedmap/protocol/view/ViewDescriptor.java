package io.sharedmap.protocol.view;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Layout of the <em>view</em>: the read-only, memory-mapped copy of the store that the daemon
 * publishes so that a client process can answer GET without a system call. The daemon is its only
 * writer; readers never write to it, so a reader that dies leaves nothing behind.
 *
 * <p>All integers are little-endian (the machine's order: readers and the writer share one
 * machine). The file is a header followed by {@code slotCount} slots of {@code slotSize} bytes,
 * an open-addressing hash table with linear probing.
 *
 * <pre>
 *  Header (64 bytes):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 magic "SMAPVIEW" (8 bytes)                    |  0
 *  +                                                               +
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |     format version (u32) = 1  |     header length (u32) = 64  |  8
 *  +-------------------------------+-------------------------------+
 *  |   slot count (u32, power of 2)|  slot size (u32, power of 2)  |  16
 *  +-------------------------------+-------------------------------+
 *  |                  state (u64): 1 LIVE, 2 RETIRED               |  24
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |            generation (u64): names this daemon's view         |  32
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |    max probe (u32): slots a key may lie past its home slot    |  40
 *  +---------------------------------------------------------------+
 *  |                  reserved (zero) up to byte 64                |  44
 *  +---------------------------------------------------------------+
 *
 *  Slot (slotSize bytes; slot i starts at 64 + i * slotSize):
 *  +---------------------------------------------------------------+
 *  |  stamp (u64): even = stable, odd = being written (seqlock)    |  0
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |               version (u64) of the value, as GET reports it   |  8
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                     key hash (u32, see hash())                |  16
 *  +-------------------------------+---------------+---------------+
 *  |        key length (u16)       |  state (u8)   | reserved (0)  |  20
 *  +-------------------------------+---------------+---------------+
 *  |                      value length (u32)                       |  24
 *  +---------------------------------------------------------------+
 *  |       key bytes, then value bytes (slotSize - 28 at most)     |  28
 *  |                              ...                              |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Slot states: {@link #EMPTY} (never used: a probe for any key stops here), {@link #FULL},
 * {@link #TOMBSTONE} (deleted: a probe goes on past it). A key lies at most {@code maxProbe} slots
 * past its home slot {@code hash & (slotCount - 1)}; the writer does not publish a key it cannot
 * place within that distance.
 *
 * <p>The publication protocol (a seqlock per slot, the RCU of the original module across
 * processes): the writer makes the stamp odd, then (store-store fence) writes the fields and bytes,
 * then makes the stamp even again with release semantics. A reader reads the stamp with acquire
 * semantics, retries if it is odd, reads and bounds-checks the fields, copies the bytes, issues an
 * acquire fence, and reads the stamp again: if it changed, what it copied may be torn and it
 * retries. Every offset a reader follows is checked against the slot before use, so a torn read is
 * detected, never a crash. The header's state is read with acquire semantics before every lookup;
 * a new daemon sets the old view's state to RETIRED before it acknowledges anything.
 */
public final class ViewDescriptor {
    private ViewDescriptor() {}

    /** "SMAPVIEW" read as a little-endian long. */
    public static final long MAGIC = 0x5745_4956_5041_4D53L;

    public static final int FORMAT_VERSION = 1;
    public static final int HEADER_LENGTH = 64;

    public static final int MAGIC_OFFSET = 0;
    public static final int FORMAT_VERSION_OFFSET = 8;
    public static final int HEADER_LENGTH_OFFSET = 12;
    public static final int SLOT_COUNT_OFFSET = 16;
    public static final int SLOT_SIZE_OFFSET = 20;
    public static final int STATE_OFFSET = 24;
    public static final int GENERATION_OFFSET = 32;
    public static final int MAX_PROBE_OFFSET = 40;

    public static final long STATE_LIVE = 1;
    public static final long STATE_RETIRED = 2;

    public static final int SLOT_STAMP_OFFSET = 0;
    public static final int SLOT_VERSION_OFFSET = 8;
    public static final int SLOT_HASH_OFFSET = 16;
    public static final int SLOT_KEY_LENGTH_OFFSET = 20;
    public static final int SLOT_STATE_OFFSET = 22;
    public static final int SLOT_VALUE_LENGTH_OFFSET = 24;
    public static final int SLOT_PAYLOAD_OFFSET = 28;

    public static final byte EMPTY = 0;
    public static final byte FULL = 1;
    public static final byte TOMBSTONE = 2;

    /** Smallest slot: room for the fields and 36 bytes of key and value. */
    public static final int MIN_SLOT_SIZE = 64;
    /** Largest slot (64 KiB). */
    public static final int MAX_SLOT_SIZE = 1 << 16;
    /** Fewest slots. */
    public static final int MIN_SLOT_COUNT = 16;
    /** Most slots (2^26: 16 GiB at 256-byte slots). */
    public static final int MAX_SLOT_COUNT = 1 << 26;
    /** Default geometry: 2^18 slots of 256 bytes, 64 MiB, room for keys plus values up to 228 bytes. */
    public static final int DEFAULT_SLOT_COUNT = 1 << 18;

    public static final int DEFAULT_SLOT_SIZE = 256;
    /** How far past its home slot a key may lie. */
    public static final int MAX_PROBE = 64;

    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Access to an aligned 8-byte word with memory-ordering modes: the stamps and the header's state.
     * Coordinates: (segment, long offset). Offsets used with it are multiples of 8.
     */
    static final VarHandle WORD =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    /** Total file length for a geometry. */
    public static long fileLength(int slotCount, int slotSize) {
        return HEADER_LENGTH + (long) slotCount * slotSize;
    }

    /** Bytes of key plus value a slot of {@code slotSize} holds. */
    public static int payloadCapacity(int slotSize) {
        return slotSize - SLOT_PAYLOAD_OFFSET;
    }

    /** Offset of slot {@code i}. */
    static long slotOffset(int i, int slotSize) {
        return HEADER_LENGTH + (long) i * slotSize;
    }

    /**
     * The key's hash: {@link Arrays#hashCode(byte[])} (specified, so every JVM computes the same),
     * mixed so that the low bits that choose the home slot depend on every byte.
     */
    public static int hash(byte[] key) {
        int h = Arrays.hashCode(key) * 0x9E37_79B9;
        return h ^ (h >>> 15);
    }

    /** Checks a geometry; returns null when valid, else what is wrong and the limit it broke. */
    public static String checkGeometry(long slotCount, long slotSize) {
        if (slotCount < MIN_SLOT_COUNT || slotCount > MAX_SLOT_COUNT || Long.bitCount(slotCount) != 1) {
            return "view slot count " + slotCount + " must be a power of two from " + MIN_SLOT_COUNT + " to "
                    + MAX_SLOT_COUNT;
        }
        if (slotSize < MIN_SLOT_SIZE || slotSize > MAX_SLOT_SIZE || Long.bitCount(slotSize) != 1) {
            return "view slot size " + slotSize + " must be a power of two from " + MIN_SLOT_SIZE + " to "
                    + MAX_SLOT_SIZE + " bytes";
        }
        return null;
    }

    /**
     * Null if the stamps and the state word of a view in {@code s} can be accessed atomically: native
     * or mapped memory at an 8-byte-aligned address (a mapped file always is); else what is wrong.
     */
    static String checkAlignment(MemorySegment s) {
        if (!s.isNative() || s.address() % Long.BYTES != 0) {
            return "a view needs native or mapped memory aligned to 8 bytes (its stamps are read and written"
                    + " atomically), not " + s;
        }
        return null;
    }

    /** Reads the header's fixed fields; null if {@code s} is not a view of this format. */
    static String checkHeader(MemorySegment s) {
        String misaligned = checkAlignment(s);
        if (misaligned != null) {
            return misaligned;
        }
        if (s.byteSize() < HEADER_LENGTH) {
            return "view file is " + s.byteSize() + " bytes, shorter than its " + HEADER_LENGTH + "-byte header";
        }
        if (s.get(LONG, MAGIC_OFFSET) != MAGIC) {
            return "not a sharedmap view (bad magic)";
        }
        int version = s.get(INT, FORMAT_VERSION_OFFSET);
        if (version != FORMAT_VERSION || s.get(INT, HEADER_LENGTH_OFFSET) != HEADER_LENGTH) {
            return "view format " + version + " is not the supported format " + FORMAT_VERSION;
        }
        int count = s.get(INT, SLOT_COUNT_OFFSET);
        int size = s.get(INT, SLOT_SIZE_OFFSET);
        String geometry = checkGeometry(count & 0xFFFF_FFFFL, size & 0xFFFF_FFFFL);
        if (geometry != null) {
            return geometry;
        }
        if (s.byteSize() < fileLength(count, size)) {
            return "view file is " + s.byteSize() + " bytes, shorter than its geometry needs ("
                    + fileLength(count, size) + ")";
        }
        int probe = s.get(INT, MAX_PROBE_OFFSET);
        if (probe < 1 || probe > count) {
            return "view max probe " + probe + " is out of range 1.." + count;
        }
        return null;
    }
}
