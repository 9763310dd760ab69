package io.sharedmap.server;

import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * Bounds the memory of large request values being received, across all connections: a value of
 * more than {@value #SMALL_BYTES} bytes takes its size (in KiB) from one shared budget before its
 * array is allocated, and gives it back once the request has been executed or abandoned. When the
 * budget is spent, the connection announcing the next large value stops reading until the budget
 * wakes it ({@link #whenAvailable}), so its client waits too (backpressure) and no thread blocks;
 * small requests never wait. A woken connection tries again and may find the budget taken by
 * another: the budget is not fair between large requests. Without this, a thousand connections
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

    private record Waiter(int kib, Runnable wake) {}

    /** Connections waiting for memory, each with what it needs. */
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();

    /**
     * Calls {@code wake} (once, on some thread: it must only post work) when at least {@code kib} may
     * be available; at once if it is already. The woken caller tries {@link #tryAcquire} again.
     */
    void whenAvailable(int kibNeeded, Runnable wake) {
        waiters.add(new Waiter(kibNeeded, wake));
        wakeWaiters(); // the budget may have been released between the caller's try and this
    }

    private void wakeWaiters() {
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter w = it.next();
            if (kib.availablePermits() >= w.kib() && waiters.remove(w)) {
                w.wake().run();
            }
        }
    }

    void release(int kibHeld) {
        if (kibHeld > 0) {
            kib.release(kibHeld);
            if (!waiters.isEmpty()) {
                wakeWaiters();
            }
        }
    }

    long availableBytes() {
        return (long) kib.availablePermits() << 10;
    }
}
