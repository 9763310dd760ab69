package io.sharedmap.os.transport;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many threads may spin at once while waiting for a socket (see {@link SpinChannel}). A thread
 * that finds the limit reached blocks at once instead of spinning.
 *
 * <p>Why a limit: a spinning thread holds a CPU. On a machine with few CPUs, more spinners than
 * spare CPUs take the CPU away from the threads that would produce the awaited data (the peer, the
 * journal writer), so every round trip gets slower. One spinner per CPU but one is the default:
 * that leaves a CPU for the rest of the work. With a single CPU the default is 0 (never spin):
 * measured with 2 to 10 client processes pinned to one CPU, spinning cost throughput and tail latency.
 *
 * <p>Thread-safe. An acquire that races with others may briefly see the count above the limit and
 * then give up, never the reverse: at most {@link #max()} threads hold a permit at a time.
 */
public final class SpinLimiter {
    private final int max;
    private final boolean onlyWithSpareCpu;
    private final AtomicInteger spinning = new AtomicInteger();

    /**
     * A limiter for at most {@code max} spinning threads (0 disables spinning) that also refuses while
     * the machine has no CPU to spare ({@link IdleCpus}).
     *
     * @throws IllegalArgumentException when {@code max} is negative
     */
    public SpinLimiter(int max) {
        this(max, true);
    }

    /**
     * As {@link #SpinLimiter(int)}; {@code onlyWithSpareCpu} false ignores the machine's load (tests
     * that need a spin to happen whatever else runs).
     */
    public SpinLimiter(int max, boolean onlyWithSpareCpu) {
        if (max < 0) {
            throw new IllegalArgumentException("max spinners " + max + " is negative");
        }
        this.max = max;
        this.onlyWithSpareCpu = onlyWithSpareCpu;
    }

    /** The default limit: one fewer than the CPUs this JVM may use (so 0, no spinning, on one CPU). */
    public static int defaultMax() {
        return Math.max(0, Runtime.getRuntime().availableProcessors() - 1);
    }

    /** The limit. */
    public int max() {
        return max;
    }

    /** Threads spinning now (a snapshot). */
    public int spinning() {
        return spinning.get();
    }

    /**
     * Takes a permit to spin; false when {@link #max()} threads already hold one, or (unless built
     * otherwise) when the machine has more runnable threads than CPUs.
     */
    public boolean tryAcquire() {
        if (max == 0 || onlyWithSpareCpu && !IdleCpus.spare()) {
            return false;
        }
        if (spinning.incrementAndGet() > max) {
            spinning.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Returns a permit taken by {@link #tryAcquire}. */
    public void release() {
        spinning.decrementAndGet();
    }

    @Override
    public String toString() {
        return "SpinLimiter[" + spinning.get() + "/" + max + "]";
    }
}
