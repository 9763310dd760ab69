package io.sharedmap.tests.support;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Polls a condition that nothing signals (a daemon's counters), up to a deadline. The pause between
 * polls is only a poll interval: the wait ends as soon as the condition holds, and fails at the
 * deadline.
 */
public final class Await {
    private static final long POLL_INTERVAL_NS = 20_000_000;

    private Await() {}

    public static void until(String what, BooleanSupplier condition, Duration timeout) {
        Deadline deadline = Deadline.in(timeout);
        while (!condition.getAsBoolean()) {
            if (deadline.expired()) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            LockSupport.parkNanos(Math.min(POLL_INTERVAL_NS, deadline.remainingNs()));
        }
    }
}
