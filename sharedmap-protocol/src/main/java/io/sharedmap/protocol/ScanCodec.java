package io.sharedmap.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The value of a {@link Status#SCAN_PAGE} reply: entries back to back, each
 *
 * <pre>
 *  +-------------------------------+------------------------------ ...
 *  |        key length (u16)       |  key bytes
 *  +-------------------------------+------------------------------ ...
 *  |                      version (int64)                          |
 *  +---------------------------------------------------------------+
 *  |                   value length (int32)                        |
 *  +---------------------------------------------------------------+
 *  |   only when the SCAN asked for {@link FrameDescriptor#ARG_SCAN_OWNERS}:
 *  |                   owner uid (u32)                             |
 *  +---------------------------------------------------------------+
 *  |                   group gid (u32)                             |
 *  +-------------------------------+-------------------------------+
 *  |        mode (u16)             |
 *  +-------------------------------+
 * </pre>
 *
 * The reply's version field holds the number of entries; its key holds the cursor to pass as the
 * next SCAN's value (the last key of this page), empty when the scan is complete.
 */
public final class ScanCodec {
    /** Bytes an entry takes beyond its key. */
    public static final int ENTRY_OVERHEAD = 2 + 8 + 4;
    /** Bytes an entry takes in addition when the scan asked for owners. */
    public static final int OWNER_FIELDS_LENGTH = 4 + 4 + 2;

    private ScanCodec() {}

    /**
     * One scanned key with its entry's version and value length (values are fetched with GET), and,
     * when asked for, its owner, group and mode ({@code -1} when not asked for).
     */
    public record ScanEntry(byte[] key, long version, int valueLength, long uid, long gid, int mode) {
        public ScanEntry(byte[] key, long version, int valueLength) {
            this(key, version, valueLength, -1, -1, -1);
        }
    }

    public static int encodedLength(ScanEntry e, boolean owners) {
        return ENTRY_OVERHEAD + e.key().length + (owners ? OWNER_FIELDS_LENGTH : 0);
    }

    public static int encodedLength(ScanEntry e) {
        return encodedLength(e, false);
    }

    public static void encode(ByteBuffer dst, List<ScanEntry> entries) {
        encode(dst, entries, false);
    }

    public static void encode(ByteBuffer dst, List<ScanEntry> entries, boolean owners) {
        for (ScanEntry e : entries) {
            dst.putShort((short) e.key().length);
            dst.put(e.key());
            dst.putLong(e.version());
            dst.putInt(e.valueLength());
            if (owners) {
                dst.putInt((int) e.uid());
                dst.putInt((int) e.gid());
                dst.putShort((short) e.mode());
            }
        }
    }

    /**
     * Decodes {@code count} entries without owner fields.
     *
     * @throws ProtocolException MALFORMED_FRAME if the payload does not hold exactly that many entries
     */
    public static List<ScanEntry> decode(byte[] payload, long count) {
        return decode(payload, count, false);
    }

    /**
     * Decodes {@code count} entries, with owner fields when {@code owners}.
     *
     * @throws ProtocolException MALFORMED_FRAME if the payload does not hold exactly that many entries
     */
    public static List<ScanEntry> decode(byte[] payload, long count, boolean owners) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        if (count < 0 || count > FrameDescriptor.MAX_SCAN_LIMIT) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "scan page claims " + count + " entries");
        }
        int fixed = 12 + (owners ? OWNER_FIELDS_LENGTH : 0);
        List<ScanEntry> out = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 2) {
                throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "scan page truncated at entry " + i);
            }
            int keyLength = b.getShort() & 0xFFFF;
            if (b.remaining() < keyLength + fixed) {
                throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "scan page truncated at entry " + i);
            }
            byte[] key = new byte[keyLength];
            b.get(key);
            long version = b.getLong();
            int valueLength = b.getInt();
            if (owners) {
                out.add(new ScanEntry(
                        key,
                        version,
                        valueLength,
                        Integer.toUnsignedLong(b.getInt()),
                        Integer.toUnsignedLong(b.getInt()),
                        b.getShort() & 0xFFFF));
            } else {
                out.add(new ScanEntry(key, version, valueLength));
            }
        }
        if (b.hasRemaining()) {
            throw new ProtocolException(
                    ErrorCode.MALFORMED_FRAME,
                    "scan page has " + b.remaining() + " bytes after its " + count + " entries");
        }
        return out;
    }
}
