package io.sharedmap.protocol;

import org.jspecify.annotations.Nullable;

/** Error codes carried by {@link Status#ERROR} replies. Codes are part of the wire format. */
public enum ErrorCode {
    /** The key is longer than {@link FrameDescriptor#MAX_KEY_LENGTH}. Connection stays open. */
    KEY_TOO_LONG(1),
    /** The operation needs a key and the key is empty. Connection stays open. */
    KEY_EMPTY(2),
    /** The value is longer than the server's configured limit. Connection stays open. */
    VALUE_TOO_LARGE(3),
    /** A field is out of its range for this opcode (e.g. SCAN page size). Connection stays open. */
    INVALID_ARGUMENT(4),
    /** The opcode byte names no operation. The server closes the connection. */
    UNKNOWN_OPCODE(5),
    /** The frame is inconsistent (length fields, flags). The server closes the connection. */
    MALFORMED_FRAME(6),
    /** The first bytes were not a sharedmap hello. The server closes the connection. */
    BAD_HANDSHAKE(7),
    /** The client asked for a protocol version the server does not speak. Connection closed. */
    UNSUPPORTED_VERSION(8),
    /** The server is stopping and takes no new work. Connection closed. */
    SHUTTING_DOWN(9),
    /** The server has as many connections as it is configured to accept. Connection closed. */
    TOO_MANY_CONNECTIONS(10),
    /** The journal could not be written or synced; the change was not applied. */
    STORAGE_FAILURE(11),
    /** An unexpected server fault; the server logged it. */
    INTERNAL(12),
    /** A resent sequenced change is too old for the daemon to know whether it was applied. */
    SEQUENCE_EXPIRED(13),
    /**
     * The caller's user may not do this: read or change a key its mode does not allow, change another
     * user's key's mode or owner, or change limits without being an administrator. Nothing was changed.
     */
    PERMISSION_DENIED(14),
    /**
     * The change would take its user or group over a limit (keys, bytes, connections); the message
     * names the limit, the current usage and the request's size. Nothing was stored.
     */
    QUOTA_EXCEEDED(15);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The error code for a wire value, or {@code null} when it names none. */
    public static @Nullable ErrorCode fromCode(int code) {
        for (ErrorCode e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return null;
    }
}
