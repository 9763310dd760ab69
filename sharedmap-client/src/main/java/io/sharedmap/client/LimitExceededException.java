package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;

/**
 * A key or value is longer than the protocol or the daemon allows ({@link ErrorCode#KEY_TOO_LONG},
 * {@link ErrorCode#VALUE_TOO_LARGE}). The message names the limit. Nothing was stored.
 */
public final class LimitExceededException extends SharedMapException {
    private static final long serialVersionUID = 1L;

    LimitExceededException(ErrorCode errorCode, String message) {
        super(errorCode, message, null);
    }
}
