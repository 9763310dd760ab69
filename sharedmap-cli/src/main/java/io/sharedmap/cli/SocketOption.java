package io.sharedmap.cli;

import io.sharedmap.client.Options;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapPaths;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --socket PATH} and {@code --reply-timeout-ms MS} for the commands that talk to a daemon. */
final class SocketOption {
    @Option(
            names = "--socket",
            paramLabel = "PATH",
            description = "The daemon's Unix domain socket (default: ${DEFAULT-VALUE}; $SHAREDMAP_SOCKET sets it).")
    Path socket = SharedMapPaths.defaultSocket();

    @Option(
            names = "--reply-timeout-ms",
            paramLabel = "MS",
            description =
                    "How long to wait for the daemon to answer before giving up with exit code 3: a daemon"
                            + " that is running but stuck (stopped, wedged, its disk hung); 0 waits forever (default: ${DEFAULT-VALUE}).")
    long replyTimeoutMs = Options.DEFAULT_REPLY_TIMEOUT.toMillis();

    /**
     * A plain client of the daemon on the socket: a one-shot command opens no session, so a shell
     * loop of thousands of commands does not crowd long-lived applications' sessions out of the
     * daemon's session table, and it fails at once instead of waiting for a restarting daemon.
     */
    SharedMap connect() {
        return connect(socket);
    }

    /** {@link #connect()} to {@code path} (a {@code unix:} URL's socket). */
    SharedMap connect(Path path) {
        return SharedMap.connect(path, Options.defaults().recovering(false).replyTimeout(replyTimeout()));
    }

    private Duration replyTimeout() {
        long max = Options.MAX_REPLY_TIMEOUT.toMillis();
        if (replyTimeoutMs < 0 || replyTimeoutMs > max) {
            throw new CliException(
                    ExitCodes.USAGE,
                    "--reply-timeout-ms: " + replyTimeoutMs + " is outside 0.." + max + " (0: wait forever)");
        }
        return Duration.ofMillis(replyTimeoutMs);
    }
}
