package io.sharedmap.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** What a result means: the machine, the software, the settings and the command line. */
final class RunInfo {
    final Map<String, String> fields = new LinkedHashMap<>();
    final List<Map<String, String>> servers = new ArrayList<>();

    private RunInfo() {}

    static RunInfo collect(String args, Fsync fsync, BenchCommand.Load load) {
        RunInfo i = new RunInfo();
        i.fields.put("started", OffsetDateTime.now().toString());
        i.fields.put("command", "sharedmap bench " + args);
        i.fields.put("commit", commit());
        i.fields.put("cpus", Integer.toString(Runtime.getRuntime().availableProcessors()));
        i.fields.put("cpu_model", cpuModel());
        i.fields.put("kernel", read("/proc/sys/kernel/osrelease"));
        i.fields.put("memory", memTotal());
        i.fields.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        i.fields.put("fsync", fsync.sharedMapMode());
        i.fields.put("ops_per_process", Long.toString(load.ops()));
        i.fields.put("keys", Integer.toString(load.keys()));
        i.fields.put("value_size", Integer.toString(load.valueSize()));
        i.fields.put("zipf_theta", Double.toString(load.zipfTheta()));
        i.fields.put("seed", Long.toString(load.seed()));
        i.fields.put(
                "warmup",
                "per process until its JIT is quiet for " + load.warmupQuietMs() + " ms (0: off), at most "
                        + load.warmupOps() + " ops (direct: " + load.directWarmupOps() + ") or " + load.warmupMs()
                        + " ms");
        return i;
    }

    /** The words joined by spaces, each quoted for a POSIX shell where it needs it, so the line can be pasted. */
    static String shellWords(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String a : words) {
            sb.append(sb.isEmpty() ? "" : " ")
                    .append(a.matches("[\\w@%+=:,./-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    void addServer(String label, String version, String socket) {
        servers.add(Map.of("label", label, "version", version, "socket", socket));
    }

    String describeMachine() {
        return fields.get("cpus") + " CPUs (" + fields.get("cpu_model") + "), Linux " + fields.get("kernel") + ", "
                + fields.get("java");
    }

    /** The 1-minute load average, or -1. */
    static double loadAverage() {
        try {
            return Double.parseDouble(read("/proc/loadavg").split(" ")[0]);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /**
     * The commit of the checkout this harness was built from ({@code git rev-parse --short HEAD} in
     * the directory of its classes or jar, else in the working directory), with {@code -dirty} when
     * tracked files differ from it; {@code unknown} outside a git checkout. Bounded by a few seconds.
     */
    static String commit() {
        List<Path> places = new ArrayList<>();
        try {
            Path code = Path.of(RunInfo.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            places.add(Files.isDirectory(code) ? code : code.getParent());
        } catch (URISyntaxException | RuntimeException e) {
            // no code source: the working directory only
        }
        places.add(Path.of("").toAbsolutePath());
        for (Path dir : places) {
            String hash = git(dir, "rev-parse", "--short", "HEAD");
            if (hash != null && !hash.isEmpty()) {
                String status = git(dir, "status", "--porcelain", "--untracked-files=no");
                return hash + (status != null && !status.isEmpty() ? "-dirty" : "");
            }
        }
        return "unknown";
    }

    private static @Nullable String git(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            p.getOutputStream().close();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String cpuModel() {
        for (String line : read("/proc/cpuinfo").split("\n")) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return "unknown";
    }

    private static String memTotal() {
        for (String line : read("/proc/meminfo").split("\n")) {
            if (line.startsWith("MemTotal:")) {
                return line.substring(9).trim();
            }
        }
        return "unknown";
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
