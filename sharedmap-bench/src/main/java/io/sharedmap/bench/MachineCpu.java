package io.sharedmap.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time the whole machine spent busy, from {@code /proc/stat} (user, nice, system, irq,
 * softirq, steal; not idle or iowait), in nanoseconds. Busy time during a cell minus what the
 * server and the workers used is what other processes took: a cell where that is large was
 * measured on a busy machine.
 */
final class MachineCpu {
    private static final Path STAT = Path.of("/proc/stat");

    /** Kernel clock ticks per second; 100 on every mainstream Linux configuration. */
    private static final long TICKS_PER_SECOND = 100;

    private MachineCpu() {}

    /** Busy CPU time of all CPUs so far, or -1 if {@code /proc/stat} cannot be read. */
    static long busyNs() {
        try {
            for (String line : Files.readAllLines(STAT)) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long ticks = 0;
                    // cpu user nice system idle iowait irq softirq steal ...
                    for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                        if (i < f.length) {
                            ticks += Long.parseLong(f[i]);
                        }
                    }
                    return ticks * (1_000_000_000L / TICKS_PER_SECOND);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable
        }
        return -1;
    }
}
