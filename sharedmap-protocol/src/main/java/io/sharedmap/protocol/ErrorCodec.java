package io.sharedmap.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The payload of an {@link Status#ERROR} reply: a u16 {@link ErrorCode}, then a UTF-8 message that
 * fills the rest of the value.
 */
public final class ErrorCodec {
    private ErrorCodec() {}

    /** A decoded error payload. {@code code} is null when the server sent a code this client does not know. */
    public record ErrorReply(@Nullable ErrorCode code, int rawCode, String message) {}

    public static byte[] encode(ErrorCode code, String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + text.length);
        b.putShort((short) code.code());
        b.put(text);
        return b.array();
    }

    public static ErrorReply decode(byte[] payload) {
        if (payload.length < 2) {
            return new ErrorReply(null, -1, "malformed error payload of " + payload.length + " bytes");
        }
        int raw = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        String message = new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        return new ErrorReply(ErrorCode.fromCode(raw), raw, message);
    }
}
