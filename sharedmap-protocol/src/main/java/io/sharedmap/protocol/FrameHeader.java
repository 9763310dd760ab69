package io.sharedmap.protocol;

import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/**
 * The 20-byte header of a request or response frame, as read from the wire (see {@link
 * FrameDescriptor}). {@code type} is the raw opcode or status byte; it is not validated here.
 */
public record FrameHeader(int frameLength, int type, int flags, int keyLength, int valueLength, long arg) {

    /** Reads a header at the buffer's position and advances it by {@link FrameDescriptor#HEADER_LENGTH}. */
    public static FrameHeader read(ByteBuffer src) {
        int frameLength = src.getInt();
        int type = src.get() & 0xFF;
        int flags = src.get() & 0xFF;
        int keyLength = src.getShort() & 0xFFFF;
        int valueLength = src.getInt();
        long arg = src.getLong();
        return new FrameHeader(frameLength, type, flags, keyLength, valueLength, arg);
    }

    /** Writes a header at the buffer's position. */
    public static void write(ByteBuffer dst, int type, int flags, int keyLength, int valueLength, long arg) {
        dst.putInt(FrameDescriptor.frameLength(keyLength, valueLength));
        writeAfterLength(dst, type, flags, keyLength, valueLength, arg);
    }

    /** Writes a request header whose frame length counts a sequence number when {@code flags} says so. */
    public static void writeRequest(ByteBuffer dst, int type, int flags, int keyLength, int valueLength, long arg) {
        dst.putInt(FrameDescriptor.frameLength(flags, keyLength, valueLength));
        writeAfterLength(dst, type, flags, keyLength, valueLength, arg);
    }

    private static void writeAfterLength(
            ByteBuffer dst, int type, int flags, int keyLength, int valueLength, long arg) {
        dst.put((byte) type);
        dst.put((byte) flags);
        dst.putShort((short) keyLength);
        dst.putInt(valueLength);
        dst.putLong(arg);
    }

    /**
     * Why this header cannot start a well-formed frame, or {@code null} if its length fields agree.
     * A non-null answer means the byte stream can no longer be trusted and must be closed.
     */
    public @Nullable String framingProblem() {
        return framingProblem(0);
    }

    /**
     * As {@link #framingProblem()}, for a frame that carries {@code extraLength} bytes between the
     * header and the key (the sequence number of a sequenced request).
     */
    public @Nullable String framingProblem(int extraLength) {
        if (valueLength < 0) {
            return "value length " + Integer.toUnsignedString(valueLength) + " is negative as an int32";
        }
        long expected = (long) FrameDescriptor.HEADER_LENGTH_AFTER_LENGTH_FIELD + extraLength + keyLength + valueLength;
        if (frameLength != expected) {
            return "frame length " + Integer.toUnsignedString(frameLength) + " does not equal 16 + "
                    + (extraLength > 0 ? extraLength + " (sequence number) + " : "") + "key length " + keyLength
                    + " + value length " + valueLength + " = " + expected;
        }
        return null;
    }
}
