package io.sharedmap.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Payloads of {@link Opcode#LIMIT} and its {@link Status#LIMITS} reply.
 *
 * <p>Request: arg = {@link #SET}, {@link #UNSET} or {@link #SHOW}; key = a principal in ASCII,
 * {@code user:UID}, {@code group:GID}, {@code default} (the limits of each user without limits of
 * its own) or {@code default-group} (the limits of all those users together); SHOW may have an empty key (every principal the caller may see). Value: SET, three
 * int64 (keys, bytes, connections), each a new limit {@code >= 0} or {@link #KEEP}; UNSET, three
 * int64, each 1 to remove that limit or 0 to keep it; SHOW, empty.
 *
 * <p>Reply value: u32 row count, then rows of {@value #ROW_LENGTH} bytes:
 *
 * <pre>
 *  +---------------+-----------------------------------------------+
 *  |  kind (u8)    |  id (u32): uid, gid, 0 for the defaults       |
 *  +---------------+-----------------------------------------------+
 *  |  limit keys, limit bytes, limit connections (3 x int64, -1 = no limit)
 *  +---------------------------------------------------------------+
 *  |  usage keys, usage bytes, usage connections (3 x int64)       |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Kinds: 1 user, 2 group, 3 default (its usage fields are 0), 4 default-group (usage: the sum of
 * every user without limits of its own, root excepted).
 */
public final class LimitCodec {
    public static final long SET = 1;
    public static final long UNSET = 2;
    public static final long SHOW = 3;
    /** In a SET: leave this limit as it is. */
    public static final long KEEP = -1;
    /** In a reply: no limit (for a user: the default's applies, if it has one). */
    public static final long NONE = -1;
    /** A limit that is never reached: exempts a user from the default's limit of the same kind. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    public static final int ROW_LENGTH = 1 + 4 + 6 * 8;
    public static final int CHANGE_LENGTH = 3 * 8;

    private LimitCodec() {}

    /** Whose limits a row is. */
    public enum Kind {
        USER(1, "user"),
        GROUP(2, "group"),
        DEFAULT(3, "default"),
        DEFAULT_GROUP(4, "default-group");

        private final int code;
        private final String label;

        Kind(int code, String label) {
            this.code = code;
            this.label = label;
        }

        public int code() {
            return code;
        }

        public String label() {
            return label;
        }

        static @Nullable Kind fromCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            return null;
        }
    }

    /**
     * A principal: a user (by uid), a group (by gid), the default (each user without limits of its
     * own), or the default group (all of those users together).
     */
    public record Principal(Kind kind, long id) {
        public static final Principal DEFAULT = new Principal(Kind.DEFAULT, 0);
        public static final Principal DEFAULT_GROUP = new Principal(Kind.DEFAULT_GROUP, 0);

        /** {@code user:UID}, {@code group:GID}, {@code default} or {@code default-group}. */
        public String wire() {
            return kind == Kind.DEFAULT || kind == Kind.DEFAULT_GROUP ? kind.label : kind.label + ":" + id;
        }

        public byte[] wireBytes() {
            return wire().getBytes(StandardCharsets.US_ASCII);
        }

        /**
         * Parses the wire form.
         *
         * @throws IllegalArgumentException naming what is wrong
         */
        public static Principal parse(String s) {
            if (s.equals("default")) {
                return DEFAULT;
            }
            if (s.equals("default-group")) {
                return DEFAULT_GROUP;
            }
            int colon = s.indexOf(':');
            String kind = colon < 0 ? s : s.substring(0, colon);
            Kind k = switch (kind) {
                case "user" -> Kind.USER;
                case "group" -> Kind.GROUP;
                default ->
                    throw new IllegalArgumentException(
                            "principal '" + s + "' is not user:UID, group:GID, default or default-group");
            };
            long id;
            try {
                id = Long.parseLong(s.substring(colon + 1));
            } catch (NumberFormatException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("principal '" + s + "': the id must be a number 0.." + 0xFFFF_FFFEL);
            }
            if (id < 0 || id >= 0xFFFF_FFFFL) {
                throw new IllegalArgumentException(
                        "principal '" + s + "': id " + id + " is outside 0.." + 0xFFFF_FFFEL);
            }
            return new Principal(k, id);
        }
    }

    /** Three numbers: keys, bytes (keys + values), connections. */
    public record Amounts(long keys, long bytes, long connections) {
        public static final Amounts NONE = new Amounts(LimitCodec.NONE, LimitCodec.NONE, LimitCodec.NONE);
        public static final Amounts ZERO = new Amounts(0, 0, 0);
    }

    /** One row: a principal's limits beside its usage. */
    public record Row(Principal principal, Amounts limits, Amounts usage) {}

    public static byte[] encodeChange(Amounts a) {
        return ByteBuffer.allocate(CHANGE_LENGTH)
                .putLong(a.keys())
                .putLong(a.bytes())
                .putLong(a.connections())
                .array();
    }

    /** @throws ProtocolException INVALID_ARGUMENT if the payload is not three int64 */
    public static Amounts decodeChange(byte[] payload) {
        if (payload.length != CHANGE_LENGTH) {
            throw new ProtocolException(
                    ErrorCode.INVALID_ARGUMENT,
                    "LIMIT: value of " + payload.length + " bytes; expected " + CHANGE_LENGTH
                            + " (three int64: keys, bytes, connections)");
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        return new Amounts(b.getLong(), b.getLong(), b.getLong());
    }

    public static byte[] encodeRows(List<Row> rows) {
        ByteBuffer b = ByteBuffer.allocate(4 + rows.size() * ROW_LENGTH);
        b.putInt(rows.size());
        for (Row r : rows) {
            b.put((byte) r.principal().kind().code());
            b.putInt((int) r.principal().id());
            putAmounts(b, r.limits());
            putAmounts(b, r.usage());
        }
        return b.array();
    }

    private static void putAmounts(ByteBuffer b, Amounts a) {
        b.putLong(a.keys()).putLong(a.bytes()).putLong(a.connections());
    }

    /** @throws ProtocolException MALFORMED_FRAME if the payload is not a row list */
    public static List<Row> decodeRows(byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        if (b.remaining() < 4) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "LIMITS reply of " + payload.length + " bytes");
        }
        int n = b.getInt();
        if (n < 0 || (long) n * ROW_LENGTH != b.remaining()) {
            throw new ProtocolException(
                    ErrorCode.MALFORMED_FRAME, "LIMITS reply claims " + n + " rows in " + b.remaining() + " bytes");
        }
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Kind k = Kind.fromCode(b.get() & 0xFF);
            if (k == null) {
                throw new ProtocolException(
                        ErrorCode.MALFORMED_FRAME, "LIMITS reply: row " + i + " has an unknown kind");
            }
            long id = Integer.toUnsignedLong(b.getInt());
            rows.add(new Row(
                    new Principal(k, id),
                    new Amounts(b.getLong(), b.getLong(), b.getLong()),
                    new Amounts(b.getLong(), b.getLong(), b.getLong())));
        }
        return rows;
    }
}
