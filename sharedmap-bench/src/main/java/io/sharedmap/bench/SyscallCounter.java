package io.sharedmap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Counts the system calls a server process makes during a cell, with {@code perf stat} on the
 * kernel's {@code syscalls:sys_enter_*} tracepoints: far cheaper than strace, but while they are on
 * every system call on the machine takes the kernel's traced path, so the clients and the server
 * can run slower than without (docs/BENCHMARKS.md, "How it is measured"). Optional
 * ({@code --syscalls}): needs {@code perf} and permission to trace the process (root, or
 * {@code kernel.perf_event_paranoid} low enough).
 */
final class SyscallCounter {
    /** The calls that matter for a request/reply server. */
    static final List<String> CALLS = List.of(
            "read",
            "write",
            "writev",
            "pwrite64",
            "recvfrom",
            "sendto",
            "epoll_wait",
            "epoll_pwait",
            "poll",
            "futex",
            "fdatasync",
            "fsync",
            "sched_yield");

    private static final long STOP_TIMEOUT_MS = 10_000;

    private final Process perf;
    private final Path output;

    private SyscallCounter(Process perf, Path output) {
        this.perf = perf;
        this.output = output;
    }

    /** Starts counting the calls of {@code pid} (all its threads); {@code null} if perf cannot be started. */
    static @Nullable SyscallCounter start(long pid, Path output, long maxSeconds) {
        StringBuilder events = new StringBuilder();
        for (String c : CALLS) {
            events.append(events.isEmpty() ? "" : ",")
                    .append("syscalls:sys_enter_")
                    .append(c);
        }
        try {
            Process p = new ProcessBuilder(
                            "timeout",
                            "-s",
                            "INT",
                            Long.toString(maxSeconds),
                            "perf",
                            "stat",
                            "-x",
                            ",",
                            "-o",
                            output.toString(),
                            "-e",
                            events.toString(),
                            "-p",
                            Long.toString(pid))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            Thread.sleep(300); // let perf attach before the load starts
            if (!p.isAlive()) {
                return null;
            }
            return new SyscallCounter(p, output);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Stops counting (SIGINT, so perf prints its counts) and returns calls by name; empty if unavailable. */
    Map<String, Long> stop() throws InterruptedException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try {
            perf.children().forEach(h -> signalInt(h.pid()));
            if (!perf.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                perf.descendants().forEach(ProcessHandle::destroyForcibly);
                perf.destroyForcibly();
                return counts;
            }
            for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
                String[] f = line.split(",");
                if (f.length >= 3 && f[2].startsWith("syscalls:sys_enter_")) {
                    try {
                        counts.put(f[2].substring("syscalls:sys_enter_".length()), Long.parseLong(f[0].trim()));
                    } catch (NumberFormatException e) {
                        // "<not supported>" or "<not counted>"
                    }
                }
            }
        } catch (IOException e) {
            // no counts
        }
        return counts;
    }

    private static void signalInt(long pid) {
        try {
            new ProcessBuilder("kill", "-INT", Long.toString(pid))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (IOException e) {
            // perf will stop at its timeout
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
