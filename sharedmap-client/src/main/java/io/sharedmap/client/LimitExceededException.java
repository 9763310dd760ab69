package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import org.jspecify.annotations.Nullable;

/**
 * A key or value is longer than the protocol or the daemon allows ({@link ErrorCode#KEY_TOO_LONG},
 * {@link ErrorCode#VALUE_TOO_LARGE}). The message names the limit. Nothing was stored.
 */
public final class LimitExceededException extends SharedMapException {
    private static final long serialVersionUID = 1L;

    LimitExceededException(@Nullable ErrorCode errorCode, String message) {
        super(errorCode, message, null);
    }
}
