package io.sharedmap.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A {@link Launcher} for the tools run from the command line: a scratch directory under /tmp, logs
 * under {@code target/tool-logs/<name>}; {@link #close} (and a shutdown hook) kills every process it
 * started; the scratch directory is deleted unless {@link #keep()} was called.
 */
public final class StandaloneLauncher implements Launcher, AutoCloseable {
    private final Path scratch;
    private final Path logDir;
    private final List<Process> processes = new ArrayList<>();
    private final Thread hook;
    private int daemonLaunches;
    private boolean keep;

    public StandaloneLauncher(String name) {
        try {
            scratch = Files.createTempDirectory(
                    Path.of("/tmp"),
                    "smtool-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            logDir = Path.of(System.getProperty("sharedmap.tests.logDir", "target/tool-logs"), name)
                    .toAbsolutePath();
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        hook = new Thread(this::killAll, "kill-tool-children");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override
    public DaemonProcess.Spec daemonSpec() {
        return new DaemonProcess.Spec(
                "daemon", scratch.resolve("data"), scratch.resolve("s.sock"), logDir, List.of(), List.of(), false);
    }

    @Override
    public DaemonProcess startDaemon(DaemonProcess.Spec spec) {
        return launchDaemon(spec).awaitReady();
    }

    @Override
    public synchronized DaemonProcess launchDaemon(DaemonProcess.Spec spec) {
        daemonLaunches++;
        DaemonProcess d = DaemonProcess.launch(spec, spec.name() + "-" + daemonLaunches);
        processes.add(d.process().process());
        return d;
    }

    @Override
    public synchronized ChildProcess startClient(String name, Class<?> mainClass, List<String> args) {
        ChildProcess c = ChildProcess.start(
                name, JavaCommand.command(false, SystemTestEnv.CLIENT_JVM_ARGS, mainClass.getName(), args), logDir);
        processes.add(c.process());
        return c;
    }

    @Override
    public Path scratch() {
        return scratch;
    }

    @Override
    public Path logDir() {
        return logDir;
    }

    /** Keeps the scratch directory (data files) for inspection. */
    public void keep() {
        keep = true;
    }

    private synchronized void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    @Override
    public void close() {
        killAll();
        for (Process p : processes) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        if (!keep) {
            try (Stream<Path> paths = Files.walk(scratch)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                System.err.println("could not delete " + scratch + ": " + e);
            }
        }
    }
}
