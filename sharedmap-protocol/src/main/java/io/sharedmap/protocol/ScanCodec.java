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
 * </pre>
 *
 * The reply's version field holds the number of entries; its key holds the cursor to pass as the
 * next SCAN's value (the last key of this page), empty when the scan is complete.
 */
public final class ScanCodec {
  /** Bytes an entry takes beyond its key. */
  public static final int ENTRY_OVERHEAD = 2 + 8 + 4;

  private ScanCodec() {}

  /** One scanned key with its entry's version and value length (values are fetched with GET). */
  public record ScanEntry(byte[] key, long version, int valueLength) {}

  public static int encodedLength(ScanEntry e) {
    return ENTRY_OVERHEAD + e.key().length;
  }

  public static void encode(ByteBuffer dst, List<ScanEntry> entries) {
    for (ScanEntry e : entries) {
      dst.putShort((short) e.key().length);
      dst.put(e.key());
      dst.putLong(e.version());
      dst.putInt(e.valueLength());
    }
  }

  /**
   * Decodes {@code count} entries.
   *
   * @throws ProtocolException MALFORMED_FRAME if the payload does not hold exactly that many entries
   */
  public static List<ScanEntry> decode(byte[] payload, long count) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    if (count < 0 || count > FrameDescriptor.MAX_SCAN_LIMIT) {
      throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "scan page claims " + count + " entries");
    }
    List<ScanEntry> out = new ArrayList<>((int) count);
    for (int i = 0; i < count; i++) {
      if (b.remaining() < 2) {
        throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "scan page truncated at entry " + i);
      }
      int keyLength = b.getShort() & 0xFFFF;
      if (b.remaining() < keyLength + 12) {
        throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "scan page truncated at entry " + i);
      }
      byte[] key = new byte[keyLength];
      b.get(key);
      out.add(new ScanEntry(key, b.getLong(), b.getInt()));
    }
    if (b.hasRemaining()) {
      throw new ProtocolException(ErrorCode.MALFORMED_FRAME,
          "scan page has " + b.remaining() + " bytes after its " + count + " entries");
    }
    return out;
  }
}
