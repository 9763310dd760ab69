package io.sharedmap.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The attempts of one call (or one pipeline batch) to get through after its connection broke: the
 * first retry goes at once (the usual case is an idle pooled connection the daemon dropped), later
 * ones after an exponential backoff with jitter, until the reconnect window, counted from the first
 * failure, is spent.
 *
 * <p>Used by one thread; it sleeps on that thread, which is the caller's (no background thread
 * reconnects: a call that cannot get through blocks for at most the window). A reply timeout is not
 * a failure this retries: the call ends there ({@link ReplyTimeoutException}).
 */
final class Reconnect {
    static final long FIRST_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(5);
    static final long MAX_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(200);

    private final Path socket;
    private final long windowNs;
    private final long startNs = System.nanoTime();
    private long backoffNs;
    private int failures;

    Reconnect(Path socket, Duration window) {
        this.socket = socket;
        this.windowNs = window.toNanos();
    }

    /**
     * Records a failed attempt and waits before the next one.
     *
     * @param cause why the attempt failed
     * @param maybeApplied whether any attempt so far may have delivered the request
     * @throws DaemonUnavailableException when the window is spent (or the thread was interrupted)
     */
    void failed(Exception cause, boolean maybeApplied) {
        failures++;
        if (failures == 1) {
            return; // one immediate retry on a fresh connection
        }
        long elapsedNs = System.nanoTime() - startNs;
        if (elapsedNs >= windowNs) {
            throw giveUp(cause, maybeApplied, elapsedNs, "");
        }
        backoffNs = backoffNs == 0 ? FIRST_BACKOFF_NS : Math.min(backoffNs * 2, MAX_BACKOFF_NS);
        long pauseNs =
                Math.min(backoffNs / 2 + ThreadLocalRandom.current().nextLong(backoffNs / 2 + 1), windowNs - elapsedNs);
        try {
            Thread.sleep(Duration.ofNanos(pauseNs)); // backoff between reconnect attempts
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw giveUp(cause, maybeApplied, System.nanoTime() - startNs, "interrupted, ");
        }
    }

    private DaemonUnavailableException giveUp(Exception cause, boolean maybeApplied, long elapsedNs, String why) {
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new DaemonUnavailableException(
                String.format(
                        "%sgave up after %.1f s and %d attempts to reach the sharedmap daemon on %s (reconnect window %.1f s;"
                                + " last error: %s); the request %s; if the daemon is gone, start one with: sharedmap start",
                        why,
                        elapsedNs / 1e9,
                        failures,
                        socket,
                        windowNs / 1e9,
                        message,
                        maybeApplied ? "may or may not have been applied" : "was not applied"),
                cause);
    }
}
