package io.sharedmap.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The payloads of a watch: the WATCH request's options, the EVENT push frame's value and the
 * WATCH_END frame's value (see docs/PROTOCOL.md, "Watch").
 *
 * <pre>
 *  WATCH request value (1 byte): bit 0 PREFIX (the key is a prefix), bit 1 VALUES (SET events carry the value)
 *  EVENT value:     kind (u8), then, for SET with VALUES, the value bytes
 *  WATCH_END value: reason (u8), then a UTF-8 message
 * </pre>
 */
public final class WatchCodec {
    private WatchCodec() {}

    public static final int OPTION_PREFIX = 0x01;
    public static final int OPTION_VALUES = 0x02;

    /** What changed. Codes are part of the wire format. */
    public enum Kind {
        /** Nothing for this watch up to the frame's version (sent when the watch is idle). */
        PROGRESS(0),
        SET(1),
        DELETE(2),
        /** Deleted by the daemon at the key's deadline. */
        EXPIRED(3),
        /** The key's owner, group or mode changed (CHMOD, CHOWN); the value and its version did not. */
        OWNER(4),
        /** The key's deadline changed (EXPIRE); the value and its version did not. */
        DEADLINE(5);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Kind ofCode(int code) throws ProtocolException {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new ProtocolException(ErrorCode.INVALID_ARGUMENT, "unknown watch event kind " + code);
        }
    }

    /** Why a watch ended. Codes are part of the wire format. */
    public enum EndReason {
        /** The watcher read too slowly: resume from the frame's version. */
        FELL_BEHIND(1),
        /** The history asked for was compacted away: the frame's version is the current one to restart from. */
        COMPACTED(2),
        /** The daemon is stopping: resume from the frame's version on the next one. */
        SHUTTING_DOWN(3);

        private final int code;

        EndReason(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static EndReason ofCode(int code) throws ProtocolException {
            for (EndReason r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            throw new ProtocolException(ErrorCode.INVALID_ARGUMENT, "unknown watch end reason " + code);
        }
    }

    /** An EVENT value: the kind, then the value if any. */
    public static byte[] event(Kind kind, byte[] value) {
        byte[] b = new byte[1 + value.length];
        b[0] = (byte) kind.code;
        System.arraycopy(value, 0, b, 1, value.length);
        return b;
    }

    public static Kind kindOf(byte[] eventValue) throws ProtocolException {
        if (eventValue.length == 0) {
            throw new ProtocolException(ErrorCode.INVALID_ARGUMENT, "empty watch event");
        }
        return Kind.ofCode(eventValue[0] & 0xFF);
    }

    public static byte[] valueOf(byte[] eventValue) {
        return Arrays.copyOfRange(eventValue, 1, eventValue.length);
    }

    /** A WATCH_END value. */
    public static byte[] end(EndReason reason, String message) {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + m.length).put((byte) reason.code).put(m).array();
    }

    public static EndReason reasonOf(byte[] endValue) throws ProtocolException {
        if (endValue.length == 0) {
            throw new ProtocolException(ErrorCode.INVALID_ARGUMENT, "empty watch end");
        }
        return EndReason.ofCode(endValue[0] & 0xFF);
    }

    public static String messageOf(byte[] endValue) {
        return endValue.length <= 1 ? "" : new String(endValue, 1, endValue.length - 1, StandardCharsets.UTF_8);
    }
}
