package io.sharedmap.protocol;

import java.nio.ByteBuffer;

/** Encodes requests (client side) and responses (server side) into buffers. */
public final class FrameEncoder {
    private FrameEncoder() {}

    /** Bytes a frame with this key and value takes on the wire. */
    public static int encodedLength(int keyLength, int valueLength) {
        return FrameDescriptor.HEADER_LENGTH + keyLength + valueLength;
    }

    /** Writes a whole request frame at the buffer's position. */
    public static void writeRequest(ByteBuffer dst, Opcode op, byte[] key, byte[] value, long arg) {
        FrameHeader.write(dst, op.code(), 0, key.length, value.length, arg);
        dst.put(key);
        dst.put(value);
    }

    /** Bytes a sequenced request with this key and value takes on the wire. */
    public static int sequencedLength(int keyLength, int valueLength) {
        return encodedLength(keyLength, valueLength) + FrameDescriptor.SEQUENCE_LENGTH;
    }

    /** Writes a whole sequenced request (SET, CAS or DELETE on a session) at the buffer's position. */
    public static void writeSequencedRequest(
            ByteBuffer dst, Opcode op, long sequence, byte[] key, byte[] value, long arg) {
        FrameHeader.writeRequest(dst, op.code(), FrameDescriptor.FLAG_SEQUENCED, key.length, value.length, arg);
        dst.putLong(sequence);
        dst.put(key);
        dst.put(value);
    }

    /** Writes a whole response frame at the buffer's position. */
    public static void writeResponse(ByteBuffer dst, Status status, int flags, byte[] key, byte[] value, long version) {
        FrameHeader.write(dst, status.code(), flags, key.length, value.length, version);
        dst.put(key);
        dst.put(value);
    }
}
