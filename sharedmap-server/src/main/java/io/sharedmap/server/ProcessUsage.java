package io.sharedmap.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The daemon process's CPU time and resident memory, from {@code /proc/self/stat} and {@code
 * /proc/self/statm}, for INFO's {@code cpu} and {@code memory} sections. Zero where /proc cannot be
 * read (never an error: INFO must answer).
 */
final class ProcessUsage {
    /** /proc's clock ticks per second (USER_HZ: 100 on every Linux ABI the JDK runs on). */
    private static final double TICKS_PER_SECOND = 100.0;

    private static final long PAGE_BYTES = 4096;

    /** CPU seconds: user and system, of the process and of its waited-for children. */
    record Cpu(double user, double system, double childrenUser, double childrenSystem) {}

    private ProcessUsage() {}

    static Cpu cpu() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.US_ASCII);
            // the command name (field 2) is in parentheses and may hold spaces: count fields after its ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            // f[0] is field 3 (state); utime, stime, cutime, cstime are fields 14..17
            return new Cpu(
                    Long.parseLong(f[11]) / TICKS_PER_SECOND,
                    Long.parseLong(f[12]) / TICKS_PER_SECOND,
                    Long.parseLong(f[13]) / TICKS_PER_SECOND,
                    Long.parseLong(f[14]) / TICKS_PER_SECOND);
        } catch (IOException | RuntimeException e) {
            return new Cpu(0, 0, 0, 0);
        }
    }

    /** Resident set size in bytes (mapped store pages the daemon touched included). */
    static long rssBytes() {
        try {
            String[] f = Files.readString(Path.of("/proc/self/statm"), StandardCharsets.US_ASCII)
                    .trim()
                    .split(" ");
            return Long.parseLong(f[1]) * PAGE_BYTES;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
