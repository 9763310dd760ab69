package io.sharedmap.launcher;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How to start one daemon JVM: what {@link DaemonLauncher#command} turns into a command line.
 * Immutable; the {@code with*} methods return changed copies.
 *
 * <p>Paths are made absolute against this process's working directory (the daemon's is its data
 * directory): {@code dataDir}, {@code socket} and each class path entry.
 *
 * @param dataDir the daemon's data directory ({@code --dir}); created private (0700) before the start
 * @param socket the socket it serves ({@code --socket})
 * @param serverArgs further options of {@code sharedmap server} (or {@code supervise})
 * @param jvmOptions JVM options after {@link DaemonLauncher#JVM_OPTIONS}
 * @param cpus pin the JVM to CPUs {@code 0..cpus-1} ({@code taskset}) and tell it it has that many
 *     ({@code -XX:ActiveProcessorCount}); 0 for all CPUs
 * @param subcommand {@code server} (the daemon) or {@code supervise} (a supervisor that runs one)
 * @param umask the process's umask in octal (run through {@code sh -c 'umask M && exec ...'}), or null
 *     to inherit this process's
 * @param detach run it in a session of its own ({@code setsid}, where present): no terminal
 *     signals, and it outlives this process's shell
 * @param classPath the class path it runs with: {@code sharedmap-cli} and its dependencies
 */
public record DaemonSpec(
        Path dataDir,
        Path socket,
        List<String> serverArgs,
        List<String> jvmOptions,
        int cpus,
        String subcommand,
        @Nullable String umask,
        boolean detach,
        String classPath) {

    public DaemonSpec {
        // The daemon runs in its data directory: a relative path would name something else there.
        dataDir = dataDir.toAbsolutePath();
        socket = socket.toAbsolutePath();
        classPath = absolute(classPath);
        serverArgs = List.copyOf(serverArgs);
        jvmOptions = List.copyOf(jvmOptions);
        if (cpus < 0) {
            throw new IllegalArgumentException("cpus " + cpus + " is negative");
        }
        if (!subcommand.equals("server") && !subcommand.equals("supervise")) {
            throw new IllegalArgumentException("subcommand " + subcommand + " is neither server nor supervise");
        }
        if (umask != null && !umask.matches("[0-7]{1,4}")) {
            throw new IllegalArgumentException("umask " + umask + " is not octal");
        }
    }

    /** The class path with each entry made absolute against this process's working directory. */
    private static String absolute(String classPath) {
        List<String> entries = new ArrayList<>();
        for (String e : classPath.split(File.pathSeparator, -1)) {
            entries.add(e.isEmpty() ? e : Path.of(e).toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    /**
     * A daemon ({@code sharedmap server}) on {@code dataDir} and {@code socket}, on all CPUs, with the
     * launcher's JVM options and this JVM's class path.
     */
    public static DaemonSpec of(Path dataDir, Path socket) {
        return new DaemonSpec(
                dataDir, socket, List.of(), List.of(), 0, "server", null, false, System.getProperty("java.class.path"));
    }

    public DaemonSpec withServerArgs(List<String> args) {
        List<String> a = new ArrayList<>(serverArgs);
        a.addAll(args);
        return new DaemonSpec(dataDir, socket, a, jvmOptions, cpus, subcommand, umask, detach, classPath);
    }

    public DaemonSpec withServerArgs(String... args) {
        return withServerArgs(List.of(args));
    }

    public DaemonSpec withJvmOptions(List<String> options) {
        List<String> a = new ArrayList<>(jvmOptions);
        a.addAll(options);
        return new DaemonSpec(dataDir, socket, serverArgs, a, cpus, subcommand, umask, detach, classPath);
    }

    public DaemonSpec withCpus(int n) {
        return new DaemonSpec(dataDir, socket, serverArgs, jvmOptions, n, subcommand, umask, detach, classPath);
    }

    public DaemonSpec withDataDir(Path dir) {
        return new DaemonSpec(dir, socket, serverArgs, jvmOptions, cpus, subcommand, umask, detach, classPath);
    }

    public DaemonSpec withSocket(Path s) {
        return new DaemonSpec(dataDir, s, serverArgs, jvmOptions, cpus, subcommand, umask, detach, classPath);
    }

    /** Runs {@code sharedmap supervise} (which runs and restarts the daemon) instead of the daemon. */
    public DaemonSpec supervised() {
        return new DaemonSpec(dataDir, socket, serverArgs, jvmOptions, cpus, "supervise", umask, detach, classPath);
    }

    /** The same daemon, not supervised: what a supervisor runs. */
    public DaemonSpec unsupervised() {
        return new DaemonSpec(dataDir, socket, serverArgs, jvmOptions, cpus, "server", umask, detach, classPath);
    }

    public DaemonSpec withUmask(@Nullable String mask) {
        return new DaemonSpec(dataDir, socket, serverArgs, jvmOptions, cpus, subcommand, mask, detach, classPath);
    }

    public DaemonSpec detached() {
        return new DaemonSpec(dataDir, socket, serverArgs, jvmOptions, cpus, subcommand, umask, true, classPath);
    }

    public DaemonSpec withClassPath(String cp) {
        return new DaemonSpec(dataDir, socket, serverArgs, jvmOptions, cpus, subcommand, umask, detach, cp);
    }
}
