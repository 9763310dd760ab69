package io.sharedmap.cli;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.sharedmap.launcher.DaemonLauncher;
import io.sharedmap.launcher.DaemonSpec;
import io.sharedmap.server.ServerConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code sharedmap supervise} (hidden; {@code sharedmap start --supervise} runs it in the
 * background): runs {@code sharedmap server} as a child and starts it again whenever it dies
 * abnormally, like systemd's {@code Restart=on-failure}.
 *
 * <p>Policy: exit status 0 is a clean stop ({@code sharedmap stop}, SIGTERM): the supervisor exits
 * 0 too. Status 2 (bad parameters) will not get better: it exits 2; nor will a first start that
 * fails (status 6: the directory is another daemon's, the socket is served): it exits 6. Any other
 * status (a crash, a {@code kill -9}: 137, a later failed start) is restarted after a backoff that starts at {@code
 * --backoff-ms} and doubles up to 5 s, reset once the daemon has run for a minute. More than {@code
 * --max-restarts} restarts within one minute: it logs that it gives up and exits 6. SIGTERM to the
 * supervisor stops the daemon (SIGTERM, drain) and then the supervisor, exit 0.
 *
 * <p>Output: one line per event on stdout, in the daemon's log format; {@code start --supervise}
 * appends it, and the daemon's own output, to {@code <dir>/daemon.log}.
 */
@Command(
        name = "supervise",
        hidden = true,
        mixinStandardHelpOptions = true,
        description = "Run 'sharedmap server' as a child and restart it when it dies abnormally (not after a clean"
                + " stop); used by 'sharedmap start --supervise'.")
final class SuperviseCommand implements Callable<Integer> {
    static final long MAX_BACKOFF_MS = 5_000;
    static final long BUDGET_WINDOW_MS = 60_000;

    @ParentCommand
    SharedMapCommand root;

    @Mixin
    ServerOptions options;

    @Option(
            names = "--max-restarts",
            paramLabel = "N",
            description = "Most restarts within one minute before giving up, 1..1000 (default: ${DEFAULT-VALUE}).")
    int maxRestarts = 10;

    @Option(
            names = "--backoff-ms",
            paramLabel = "MS",
            description = "Wait before the first restart; doubles up to 5000 (default: ${DEFAULT-VALUE}).")
    long backoffMs = 100;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stopRequested = lock.newCondition();

    @GuardedBy("lock")
    private boolean stopping;

    @GuardedBy("lock")
    private @Nullable Process child;

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig config = options.toConfig();
        DaemonSpec daemon = options.toDaemonSpec(); // unsupervised, its output inherited from the supervisor
        if (maxRestarts < 1 || maxRestarts > 1000) {
            throw new CliException(ExitCodes.USAGE, "--max-restarts: " + maxRestarts + " is outside 1..1000");
        }
        if (backoffMs < 0 || backoffMs > MAX_BACKOFF_MS) {
            throw new CliException(ExitCodes.USAGE, "--backoff-ms: " + backoffMs + " is outside 0.." + MAX_BACKOFF_MS);
        }
        Thread hook = new Thread(() -> stopOnSignal(config.drainTimeoutMs()), "sharedmap-supervisor-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        log(
                "INFO",
                "supervising the daemon for " + config.dataDir() + " on " + config.socket() + " (pid "
                        + ProcessHandle.current().pid() + ", at most " + maxRestarts + " restarts a minute)");

        Deque<Long> restarts = new ArrayDeque<>(); // nanoTime of each restart within the budget window
        long backoff = backoffMs;
        boolean first = true;
        while (true) {
            Process p = spawn(daemon);
            if (p == null) {
                return ExitCodes.OK; // stopping
            }
            long startedNs = System.nanoTime();
            log("INFO", "daemon started, pid " + p.pid());
            int status = p.waitFor();
            long ranMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNs);
            if (isStopping()) {
                log(
                        "INFO",
                        "daemon pid " + p.pid() + " exited with status " + status + " on the supervisor's stop;"
                                + " supervisor exits");
                return ExitCodes.OK;
            }
            if (status == ExitCodes.OK) {
                log("INFO", "daemon pid " + p.pid() + " stopped cleanly (status 0); supervisor exits");
                return done(hook, ExitCodes.OK);
            }
            if (status == ExitCodes.USAGE) {
                log("ERROR", "daemon pid " + p.pid() + " refused its parameters (status 2); not restarting");
                return done(hook, ExitCodes.USAGE);
            }
            if (first && status == ExitCodes.LIFECYCLE) {
                log(
                        "ERROR",
                        "daemon pid " + p.pid() + " could not start (status 6, see its lines above); not restarting");
                return done(hook, ExitCodes.LIFECYCLE);
            }
            first = false;
            long now = System.nanoTime();
            while (!restarts.isEmpty()
                    && now - restarts.peekFirst() > TimeUnit.MILLISECONDS.toNanos(BUDGET_WINDOW_MS)) {
                restarts.removeFirst();
            }
            if (restarts.size() >= maxRestarts) {
                log(
                        "ERROR",
                        "daemon pid " + p.pid() + " " + describe(status) + "; giving up: " + restarts.size()
                                + " restarts within the last minute already (--max-restarts " + maxRestarts + ")");
                return done(hook, ExitCodes.LIFECYCLE);
            }
            if (ranMs >= BUDGET_WINDOW_MS) {
                backoff = backoffMs; // it ran well for a while: start the backoff over
            }
            restarts.addLast(now);
            log(
                    "WARNING",
                    "daemon pid " + p.pid() + " " + describe(status) + " after " + ranMs + " ms; restarting in "
                            + backoff + " ms (restart " + restarts.size() + " of at most " + maxRestarts
                            + " a minute)");
            if (awaitStop(backoff)) {
                log("INFO", "stopped while waiting to restart the daemon; supervisor exits");
                return ExitCodes.OK;
            }
            backoff = Math.min(Math.max(backoff * 2, 1), MAX_BACKOFF_MS);
        }
    }

    /** "exited with status N" or, for 128+N, "was killed by signal N". */
    static String describe(int status) {
        if (status > 128 && status < 128 + 65) {
            int signal = status - 128;
            String name = switch (signal) {
                case 9 -> " (SIGKILL)";
                case 15 -> " (SIGTERM)";
                case 6 -> " (SIGABRT)";
                case 11 -> " (SIGSEGV)";
                default -> "";
            };
            return "was killed by signal " + signal + name + " (status " + status + ")";
        }
        return "exited with status " + status;
    }

    private int done(Thread hook, int code) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // a signal arrived meanwhile; the hook runs
        }
        return code;
    }

    private @Nullable Process spawn(DaemonSpec daemon) {
        lock.lock();
        try {
            if (stopping) {
                return null;
            }
            child = DaemonLauncher.start(
                            daemon,
                            ProcessBuilder.Redirect.INHERIT,
                            daemon.dataDir().resolve(DaemonLauncher.LOG_FILE_NAME))
                    .process();
            return child;
        } catch (IOException e) {
            throw new CliException(ExitCodes.LIFECYCLE, e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    private boolean isStopping() {
        lock.lock();
        try {
            return stopping;
        } finally {
            lock.unlock();
        }
    }

    /** Waits {@code ms} for a stop request; true if one came. */
    private boolean awaitStop(long ms) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        lock.lock();
        try {
            while (!stopping) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                stopRequested.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** SIGTERM/SIGINT to the supervisor: stop the daemon gracefully, wait for it, exit 0. */
    private void stopOnSignal(long drainTimeoutMs) {
        Process p;
        lock.lock();
        try {
            stopping = true;
            stopRequested.signalAll();
            p = child;
        } finally {
            lock.unlock();
        }
        if (p != null && p.isAlive()) {
            log("INFO", "stopping: SIGTERM to the daemon, pid " + p.pid());
            p.destroy();
            try {
                if (!p.waitFor(drainTimeoutMs + 20_000L, TimeUnit.MILLISECONDS)) {
                    log("WARNING", "the daemon, pid " + p.pid() + ", did not exit; killing it");
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        log("INFO", "supervisor stopped");
        root.flush();
        Runtime.getRuntime().halt(ExitCodes.OK);
    }

    private void log(String level, String message) {
        PrintStream out = root.out();
        out.println(Instant.now() + " " + level + " [supervisor] sharedmap.supervisor: " + message);
        out.flush();
    }
}
