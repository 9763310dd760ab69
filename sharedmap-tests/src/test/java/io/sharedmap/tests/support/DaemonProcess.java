package io.sharedmap.tests.support;

import io.sharedmap.launcher.DaemonLauncher;
import io.sharedmap.launcher.DaemonSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A sharedmap daemon in its own JVM, started with {@link DaemonLauncher}'s command line (the test
 * class path), optionally pinned to one CPU. Its stdout is captured line by line (so a test waits
 * for {@value #READY_PREFIX}, the line the daemon prints once it has bound its socket, without a
 * probe connection of its own that could count against {@code --max-connections}), and its stderr
 * (the daemon's log) goes to a file that {@link #unexpectedErrors} checks.
 */
public final class DaemonProcess {
    /** The line the daemon prints to stdout once clients can connect. */
    public static final String READY_PREFIX = "sharedmap serving on";

    /** How long a daemon may take to recover and bind. Generous: CI machines are slow. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    /** How long a daemon may take to drain and exit after SIGTERM. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** Log lines: {@code <ISO instant> <LEVEL> [thread] logger: message}. */
    private static final Pattern ERROR_LINE = Pattern.compile("^\\S+ ERROR .*");

    /** Lines the JVM itself prints when it dies badly; never allowed. */
    private static final Pattern JVM_TROUBLE = Pattern.compile(
            "^(Exception in thread .*|# A fatal error has been detected.*|.*java\\.lang\\.OutOfMemoryError.*)");

    /**
     * How to start a daemon. Restarting = {@link #launch} the same spec again.
     *
     * @param name base name for log files; each launch appends its incarnation number
     * @param umask the daemon process's umask, such as {@code 000} (through {@code sh -c 'umask ...; exec
     *     ...'}); null inherits the test's
     */
    public record Spec(
            String name,
            Path dataDir,
            Path socket,
            Path logDir,
            List<String> serverArgs,
            List<String> jvmArgs,
            boolean oneCpu,
            String umask) {

        public Spec {
            serverArgs = List.copyOf(serverArgs);
            jvmArgs = List.copyOf(jvmArgs);
            if (umask != null && !umask.matches("[0-7]{1,4}")) {
                throw new IllegalArgumentException("umask " + umask + " is not octal");
            }
        }

        public Spec(
                String name,
                Path dataDir,
                Path socket,
                Path logDir,
                List<String> serverArgs,
                List<String> jvmArgs,
                boolean oneCpu) {
            this(name, dataDir, socket, logDir, serverArgs, jvmArgs, oneCpu, null);
        }

        public Spec withDurability(String durability) {
            return withServerArgs("--durability", durability);
        }

        public Spec withServerArgs(String... args) {
            List<String> a = new ArrayList<>(serverArgs);
            a.addAll(List.of(args));
            return new Spec(name, dataDir, socket, logDir, a, jvmArgs, oneCpu, umask);
        }

        public Spec withJvmArgs(String... args) {
            List<String> a = new ArrayList<>(jvmArgs);
            a.addAll(List.of(args));
            return new Spec(name, dataDir, socket, logDir, serverArgs, a, oneCpu, umask);
        }

        public Spec withOneCpu(boolean one) {
            return new Spec(name, dataDir, socket, logDir, serverArgs, jvmArgs, one, umask);
        }

        public Spec withDataDir(Path dir) {
            return new Spec(name, dir, socket, logDir, serverArgs, jvmArgs, oneCpu, umask);
        }

        public Spec withSocket(Path s) {
            return new Spec(name, dataDir, s, logDir, serverArgs, jvmArgs, oneCpu, umask);
        }

        public Spec withName(String n) {
            return new Spec(n, dataDir, socket, logDir, serverArgs, jvmArgs, oneCpu, umask);
        }

        /** The daemon runs with umask {@code mask} (octal, such as {@code "000"}). */
        public Spec withUmask(String mask) {
            return new Spec(name, dataDir, socket, logDir, serverArgs, jvmArgs, oneCpu, mask);
        }

        /** Where the daemon keeps its mapped store (beside the data directory) unless the test says otherwise. */
        public Path storeDir() {
            return dataDir.resolveSibling(dataDir.getFileName() + ".store");
        }

        /** The launcher's command line for this daemon, with the test class path. */
        List<String> command() {
            // The mapped store beside the data directory, not in /dev/shm: the test's temporary tree holds
            // everything (unless the test places it itself).
            List<String> args = new ArrayList<>(serverArgs);
            if (!args.contains("--store-dir")) {
                args.addAll(List.of("--store-dir", storeDir().toString()));
            }
            return DaemonLauncher.command(DaemonSpec.of(dataDir, socket)
                    .withServerArgs(args)
                    .withJvmOptions(jvmArgs)
                    .withCpus(oneCpu ? 1 : 0)
                    .withUmask(umask)
                    .withClassPath(JavaCommand.classPath()));
        }
    }

    private final Spec spec;
    private final ChildProcess process;

    private DaemonProcess(Spec spec, ChildProcess process) {
        this.spec = spec;
        this.process = process;
    }

    /** Starts the JVM without waiting for it to be ready. */
    public static DaemonProcess launch(Spec spec, String incarnationName) {
        return new DaemonProcess(spec, ChildProcess.start(incarnationName, spec.command(), spec.logDir()));
    }

    /** Waits for the ready line; fails with the daemon's log if it exits or the timeout passes first. */
    public DaemonProcess awaitReady(Duration timeout) {
        process.awaitLine(l -> l.startsWith(READY_PREFIX), timeout);
        return this;
    }

    public DaemonProcess awaitReady() {
        return awaitReady(START_TIMEOUT);
    }

    public Spec spec() {
        return spec;
    }

    public Path socket() {
        return spec.socket();
    }

    public Path dataDir() {
        return spec.dataDir();
    }

    public String name() {
        return process.name();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public ChildProcess process() {
        return process;
    }

    /** kill -9, then waits until the process is gone. */
    public void kill9() {
        process.kill9();
    }

    /** SIGTERM without waiting. */
    public void sigterm() {
        process.sigterm();
    }

    /**
     * {@code kill -STOP}, then waits until the kernel shows the process stopped: it keeps its sockets
     * and answers nothing, as a wedged daemon would. Undo with {@link #sigcont()} (a test should, in a
     * finally block; {@link #kill9} works on a stopped process too).
     */
    public void sigstop() {
        signal("STOP");
        Await.until(this + " is stopped", () -> ProcStatus.state(pid()) == 'T', Duration.ofSeconds(10));
    }

    /** {@code kill -CONT}, then waits until the process is no longer stopped. */
    public void sigcont() {
        signal("CONT");
        Await.until(this + " runs again", () -> ProcStatus.state(pid()) != 'T', Duration.ofSeconds(10));
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid()))
                    .redirectErrorStream(true)
                    .start();
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new AssertionError("kill -" + name + " " + pid() + " did not finish within 10 s");
            }
            if (kill.exitValue() != 0) {
                throw new AssertionError("kill -" + name + " " + pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted sending SIG" + name, e);
        }
    }

    /** SIGTERM, then waits for the daemon to drain and exit 0. */
    public void stop() {
        process.sigterm();
        process.awaitExit(STOP_TIMEOUT, 0);
    }

    /** Waits for exit; returns the exit code. */
    public int awaitExit(Duration timeout) {
        return process.awaitExit(timeout);
    }

    public List<String> stdoutLines() {
        return process.lines();
    }

    public List<String> logLines() {
        return process.stderrLines();
    }

    /** Everything the daemon printed, stdout then stderr, for messages. */
    public String output() {
        List<String> all = new ArrayList<>(stdoutLines());
        all.addAll(logLines());
        return String.join("\n", all);
    }

    /**
     * Log lines at ERROR level (and JVM crash lines) that match none of {@code allowed}. A test that
     * passes its asserts still fails when the daemon logged an error it did not expect.
     */
    public List<String> unexpectedErrors(List<Pattern> allowed) {
        return unexpectedErrors(logLines(), allowed);
    }

    /** The lines of {@code log} at ERROR level (or JVM crash lines) that match none of {@code allowed}. */
    public static List<String> unexpectedErrors(List<String> log, List<Pattern> allowed) {
        List<String> unexpected = new ArrayList<>();
        for (String line : log) {
            boolean error = ERROR_LINE.matcher(line).matches()
                    || JVM_TROUBLE.matcher(line).matches();
            if (error && allowed.stream().noneMatch(p -> p.matcher(line).find())) {
                unexpected.add(line);
            }
        }
        return unexpected;
    }

    /** Fails when the log holds an ERROR line not matched by {@code allowed}. */
    public void assertNoUnexpectedErrors(List<Pattern> allowed) {
        List<String> unexpected = unexpectedErrors(allowed);
        if (!unexpected.isEmpty()) {
            throw new AssertionError("daemon " + name() + " logged unexpected errors (log: " + process.stderrLog()
                    + "):\n  " + String.join("\n  ", unexpected));
        }
    }

    /** Total bytes of the regular files under the data directory. */
    public static long directorySize(Path dir) {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .mapToLong(p -> {
                        try {
                            return Files.size(p);
                        } catch (IOException e) {
                            return 0; // removed while walking
                        }
                    })
                    .sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Peak resident set size of the daemon's JVM in KiB (VmHWM), or -1 if unreadable. */
    public long peakRssKiB() {
        return ProcStatus.field(pid(), "VmHWM");
    }

    /**
     * CPU time the daemon has used so far (user and system), in milliseconds, at the kernel's 10 ms
     * granularity (USER_HZ is 100 on Linux); -1 when unreadable.
     */
    public long cpuMillis() {
        long ticks = ProcStatus.cpuTicks(pid());
        return ticks < 0 ? -1 : ticks * 10;
    }

    @Override
    public String toString() {
        return name() + "(pid " + pid() + ", " + spec.socket() + ")";
    }
}
