package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import org.jspecify.annotations.Nullable;

/**
 * A request is malformed in content: an empty key or an argument out of range ({@link
 * ErrorCode#KEY_EMPTY}, {@link ErrorCode#INVALID_ARGUMENT}). Nothing was stored.
 */
public final class InvalidRequestException extends SharedMapException {
    private static final long serialVersionUID = 1L;

    InvalidRequestException(@Nullable ErrorCode errorCode, String message) {
        super(errorCode, message, null);
    }
}
