package io.sharedmap.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Tells a warm-up when this JVM's JIT has gone quiet: it spent at most a thousandth of the last
 * quiet time compiling. On 2 CPUs with 10 worker processes the JIT's threads wait for a CPU like
 * everything else, and the client's hot path reached C2 only 6-16 s after start
 * (-Xlog:jit+compilation at {@code c5a5e91}); a warm-up of fixed length either ends before that or
 * wastes time where it came sooner. The signal is {@link CompilationMXBean#getTotalCompilationTime()},
 * the JIT's accumulated time in milliseconds. Not "no compilation at all": methods run now and then
 * (a timer's, a statistics reader's) reach a compile threshold every few seconds for as long as
 * the process runs, each in well under a millisecond. Read at most every {@link #POLL_NS}, so the
 * check costs nothing in the loop.
 */
final class JitQuiet {
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(50);

    private final CompilationMXBean jit;
    private final long quietNs;
    /** Compilation time allowed within the quiet time, ms. */
    private final long allowedMs;
    /** Samples, oldest first: {@link System#nanoTime()} and the total compilation time then, ms. */
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();

    private long nextPollNs;

    private JitQuiet(CompilationMXBean jit, long quietMs, long now) {
        this.jit = jit;
        this.quietNs = TimeUnit.MILLISECONDS.toNanos(quietMs);
        this.allowedMs = Math.max(1, quietMs / 1000);
        this.samples.add(new long[] {now, jit.getTotalCompilationTime()});
        this.nextPollNs = now + POLL_NS;
    }

    /**
     * A watch whose quiet must last {@code quietMs} from now; null (never quiet) when {@code quietMs}
     * is 0 or this JVM cannot tell its compilation time (no JIT, or no monitoring).
     */
    static @Nullable JitQuiet start(long quietMs) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (quietMs <= 0 || jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return null;
        }
        return new JitQuiet(jit, quietMs, System.nanoTime());
    }

    /**
     * Whether, at {@code now} ({@link System#nanoTime()}), the JIT spent at most a thousandth of the
     * quiet time (at least 1 ms) compiling during the quiet time just ended.
     */
    boolean quiet(long now) {
        if (now - nextPollNs < 0) {
            return false;
        }
        nextPollNs = now + POLL_NS;
        long total = jit.getTotalCompilationTime();
        samples.add(new long[] {now, total});
        // Keep the newest sample at least quietNs old as the window's start.
        while (samples.size() > 1) {
            Iterator<long[]> it = samples.iterator();
            it.next();
            if (now - it.next()[0] < quietNs) {
                break;
            }
            samples.removeFirst();
        }
        long[] oldest = samples.getFirst();
        return now - oldest[0] >= quietNs && total - oldest[1] <= allowedMs;
    }
}
