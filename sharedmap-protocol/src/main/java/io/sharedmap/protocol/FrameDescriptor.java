package io.sharedmap.protocol;

/**
 * Layout of every sharedmap frame: the client's hello, requests and responses. This diagram and
 * {@code docs/PROTOCOL.md} are the specification. All integers are big-endian (network order).
 *
 * <h2>Client hello (8 bytes, sent once, first thing on a connection)</h2>
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  magic 0x534D4150 ("SMAP")                     |
 *  +-------------------------------+-------------------------------+
 *  |      protocol version (1)     |         flags (0)             |
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * <p>The server answers with a response frame: {@link Status#HELLO} (payload {@link HelloCodec}) or
 * {@link Status#ERROR} with the {@link #FLAG_CLOSING} flag, after which it closes the connection.
 *
 * <h2>Request and response frames (20-byte header, then key, then value)</h2>
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |   frame length = 16 + key length + value length (int32)        |
 *  +---------------+---------------+-------------------------------+
 *  | opcode/status |     flags     |        key length (u16)       |
 *  +---------------+---------------+-------------------------------+
 *  |                  value length (int32, >= 0)                    |
 *  +---------------------------------------------------------------+
 *  |                                                               |
 *  +                 arg / version (int64)                         +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                key bytes (key length)                       ...
 *  +---------------------------------------------------------------+
 *  |                value bytes (value length)                   ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>In a request byte 4 is an {@link Opcode} and the int64 is the operation's argument (expected
 * version, page size); in a response byte 4 is a {@link Status} and the int64 is an entry version
 * (or a count, for {@link Status#SCAN_PAGE}). Requests must have flags 0 in protocol version 1;
 * responses use {@link #FLAG_CLOSING}.
 */
public final class FrameDescriptor {
    /** "SMAP" in ASCII. */
    public static final int MAGIC = 0x534D_4150;

    /** The only protocol version so far. */
    public static final int PROTOCOL_VERSION = 1;

    /** Length of the client hello. */
    public static final int HELLO_LENGTH = 8;

    /** Length of a request or response header, including the frame-length field. */
    public static final int HEADER_LENGTH = 20;

    /** Bytes counted by the frame-length field beyond the key and value. */
    public static final int HEADER_LENGTH_AFTER_LENGTH_FIELD = HEADER_LENGTH - Integer.BYTES;

    public static final int FRAME_LENGTH_OFFSET = 0;
    public static final int TYPE_OFFSET = 4;
    public static final int FLAGS_OFFSET = 5;
    public static final int KEY_LENGTH_OFFSET = 6;
    public static final int VALUE_LENGTH_OFFSET = 8;
    public static final int ARG_OFFSET = 12;

    /** Response flag: the server closes the connection after this frame. */
    public static final int FLAG_CLOSING = 0x01;

    /** Hello flag: an 8-byte client id follows the hello (a session, see docs/PROTOCOL.md). */
    public static final int HELLO_FLAG_SESSION = 0x0001;

    /** Length of a session hello: the hello plus the client id. */
    public static final int SESSION_HELLO_LENGTH = HELLO_LENGTH + Long.BYTES;

    /** Bytes of a deadline (int64 Unix epoch milliseconds) in PUT_EXPIRING, EXPIRE and DEADLINE frames. */
    public static final int DEADLINE_LENGTH = 8;

    /** PUT_EXPIRING's arg for "whatever the key's version" (a SET); 0 and up are a CAS's expected version. */
    public static final long ARG_ANY_VERSION = -1;

    /** Request flag: an 8-byte sequence number follows the header (SET, CAS, DELETE on a session). */
    public static final int FLAG_SEQUENCED = 0x01;

    /** Length of the sequence number of a sequenced request. */
    public static final int SEQUENCE_LENGTH = Long.BYTES;

    /** How many unanswered sequenced changes a client may have; the daemon remembers this many outcomes. */
    public static final int SESSION_WINDOW = 1024;

    /** Keys are 1 to this many bytes (SCAN prefixes may be empty). Fixed by the protocol. */
    public static final int MAX_KEY_LENGTH = 1024;

    /** CHMOD, CHOWN: the key is a prefix (may be empty: every key) and the change applies to every key under it. */
    public static final long ARG_PREFIX = 1L << 32;

    /** SCAN: each entry also carries its owner uid, gid and mode ({@link ScanCodec#OWNER_FIELDS_LENGTH}). */
    public static final long ARG_SCAN_OWNERS = 1L << 32;

    /** The largest key mode: read and write for owner, group and others (execute bits do not exist). */
    public static final int MAX_KEY_MODE = 0666;

    /** The default largest value a server accepts; a server may be configured lower or higher. */
    public static final int DEFAULT_MAX_VALUE_LENGTH = 16 * 1024 * 1024;

    /** The largest value any server may be configured to accept (256 MiB). */
    public static final int ABSOLUTE_MAX_VALUE_LENGTH = 256 * 1024 * 1024;

    /** The largest number of entries one SCAN page may ask for; 0 asks for {@link #DEFAULT_SCAN_LIMIT}. */
    public static final int MAX_SCAN_LIMIT = 1000;

    /** The largest value a PING may carry (it is echoed, so it is bounded on its own). */
    public static final int MAX_PING_LENGTH = 64 * 1024;

    /** Entries in a SCAN page when the request's arg is 0. */
    public static final int DEFAULT_SCAN_LIMIT = 100;

    /** A SCAN page stops adding entries once its payload reaches this many bytes. */
    public static final int SCAN_PAGE_BYTES = 1024 * 1024;

    /**
     * The largest value of a reply that does not carry a stored value or an echo (SCAN_PAGE, STATS,
     * LIMITS, VIEW, ERROR, HELLO): 2 MiB. A SCAN page is at most 1000 entries of at most 1,048 bytes
     * (with owners), so below 1 MiB; STATS is a few KiB of text; the daemon refuses a LIMIT SHOW whose
     * rows would not fit. See {@link #maxReplyValueLength}.
     */
    public static final int MAX_CONTROL_REPLY_LENGTH = 2 * 1024 * 1024;

    /**
     * The largest value any reply of a server that announced {@code maxValueLength} in its hello
     * carries: a FOUND's value and a PONG's echo are at most {@code maxValueLength}, every other
     * reply's at most {@link #MAX_CONTROL_REPLY_LENGTH}. A reply frame is at most {@link
     * #HEADER_LENGTH} + {@link #MAX_KEY_LENGTH} (a SCAN page's cursor) + this.
     */
    public static int maxReplyValueLength(int maxValueLength) {
        return Math.max(maxValueLength, MAX_CONTROL_REPLY_LENGTH);
    }

    private FrameDescriptor() {}

    /** Frame length field for a frame with the given key and value lengths. */
    public static int frameLength(int keyLength, int valueLength) {
        return HEADER_LENGTH_AFTER_LENGTH_FIELD + keyLength + valueLength;
    }

    /** Frame length field for a request with the given flags, key and value lengths. */
    public static int frameLength(int flags, int keyLength, int valueLength) {
        return frameLength(keyLength, valueLength) + ((flags & FLAG_SEQUENCED) != 0 ? SEQUENCE_LENGTH : 0);
    }
}
