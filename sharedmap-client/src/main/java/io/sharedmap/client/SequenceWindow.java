package io.sharedmap.client;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.sharedmap.protocol.FrameDescriptor;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sequence numbers of one session: hands out consecutive numbers and keeps every number in
 * flight within {@link FrameDescriptor#SESSION_WINDOW} of the oldest unanswered one, so the daemon
 * still remembers the outcome of any request this client may resend.
 *
 * <p>Invariant: {@code base <= n < next} for every number {@code n} handed out and not yet
 * released, and {@code next - base <= capacity}. {@code base} is the oldest number not yet
 * released; it advances over released numbers only, so a stuck request holds back the window (and
 * blocks new changes) rather than letting newer numbers push it out of the daemon's memory.
 *
 * <p>Concurrency (a leaf lock; docs/ARCHITECTURE.md, "Lock order"): one lock, held for a few array operations per change; a caller that would
 * overrun the window waits on {@code roomy} until the oldest numbers are released.
 */
final class SequenceWindow {
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition roomy = lock.newCondition();

    /** {@code released[n % capacity]} for {@code base <= n < next}: n was answered or abandoned. */
    @GuardedBy("lock")
    private final boolean[] released;

    @GuardedBy("lock")
    private long base = 1;

    @GuardedBy("lock")
    private long next = 1;

    SequenceWindow() {
        this(FrameDescriptor.SESSION_WINDOW);
    }

    SequenceWindow(int capacity) {
        this.capacity = capacity;
        this.released = new boolean[capacity];
    }

    /** The most numbers one {@link #acquire} may take. */
    int capacity() {
        return capacity;
    }

    /**
     * Takes {@code count} consecutive numbers, waiting (uninterruptibly: every holder releases within
     * its reconnect window) until the window has room for all of them. Returns the first.
     */
    long acquire(int count) {
        if (count < 1 || count > capacity) {
            throw new IllegalArgumentException("count " + count + " outside 1.." + capacity);
        }
        lock.lock();
        try {
            while (next + count - base > capacity) {
                roomy.awaitUninterruptibly();
            }
            long first = next;
            next += count;
            return first;
        } finally {
            lock.unlock();
        }
    }

    /** Gives back {@code sequence} (answered, or abandoned); idempotent for numbers in the window. */
    void release(long sequence) {
        lock.lock();
        try {
            if (sequence < base || sequence >= next) {
                return;
            }
            released[(int) (sequence % capacity)] = true;
            if (sequence != base) {
                return;
            }
            while (base < next && released[(int) (base % capacity)]) {
                released[(int) (base % capacity)] = false;
                base++;
            }
            roomy.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Numbers handed out and not yet released (between the oldest unanswered one and the next). */
    long inFlightSpan() {
        lock.lock();
        try {
            return next - base;
        } finally {
            lock.unlock();
        }
    }
}
