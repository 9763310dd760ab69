package io.sharedmap.torture;

import io.sharedmap.launcher.Daemon;
import io.sharedmap.launcher.DaemonLauncher;
import io.sharedmap.launcher.DaemonSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The daemon a torture run starts, kills and restarts, through {@link DaemonLauncher}: optionally
 * pinned to CPUs {@code 0..N-1}, its output appended to {@code <dir>/daemon.log}.
 */
final class TortureDaemon {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final DaemonSpec first;
    private final DaemonSpec restarted;
    private @Nullable Daemon daemon;
    private int starts;

    /**
     * @param serverOptions options of {@code sharedmap server} at every start
     * @param restartOptions further options at every start but the first (a test hook: a daemon
     *     restarted differently on the same directory)
     */
    TortureDaemon(
            Path dir,
            Path socket,
            String durability,
            int cpus,
            List<String> jvmOptions,
            List<String> serverOptions,
            List<String> restartOptions) {
        this.first = DaemonSpec.of(dir, socket)
                .withCpus(cpus)
                .withJvmOptions(jvmOptions)
                .withServerArgs("--durability", durability)
                .withServerArgs(serverOptions);
        this.restarted = first.withServerArgs(restartOptions);
    }

    Path socket() {
        return first.socket();
    }

    Path log() {
        return first.dataDir().resolve(DaemonLauncher.LOG_FILE_NAME);
    }

    /**
     * Starts the daemon and waits until it answers; returns how long that took, in ms. Not
     * interruptible (an interrupt is kept for the caller): a half-started daemon is no use.
     */
    long start() throws IOException {
        long t0 = System.nanoTime();
        Daemon d = DaemonLauncher.start(starts++ == 0 ? first : restarted);
        daemon = d;
        d.awaitServing(START_TIMEOUT);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    static boolean answers(Path socket) {
        return Daemon.whyNotServing(socket) == null;
    }

    /** The exit status of a daemon that died (not by our hand), or -1 while it runs. */
    int exitStatus() {
        return daemon == null ? -1 : daemon.exitStatus();
    }

    /** Waits up to {@code ns} for the daemon to exit; true if it has. */
    boolean awaitExit(long ns) throws InterruptedException {
        return daemon == null || daemon.process().waitFor(ns, TimeUnit.NANOSECONDS);
    }

    long pid() {
        return daemon == null ? -1 : daemon.pid();
    }

    /** kill -9, and waits for the process to be gone. */
    void kill() throws InterruptedException {
        if (daemon != null) {
            daemon.kill9();
        }
    }

    /** SIGTERM (drain, exit 0), waiting up to 60 s, else kill -9. Returns the exit status. */
    int stop() throws InterruptedException {
        return daemon == null ? 0 : daemon.stop(STOP_TIMEOUT);
    }

    /** {@code jcmd <pid> Thread.print} into {@code file}; a note in the file when that failed. */
    static void threadDump(long pid, Path file) {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print", "-l")
                    .redirectOutput(file.toFile())
                    .redirectErrorStream(true)
                    .start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                Files.writeString(file, "\njcmd did not finish within 30 s\n", StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            try {
                Files.writeString(file, "cannot run " + jcmd + ": " + e + "\n");
            } catch (IOException ignored) {
                // nowhere to report it
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The daemon's STATS, or an empty map when it does not answer. */
    static Map<String, String> stats(Path socket) {
        try {
            return Daemon.statsIfServing(socket, Duration.ofSeconds(30)).orElse(Map.of());
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    /** kill -9 if still running (cleanup on Ctrl-C). */
    void close() throws InterruptedException {
        if (daemon != null && daemon.isAlive()) {
            daemon.kill9();
        }
    }
}
