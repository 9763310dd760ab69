package io.sharedmap.cli;

import java.util.Locale;
import java.util.Map;

/** Reading the daemon's STATS names the CLI relies on. */
final class Stats {
    static final String PID = "pid";
    static final String SOCKET = "socket";
    static final String DATA_DIR = "data_dir";
    /** Why other users may reach the data directory, or empty. */
    static final String DATA_DIR_WARNING = "data_dir_warning";

    static final String UPTIME_MS = "uptime_ms";
    static final String KEYS = "keys";

    private Stats() {}

    /** The daemon's pid. */
    static long pid(Map<String, String> stats) {
        return number(stats, PID);
    }

    /** A numeric stat. */
    static long number(Map<String, String> stats, String name) {
        String value = stats.get(name);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new CliException(
                    ExitCodes.FAILURE, "the daemon's stats have no numeric " + name + " (got " + value + ")");
        }
    }

    /** A byte-count stat as {@code 12.3 MiB}, or {@code ?} if the daemon does not report it. */
    static String bytes(Map<String, String> stats, String name) {
        String value = stats.get(name);
        if (value == null) {
            return "?";
        }
        double b = Long.parseLong(value);
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (b >= 1024 && u < units.length - 1) {
            b /= 1024;
            u++;
        }
        return u == 0 ? value + " B" : String.format(Locale.ROOT, "%.1f %s", b, units[u]);
    }

    /** {@code 1h02m03s}; hours are not capped. */
    static String duration(long millis) {
        long s = Math.max(0, millis) / 1000;
        return String.format("%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60);
    }
}
