package io.sharedmap.tests.support;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A point in time that every wait in these tests is bounded by. */
public record Deadline(long deadlineNs) {

    public static Deadline in(Duration d) {
        return new Deadline(System.nanoTime() + d.toNanos());
    }

    public long remainingNs() {
        return Math.max(0, deadlineNs - System.nanoTime());
    }

    public long remainingMs() {
        return TimeUnit.NANOSECONDS.toMillis(remainingNs());
    }

    public boolean expired() {
        return System.nanoTime() - deadlineNs >= 0;
    }
}
