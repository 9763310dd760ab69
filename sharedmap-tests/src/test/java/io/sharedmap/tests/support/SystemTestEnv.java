package io.sharedmap.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Per-test environment for multi-process tests, in the manner of aeron's SystemTestWatcher: a short
 * scratch directory under /tmp (socket paths must stay under 107 bytes), a log directory under
 * {@code target/test-logs/<class>/<test>}, and a registry of every daemon and client process the
 * test started. After each test it kills what is still running and fails the test if any daemon
 * logged an ERROR the test did not declare with {@link #allowDaemonErrors}.
 *
 * <p>Register as an instance field: {@code @RegisterExtension final SystemTestEnv env = new SystemTestEnv();}
 */
public final class SystemTestEnv implements BeforeEachCallback, AfterEachCallback, Launcher {
    /** JVM flags for client processes: small and quick to start; they are not what is measured. */
    public static final List<String> CLIENT_JVM_ARGS =
            List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m", "-Xshare:auto");

    /**
     * Every child process any test started and has not yet seen end. A JVM shutdown hook kills them,
     * so an aborted test run (timeout, Ctrl-C) leaves no daemon behind. Writers also stop on their own
     * when their stdin closes.
     */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-test-children"));
    }

    private final List<DaemonProcess> daemons = new ArrayList<>();
    private final List<ChildProcess> clients = new ArrayList<>();
    private final List<Pattern> allowedErrors = new ArrayList<>();
    private Path scratch;
    private Path logDir;
    private int daemonLaunches;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        scratch = Files.createTempDirectory(
                Path.of("/tmp"),
                "smt-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        String base = System.getProperty("sharedmap.tests.logDir", "target/test-logs");
        String method = context.getRequiredTestMethod().getName();
        String testName = method + suffix(method, context.getDisplayName());
        logDir = Path.of(base, context.getRequiredTestClass().getSimpleName(), testName);
        if (Files.exists(logDir)) {
            deleteRecursively(logDir);
        }
        Files.createDirectories(logDir);
    }

    /** Distinguishes the invocations of a parameterized test; empty for a plain one. */
    private static String suffix(String method, String displayName) {
        if (displayName.startsWith(method + "(")) {
            return "";
        }
        String s = displayName.replaceAll("[^A-Za-z0-9_=.-]+", "_").replaceAll("^_+|_+$", "");
        return s.isEmpty() ? "" : "-" + s;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> problems = new ArrayList<>();
        for (ChildProcess c : clients) {
            if (c.isAlive()) {
                c.kill9();
            }
        }
        for (DaemonProcess d : daemons) {
            if (d.isAlive()) {
                d.kill9();
            }
        }
        for (DaemonProcess d : daemons) {
            for (String line : d.unexpectedErrors(allowedErrors)) {
                problems.add(d.name() + ": " + line);
            }
        }
        try {
            deleteRecursively(scratch);
        } catch (IOException | UncheckedIOException e) {
            problems.add("could not delete " + scratch + ": " + e);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("daemon logs hold unexpected errors (logs in " + logDir.toAbsolutePath() + "):\n  "
                    + String.join("\n  ", problems));
        }
    }

    /** Declares daemon ERROR log lines this test expects (regex, searched within the line). */
    public void allowDaemonErrors(String regex) {
        allowedErrors.add(Pattern.compile(regex));
    }

    public List<Pattern> allowedErrors() {
        return List.copyOf(allowedErrors);
    }

    /** The scratch directory (short, under /tmp), deleted after the test. */
    @Override
    public Path scratch() {
        return scratch;
    }

    @Override
    public Path logDir() {
        return logDir;
    }

    /** A new empty directory in the scratch directory. */
    public Path newDir(String name) {
        try {
            return Files.createDirectories(scratch.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A daemon spec on {@code <scratch>/data} and {@code <scratch>/s.sock} with default settings. */
    @Override
    public DaemonProcess.Spec daemonSpec() {
        return new DaemonProcess.Spec(
                "daemon", scratch.resolve("data"), scratch.resolve("s.sock"), logDir, List.of(), List.of(), false);
    }

    /** Starts a daemon JVM and waits until it serves. */
    @Override
    public DaemonProcess startDaemon(DaemonProcess.Spec spec) {
        return launchDaemon(spec).awaitReady();
    }

    /** Starts a daemon JVM without waiting; for daemons expected to fail at start. */
    @Override
    public DaemonProcess launchDaemon(DaemonProcess.Spec spec) {
        daemonLaunches++;
        DaemonProcess d = DaemonProcess.launch(spec, spec.name() + "-" + daemonLaunches);
        track(d.process().process());
        daemons.add(d);
        return d;
    }

    /** Every daemon launched by this test, in launch order. */
    public List<DaemonProcess> daemons() {
        return List.copyOf(daemons);
    }

    /** Starts {@code mainClass} in a client JVM (any JVM that is not a daemon). */
    @Override
    public ChildProcess startClient(String name, Class<?> mainClass, List<String> args) {
        return startClient(name, false, mainClass, args);
    }

    public ChildProcess startClient(String name, boolean oneCpu, Class<?> mainClass, List<String> args) {
        ChildProcess c = ChildProcess.start(
                name, JavaCommand.command(oneCpu, CLIENT_JVM_ARGS, mainClass.getName(), args), logDir);
        track(c.process());
        clients.add(c);
        return c;
    }

    /** Starts an arbitrary command (e.g. the sharedmap CLI) as a client process. */
    public ChildProcess startCommand(String name, List<String> command) {
        ChildProcess c = ChildProcess.start(name, command, logDir);
        track(c.process());
        clients.add(c);
        return c;
    }

    private static void track(Process p) {
        LIVE.add(p);
        p.onExit().thenRun(() -> LIVE.remove(p));
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
