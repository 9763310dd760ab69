package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import org.jspecify.annotations.Nullable;

/**
 * The daemon could not do the request: its storage failed, it hit an internal fault, it is shutting
 * down, or it is at its connection limit ({@link ErrorCode#STORAGE_FAILURE}, {@link
 * ErrorCode#INTERNAL}, {@link ErrorCode#SHUTTING_DOWN}, {@link ErrorCode#TOO_MANY_CONNECTIONS}).
 * The change, if any, was not acknowledged.
 */
public final class ServerFailureException extends SharedMapException {
    private static final long serialVersionUID = 1L;

    ServerFailureException(@Nullable ErrorCode errorCode, String message) {
        super(errorCode, message, null);
    }

    ServerFailureException(@Nullable ErrorCode errorCode, String message, @Nullable Throwable cause) {
        super(errorCode, message, cause);
    }
}
