package io.sharedmap.protocol;

import java.nio.ByteBuffer;

/**
 * The client hello (8 bytes) and the payload of the server's {@link Status#HELLO} reply.
 *
 * <pre>
 *  HELLO reply payload (16 bytes):
 *  +-------------------------------+-------------------------------+
 *  |   protocol version (u16)      |         reserved (0)          |
 *  +-------------------------------+-------------------------------+
 *  |                   max key length (int32)                      |
 *  +---------------------------------------------------------------+
 *  |                  max value length (int32)                     |
 *  +---------------------------------------------------------------+
 *  |                 max scan page size (int32)                    |
 *  +---------------------------------------------------------------+
 * </pre>
 */
public final class HelloCodec {
    /** Length of the HELLO reply payload. */
    public static final int SERVER_HELLO_LENGTH = 16;

    /** What the server tells the client after the hello. */
    public record ServerHello(int protocolVersion, int maxKeyLength, int maxValueLength, int maxScanLimit) {}

    private HelloCodec() {}

    /** Writes the client hello asking for {@code version}. */
    public static void writeClientHello(ByteBuffer dst, int version) {
        dst.putInt(FrameDescriptor.MAGIC);
        dst.putShort((short) version);
        dst.putShort((short) 0);
    }

    /** Writes a session hello (16 bytes) asking for {@code version}, for the client {@code clientId} (non-zero). */
    public static void writeSessionHello(ByteBuffer dst, int version, long clientId) {
        if (clientId == 0) {
            throw new IllegalArgumentException("client id must be non-zero");
        }
        dst.putInt(FrameDescriptor.MAGIC);
        dst.putShort((short) version);
        dst.putShort((short) FrameDescriptor.HELLO_FLAG_SESSION);
        dst.putLong(clientId);
    }

    /**
     * Reads the first 8 bytes of a client hello and returns its flags (0, or {@link
     * FrameDescriptor#HELLO_FLAG_SESSION}, in which case an 8-byte client id follows).
     *
     * @throws ProtocolException BAD_HANDSHAKE if the magic or flags are wrong, UNSUPPORTED_VERSION if
     *     the version is not one this side speaks
     */
    public static int readClientHello(ByteBuffer src) {
        int magic = src.getInt();
        int version = src.getShort() & 0xFFFF;
        int flags = src.getShort() & 0xFFFF;
        if (magic != FrameDescriptor.MAGIC) {
            throw new ProtocolException(
                    ErrorCode.BAD_HANDSHAKE,
                    String.format(
                            "bad handshake: expected magic 0x%08X (\"SMAP\") but got 0x%08X; is this a sharedmap client?",
                            FrameDescriptor.MAGIC, magic));
        }
        if ((flags & ~FrameDescriptor.HELLO_FLAG_SESSION) != 0) {
            throw new ProtocolException(
                    ErrorCode.BAD_HANDSHAKE,
                    "bad handshake: unknown flags 0x" + Integer.toHexString(flags)
                            + "; only 0x0001 (session) is defined");
        }
        if (version != FrameDescriptor.PROTOCOL_VERSION) {
            throw new ProtocolException(
                    ErrorCode.UNSUPPORTED_VERSION,
                    "unsupported protocol version " + version + ": this server speaks version "
                            + FrameDescriptor.PROTOCOL_VERSION);
        }
        return flags;
    }

    public static void writeServerHello(ByteBuffer dst, ServerHello hello) {
        dst.putShort((short) hello.protocolVersion());
        dst.putShort((short) 0);
        dst.putInt(hello.maxKeyLength());
        dst.putInt(hello.maxValueLength());
        dst.putInt(hello.maxScanLimit());
    }

    public static ServerHello readServerHello(ByteBuffer src) {
        if (src.remaining() < SERVER_HELLO_LENGTH) {
            throw new ProtocolException(
                    ErrorCode.MALFORMED_FRAME,
                    "HELLO payload has " + src.remaining() + " bytes, expected " + SERVER_HELLO_LENGTH);
        }
        int version = src.getShort() & 0xFFFF;
        src.getShort();
        return new ServerHello(version, src.getInt(), src.getInt(), src.getInt());
    }
}
