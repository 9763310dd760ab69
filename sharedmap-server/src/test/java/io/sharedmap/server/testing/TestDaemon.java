package io.sharedmap.server.testing;

import io.sharedmap.server.ServerConfig;
import io.sharedmap.server.SharedMapServer;
import io.sharedmap.server.log.StderrLoggerFinder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real in-process daemon on a fresh directory under /tmp (short socket path), removed on close.
 * Shared with the client's and the CLI's tests through this module's test-jar.
 *
 * <p>Like the system tests' daemons, it fails the test that used it when the daemon logged a
 * WARNING or an ERROR the test did not {@linkplain #allow(String) allow}: {@link #close} throws an
 * AssertionError listing them, after stopping the daemon (even when every assert passed).
 */
public final class TestDaemon implements AutoCloseable {
    /** The scratch directory holding data and socket, or null when the caller owns them. */
    public final Path root;

    public final Path dir;
    public final Path socket;
    private ServerConfig config;
    private SharedMapServer server;
    private final List<Pattern> allowed = new ArrayList<>();
    private final List<String> logged = new ArrayList<>(); // guarded by itself
    private final AutoCloseable listening;

    private TestDaemon(Path root, ServerConfig config) throws Exception {
        this.root = root;
        this.dir = config.dataDir();
        this.socket = config.socket();
        this.config = config;
        this.listening = StderrLoggerFinder.listen((level, line) -> {
            synchronized (logged) {
                logged.add(line);
            }
        });
        this.server = SharedMapServer.start(config);
    }

    /**
     * Lets the daemon log WARNING or ERROR lines containing a match of {@code regex} without failing
     * the test (a test that provokes a warning on purpose says so).
     */
    public TestDaemon allow(String regex) {
        allowed.add(Pattern.compile(regex));
        return this;
    }

    /** The WARNING and ERROR lines logged so far that no {@link #allow} pattern matches. */
    public List<String> unexpectedLogLines() {
        synchronized (logged) {
            return logged.stream()
                    .filter(l -> allowed.stream().noneMatch(p -> p.matcher(l).find()))
                    .toList();
        }
    }

    public static TestDaemon start() throws Exception {
        return start(UnaryOperator.identity());
    }

    public static TestDaemon start(UnaryOperator<ServerConfig> tweak) throws Exception {
        Path root = Files.createTempDirectory(Path.of("/tmp"), "smt");
        return new TestDaemon(root, tweak.apply(ServerConfig.defaults(root.resolve("data"), root.resolve("s.sock"))));
    }

    /** A daemon on the given directory and socket, which the caller owns (close does not delete them). */
    public static TestDaemon startAt(Path dir, Path socket) throws Exception {
        return new TestDaemon(null, ServerConfig.defaults(dir, socket));
    }

    /** Stops the daemon and waits until it has stopped. */
    public void stop() throws InterruptedException {
        if (server != null) {
            server.stop();
            server.awaitStopped();
            server = null;
        }
    }

    /** Stops the daemon and starts a new one on the same directory and socket, changed by {@code tweak}. */
    public void restart(UnaryOperator<ServerConfig> tweak) throws Exception {
        stop();
        config = tweak.apply(config);
        server = SharedMapServer.start(config);
    }

    public void restart() throws Exception {
        restart(UnaryOperator.identity());
    }

    @Override
    public void close() throws IOException {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the daemon", e);
        } finally {
            try {
                listening.close();
            } catch (Exception e) {
                throw new IOException(e);
            }
            if (root != null) {
                deleteTree(root);
            }
        }
        List<String> unexpected = unexpectedLogLines();
        if (!unexpected.isEmpty()) {
            throw new AssertionError("the daemon logged " + unexpected.size()
                    + " unexpected warning(s) or error(s):\n  " + String.join("\n  ", unexpected));
        }
    }

    /** Deletes {@code root} and everything below it (the tests' short-named directories under /tmp). */
    public static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
