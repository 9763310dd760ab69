package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import org.jspecify.annotations.Nullable;

/**
 * The change would take this process's user or group (or the key's owner) over a limit set with
 * {@code sharedmap limit} ({@link ErrorCode#QUOTA_EXCEEDED}): keys, bytes or connections. The
 * message names the limit, the current usage and the request's size. Nothing was stored.
 */
public final class QuotaExceededException extends SharedMapException {
    private static final long serialVersionUID = 1L;

    QuotaExceededException(@Nullable ErrorCode errorCode, String message) {
        super(errorCode, message, null);
    }
}
