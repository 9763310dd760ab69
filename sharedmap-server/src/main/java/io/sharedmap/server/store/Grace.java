package io.sharedmap.server.store;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Grace periods for the daemon's own lock-free readers of the store (sleepable RCU in the style of
 * Linux's SRCU): a reader brackets each read with {@link #enter()} and {@link #exit(int)}, and the
 * store's writer, having unpublished a mapping (a replaced index generation, a deleted chunk),
 * calls {@link #synchronize()} before it unmaps it: when that returns, every reader that could
 * have seen the mapping has left. Readers never block and share no lock; they only count.
 *
 * <p>Why it is correct: there are two phases, each with a count of entries and one of exits (both
 * only grow). A reader adds one entry to the current phase and then checks that the phase did not
 * flip meanwhile (else it leaves it and tries the new one), so a reader counted in a phase either
 * saw the phase before the flip, or saw the flip and left. {@code synchronize} flips the phase and
 * waits until the old phase's exits, read first, equal its entries, read second: an exit counted
 * there belongs to a reader whose entry is counted too, and a reader counted among the entries but
 * not yet exited makes them differ. A reader that enters after the flip loads only the new
 * pointers, so it cannot hold what was unpublished before the flip. Memory ordering: the
 * increments are atomic read-modify-writes and the phase is volatile, so entry-then-check and
 * flip-then-count are sequentially consistent with each other.
 *
 * <p>Cost per read: two uncontended {@link LongAdder} increments and one volatile read.
 */
final class Grace {
    private final LongAdder[] entries = {new LongAdder(), new LongAdder()};
    private final LongAdder[] exits = {new LongAdder(), new LongAdder()};
    private volatile int phase;
    private final Object synchronizing = new Object();

    /** Starts a read; pass the returned token to {@link #exit}. */
    int enter() {
        while (true) {
            int p = phase;
            entries[p].increment();
            if (phase == p) {
                return p;
            }
            exits[p].increment(); // flipped meanwhile: leave this phase and use the new one
        }
    }

    /** Ends a read started with {@link #enter}. */
    void exit(int token) {
        exits[token].increment();
    }

    /**
     * Returns once every read that was in progress when this method was called has ended. Callers
     * must have unpublished (made unreachable through the store's pointers) what they mean to free
     * before they call it. Blocks (spins, then parks briefly); readers are short.
     */
    void synchronize() {
        synchronized (synchronizing) {
            int old = phase;
            phase = 1 - old;
            for (int spins = 0; ; spins++) {
                long out = exits[old].sum();
                long in = entries[old].sum();
                if (out == in) {
                    return;
                }
                if (spins < 100) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(50_000);
                }
            }
        }
    }
}
