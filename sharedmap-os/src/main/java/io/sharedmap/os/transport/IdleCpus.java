package io.sharedmap.os.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the machine has a CPU to spare for spinning: the number of runnable threads right now
 * (the fourth field of {@code /proc/loadavg}, {@code running/total}, which counts the caller) is at
 * most the CPUs this process may use. Spinning only pays when a CPU would otherwise idle: with more
 * runnable threads than CPUs, a spinning thread takes CPU from one that has work, and the tail
 * latency of everyone suffers. Sampled at most every {@value #REFRESH_MS} ms by whichever thread
 * asks first; where {@code /proc/loadavg} cannot be read, the answer is always yes.
 */
final class IdleCpus {
    private static final int REFRESH_MS = 5;
    private static final long REFRESH_NS = REFRESH_MS * 1_000_000L;
    private static final Path LOADAVG = Path.of("/proc/loadavg");
    private static final int CPUS = Runtime.getRuntime().availableProcessors();

    private static volatile long checkedAt = System.nanoTime() - REFRESH_NS;
    private static volatile boolean spare = true;
    private static volatile boolean readable = true;

    private IdleCpus() {}

    /** True when the last sample (at most a few milliseconds old) found no more runnable threads than CPUs. */
    static boolean spare() {
        long now = System.nanoTime();
        if (readable && now - checkedAt > REFRESH_NS) {
            checkedAt = now; // benign race: two threads may both sample
            int running = running();
            spare = running <= CPUS;
        }
        return spare;
    }

    /** Runnable threads now, or 0 when unknown. */
    private static int running() {
        try {
            String s = Files.readString(LOADAVG, StandardCharsets.US_ASCII);
            String[] f = s.split(" ");
            return Integer.parseInt(f[3].substring(0, f[3].indexOf('/')));
        } catch (IOException | RuntimeException e) {
            readable = false;
            return 0;
        }
    }
}
