package io.sharedmap.tests.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads /proc/<pid>/status fields (Linux). */
final class ProcStatus {
    private ProcStatus() {}

    /**
     * The process state letter of /proc/<pid>/stat (R running, S sleeping, T stopped by a signal,
     * ...), or '?' when unreadable (the process is gone).
     */
    static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int afterName = stat.lastIndexOf(')'); // the command name may hold spaces and parentheses
            return afterName < 0 || afterName + 2 >= stat.length() ? '?' : stat.charAt(afterName + 2);
        } catch (IOException e) {
            return '?';
        }
    }

    /**
     * CPU time the process has used, user and system, in clock ticks (fields 14 and 15 of
     * /proc/<pid>/stat); -1 when unreadable.
     */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime: fields 14, 15 of the line
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** A "kB" field of /proc/<pid>/status, e.g. VmHWM, in KiB; -1 when unreadable. */
    static long field(long pid, String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(name + ":")) {
                    String[] parts = line.substring(name.length() + 1).trim().split("\\s+");
                    return Long.parseLong(parts[0]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
