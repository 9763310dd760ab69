package io.sharedmap.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Bounds the memory of large request values being received, across all connections: a value of
 * more than {@value #SMALL_BYTES} bytes takes its size (in KiB) from one shared budget before its
 * array is allocated, and gives it back once the request has been executed or abandoned. When the
 * budget is spent, the connection announcing the next large value waits before reading it, so its
 * client waits too (backpressure); small requests never wait. Without this, a thousand connections
 * each announcing a 16 MiB value would make the daemon allocate 16 GiB.
 */
final class PayloadBudget {
    /** Values up to this size are bounded by the connection count alone (one request in flight each). */
    static final int SMALL_BYTES = 64 * 1024;

    private final Semaphore kib;

    PayloadBudget(long bytes) {
        this.kib = new Semaphore((int) Math.min(Integer.MAX_VALUE, bytes >>> 10), true);
    }

    static int kibFor(int length) {
        return length <= SMALL_BYTES ? 0 : (length + 1023) >>> 10;
    }

    /** Takes {@code kibNeeded} from the budget if it is there now. */
    boolean tryAcquire(int kibNeeded) {
        return kib.tryAcquire(kibNeeded);
    }

    /** Takes {@code kib} from the budget, waiting while {@code keepWaiting} holds; false if it gave up. */
    boolean acquire(int kibNeeded, BooleanSupplier keepWaiting) {
        try {
            while (!kib.tryAcquire(kibNeeded, 100, TimeUnit.MILLISECONDS)) {
                if (!keepWaiting.getAsBoolean()) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void release(int kibHeld) {
        if (kibHeld > 0) {
            kib.release(kibHeld);
        }
    }

    long availableBytes() {
        return (long) kib.availablePermits() << 10;
    }
}
