package io.sharedmap.client;

import io.sharedmap.protocol.FrameEncoder;
import io.sharedmap.protocol.LimitCodec;
import io.sharedmap.protocol.Opcode;

/**
 * One request frame's content, checked by the caller before it is built.
 *
 * @param sequence the session sequence number of a change sent by a recovering client, else 0
 */
record Request(Opcode opcode, byte[] key, byte[] value, long arg, long sequence) {

    Request(Opcode opcode, byte[] key, byte[] value, long arg) {
        this(opcode, key, value, arg, 0);
    }

    /** Whether this request changes the map (SET, CAS, DELETE): the requests a session numbers. */
    boolean isChange() {
        return opcode == Opcode.SET || opcode == Opcode.CAS || opcode == Opcode.DELETE || opcode == Opcode.PUT_EXPIRING;
    }

    /**
     * Whether this request only reads: GET, SCAN, PING, STATS, VIEW and LIMIT SHOW. The others (the
     * changes above, CHMOD, CHOWN, LIMIT SET and UNSET) may have taken effect when their reply is lost.
     */
    boolean readsOnly() {
        return switch (opcode) {
            case GET, SCAN, PING, STATS, VIEW, DEADLINE, WATCH -> true;
            case LIMIT -> arg == LimitCodec.SHOW;
            case SET, DELETE, CAS, CHMOD, CHOWN, PUT_EXPIRING, EXPIRE -> false;
        };
    }

    /** This request numbered {@code sequence} ({@code > 0}). */
    Request withSequence(long sequence) {
        return new Request(opcode, key, value, arg, sequence);
    }

    /** Bytes the frame takes on the wire. */
    int encodedLength() {
        return sequence == 0
                ? FrameEncoder.encodedLength(key.length, value.length)
                : FrameEncoder.sequencedLength(key.length, value.length);
    }
}
