package io.sharedmap.protocol;

import org.jspecify.annotations.Nullable;

/**
 * Request types. Codes are part of the wire format and never change; GET and SET keep the codes of
 * the original module's lookup (0x00) and insert (0x01) messages.
 *
 * <table>
 *   <caption>Opcodes</caption>
 *   <tr><th>op</th><th>code</th><th>key</th><th>value</th><th>arg</th><th>replies</th></tr>
 *   <tr><td>GET</td><td>0x00</td><td>key</td><td>empty</td><td>0</td><td>FOUND, NOT_FOUND</td></tr>
 *   <tr><td>SET</td><td>0x01</td><td>key</td><td>value</td><td>0</td><td>CREATED, UPDATED</td></tr>
 *   <tr><td>DELETE</td><td>0x02</td><td>key</td><td>empty</td><td>expected version, 0 = any</td>
 *       <td>DELETED, NOT_FOUND, CONFLICT</td></tr>
 *   <tr><td>CAS</td><td>0x03</td><td>key</td><td>value</td><td>expected version, 0 = absent</td>
 *       <td>CREATED, UPDATED, CONFLICT</td></tr>
 *   <tr><td>SCAN</td><td>0x04</td><td>prefix (may be empty)</td><td>cursor (empty = start)</td>
 *       <td>page size 0..1000, 0 = 100</td><td>SCAN_PAGE</td></tr>
 *   <tr><td>PING</td><td>0x05</td><td>empty</td><td>any, echoed</td><td>0</td><td>PONG</td></tr>
 *   <tr><td>STATS</td><td>0x06</td><td>empty</td><td>empty</td><td>0</td><td>STATS</td></tr>
 *   <tr><td>CHMOD</td><td>0x07</td><td>key, or prefix with {@link FrameDescriptor#ARG_PREFIX}</td><td>empty</td>
 *       <td>mode (r/w bits of 0666) | ARG_PREFIX</td><td>CHANGED, NOT_FOUND</td></tr>
 *   <tr><td>CHOWN</td><td>0x08</td><td>key, or prefix with ARG_PREFIX</td><td>uid u32, gid u32
 *       (0xFFFFFFFF = unchanged)</td><td>0 | ARG_PREFIX</td><td>CHANGED, NOT_FOUND</td></tr>
 *   <tr><td>LIMIT</td><td>0x09</td><td>principal: {@code user:UID}, {@code group:GID}, {@code default}
 *       (empty for SHOW of all)</td><td>SET: 3 x int64, UNSET: 3 x int64, SHOW: empty</td>
 *       <td>{@link LimitCodec#SET}, {@link LimitCodec#UNSET}, {@link LimitCodec#SHOW}</td><td>LIMITS</td></tr>
 *   <tr><td>VIEW</td><td>0x0A</td><td>empty</td><td>empty</td><td>0</td><td>VIEW</td></tr>
 *   <tr><td>PUT_EXPIRING</td><td>0x0B</td><td>key</td><td>deadline int64 (epoch ms, &gt; 0), then the value</td>
 *       <td>{@link FrameDescriptor#ARG_ANY_VERSION} (SET), or expected version, 0 = absent (CAS)</td>
 *       <td>CREATED, UPDATED, CONFLICT</td></tr>
 *   <tr><td>EXPIRE</td><td>0x0C</td><td>key</td><td>deadline int64 (epoch ms; 0 = never)</td>
 *       <td>expected version, 0 = any</td><td>UPDATED, NOT_FOUND, CONFLICT</td></tr>
 *   <tr><td>DEADLINE</td><td>0x0D</td><td>key</td><td>empty</td><td>0</td>
 *       <td>FOUND (value: deadline int64, 0 = never), NOT_FOUND</td></tr>
 *   <tr><td>WATCH</td><td>0x0E</td><td>key, or prefix</td><td>1 byte: options</td>
 *       <td>from version (-1: from now)</td><td>WATCHING, then EVENT ... WATCH_END</td></tr>
 * </table>
 *
 * <p>Every request may also be answered with {@link Status#ERROR}.
 */
public enum Opcode {
    GET(0x00),
    SET(0x01),
    DELETE(0x02),
    CAS(0x03),
    SCAN(0x04),
    PING(0x05),
    STATS(0x06),
    CHMOD(0x07),
    CHOWN(0x08),
    LIMIT(0x09),
    /**
     * Where the public side of the daemon's mapped store is, for reads without a system call
     * ({@link ViewCodec}).
     */
    VIEW(0x0A),
    /** SET or CAS giving the key a deadline: the value starts with the deadline (int64 epoch milliseconds). */
    PUT_EXPIRING(0x0B),
    /** Gives a key a new deadline, or none (0), keeping its value and version. */
    EXPIRE(0x0C),
    /** Reads a key's deadline. */
    DEADLINE(0x0D),
    /**
     * Turns the connection into a stream of the changes of a key or prefix ({@link WatchCodec}); the
     * connection then carries only the daemon's push frames.
     */
    WATCH(0x0E);

    private static final Opcode[] BY_CODE = new Opcode[256];

    static {
        for (Opcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    Opcode(int code) {
        this.code = code;
    }

    /** The byte on the wire. */
    public int code() {
        return code;
    }

    /** The opcode for a wire byte, or {@code null} when the byte names no opcode. */
    public static @Nullable Opcode fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** Whether the key must be 1 to {@link FrameDescriptor#MAX_KEY_LENGTH} bytes. */
    boolean requiresKey() {
        return this == GET
                || this == SET
                || this == DELETE
                || this == CAS
                || this == PUT_EXPIRING
                || this == EXPIRE
                || this == DEADLINE;
    }

    /** Whether a value may accompany the request. */
    boolean carriesValue() {
        return this == SET
                || this == CAS
                || this == SCAN
                || this == PING
                || this == CHOWN
                || this == LIMIT
                || this == PUT_EXPIRING
                || this == EXPIRE
                || this == WATCH;
    }
}
