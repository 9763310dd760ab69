package io.sharedmap.client;

import org.jspecify.annotations.Nullable;

/**
 * No daemon answers on the socket, or the connection to it broke, or (the subclass {@link
 * ReplyTimeoutException}) the daemon did not answer within the reply timeout. The message names the
 * socket and says what to do. When thrown after a request was sent, the request may or may not have
 * been applied.
 */
public sealed class DaemonUnavailableException extends SharedMapException permits ReplyTimeoutException {
    private static final long serialVersionUID = 1L;

    DaemonUnavailableException(String message, @Nullable Throwable cause) {
        super(null, message, cause);
    }
}
