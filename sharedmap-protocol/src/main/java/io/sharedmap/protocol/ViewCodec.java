package io.sharedmap.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The payload of the {@link Status#VIEW} reply: where the public side of the daemon's mapped
 * store is, for direct reads (its layout is {@code io.sharedmap.os.store.StoreDescriptor}).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  generation (int64): the root file of the right store has it  |
 *  +                                                               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  absolute path of the public side's directory (UTF-8, the rest)|
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * An empty payload means the daemon offers no direct reads (disabled, {@code never} mode, or its
 * journal failed): every GET goes through the socket.
 */
public final class ViewCodec {
    private ViewCodec() {}

    /** Longest path accepted in a reply (PATH_MAX). */
    public static final int MAX_PATH_BYTES = 4096;

    /** Where the store's public side is; null in {@link #decode} for "no direct reads". */
    public record ViewLocation(Path dir, long generation) {}

    public static byte[] encode(@Nullable ViewLocation v) {
        if (v == null) {
            return new byte[0];
        }
        byte[] path = v.dir().toString().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(Long.BYTES + path.length)
                .putLong(v.generation())
                .put(path)
                .array();
    }

    /**
     * Reads a VIEW payload; null when the daemon offers no direct reads.
     *
     * @throws ProtocolException MALFORMED_FRAME if it is neither empty nor a generation and a path
     */
    public static @Nullable ViewLocation decode(byte[] value) {
        if (value.length == 0) {
            return null;
        }
        if (value.length <= Long.BYTES || value.length > Long.BYTES + MAX_PATH_BYTES) {
            throw new ProtocolException(
                    ErrorCode.MALFORMED_FRAME,
                    "VIEW payload of " + value.length
                            + " bytes; expected 0, or 8 bytes of generation and a path of 1 to " + MAX_PATH_BYTES
                            + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(value);
        long generation = b.getLong();
        String path = new String(value, Long.BYTES, value.length - Long.BYTES, StandardCharsets.UTF_8);
        return new ViewLocation(Path.of(path), generation);
    }
}
