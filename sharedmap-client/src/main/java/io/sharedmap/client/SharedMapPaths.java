package io.sharedmap.client;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Where a daemon's socket and data live by default. The daemon itself reads no environment; the
 * CLI and {@link SharedMap#connect()} use these.
 *
 * <table>
 *   <caption>Resolution, first match wins</caption>
 *   <tr><th></th><th>socket</th><th>data directory</th></tr>
 *   <tr><td>override</td><td>{@code $SHAREDMAP_SOCKET}</td><td>{@code $SHAREDMAP_DIR}</td></tr>
 *   <tr><td>root</td><td>{@code /run/sharedmap/sharedmap.sock}</td><td>{@code /var/lib/sharedmap}</td></tr>
 *   <tr><td>other users</td><td>{@code $XDG_RUNTIME_DIR/sharedmap/sharedmap.sock} if that directory
 *       exists, else {@code /tmp/sharedmap-<uid>/sharedmap.sock}</td>
 *       <td>{@code $XDG_DATA_HOME/sharedmap}, else {@code ~/.local/share/sharedmap}</td></tr>
 * </table>
 *
 * <p>Empty and (for the XDG variables) relative values count as unset.
 *
 * <p>The last socket default, {@code /tmp/sharedmap-<uid>}, is in a directory anyone may create
 * first, to serve a fake daemon in it and read what clients send. So a client connecting to its
 * user's {@code /tmp/sharedmap-<uid>/sharedmap.sock} first checks that the directory is its own
 * user's and that no one else may write in it ({@link #checkSocketDirectory}), as the daemon does
 * before it listens there. Any other socket path is the operator's choice and is not checked.
 */
public final class SharedMapPaths {
    /** Environment variable that overrides the socket path. */
    public static final String SOCKET_ENV = "SHAREDMAP_SOCKET";

    /** Environment variable that overrides the data directory. */
    public static final String DIR_ENV = "SHAREDMAP_DIR";

    /** The environment variable that names the map by URL ({@link SharedMap#connect(URI)}) for the CLI and tools. */
    public static final String URL_ENV = "SHAREDMAP_URL";

    private static final String SOCKET_NAME = "sharedmap.sock";
    private static final Path TMP = Path.of("/tmp");
    private static final String TMP_PREFIX = "sharedmap-";

    private SharedMapPaths() {}

    /**
     * The socket a {@code unix:///path/to/socket} URL names.
     *
     * @throws IllegalArgumentException when it names none, or has a host
     */
    public static Path socketOf(URI unixUrl) {
        return Backends.unixSocket(unixUrl);
    }

    /** The socket a client connects to and a daemon listens on unless told otherwise. */
    public static Path defaultSocket() {
        return socketFor(System.getenv(), SharedMapPaths::currentUid, Files::isDirectory);
    }

    /** The directory a daemon keeps its data in unless told otherwise. */
    public static Path defaultDataDir() {
        return dataDirFor(System.getenv(), SharedMapPaths::currentUid, Path.of(System.getProperty("user.home")));
    }

    static Path socketFor(Map<String, String> env, IntSupplier uid, Predicate<Path> isDirectory) {
        String override = env.get(SOCKET_ENV);
        if (override != null && !override.isEmpty()) {
            return Path.of(override);
        }
        int id = uid.getAsInt();
        if (id == 0) {
            return Path.of("/run/sharedmap", SOCKET_NAME);
        }
        Path runtime = absolute(env.get("XDG_RUNTIME_DIR"));
        if (runtime != null && isDirectory.test(runtime)) {
            return runtime.resolve("sharedmap").resolve(SOCKET_NAME);
        }
        return TMP.resolve(TMP_PREFIX + id).resolve(SOCKET_NAME);
    }

    static Path dataDirFor(Map<String, String> env, IntSupplier uid, Path home) {
        String override = env.get(DIR_ENV);
        if (override != null && !override.isEmpty()) {
            return Path.of(override);
        }
        if (uid.getAsInt() == 0) {
            return Path.of("/var/lib/sharedmap");
        }
        Path data = absolute(env.get("XDG_DATA_HOME"));
        if (data != null) {
            return data.resolve("sharedmap");
        }
        return home.resolve(".local").resolve("share").resolve("sharedmap");
    }

    /**
     * Refuses the per-user default socket directory {@code /tmp/sharedmap-<uid>} of this process's
     * user when another user could have made it: when it is not a directory (a symbolic link, say),
     * is owned by another user, or may be written by its group or others. Does nothing for any other
     * socket path, or when the directory does not exist (then no daemon answers there).
     *
     * @throws DaemonUnavailableException naming the directory, its owner and mode, and what to do
     */
    static void checkSocketDirectory(Path socket) {
        Path dir = socket.toAbsolutePath().getParent();
        if (dir == null
                || !TMP.equals(dir.getParent())
                || !dir.getFileName().toString().startsWith(TMP_PREFIX)
                || !socket.getFileName().toString().equals(SOCKET_NAME)) {
            return; // cheap: no system call for the paths that are not the default
        }
        long uid = currentUid();
        if (dir.equals(TMP.resolve(TMP_PREFIX + uid))) {
            checkOwnDirectory(dir, uid);
        }
    }

    /** As {@link #checkSocketDirectory}, for the directory {@code dir} and the user {@code uid}. */
    static void checkOwnDirectory(Path dir, long uid) {
        PosixFileAttributes a;
        long owner;
        try {
            a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            owner = ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException | UnsupportedOperationException e) {
            throw new DaemonUnavailableException(
                    "cannot check the default socket directory " + dir + " (" + e + "); set " + SOCKET_ENV
                            + " to connect elsewhere",
                    e);
        }
        Set<PosixFilePermission> mode = a.permissions();
        boolean othersWrite =
                mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE);
        if (a.isDirectory() && owner == uid && !othersWrite) {
            return;
        }
        throw new DaemonUnavailableException(
                "refusing the default socket directory " + dir + ": it is "
                        + (a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory" : "not a directory")
                        + " owned by " + a.owner().getName() + " (uid " + owner + "), mode "
                        + PosixFilePermissions.toString(mode)
                        + ", not a directory of this process's user (uid " + uid
                        + ") that only it may write; another user"
                        + " could be running a fake daemon there to read what this client sends. Remove it (as root or its"
                        + " owner), or set XDG_RUNTIME_DIR or " + SOCKET_ENV,
                null);
    }

    private static @Nullable Path absolute(@Nullable String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        Path p = Path.of(value);
        return p.isAbsolute() ? p : null;
    }

    /** This process's user id, read from {@code /proc/self} (Linux; no native code). */
    static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            throw new IllegalStateException(
                    "cannot read this process's user id from /proc/self (" + e.getMessage() + "); set " + SOCKET_ENV
                            + " and " + DIR_ENV,
                    e);
        }
    }
}
