package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import org.jspecify.annotations.Nullable;

/**
 * One side broke the wire protocol: the daemon rejected the stream as malformed ({@link
 * ErrorCode#UNKNOWN_OPCODE}, {@link ErrorCode#MALFORMED_FRAME}, {@link ErrorCode#BAD_HANDSHAKE},
 * {@link ErrorCode#UNSUPPORTED_VERSION}), or its reply made no sense to this client (the error code
 * is then empty). The connection is discarded. Usually a version mismatch or a bug.
 */
public final class ProtocolViolationException extends SharedMapException {
    private static final long serialVersionUID = 1L;

    ProtocolViolationException(@Nullable ErrorCode errorCode, String message) {
        super(errorCode, message, null);
    }
}
