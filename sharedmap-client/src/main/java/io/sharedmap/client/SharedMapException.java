package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Root of every exception the sharedmap client throws. Unchecked: expected outcomes (a missing
 * key, a version conflict) are results, not exceptions, so what remains is a broken precondition or
 * a failure the caller usually cannot handle locally.
 *
 * <p>The subclasses say what went wrong; {@link Errors} maps a daemon's {@link ErrorCode} to one
 * of them in a single switch:
 *
 * <ul>
 *   <li>{@link DaemonUnavailableException}: no daemon answers on the socket, or the connection broke;
 *       its subclass {@link ReplyTimeoutException}: the daemon did not answer within the reply timeout;
 *   <li>{@link LimitExceededException}: {@code KEY_TOO_LONG}, {@code VALUE_TOO_LARGE};
 *   <li>{@link InvalidRequestException}: {@code KEY_EMPTY}, {@code INVALID_ARGUMENT};
 *   <li>{@link ServerFailureException}: {@code STORAGE_FAILURE}, {@code INTERNAL},
 *       {@code SHUTTING_DOWN}, {@code TOO_MANY_CONNECTIONS}, {@code SEQUENCE_EXPIRED} (a resent change
 *       too old for the daemon to know whether it was applied);
 *   <li>{@link ProtocolViolationException}: the fatal protocol errors and replies that make no sense.
 * </ul>
 */
public sealed class SharedMapException extends RuntimeException
        permits DaemonUnavailableException,
                LimitExceededException,
                InvalidRequestException,
                ServerFailureException,
                ProtocolViolationException,
                PermissionDeniedException,
                QuotaExceededException {
    private static final long serialVersionUID = 1L;

    /** Error code of the daemon's (or the client-side check's) refusal; null when there is none. */
    @SuppressWarnings("serial") // enums are serializable
    private final @Nullable ErrorCode errorCode;

    SharedMapException(@Nullable ErrorCode errorCode, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
    }

    /**
     * The protocol error code behind this exception: the one in the daemon's {@code ERROR} reply, or
     * the one the client-side check stands in for. Empty when no code applies (e.g. a lost
     * connection).
     */
    public Optional<ErrorCode> errorCode() {
        return Optional.ofNullable(errorCode);
    }
}
