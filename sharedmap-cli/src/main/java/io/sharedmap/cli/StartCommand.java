package io.sharedmap.cli;

import io.sharedmap.client.Options;
import io.sharedmap.client.ReplyTimeoutException;
import io.sharedmap.launcher.Daemon;
import io.sharedmap.launcher.DaemonLauncher;
import io.sharedmap.launcher.DaemonSpec;
import io.sharedmap.os.files.FileModes;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code sharedmap start}: starts a daemon in the background unless one already answers. */
@Command(
        name = "start",
        mixinStandardHelpOptions = true,
        description = {
            "Start the daemon in the background (detached, its output appended to <dir>/daemon.log)"
                    + " and wait until it answers; do nothing if a daemon already answers on the socket.",
            "Takes the same options as 'sharedmap server'."
        })
final class StartCommand implements Callable<Integer> {
    private static final int LOG_LINES_SHOWN = 20;

    @ParentCommand
    SharedMapCommand root;

    @Mixin
    ServerOptions options;

    @Option(
            names = "--supervise",
            description = "Run the daemon under a supervising process that restarts it when it dies abnormally"
                    + " (not after 'sharedmap stop'), with backoff, at most --max-restarts times a minute; its events go to"
                    + " <dir>/daemon.log.")
    boolean supervise;

    @Option(
            names = "--max-restarts",
            paramLabel = "N",
            description = "With --supervise: most restarts within one minute before the supervisor gives up, 1..1000"
                    + " (default: ${DEFAULT-VALUE}).")
    int maxRestarts = 10;

    @Option(
            names = "--timeout-ms",
            paramLabel = "MS",
            description = "How long to wait for the daemon to answer; also how long (at least 1 s) a daemon already on"
                    + " the socket may take to answer before it counts as stuck (default: ${DEFAULT-VALUE}).")
    long timeoutMs = 30_000;

    @Override
    public Integer call() throws InterruptedException {
        DaemonSpec daemon = options.toDaemonSpec().detached();
        if (supervise) {
            daemon = daemon.supervised().withServerArgs("--max-restarts", Integer.toString(maxRestarts));
        }
        if (maxRestarts < 1 || maxRestarts > 1000) {
            throw new CliException(ExitCodes.USAGE, "--max-restarts: " + maxRestarts + " is outside 1..1000");
        }
        if (timeoutMs < 0) {
            throw new CliException(ExitCodes.USAGE, "--timeout-ms: " + timeoutMs + " is negative");
        }
        Path socket = daemon.socket();
        Optional<Map<String, String>> running;
        try {
            running = Daemon.statsIfServing(socket, replyTimeout());
        } catch (ReplyTimeoutException e) {
            throw new CliException(
                    ExitCodes.LIFECYCLE,
                    e.getMessage() + "; not starting another daemon: it would find"
                            + " the socket in use (kill -CONT or kill -9 the stuck one)");
        }
        if (running.isPresent()) {
            Map<String, String> stats = running.get();
            root.out()
                    .printf(
                            "already running: pid %s, socket %s, data %s%n",
                            stats.get("pid"),
                            stats.getOrDefault("socket", socket.toString()),
                            stats.getOrDefault("data_dir", "?"));
            return ExitCodes.OK;
        }
        createDataDirectory(daemon.dataDir());
        Daemon started;
        try {
            started = DaemonLauncher.start(daemon);
        } catch (IOException e) {
            throw new CliException(ExitCodes.LIFECYCLE, reason(e));
        }
        try {
            started.awaitServing(Duration.ofMillis(timeoutMs));
        } catch (IOException e) {
            if (!started.isAlive()) {
                Daemon.tail(started.log(), LOG_LINES_SHOWN).forEach(root.err()::println);
                throw new CliException(
                        ExitCodes.LIFECYCLE,
                        (supervise ? "the supervisor" : "the daemon")
                                + " exited with status " + started.exitStatus() + " before the daemon answered on "
                                + socket
                                + "; the last lines of " + started.log() + " are above");
            }
            throw new CliException(ExitCodes.LIFECYCLE, e.getMessage());
        }
        Map<String, String> stats;
        try {
            stats = Daemon.statsIfServing(socket, replyTimeout()).orElse(Map.of());
        } catch (ReplyTimeoutException e) {
            throw new CliException(
                    ExitCodes.LIFECYCLE,
                    "the daemon (pid " + started.pid() + ") started but does not" + " answer: " + e.getMessage()
                            + "; see " + started.log());
        }
        root.out()
                .printf(
                        "started: pid %s, socket %s, data %s%s%n",
                        stats.getOrDefault("pid", "?"),
                        socket,
                        daemon.dataDir(),
                        supervise ? " (supervised by pid " + started.pid() + ")" : "");
        return ExitCodes.OK;
    }

    /** How long a daemon on the socket may take to answer a request: {@code --timeout-ms}, at least 1 s. */
    private Duration replyTimeout() {
        return Duration.ofMillis(Math.clamp(timeoutMs, 1_000, Options.MAX_REPLY_TIMEOUT.toMillis()));
    }

    /** Creates {@code dir} (the daemon's log goes there) or fails saying why and what to do instead. */
    private static void createDataDirectory(Path dir) {
        try {
            FileModes.createPrivateDirectories(dir);
        } catch (IOException e) {
            String why = reason(e);
            String self = dir + ": ";
            throw new CliException(
                    ExitCodes.LIFECYCLE,
                    "cannot create data directory " + dir + ": "
                            + (why.startsWith(self) ? why.substring(self.length()) : why)
                            + "; use --dir or SHAREDMAP_DIR");
        }
    }

    /** Why a file operation failed, in words: an AccessDeniedException's message is only the path. */
    static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() == null && f.getFile() != null) {
            String why = switch (f) {
                case AccessDeniedException x -> "permission denied";
                case FileAlreadyExistsException x -> "exists and is not a directory";
                case NoSuchFileException x -> "no such file or directory";
                default -> f.getClass().getSimpleName();
            };
            return f.getFile() + ": " + why;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
