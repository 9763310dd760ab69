package io.sharedmap.client;

import org.jspecify.annotations.Nullable;

/**
 * The daemon accepted the connection but did not answer within the client's reply timeout ({@link
 * Options#replyTimeout(java.time.Duration)}): it is running but not answering (stopped
 * with {@code SIGSTOP} or a debugger, wedged, or waiting for a disk that does not answer). The
 * message names the socket and the timeout, and says whether the request may have been applied.
 *
 * <p>The connection is closed and never used again. The call is not retried, not even by a
 * recovering client (a wedged daemon would make every call take the timeout times the number of
 * retries); the next call borrows or opens another connection as usual. A change that timed out
 * may or may not be applied, and may be applied later, when the daemon resumes, even after later
 * calls of the same client returned: read the key (or use {@link SharedMap#compareAndSet}) when that
 * matters. A {@link DaemonUnavailableException}, so code that handles an unreachable daemon handles
 * a stuck one too.
 */
public final class ReplyTimeoutException extends DaemonUnavailableException {
    private static final long serialVersionUID = 1L;

    /** Whether a request that changes the map was sent and not answered (its outcome is unknown). */
    private final boolean changeUnanswered;

    ReplyTimeoutException(String message, boolean changeUnanswered, @Nullable Throwable cause) {
        super(message, cause);
        this.changeUnanswered = changeUnanswered;
    }

    /** See the constructor; for the recovering call, which may know of an earlier attempt. */
    boolean changeUnanswered() {
        return changeUnanswered;
    }
}
