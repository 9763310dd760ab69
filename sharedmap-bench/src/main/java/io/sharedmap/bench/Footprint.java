package io.sharedmap.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a server process holds, from {@code /proc} and the file system (Linux): its resident
 * memory by kind, the files it keeps in memory-backed file systems, the bytes a directory takes
 * on disk, and its CPU time including its reaped children's.
 *
 * <p>Memory, so that nothing is under-reported: {@code VmRSS} (= {@code RssAnon + RssFile +
 * RssShmem}) counts only pages the process has mapped and touched. A file in a memory-backed file
 * system (tmpfs, ramfs, hugetlbfs) takes memory whether or not it is mapped, and its mapped,
 * touched part is in {@code RssShmem}; so {@link Memory#totalBytes()} adds the memory-backed
 * files' bytes beyond {@code RssShmem}. Which files: every path the server names in its STATS under
 * a key ending in {@code _file} or {@code _dir} (the data directory and the mapped store's
 * directory, wherever the daemon keeps it), and every file it maps
 * ({@code /proc/PID/maps}), whatever STATS says.
 */
final class Footprint {
    /** File systems whose files live in memory. */
    static final Set<String> MEMORY_FILE_SYSTEMS = Set.of("tmpfs", "ramfs", "hugetlbfs");

    private static final long DU_TIMEOUT_MS = 60_000;

    private Footprint() {}

    /**
     * A file or directory a server uses: where it was named ({@code STATS store_dir}, or {@code
     * mapped} when found in {@code /proc/PID/maps}), its file system type and its bytes on that file
     * system ({@code du}: allocated, not apparent).
     */
    record FileUse(String source, Path path, String fsType, long bytes) {
        boolean inMemory() {
            return MEMORY_FILE_SYSTEMS.contains(fsType);
        }
    }

    /**
     * A process's memory at one moment, in bytes; -1 where {@code /proc} had no figure.
     *
     * @param files every file and directory found (STATS paths and mapped files), memory-backed or not
     */
    record Memory(long vmRss, long rssAnon, long rssFile, long rssShmem, long vmHwm, List<FileUse> files) {
        /** Bytes of the files in memory-backed file systems. */
        long memoryFileBytes() {
            return files.stream()
                    .filter(FileUse::inMemory)
                    .mapToLong(f -> Math.max(0, f.bytes()))
                    .sum();
        }

        /**
         * Resident memory plus the memory-backed files' bytes not already resident in this process
         * ({@code VmRSS + max(0, memory files − RssShmem)}): never less than what the server costs the
         * machine's memory, as far as {@code /proc} can tell.
         */
        long totalBytes() {
            return vmRss < 0 ? -1 : vmRss + Math.max(0, memoryFileBytes() - Math.max(0, rssShmem));
        }
    }

    /**
     * The memory of process {@code pid} and the files named in {@code stats} (a sharedmap daemon's
     * STATS; empty for Redis) or mapped by it.
     */
    static Memory memory(long pid, Map<String, String> stats) {
        Map<String, Long> status = status(pid);
        List<FileUse> files = new ArrayList<>();
        Set<Path> seen = new TreeSet<>();
        for (Map.Entry<String, String> e : stats.entrySet()) {
            String v = e.getValue();
            if ((e.getKey().endsWith("_file") || e.getKey().endsWith("_dir")) && v != null && v.startsWith("/")) {
                Path p = Path.of(v);
                if (Files.exists(p) && seen.add(p)) {
                    files.add(new FileUse("STATS " + e.getKey(), p, fsType(p), du(p)));
                }
            }
        }
        for (Path p : mappedFiles(pid)) {
            if (seen.stream().noneMatch(p::startsWith) && seen.add(p)) {
                String fs = fsType(p);
                if (MEMORY_FILE_SYSTEMS.contains(fs)) { // mapped disk files (jars, the JDK) are in RssFile already
                    files.add(new FileUse("mapped", p, fs, du(p)));
                }
            }
        }
        return new Memory(
                status.getOrDefault("VmRSS", -1L),
                status.getOrDefault("RssAnon", -1L),
                status.getOrDefault("RssFile", -1L),
                status.getOrDefault("RssShmem", -1L),
                status.getOrDefault("VmHWM", -1L),
                List.copyOf(files));
    }

    /** The {@code kB} lines of {@code /proc/PID/status}, in bytes, by name (e.g. {@code VmRSS}). */
    static Map<String, Long> status(long pid) {
        Map<String, Long> m = new HashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.endsWith(" kB")) {
                    String n = line.substring(colon + 1, line.length() - 3).trim();
                    m.put(line.substring(0, colon), Long.parseLong(n) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not Linux: no figures
        }
        return m;
    }

    /** The regular files process {@code pid} maps, from {@code /proc/PID/maps}. */
    static List<Path> mappedFiles(long pid) {
        Set<Path> out = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps"))) {
                int slash = line.indexOf(" /");
                if (slash < 0 || line.endsWith(" (deleted)")) {
                    continue;
                }
                Path p = Path.of(line.substring(slash + 1).trim());
                if (Files.isRegularFile(p)) {
                    out.add(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not ours to read
        }
        return List.copyOf(out);
    }

    /** The type of the file system {@code p} is on ({@code ext4}, {@code tmpfs}, ...), or {@code unknown}. */
    static String fsType(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * The bytes {@code p} (a file, or a directory and everything in it) takes on its file system, as
     * {@code du -s -B1} counts them (allocated blocks: a sparse file counts what it holds); the sum of
     * the files' sizes if {@code du} cannot run; -1 if {@code p} is gone. Bounded by a minute.
     */
    static long du(Path p) {
        if (!Files.exists(p)) {
            return -1;
        }
        try {
            Process du = new ProcessBuilder("du", "-s", "-B1", p.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            du.getOutputStream().close();
            String out;
            try (InputStream in = du.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (du.waitFor(DU_TIMEOUT_MS, TimeUnit.MILLISECONDS) && du.exitValue() == 0 && !out.isEmpty()) {
                return Long.parseLong(out.split("\\s+")[0]);
            }
            du.destroyForcibly();
        } catch (IOException | RuntimeException e) {
            // no du: fall back to sizes
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return apparentBytes(p);
    }

    private static long apparentBytes(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(f -> {
                        try {
                            return Files.size(f);
                        } catch (IOException e) {
                            return 0; // deleted meanwhile
                        }
                    })
                    .sum();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * CPU time of process {@code pid} and of its children it has waited for ({@code utime + stime +
     * cutime + cstime} of {@code /proc/PID/stat}: Redis's AOF rewrites run in a forked child), in
     * nanoseconds; -1 if unknown.
     */
    static long cpuWithChildrenNs(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            // f[0] is field 3 (state): utime, stime, cutime, cstime are fields 14-17
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks * 10_000_000L; // USER_HZ = 100 on every mainstream Linux configuration
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Bytes as decimal megabytes for the tables, e.g. {@code 1,789}; {@code -} if unknown. */
    static String mb(long bytes) {
        return bytes < 0 ? "-" : String.format(Locale.ROOT, "%,.0f", bytes / 1e6);
    }
}
