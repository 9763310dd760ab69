package io.sharedmap.os.store;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.jspecify.annotations.Nullable;

/**
 * Layout of the <em>mapped store</em>: the files in which the daemon keeps every key, value,
 * version and owner, and which every permitted process maps to answer GET without a system call.
 * The daemon is the only writer; readers never write to them, so a reader that dies leaves nothing
 * behind. All integers are little-endian (readers and writer share one machine).
 *
 * <p>A store has two <em>sides</em> of this same format in two directories: the public side
 * ({@code public/}), whose files every process that may connect to the daemon may read, holding
 * exactly the keys that all of them may read; and the private side ({@code private/}, mode 0700),
 * which only the daemon opens, holding every other key. A key is in exactly one side. Each side is
 * a root file, one live hash-index file and a set of chunk files:
 *
 * <pre>
 *  root (4096-byte header, then the chunk directory)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                magic "SMAPROOT" (8 bytes)                     |  0
 *  +                                                               +
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |   format version (u32) = 1    |  header length (u32) = 4096   |  8
 *  +-------------------------------+-------------------------------+
 *  |              state (u64): 1 LIVE, 2 RETIRED                   |  16
 *  +                                                               +
 *  +---------------------------------------------------------------+
 *  |       store generation (u64): names this store instance       |  24
 *  +                                                               +
 *  +---------------------------------------------------------------+
 *  |   index generation (u64): the live index is index-&lt;16 hex&gt;   |  32
 *  +                                                               +
 *  +---------------------------------------------------------------+
 *  |  private inserts (u64, public side): keys that ever entered   |  40
 *  +  the private side                                             +
 *  +---------------------------------------------------------------+
 *  |  private live (u64, public side): keys in the private side    |  48
 *  +                                                               +
 *  +---------------------------------------------------------------+
 *  |  chunk epoch (u64): counts chunk deletions                    |  56
 *  +                                                               +
 *  +---------------------------------------------------------------+
 *  |                  reserved (zero) up to byte 4096              |  64
 *  +---------------------------------------------------------------+
 *  |  chunk directory: 8192 entries of 16 bytes, entry c at        | 4096
 *  |  4096 + 16 c: incarnation (u64, 0: no chunk c), length (u64)  |
 *  +---------------------------------------------------------------+
 *
 *  index-&lt;generation as 16 hex digits&gt; (64-byte header, then 2^k slots of 8 bytes)
 *  +---------------------------------------------------------------+
 *  |                magic "SMAPINDX" (8 bytes)                     |  0
 *  +-------------------------------+-------------------------------+
 *  |   format version (u32) = 1    |    header length (u32) = 64   |  8
 *  +-------------------------------+-------------------------------+
 *  |   log2 of the slot count (u32)|          reserved (0)         |  16
 *  +-------------------------------+-------------------------------+
 *  |              state (u64): 1 LIVE, 2 RETIRED                   |  24
 *  +---------------------------------------------------------------+
 *  |        index generation (u64), as in the file name            |  32
 *  +---------------------------------------------------------------+
 *  |        store generation (u64), as in the root                 |  40
 *  +---------------------------------------------------------------+
 *  |   live bytes at the last clean stop (u64; the daemon's own)   |  48
 *  +---------------------------------------------------------------+
 *  |   check (u64): those live bytes XOR "SMAPLIVE"; anything else |  56
 *  |   (0 in a chunk never closed cleanly): count them again       |
 *  +---------------------------------------------------------------+
 *  |  live keys (u64), tombstones (u64): the writer's counts, exact |  48
 *  |  only after a clean close                                     |
 *  +---------------------------------------------------------------+
 *
 *  slot (u64): 0 EMPTY, 1 TOMBSTONE, else
 *   63                          37 36                               0
 *  +------------------------------+---------------------------------+
 *  | top 27 bits of the key hash  |  entry reference (37 bits)      |
 *  +------------------------------+---------------------------------+
 *
 *  entry reference (37 bits):
 *   36            24 23                                             0
 *  +----------------+-----------------------------------------------+
 *  | chunk (13 bits)|  offset in the chunk, in 8-byte units (24 bits) |
 *  +----------------+-----------------------------------------------+
 *  Chunk 0 is never used, so a slot of 0 or 1 is never an entry.
 *
 *  chunk-&lt;chunk number as 4 hex digits&gt; (64-byte header, then entries back to back)
 *  +---------------------------------------------------------------+
 *  |                magic "SMAPCHNK" (8 bytes)                     |  0
 *  +-------------------------------+-------------------------------+
 *  |   format version (u32) = 1    |    header length (u32) = 64   |  8
 *  +-------------------------------+-------------------------------+
 *  |      chunk number (u32)       |          reserved (0)         |  16
 *  +-------------------------------+-------------------------------+
 *  |     incarnation (u64), as in the root's chunk directory       |  24
 *  +---------------------------------------------------------------+
 *  |               length of the file (u64)                        |  32
 *  +---------------------------------------------------------------+
 *  |        store generation (u64), as in the root                 |  40
 *  +---------------------------------------------------------------+
 *
 *  entry (starts at a multiple of 8; takes align8(18 + key length + value length) bytes)
 *  +---------------------------------------------------------------+
 *  |  stamp (u64): even = live and stable, the value's version     |  0
 *  +  shifted left by one; odd = being written, or dead (all ones) +
 *  +---------------------------------------------------------------+
 *  |                  value length (u32)                           |  8
 *  +---------------------------------------------------------------+
 *  | owner index (bits 0-27, daemon's owner table), flags (28-31)  |  12
 *  +-------------------------------+-------------------------------+
 *  |      key length (u16)         |  key bytes, then value bytes  |  16
 *  +-------------------------------+                               +
 *  |                              ...                              |
 *  +---------------------------------------------------------------+
 *  | with flag DEADLINE (bit 28 of the owner word): the deadline,  |
 *  | int64 epoch milliseconds, right after the value bytes; the    |
 *  | value length field then counts these 8 bytes too              |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>A key's deadline (expiry, chunk format 2): an entry whose owner word has {@link #FLAG_DEADLINE}
 * ends with 8 more bytes, after its value, counted in its value length field: the absolute
 * wall-clock time (Unix epoch milliseconds, {@code System.currentTimeMillis()}) from which the key
 * no longer exists. A reader treats such an entry as absent once its own clock has reached the
 * deadline (the daemon deletes it soon after, a journaled change of its own), and otherwise returns
 * the value without those 8 bytes ({@link #valueLengthOf}). Every walk of a chunk keeps stepping by
 * the value length field alone, so an entry's length does not depend on its flags.
 *
 * <p>The hash index is an open-addressing table with linear probing whose home slot for a key is
 * the top {@code k} bits of its {@link #hash} (so the table is ordered by hash, and a new
 * generation is built by one pass over the old one without reading any entry). Keys never move
 * between slots of one generation: a deleted key leaves a TOMBSTONE, and the writer replaces the
 * whole index by a new generation (bigger, smaller, or without tombstones) when it fills up. At
 * least an eighth of the slots are always EMPTY, so every probe ends.
 *
 * <p>The reading protocol (see {@code StoreReader}): read the root's index generation and the
 * private counters, probe the slots with acquire loads; for a slot whose hash bits match, read the
 * entry's stamp (acquire; odd: retry), check the key, copy the value, issue an acquire fence, and
 * read the stamp and the slot again: if either changed, retry. A value so read was the key's
 * current value at the moment of the first slot read or later, and was never torn. Finally the
 * index's state must still be LIVE (a retired generation receives no more changes). A key found
 * nowhere is absent only if the private side was empty before and after the probe with no key
 * entering it meanwhile; otherwise the reader asks the daemon.
 *
 * <p>The writing protocol (the daemon, one writer at a time): a new entry is written with an odd
 * stamp and made even (release) once its slot points to it; an entry changed in place gets an odd
 * stamp (opaque), a store-store fence, its new bytes, then its new even stamp (release); an entry
 * is marked dead (stamp all ones) before its slot leaves it, and its key and value bytes are then
 * zeroed, so a withdrawn key does not stay readable in the file. A chunk number is reused only with
 * a new incarnation, written to the chunk's header and then to the root's directory (release)
 * before any slot points into it.
 */
public final class StoreDescriptor {
    private StoreDescriptor() {}

    /** Little-endian, unaligned layouts of the store's fields. */
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * An aligned 8-byte word with memory-ordering access modes (stamps, slots, states, counters).
     * Coordinates: (segment, long offset); offsets used with it are multiples of 8.
     */
    public static final VarHandle WORD =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    // ---- root ----
    /** "SMAPROOT" read as a little-endian long. */
    public static final long ROOT_MAGIC = magic("SMAPROOT");

    public static final int ROOT_FORMAT_VERSION = 1;
    public static final int ROOT_HEADER_LENGTH = 4096;
    public static final int ROOT_MAGIC_OFFSET = 0;
    public static final int ROOT_FORMAT_OFFSET = 8;
    public static final int ROOT_HEADER_LENGTH_OFFSET = 12;
    public static final int ROOT_STATE_OFFSET = 16;
    public static final int ROOT_GENERATION_OFFSET = 24;
    public static final int ROOT_INDEX_GENERATION_OFFSET = 32;
    public static final int ROOT_PRIVATE_INSERTS_OFFSET = 40;
    public static final int ROOT_PRIVATE_LIVE_OFFSET = 48;
    public static final int ROOT_CHUNK_EPOCH_OFFSET = 56;
    /** Chunk numbers run from 1 to {@code MAX_CHUNKS - 1}; 0 is never used. */
    public static final int MAX_CHUNKS = 1 << 13;

    public static final int CHUNK_DIRECTORY_ENTRY_LENGTH = 16;
    public static final long ROOT_LENGTH = ROOT_HEADER_LENGTH + (long) MAX_CHUNKS * CHUNK_DIRECTORY_ENTRY_LENGTH;

    public static final long STATE_LIVE = 1;
    public static final long STATE_RETIRED = 2;

    /** Offset in the root of chunk {@code c}'s incarnation; its length follows at +8. */
    public static long directoryOffset(int chunk) {
        return ROOT_HEADER_LENGTH + (long) chunk * CHUNK_DIRECTORY_ENTRY_LENGTH;
    }

    // ---- index ----
    public static final long INDEX_MAGIC = magic("SMAPINDX");
    public static final int INDEX_FORMAT_VERSION = 1;
    public static final int INDEX_HEADER_LENGTH = 64;
    public static final int INDEX_LOG2_SLOTS_OFFSET = 16;
    public static final int INDEX_STATE_OFFSET = 24;
    public static final int INDEX_GENERATION_OFFSET = 32;
    public static final int INDEX_STORE_GENERATION_OFFSET = 40;
    public static final int INDEX_LIVE_OFFSET = 48;
    public static final int INDEX_TOMBSTONES_OFFSET = 56;
    /** Smallest and largest index: 2^10 and 2^34 slots (the largest needs 128 GiB; no machine here has it). */
    public static final int MIN_LOG2_SLOTS = 10;

    public static final int MAX_LOG2_SLOTS = 34;

    public static final long SLOT_EMPTY = 0;
    public static final long SLOT_TOMBSTONE = 1;
    /** Bits of the key hash kept in a slot. */
    public static final int SLOT_HASH_BITS = 27;

    public static final int REF_BITS = 64 - SLOT_HASH_BITS;
    public static final long REF_MASK = (1L << REF_BITS) - 1;
    public static final int OFFSET_BITS = 24;
    public static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;

    public static long slotOffset(long slot) {
        return INDEX_HEADER_LENGTH + slot * Long.BYTES;
    }

    public static long indexLength(int log2Slots) {
        return INDEX_HEADER_LENGTH + (Long.BYTES << log2Slots);
    }

    /** The slot word for an entry of a key with hash {@code hash} at {@code ref}. */
    public static long slotWord(long hash, long ref) {
        return (hash >>> REF_BITS) << REF_BITS | ref;
    }

    /** Whether a slot word holds an entry (neither EMPTY nor TOMBSTONE). */
    public static boolean isEntry(long word) {
        return (word & ~SLOT_TOMBSTONE) != 0;
    }

    /** Whether a slot word may hold the key of hash {@code hash}: its hash bits match. */
    public static boolean hashMatches(long word, long hash) {
        return (word ^ hash) >>> REF_BITS == 0;
    }

    public static long refOf(long word) {
        return word & REF_MASK;
    }

    /** The home slot of a key of hash {@code hash} in an index of 2^{@code log2Slots} slots. */
    public static long home(long hash, int log2Slots) {
        return hash >>> (64 - log2Slots);
    }

    // ---- references ----
    public static long ref(int chunk, long offset) {
        return (long) chunk << OFFSET_BITS | (offset >>> 3);
    }

    public static int chunkOf(long ref) {
        return (int) (ref >>> OFFSET_BITS);
    }

    /** Byte offset in its chunk of the entry at {@code ref}. */
    public static long offsetOf(long ref) {
        return (ref & OFFSET_MASK) << 3;
    }

    // ---- chunks ----
    public static final long CHUNK_MAGIC = magic("SMAPCHNK");
    /**
     * 2: entries may carry a deadline ({@link #FLAG_DEADLINE}). A reader of format 1 cannot read such
     * a chunk (it answers "ask the daemon"), so it never returns a value with a deadline's bytes.
     */
    public static final int CHUNK_FORMAT_VERSION = 2;

    public static final int CHUNK_HEADER_LENGTH = 64;
    public static final int CHUNK_NUMBER_OFFSET = 16;
    public static final int CHUNK_INCARNATION_OFFSET = 24;
    public static final int CHUNK_LENGTH_OFFSET = 32;
    public static final int CHUNK_STORE_GENERATION_OFFSET = 40;
    /** The chunk's live entry bytes, written at a clean stop, trusted by the next open if the check matches. */
    public static final int CHUNK_LIVE_BYTES_OFFSET = 48;

    public static final int CHUNK_LIVE_CHECK_OFFSET = 56;
    public static final long CHUNK_LIVE_CHECK = magic("SMAPLIVE");
    /** Entries start within the first 128 MiB of a chunk (a larger entry has a chunk of its own). */
    public static final long MAX_ENTRY_START = (OFFSET_MASK + 1) << 3;

    // ---- entries ----
    public static final int ENTRY_STAMP_OFFSET = 0;
    public static final int ENTRY_VALUE_LENGTH_OFFSET = 8;
    public static final int ENTRY_OWNER_OFFSET = 12;
    public static final int ENTRY_KEY_LENGTH_OFFSET = 16;
    public static final int ENTRY_HEADER_LENGTH = 18;
    public static final int OWNER_INDEX_MASK = (1 << 28) - 1;
    /**
     * Entry flag (owner word): a deadline, int64 epoch milliseconds, follows the value, counted in the
     * value length field (see the class comment).
     */
    public static final int FLAG_DEADLINE = 1 << 28;

    /** Bytes of an entry's deadline. */
    public static final int DEADLINE_LENGTH = 8;

    /** The value's own length in an entry whose owner word is {@code ownerWord} and value length field {@code field}. */
    public static long valueLengthOf(int ownerWord, long field) {
        return (ownerWord & FLAG_DEADLINE) != 0 ? field - DEADLINE_LENGTH : field;
    }

    /** Whether a key whose deadline is {@code deadline} (0: none) has expired at {@code nowMillis}. */
    public static boolean expired(long deadline, long nowMillis) {
        return deadline != 0 && nowMillis >= deadline;
    }
    /** The stamp of a dead entry. */
    public static final long STAMP_DEAD = -1L;

    /** Bytes an entry takes (a multiple of 8). */
    public static long entryLength(int keyLength, long valueLength) {
        return (ENTRY_HEADER_LENGTH + keyLength + valueLength + 7) & ~7L;
    }

    public static long stampOf(long version) {
        return version << 1;
    }

    public static long versionOf(long stamp) {
        return stamp >>> 1;
    }

    // ---- file names ----
    public static final String ROOT_FILE = "root";
    public static final String PUBLIC_DIR = "public";
    public static final String PRIVATE_DIR = "private";

    public static String indexFile(long generation) {
        return "index-" + String.format("%016x", generation);
    }

    public static String chunkFile(int chunk) {
        return "chunk-" + String.format("%04x", chunk);
    }

    // ---- the key hash ----
    private static final long P1 = 0x9E37_79B1_85EB_CA87L;
    private static final long P2 = 0xC2B2_AE3D_27D4_EB4FL;
    private static final long P3 = 0x1656_67B1_9E37_79F9L;
    private static final long P4 = 0x85EB_CA77_C2B2_AE63L;
    private static final long P5 = 0x27D4_EB2F_1656_67C5L;
    private static final VarHandle LE_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * The 64-bit hash of a key: XXH64's processing of an input shorter than 32 bytes, applied to the
     * whole key whatever its length, with seed 0. Specified so that a reader in any language computes
     * the same: {@code h = P5 + length}; for each whole 8-byte little-endian word {@code w}: {@code h
     * ^= rotl(w * P2, 31) * P1; h = rotl(h, 27) * P1 + P4}; then, if 4 bytes remain, their unsigned
     * little-endian value {@code u}: {@code h ^= u * P1; h = rotl(h, 23) * P2 + P3}; then for each
     * remaining byte {@code b}: {@code h ^= b * P5; h = rotl(h, 11) * P1}; finally {@code h ^= h >>>
     * 33; h *= P2; h ^= h >>> 29; h *= P3; h ^= h >>> 32} (XXH64's primes P1..P5).
     */
    public static long hash(byte[] key) {
        int len = key.length;
        long h = P5 + len;
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            long w = (long) LE_LONG.get(key, i);
            h ^= Long.rotateLeft(w * P2, 31) * P1;
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (i + 4 <= len) {
            h ^= Integer.toUnsignedLong((int) LE_INT.get(key, i)) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            i += 4;
        }
        for (; i < len; i++) {
            h ^= (key[i] & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    /** Whether {@code length} bytes of {@code segment} at {@code offset} equal {@code key}. */
    public static boolean keyEquals(MemorySegment segment, long offset, byte[] key) {
        return MemorySegment.mismatch(segment, offset, offset + key.length, MemorySegment.ofArray(key), 0, key.length)
                < 0;
    }

    /** Checks the fixed fields of a header; null if they match, else what is wrong. */
    public static @Nullable String checkHeader(MemorySegment s, long magic, int format, int headerLength, String what) {
        if (!s.isNative() || s.address() % Long.BYTES != 0) {
            return what + " must be mapped at an address aligned to 8 bytes";
        }
        if (s.byteSize() < headerLength) {
            return what + " is " + s.byteSize() + " bytes, shorter than its " + headerLength + "-byte header";
        }
        if (s.get(LONG, 0) != magic) {
            return what + ": bad magic (not a sharedmap store file)";
        }
        int v = s.get(INT, 8);
        if (v != format || s.get(INT, 12) != headerLength) {
            return what + ": format " + v + " is not the supported format " + format;
        }
        return null;
    }

    /** An 8-character ASCII magic read as a little-endian long. */
    public static long magic(String eight) {
        long m = 0;
        for (int i = 7; i >= 0; i--) {
            m = m << 8 | (eight.charAt(i) & 0xFF);
        }
        return m;
    }
}
