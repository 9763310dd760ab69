package io.sharedmap.server.engine;

/**
 * Layout of the files in a data directory. All integers big-endian.
 *
 * <h2>Journal segment {@code journal-<16 hex digits>.log}</h2>
 *
 * A 32-byte file header, then records back to back, then possibly zero bytes to the end of the
 * file: the active segment is appended to through a memory mapping of zero-filled room preallocated
 * ahead of its last record ({@code SegmentAppender}); sealing or closing the segment cuts the zeros
 * off, a crash leaves them. A record never begins with zero bytes in its length field, so recovery
 * reads an all-zero tail as the clean end of the segment.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |               magic "SMAPJRNL" (segment) or                   |
 *  +               "SMAPSNAP" (snapshot), 8 bytes                  +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |     format version (int32) = 4 (1, 2 and 3 are still read)    |
 *  +---------------------------------------------------------------+
 *  |            CRC32C of header bytes 16..31 (int32)              |
 *  +---------------------------------------------------------------+
 *  |                  segment number (int64)                       |
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |   base version (int64): every record that follows in a        |
 *  +   segment has a larger version; in a snapshot, the last       +
 *  |   version assigned when the snapshot began                     |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Record (journal segments and snapshots)</h2>
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  CRC32C of bytes 4 .. record length - 1 (int32)               |
 *  +---------------------------------------------------------------+
 *  |  record length (int32) = 24 + key length + value length       |
 *  +---------------+---------------+-------------------------------+
 *  |  type (u8)    |  flags (0)    |       key length (u16)        |
 *  +---------------+---------------+-------------------------------+
 *  |                  value length (int32)                          |
 *  +---------------------------------------------------------------+
 *  |                  version (int64)                              |
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  key bytes ...  value bytes ...                               |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Types: {@link #TYPE_PUT} (key, value), {@link #TYPE_DELETE} (key, value = int64 version of the
 * deleted entry), {@link #TYPE_OUTCOME} (a sequenced change that changed nothing), in snapshots only {@link #TYPE_SESSION} (key = int64 client id, value = the
 * session's remembered outcomes, see {@code SessionTable}) and {@link #TYPE_FORGOTTEN} (format 3), and, only as the last record of a
 * snapshot, {@link #TYPE_SNAPSHOT_END} (empty key, value = int64 entry count). A snapshot without a
 * valid end record is incomplete and is never used.
 *
 * <p>Flags: {@link #FLAG_OWNED} on every PUT written by format 2, and on {@link #TYPE_META}: 12
 * bytes follow the header (after the sequence fields, if any), before the key: owner uid (u32), group
 * gid (u32), mode (u16), zero (u16); counted in the record length and the CRC. A PUT without it (format
 * 1) keeps the owner of the entry it replaces, or gets {@code Owner.LEGACY} (root, root, 0666).
 * {@link #TYPE_META} (key, empty value, owner fields) changes a key's owner, group or mode without
 * changing its value or its entry version; its own version orders it in the journal like any record.
 *
 * <p>Flags: {@link #FLAG_SEQUENCED} on a PUT or DELETE made by a sequenced request: 16 bytes follow
 * the 24-byte header, before the key (client id int64, sequence number int64), counted in the record
 * length and the CRC; {@link #FLAG_CREATED} on a sequenced PUT that created its key (so a resend is
 * answered CREATED, not UPDATED).
 *
 * <p>Format 4 (expiry): {@link #FLAG_DEADLINE} on a PUT or on {@link #TYPE_DEADLINE}: 8 bytes follow
 * the other optional fields (sequence, owner), before the key: the key's deadline, int64 Unix epoch
 * milliseconds (wall clock), from which the key no longer exists; counted in the record length and
 * the CRC. A PUT without it has no deadline (a SET clears one). {@link #TYPE_DEADLINE} (key, empty
 * value, the deadline field; 0 = none) gives the key a new deadline, or removes it, without changing
 * its value, owner or entry version. {@link #FLAG_EXPIRED} on a DELETE: the daemon removed the key
 * because its deadline passed (an expiry; never sequenced). From format 4 on, a DELETE and a
 * DEADLINE record also carry {@link #FLAG_OWNED}: the owner of the entry removed or changed (so that
 * a watcher replaying the journal is shown only keys it may read).
 */
public final class StoreFileDescriptor {
    public static final long SEGMENT_MAGIC = 0x534D_4150_4A52_4E4CL; // "SMAPJRNL"
    public static final long SNAPSHOT_MAGIC = 0x534D_4150_534E_4150L; // "SMAPSNAP"
    public static final int FORMAT_VERSION = 4;
    /**
     * The oldest format version this sharedmap reads (format 1 has no key owners; format 2 no
     * forgotten sessions in snapshots).
     */
    public static final int OLDEST_READABLE_FORMAT_VERSION = 1;

    public static final int FILE_HEADER_LENGTH = 32;
    public static final int FILE_HEADER_CRC_OFFSET = 12;
    public static final int FILE_HEADER_CRC_START = 16;

    public static final int RECORD_HEADER_LENGTH = 24;
    public static final int RECORD_CRC_OFFSET = 0;
    public static final int RECORD_LENGTH_OFFSET = 4;
    public static final int RECORD_TYPE_OFFSET = 8;
    public static final int RECORD_FLAGS_OFFSET = 9;
    public static final int RECORD_KEY_LENGTH_OFFSET = 10;
    public static final int RECORD_VALUE_LENGTH_OFFSET = 12;
    public static final int RECORD_VERSION_OFFSET = 16;

    public static final int TYPE_PUT = 1;
    public static final int TYPE_DELETE = 2;
    public static final int TYPE_SNAPSHOT_END = 3;
    public static final int TYPE_SESSION = 4;
    /**
     * The outcome of a sequenced change that changed nothing (CONFLICT, NOT_FOUND): flags SEQUENCED,
     * key = the change's key, value = u8 outcome code ({@code Results.Outcome.code()}) + int64 version
     * answered.
     */
    public static final int TYPE_OUTCOME = 5;
    /** A key's new owner, group or mode (chmod, chown): flags OWNED, key, empty value. */
    public static final int TYPE_META = 6;
    /**
     * In snapshots only, after the sessions: a forgotten session (its client is told so, never
     * answered as new): key = int64 session key, empty value. Written from format 3 on.
     */
    public static final int TYPE_FORGOTTEN = 7;
    /** A key's new deadline (or none), its value, owner and version unchanged: flags DEADLINE, key, empty value. Format 4. */
    public static final int TYPE_DEADLINE = 8;

    public static final int FLAG_SEQUENCED = 0x01;
    public static final int FLAG_CREATED = 0x02;
    public static final int SEQUENCE_FIELDS_LENGTH = 16;
    public static final int FLAG_OWNED = 0x04;
    public static final int OWNER_FIELDS_LENGTH = 12;
    /** A deadline field (int64 epoch milliseconds) follows the other optional fields. Format 4. */
    public static final int FLAG_DEADLINE = 0x08;

    public static final int DEADLINE_FIELD_LENGTH = 8;
    /** On a DELETE: an expiry (the key's deadline passed). Format 4. */
    public static final int FLAG_EXPIRED = 0x10;

    public static final String SEGMENT_PREFIX = "journal-";
    public static final String SEGMENT_SUFFIX = ".log";
    public static final String SNAPSHOT_PREFIX = "snapshot-";
    public static final String SNAPSHOT_SUFFIX = ".snap";
    public static final String TEMP_SUFFIX = ".tmp";
    public static final String LOCK_FILE = "LOCK";

    private StoreFileDescriptor() {}

    public static String segmentName(long number) {
        return SEGMENT_PREFIX + String.format("%016x", number) + SEGMENT_SUFFIX;
    }

    public static String snapshotName(long number) {
        return SNAPSHOT_PREFIX + String.format("%016x", number) + SNAPSHOT_SUFFIX;
    }

    /** The number in a segment or snapshot file name, or -1 if the name is not one of ours. */
    public static long numberOf(String fileName, String prefix, String suffix) {
        if (!fileName.startsWith(prefix) || !fileName.endsWith(suffix)) {
            return -1;
        }
        String hex = fileName.substring(prefix.length(), fileName.length() - suffix.length());
        if (hex.length() != 16) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(hex, 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
