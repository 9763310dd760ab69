package io.sharedmap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time the whole machine spent busy, from {@code /proc/stat} (user, nice, system, irq,
 * softirq, steal; not idle or iowait), in nanoseconds, and the context switches of all its CPUs
 * (the {@code ctxt} line). Busy time during a cell minus what the server and the workers used is
 * what other processes took: a cell where that is large was measured on a busy machine. The busy
 * share of the CPUs tells a cell that used the whole machine (its rate is its CPU per operation)
 * from one that waited; the context switches per operation count how often a thread went to sleep
 * or was preempted for one.
 */
final class MachineCpu {
    private static final Path STAT = Path.of("/proc/stat");

    /** Kernel clock ticks per second; 100 on every mainstream Linux configuration. */
    private static final long TICKS_PER_SECOND = 100;

    private MachineCpu() {}

    /**
     * The machine's counters at one moment.
     *
     * @param busyNs busy CPU time of all CPUs so far, -1 if not known
     * @param contextSwitches context switches of all CPUs since boot, -1 if not known
     */
    record Sample(long busyNs, long contextSwitches) {
        static final Sample UNKNOWN = new Sample(-1, -1);

        /** Busy CPU time from {@code earlier} to this sample, -1 if either is not known. */
        long busySince(Sample earlier) {
            return busyNs < 0 || earlier.busyNs < 0 ? -1 : busyNs - earlier.busyNs;
        }

        /** Context switches from {@code earlier} to this sample, -1 if either is not known. */
        long contextSwitchesSince(Sample earlier) {
            return contextSwitches < 0 || earlier.contextSwitches < 0 ? -1 : contextSwitches - earlier.contextSwitches;
        }
    }

    /**
     * {@code cpuNs} of CPU time as a share of this machine's capacity over {@code overNs}, 0..1; -1 if
     * either is unknown (negative, or no time passed).
     */
    static double share(long cpuNs, long overNs) {
        if (cpuNs < 0 || overNs <= 0) {
            return -1;
        }
        return Math.min(
                1, (double) cpuNs / (overNs * (double) Runtime.getRuntime().availableProcessors()));
    }

    /** Busy CPU time of all CPUs so far, or -1 if {@code /proc/stat} cannot be read. */
    static long busyNs() {
        return sample().busyNs();
    }

    /** Both counters, read from one copy of {@code /proc/stat}; {@link Sample#UNKNOWN} if it cannot be read. */
    static Sample sample() {
        try {
            return parse(Files.readAllLines(STAT));
        } catch (IOException | RuntimeException e) {
            return Sample.UNKNOWN; // not Linux, or unreadable
        }
    }

    /** The counters of {@code /proc/stat}'s lines; a counter whose line is missing (or a {@code ctxt} of 0) is -1. */
    static Sample parse(List<String> lines) {
        long busy = -1;
        long switches = -1;
        for (String line : lines) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                long ticks = 0;
                // cpu user nice system idle iowait irq softirq steal ...
                for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                    if (i < f.length) {
                        ticks += Long.parseLong(f[i]);
                    }
                }
                busy = ticks * (1_000_000_000L / TICKS_PER_SECOND);
            } else if (line.startsWith("ctxt ")) {
                // counted since boot, so 0 means not counted (some sandboxes write a constant 0)
                long n = Long.parseLong(line.substring("ctxt ".length()).trim());
                switches = n > 0 ? n : -1;
            }
        }
        return new Sample(busy, switches);
    }
}
