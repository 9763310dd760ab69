package io.sharedmap.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Tells a warm-up when this JVM's JIT has gone quiet: it spent at most a thousandth of the last
 * quiet time compiling (at least 1 ms). On 2 CPUs with 10 worker processes the JIT's threads wait
 * for a CPU like everything else, and the client's hot path reached C2 only 6-16 s after start
 * (-Xlog:jit+compilation at {@code c5a5e91}); a warm-up of fixed length either ends before that or
 * wastes time where it came sooner. The signal is {@link CompilationMXBean#getTotalCompilationTime()},
 * the JIT's accumulated time in milliseconds. Not "no compilation at all": methods run now and then
 * (a timer's, a statistics reader's) reach a compile threshold every few seconds for as long as
 * the process runs, each in well under a millisecond. What the signal cannot see: a compilation
 * still running counts only once it is done, so one that runs longer than the quiet time can end
 * the warm-up early.
 *
 * <p>Read at most every {@link #POLL_NS}. The warm-up and the timed part run the same loop with a
 * watch each (the timed part's {@link #never}), so the loop's compiled code takes the same branches
 * in both.
 */
final class JitQuiet {
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(50);

    /** The shortest quiet time accepted (other than 0, off): a thousandth of it is the 1 ms the signal can tell. */
    static final long MIN_QUIET_MS = 1_000;

    private final LongSupplier totalMs;
    private final long quietNs;
    /** Compilation time allowed within the quiet time, ms. */
    private final long allowedMs;
    /** Samples, oldest first: {@link System#nanoTime()} and the total compilation time then, ms. */
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();

    private long nextPollNs;

    /**
     * @param totalMs the JIT's accumulated compilation time, ms
     * @param quietMs how long it must stay (nearly) unchanged
     * @param now {@link System#nanoTime()} when the quiet time may start
     */
    JitQuiet(LongSupplier totalMs, long quietMs, long now) {
        this.totalMs = totalMs;
        this.quietNs = TimeUnit.MILLISECONDS.toNanos(quietMs);
        this.allowedMs = Math.max(1, quietMs / 1000);
        this.samples.add(new long[] {now, totalMs.getAsLong()});
        this.nextPollNs = now + POLL_NS;
    }

    /**
     * A watch whose quiet must last {@code quietMs} from {@code now}; one that is never quiet when
     * {@code quietMs} is 0 or this JVM cannot tell its compilation time (no JIT, no monitoring, or
     * {@code -XX:-UsePerfData}, without which the total stays 0).
     */
    static JitQuiet start(long quietMs, long now) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (quietMs <= 0 || jit == null || !jit.isCompilationTimeMonitoringSupported() || !perfData()) {
            return never(now);
        }
        return new JitQuiet(jit::getTotalCompilationTime, quietMs, now);
    }

    /** A watch that is never quiet: its first poll is due in a century. */
    static JitQuiet never(long now) {
        JitQuiet q = new JitQuiet(() -> 0, MIN_QUIET_MS, now);
        q.nextPollNs = now + Long.MAX_VALUE / 2;
        return q;
    }

    private static boolean perfData() {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotspot == null
                    || !"false".equals(hotspot.getVMOption("UsePerfData").getValue());
        } catch (IllegalArgumentException e) {
            return true; // no such option in this JVM
        }
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
        long total = totalMs.getAsLong();
        samples.add(new long[] {now, total});
        // The window starts at the newest sample at least quietNs old; older ones go.
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
