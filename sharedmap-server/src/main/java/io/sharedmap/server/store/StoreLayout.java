package io.sharedmap.server.store;

import io.sharedmap.os.store.StoreDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Layout of the store's files that only the daemon opens, all in {@code private/} (the files that
 * clients map are in {@link StoreDescriptor}). Little-endian, like those.
 *
 * <pre>
 *  meta (4096 bytes)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                magic "SMAPMETA" (8 bytes)                     |  0
 *  +-------------------------------+-------------------------------+
 *  |   format version (u32) = 1    |  header length (u32) = 4096   |  8
 *  +-------------------------------+-------------------------------+
 *  |  store generation of the public side (u64)                    |  16
 *  |  store generation of the private side (u64)                   |  24
 *  |  data directory id (u64): the number in DATA/store-id         |  32
 *  |  boot id (16 bytes): /proc/sys/kernel/random/boot_id at open  |  40
 *  |  state (u64): 1 OPEN (in use: unclean if found so), 2 CLOSED  |  56
 *  |  next chunk incarnation (u64)                                 |  64
 *  |  next index generation (u64)                                  |  72
 *  |  public access code (u64): mode, group and publishing policy  |  80
 *  |    the public side was made for (another one: rebuild)        |
 *  +---------------------------------------------------------------+
 *  |  checkpoint A (64 bytes) at 128, checkpoint B at 192:         | 128
 *  |    sequence (u64, 0: being written), applied version (u64),   |
 *  |    journal segment (u64), start and end offset of the record  |
 *  |    of the applied version in that segment (u64, u64)          |
 *  +---------------------------------------------------------------+
 *  |  intent (64 bytes) at 256: kind (u64, 0: none, 1: MOVE), from |  256
 *  |    and to (u64 each: side in bit 63, entry reference)         |
 *  +---------------------------------------------------------------+
 *  |  allocation (16 bytes per side, public then private) at 320:  |  320
 *  |    head chunk (u64), offset of the next entry in it (u64)     |
 *  +---------------------------------------------------------------+
 *
 *  owners (64-byte header, then 16-byte records; owner n at 64 + 16 (n - 1))
 *  +---------------------------------------------------------------+
 *  |  magic "SMAPOWNR", format version (u32) = 1, header len = 64  |  0
 *  |  count (u64): records 1..count are whole                      |  16
 *  +---------------------------------------------------------------+
 *  |  record: uid (u32), gid (u32), mode (u32), reserved (u32)     |  64
 *  +---------------------------------------------------------------+
 *
 *  tree (pages of 4096 bytes; page 0 is the header)
 *  +---------------------------------------------------------------+
 *  |  magic "SMAPTREE", format version (u32) = 1, header len = 4096|  0
 *  |  root page (u64)                                              |  16
 *  |  pages in the file (u64)                                      |  24
 *  +---------------------------------------------------------------+
 *  page: header word (u64): kind in bits 0-7 (1 LEAF, 2 INNER), count in bits 16-31
 *  LEAF:  count tree references of 8 bytes at 16 + 8 i, in ascending key order (at most 510)
 *         tree reference: side in bit 63 (1: private), entry reference in bits 0-36
 *  INNER: count entries of 8 bytes at 16 + 8 i: child page (u32), separator offset (u16) and
 *         length (u16) in the page; the separator of entry i &gt; 0 is a key that is greater than
 *         every key under child i - 1 and not greater than any key under child i; the separator
 *         bytes lie at the end of the page
 * </pre>
 */
final class StoreLayout {
    private StoreLayout() {}

    static final ValueLayout.OfLong LONG = StoreDescriptor.LONG;
    static final ValueLayout.OfInt INT = StoreDescriptor.INT;
    static final ValueLayout.OfShort SHORT = StoreDescriptor.SHORT;
    static final VarHandle WORD = StoreDescriptor.WORD;

    static final String META_FILE = "meta";
    static final String OWNERS_FILE = "owners";
    static final String TREE_FILE = "tree";
    static final String SESSIONS_FILE = "sessions";
    static final String USAGE_FILE = "usage";

    // ---- meta ----
    static final long META_MAGIC = StoreDescriptor.magic("SMAPMETA");
    static final int META_FORMAT_VERSION = 1;
    static final int META_LENGTH = 4096;
    static final int META_PUBLIC_GENERATION_OFFSET = 16;
    static final int META_PRIVATE_GENERATION_OFFSET = 24;
    static final int META_DATA_DIR_ID_OFFSET = 32;
    static final int META_BOOT_ID_OFFSET = 40;
    static final int META_STATE_OFFSET = 56;
    static final int META_NEXT_INCARNATION_OFFSET = 64;
    static final int META_NEXT_INDEX_GENERATION_OFFSET = 72;
    static final int META_PUBLIC_ACCESS_OFFSET = 80;
    static final int META_CHECKPOINT_A_OFFSET = 128;
    static final int META_CHECKPOINT_B_OFFSET = 192;
    static final int CHECKPOINT_SEQUENCE = 0;
    static final int CHECKPOINT_VERSION = 8;
    static final int CHECKPOINT_SEGMENT = 16;
    static final int CHECKPOINT_RECORD_START = 24;
    static final int CHECKPOINT_RECORD_END = 32;
    static final int META_INTENT_OFFSET = 256;
    static final int INTENT_KIND = 0;
    static final int INTENT_FROM = 8;
    static final int INTENT_TO = 16;
    static final long INTENT_NONE = 0;
    static final long INTENT_MOVE = 1;
    static final int META_ALLOCATION_OFFSET = 320;
    static final long META_STATE_OPEN = 1;
    static final long META_STATE_CLOSED = 2;

    // ---- owners ----
    static final long OWNERS_MAGIC = StoreDescriptor.magic("SMAPOWNR");
    static final int OWNERS_FORMAT_VERSION = 1;
    static final int OWNERS_HEADER_LENGTH = 64;
    static final int OWNERS_COUNT_OFFSET = 16;
    static final int OWNER_RECORD_LENGTH = 16;

    // ---- tree ----
    static final long TREE_MAGIC = StoreDescriptor.magic("SMAPTREE");
    static final int TREE_FORMAT_VERSION = 1;
    static final int PAGE_SIZE = 4096;
    static final int PAGE_SHIFT = 12;
    static final int TREE_ROOT_OFFSET = 16;
    static final int TREE_PAGES_OFFSET = 24;
    static final int PAGE_HEADER_LENGTH = 16;
    static final int KIND_LEAF = 1;
    static final int KIND_INNER = 2;
    static final int LEAF_CAPACITY = (PAGE_SIZE - PAGE_HEADER_LENGTH) / Long.BYTES;
    static final long PRIVATE_BIT = 1L << 63;
}
