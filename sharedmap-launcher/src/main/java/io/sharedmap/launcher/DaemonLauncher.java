package io.sharedmap.launcher;

import io.sharedmap.os.files.FileModes;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one way to start a sharedmap daemon: {@code sharedmap start} (and {@code --supervise}), the
 * supervisor, {@code sharedmap torture}, {@code sharedmap bench} and the system tests all build
 * their command line here and wait for it here ({@link Daemon#awaitServing}).
 *
 * <p>The command is {@code [setsid] [sh -c 'umask M && exec "$@"' sh] [taskset -c 0-N] java
 * <JVM_OPTIONS> [-XX:ActiveProcessorCount=N] <spec's JVM options> -cp <class path>
 * io.sharedmap.cli.Main server|supervise --dir D --socket S <server args>}.
 */
public final class DaemonLauncher {
    /**
     * The JVM options every daemon starts with, before a spec's own: the one place to tune the
     * daemon's JVM (heap, GC), the resource {@code daemon-jvm-options} beside this class (which
     * {@code bin/sharedmap server} reads too).
     */
    public static final List<String> JVM_OPTIONS = readJvmOptions();

    /**
     * {@link #JVM_OPTIONS} as a spec with {@code own} options gets them: when it sets the heap's
     * maximum ({@code -Xmx}, {@code -XX:MaxHeapSize}), the file's heap sizes ({@code -Xms}, {@code
     * -Xmn}) are left out, so that a smaller maximum does not stop the JVM ("initial heap size set to
     * a larger value than the maximum") and the caller sizes the heap alone.
     */
    static List<String> jvmOptions(List<String> own) {
        boolean ownMaximum = own.stream().anyMatch(o -> o.startsWith("-Xmx") || o.startsWith("-XX:MaxHeapSize="));
        if (!ownMaximum) {
            return JVM_OPTIONS;
        }
        return JVM_OPTIONS.stream()
                .filter(o -> !o.startsWith("-Xms") && !o.startsWith("-Xmn"))
                .toList();
    }

    private static List<String> readJvmOptions() {
        try (InputStream in = DaemonLauncher.class.getResourceAsStream("daemon-jvm-options")) {
            if (in == null) {
                throw new IllegalStateException("daemon-jvm-options is missing from the launcher's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The class whose {@code main} is the {@code sharedmap} command (module sharedmap-cli). */
    public static final String MAIN_CLASS = "io.sharedmap.cli.Main";

    /** The daemon's log in its data directory, where {@link #start} appends its output by default. */
    public static final String LOG_FILE_NAME = "daemon.log";

    private static final Path SETSID = Path.of("/usr/bin/setsid");
    private static final Path TASKSET = Path.of("/usr/bin/taskset");

    /** The longest socket path a Unix domain socket address holds (sun_path less its NUL). */
    private static final int MAX_SOCKET_PATH_BYTES = 107;

    private DaemonLauncher() {}

    /** The java binary running this JVM, so that a daemon runs on the same JDK. */
    public static String javaBinary() {
        return ProcessHandle.current()
                .info()
                .command()
                .orElseGet(() ->
                        Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** {@code taskset -c 0-(cpus-1)}, or nothing for all CPUs ({@code cpus} 0). */
    public static List<String> pinned(int cpus) {
        if (cpus <= 0) {
            return List.of();
        }
        if (!Files.isExecutable(TASKSET)) {
            throw new IllegalStateException(
                    "pinning to " + cpus + " CPUs needs " + TASKSET + " (util-linux), which is" + " missing");
        }
        return List.of(TASKSET.toString(), "-c", cpus == 1 ? "0" : "0-" + (cpus - 1));
    }

    /** The command line that starts {@code spec}. */
    public static List<String> command(DaemonSpec spec) {
        int socketBytes = spec.socket().toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length;
        if (socketBytes > MAX_SOCKET_PATH_BYTES) {
            throw new IllegalArgumentException("socket path " + spec.socket() + " is " + socketBytes
                    + " bytes; at most " + MAX_SOCKET_PATH_BYTES + " fit a Unix socket address");
        }
        List<String> command = new ArrayList<>();
        if (spec.detach() && Files.isExecutable(SETSID)) {
            command.add(SETSID.toString()); // own session: no terminal signals, survives the shell
        }
        if (spec.umask() != null) {
            // exec: the daemon keeps the shell's pid, so signals and the exit status are its own
            command.addAll(List.of("sh", "-c", "umask " + spec.umask() + " && exec \"$@\"", "sh"));
        }
        command.addAll(pinned(spec.cpus()));
        command.add(javaBinary());
        command.addAll(jvmOptions(spec.jvmOptions()));
        if (spec.cpus() > 0) {
            command.add("-XX:ActiveProcessorCount=" + spec.cpus());
        }
        command.addAll(spec.jvmOptions());
        command.add("-cp");
        command.add(spec.classPath());
        command.add(MAIN_CLASS);
        command.add(spec.subcommand());
        command.addAll(List.of(
                "--dir", spec.dataDir().toString(), "--socket", spec.socket().toString()));
        command.addAll(spec.serverArgs());
        return command;
    }

    /** Starts {@code spec} with its output (stdout and stderr) appended to {@code <dataDir>/daemon.log}. */
    public static Daemon start(DaemonSpec spec) throws IOException {
        return start(spec, spec.dataDir().resolve(LOG_FILE_NAME));
    }

    /**
     * Starts {@code spec} with its output (stdout and stderr) appended to {@code log} (created 0600),
     * in its data directory (created 0700, as {@code sharedmap start} makes it), without waiting for
     * it to serve: see {@link Daemon#awaitServing}.
     *
     * @throws IOException when the data directory or the log cannot be created, or the JVM cannot be
     *     started; its message names the file and why
     */
    public static Daemon start(DaemonSpec spec, Path log) throws IOException {
        FileModes.createPrivateDirectories(spec.dataDir());
        try {
            Files.createFile(log, FileModes.PRIVATE_FILE); // private, like everything in the data directory
        } catch (FileAlreadyExistsException e) {
            // appended to
        }
        return start(spec, ProcessBuilder.Redirect.appendTo(log.toFile()), log);
    }

    /**
     * Starts {@code spec} with its output (stdout and stderr) going to {@code output}, such as
     * {@link ProcessBuilder.Redirect#INHERIT} for a supervisor whose own output is the log, in its
     * data directory (which must exist), without waiting for it to serve.
     *
     * @param log where that output ends up, for messages
     */
    public static Daemon start(DaemonSpec spec, ProcessBuilder.Redirect output, Path log) throws IOException {
        List<String> command = command(spec);
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .directory(spec.dataDir().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(output)
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) { // the java executable: the class path would bury the reason
            throw new IOException(
                    "cannot start the daemon (" + javaBinary() + ", output to " + log + "): " + e.getMessage(), e);
        }
        return new Daemon(process, spec, log);
    }
}
