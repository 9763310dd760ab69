package io.sharedmap.tests.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real Unix users and groups for multi-user tests, made with {@code groupadd}/{@code useradd} (so
 * root only), and child processes run as them with {@code setpriv}.
 *
 * <p>Creating is idempotent (a user or group left by an aborted run is reused and set right);
 * {@link #removeUser}/{@link #removeGroup} delete them. A test class that creates fixed names holds
 * {@link #lock()} for its whole run, so two runs on one machine never delete each other's users.
 *
 * <p>Child JVMs of other users cannot read the test class path (it lives in root's 0700 home and
 * the build tree); {@link #publicClassPath} copies it into a world-readable directory.
 */
public final class UnixUsers {
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--");
    private static final long COMMAND_TIMEOUT_S = 60;

    /** A user as the system knows it: its uid and primary gid. */
    public record User(String name, long uid, long gid) {}

    private UnixUsers() {}

    /** Why multi-user tests cannot run here, or null when they can (root, with useradd, groupadd, setpriv). */
    public static String unavailableReason() {
        if (currentUid() != 0) {
            return "multi-user tests need root (to create users with useradd and run processes as them); uid is "
                    + currentUid();
        }
        for (String tool : List.of("useradd", "groupadd", "userdel", "groupdel", "usermod", "setpriv", "getent")) {
            if (which(tool) == null) {
                return tool + " is not installed (package passwd / util-linux)";
            }
        }
        return null;
    }

    /** This process's real uid, from /proc/self/status; -1 if unreadable. */
    public static long currentUid() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("Uid:")) {
                    return Long.parseLong(l.split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static Path which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool);
            }
        }
        return null;
    }

    /**
     * An exclusive lock on {@code /tmp/<name>.lock}, waited for: held for a test class's run so that
     * concurrent runs that create and delete the same users take turns. Released when closed (or when
     * the JVM dies).
     */
    public static FileLock lock(String name) {
        try {
            FileChannel c = FileChannel.open(
                    Path.of("/tmp", name + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return c.lock();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates the group unless it exists; returns its gid. */
    public static long ensureGroup(String name) {
        run("groupadd", "-f", name);
        return gid(name);
    }

    /**
     * Creates the user (no home, no login shell, primary group {@code group}, also member of {@code
     * supplementary}), or, if it exists, sets its groups to those.
     */
    public static User ensureUser(String name, String group, String... supplementary) {
        List<String> cmd = new ArrayList<>();
        boolean exists = getent("passwd", name) != null;
        if (exists) {
            cmd.addAll(List.of("usermod", "-g", group, "-G", String.join(",", supplementary)));
        } else {
            cmd.addAll(List.of("useradd", "-M", "-N", "-s", "/usr/sbin/nologin", "-g", group));
            if (supplementary.length > 0) {
                cmd.addAll(List.of("-G", String.join(",", supplementary)));
            }
        }
        cmd.add(name);
        run(cmd.toArray(String[]::new));
        String[] f = getent("passwd", name).split(":");
        return new User(name, Long.parseLong(f[2]), Long.parseLong(f[3]));
    }

    public static long gid(String group) {
        String line = getent("group", group);
        if (line == null) {
            throw new IllegalStateException("group " + group + " does not exist");
        }
        return Long.parseLong(line.split(":")[2]);
    }

    /**
     * Creates a user whose name is all digits (useradd allows it) in {@code group}, replacing one left
     * by an aborted run. Looked up in {@code /etc/passwd} by name: getent would take the digits for a uid.
     */
    public static User createNumericUser(String name, String group) {
        String problem = removeNumericUser(name);
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        run("useradd", "-M", "-N", "-s", "/usr/sbin/nologin", "-g", group, name);
        String[] f = passwdLine(name).split(":");
        return new User(name, Long.parseLong(f[2]), Long.parseLong(f[3]));
    }

    /** Deletes a user made by {@link #createNumericUser}, if it exists; returns a problem, or null. */
    public static String removeNumericUser(String name) {
        return passwdLine(name) == null ? null : runQuietly("userdel", "-f", name);
    }

    private static String passwdLine(String name) {
        try (Stream<String> lines = Files.lines(Path.of("/etc/passwd"))) {
            return lines.filter(l -> l.startsWith(name + ":")).findFirst().orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes the user if it exists; returns a problem, or null. */
    public static String removeUser(String name) {
        return getent("passwd", name) == null ? null : runQuietly("userdel", "-f", name);
    }

    /** Deletes the group if it exists; returns a problem, or null. */
    public static String removeGroup(String name) {
        return getent("group", name) == null ? null : runQuietly("groupdel", name);
    }

    private static String getent(String db, String key) {
        Result r = exec("getent", db, key);
        return r.code == 0 ? r.output.lines().findFirst().orElse(null) : null;
    }

    private record Result(int code, String output) {}

    private static void run(String... cmd) {
        String problem = runQuietly(cmd);
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
    }

    private static String runQuietly(String... cmd) {
        Result r = exec(cmd);
        return r.code == 0 ? null : String.join(" ", cmd) + " exited with " + r.code + ": " + r.output.strip();
    }

    private static Result exec(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readNBytes(1 << 20);
            if (!p.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + COMMAND_TIMEOUT_S + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    /**
     * {@code setpriv --reuid UID --regid GID --init-groups <command>}: the command runs as {@code user}
     * with its primary and supplementary groups and no capabilities (a change of uid from 0 drops them).
     */
    public static List<String> runAs(User user, List<String> command) {
        List<String> cmd =
                new ArrayList<>(List.of("setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--init-groups"));
        cmd.addAll(command);
        return cmd;
    }

    /**
     * Copies every entry of this JVM's class path (directories and jars) into {@code dir} (created,
     * 0755, files 0644) and returns the class path of the copies, for child JVMs of other users.
     */
    public static String publicClassPath(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, DIR);
            List<String> out = new ArrayList<>();
            int i = 0;
            for (String entry : JavaCommand.classPath().split(File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                Path src = Path.of(entry);
                if (!Files.exists(src)) {
                    continue;
                }
                Path dst = dir.resolve(String.format("%03d-%s", i++, src.getFileName()));
                copy(src, dst);
                out.add(dst.toString());
            }
            return String.join(File.pathSeparator, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(Path src, Path dst) throws IOException {
        if (!Files.isDirectory(src)) {
            Files.copy(src, dst);
            Files.setPosixFilePermissions(dst, FILE);
            return;
        }
        try (Stream<Path> all = Files.walk(src)) {
            for (Path p : all.toList()) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                    Files.setPosixFilePermissions(t, DIR);
                } else {
                    Files.copy(p, t);
                    Files.setPosixFilePermissions(t, FILE);
                }
            }
        }
    }

    /** Deletes a directory tree; quietly does nothing for null or a missing directory. */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
