package io.sharedmap.torture;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * A self-verifying value for the corruption check: who wrote it, for which key, as which write, and
 * a payload that follows from those, sealed with a CRC-32C.
 *
 * <pre>
 *  0       4  magic "TRTV"
 *  4       4  run id        (int32: values of other runs are never mistaken for this one's)
 *  8       4  key index     (int32: the value must be found under the key it was written to)
 *  12      8  writer id     (int64: process &lt;&lt; 32 | thread)
 *  20      8  write number  (int64 > 0: the writer's sequence of writes)
 *  28      4  payload length
 *  32      n  payload       (bytes of a generator seeded by writer and write number)
 *  32+n    4  CRC-32C of bytes 0 .. 32+n
 * </pre>
 *
 * A torn value (a prefix of one write with the rest of another, or truncated) fails the length or
 * the CRC; a value mixed from two writes fails the CRC or the payload; a value nobody wrote has a
 * (writer, write number) no writer reached, which the run checks against the writers' counts.
 */
public final class TortureValue {
    static final int MAGIC = 0x5452_5456; // "TRTV"
    static final int HEADER_LENGTH = 32;
    static final int TRAILER_LENGTH = 4;

    /** A verified value's identity. */
    public record Stamp(long writer, long write) {}

    private TortureValue() {}

    /** The value {@code writer} writes as its {@code write}-th write to key {@code keyIndex}. */
    public static byte[] encode(int runId, int keyIndex, long writer, long write, int payloadLength) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + payloadLength + TRAILER_LENGTH);
        b.putInt(MAGIC)
                .putInt(runId)
                .putInt(keyIndex)
                .putLong(writer)
                .putLong(write)
                .putInt(payloadLength);
        fillPayload(b, writer, write, payloadLength);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER_LENGTH + payloadLength);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /**
     * The stamp of a value read from key {@code keyIndex}.
     *
     * @throws IllegalArgumentException naming what is wrong with it (torn, mixed, foreign)
     */
    public static Stamp verify(byte[] value, int runId, int keyIndex) {
        if (value.length < HEADER_LENGTH + TRAILER_LENGTH) {
            throw new IllegalArgumentException("torn: " + value.length + " bytes, shorter than any value written ("
                    + (HEADER_LENGTH + TRAILER_LENGTH) + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(value);
        int magic = b.getInt();
        int run = b.getInt();
        int key = b.getInt();
        long writer = b.getLong();
        long write = b.getLong();
        int length = b.getInt();
        if (magic != MAGIC) {
            throw new IllegalArgumentException(String.format("not a torture value: magic 0x%08X", magic));
        }
        if (length != value.length - HEADER_LENGTH - TRAILER_LENGTH) {
            throw new IllegalArgumentException("torn: payload length field " + length + " but " + value.length
                    + " bytes in all (writer " + writerName(writer) + ", write " + write + ")");
        }
        CRC32C crc = new CRC32C();
        crc.update(value, 0, HEADER_LENGTH + length);
        int stored = b.getInt(HEADER_LENGTH + length);
        if ((int) crc.getValue() != stored) {
            throw new IllegalArgumentException(String.format(
                    "torn or mixed: CRC-32C 0x%08X does not match the stored"
                            + " 0x%08X (%d bytes, claims writer %s, write %d)",
                    (int) crc.getValue(), stored, value.length, writerName(writer), write));
        }
        if (run != runId) {
            throw new IllegalArgumentException("never written by this run: run id " + run + ", expected " + runId);
        }
        if (key != keyIndex) {
            throw new IllegalArgumentException("crossed keys: the value of key " + key + " (writer "
                    + writerName(writer) + ", write " + write + ") was read from key " + keyIndex);
        }
        ByteBuffer expected = ByteBuffer.allocate(length);
        fillPayload(expected, writer, write, length);
        if (!ByteBuffer.wrap(value, HEADER_LENGTH, length).equals(expected.flip())) {
            throw new IllegalArgumentException("mixed: the payload is not writer " + writerName(writer) + "'s write "
                    + write + " (the CRC matched, so the value was written like this)");
        }
        if (write <= 0) {
            throw new IllegalArgumentException("never written: write number " + write);
        }
        return new Stamp(writer, write);
    }

    /**
     * A history value of {@code length} bytes (at least 8): the value id, then filler that follows
     * from it, so that a value of any size can be checked whole.
     */
    public static byte[] historyValue(long valueId, int length) {
        if (length < Long.BYTES) {
            throw new IllegalArgumentException("history value of " + length + " bytes, shorter than its id");
        }
        ByteBuffer b = ByteBuffer.allocate(length).putLong(valueId);
        for (int i = Long.BYTES; i < length; i++) {
            b.put(historyFiller(valueId, i));
        }
        return b.array();
    }

    /**
     * The id of a history value read.
     *
     * @throws IllegalArgumentException if it is not a whole history value
     */
    public static long historyId(byte[] value) {
        if (value.length < Long.BYTES) {
            throw new IllegalArgumentException("torn: " + value.length + " bytes, shorter than a value id");
        }
        long id = ByteBuffer.wrap(value).getLong();
        for (int i = Long.BYTES; i < value.length; i++) {
            if (value[i] != historyFiller(id, i)) {
                throw new IllegalArgumentException("torn or mixed: byte " + i + " of " + value.length
                        + " is not the filler of" + " value " + LinOp.valueName(id));
            }
        }
        return id;
    }

    private static byte historyFiller(long valueId, int i) {
        long x = (valueId + i) * 0x9E37_79B9_7F4A_7C15L;
        return (byte) (x >>> 56);
    }

    /** "p.t" for a writer id. */
    public static String writerName(long writer) {
        return (writer >>> 32) + "." + (writer & 0xFFFF_FFFFL);
    }

    /** Writer id of thread {@code thread} of process {@code process}. */
    public static long writerId(int process, int thread) {
        return ((long) process << 32) | thread;
    }

    private static void fillPayload(ByteBuffer b, long writer, long write, int length) {
        long x = writer * 0x9E37_79B9_7F4A_7C15L ^ write * 0xC2B2_AE3D_27D4_EB4FL ^ 0x1234_5678_9ABC_DEF0L;
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.putLong(x);
        }
        for (; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.put((byte) x);
        }
    }
}
