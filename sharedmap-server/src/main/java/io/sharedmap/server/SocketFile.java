package io.sharedmap.server;

import io.sharedmap.os.accounts.UnixAccounts;
import io.sharedmap.os.files.FileModes;
import io.sharedmap.server.engine.ViewSettings;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The socket file: its directory, what a dead daemon left there, and publishing the bound socket.
 *
 * <p>Publishing: {@code bind(2)} creates the file with the mode the process umask leaves, and who
 * may connect is decided when they connect; so with a chmod after the bind, users outside the
 * audience could connect in between, and stay connected. Instead the daemon binds inside a
 * private temporary directory beside the final name ({@code .sm<pid>-<random>/s}, mode 0700, so
 * nobody else may reach the socket, whatever the umask), gives the socket its owner, group and mode,
 * and only then makes it appear under the final name with {@code link(2)}, which, unlike {@code
 * rename(2)}, never replaces a socket that another daemon published there meanwhile (that start
 * fails, as a bind to a taken path did). Both names are the same socket; the temporary one and its
 * directory are then removed. A temporary directory left by a daemon that died between the two
 * steps holds a socket that accepts no connection, and the next daemon starting there removes it.
 *
 * <p>The directory: one the daemon creates is {@code rwxr-xr-x} exactly (clients must reach the
 * socket; nobody else may replace it), except the per-user default {@code /tmp/sharedmap-<uid>}
 * (the client's {@code SharedMapPaths} when {@code XDG_RUNTIME_DIR} is unset), which is {@code
 * rwx------}. Since anyone may create that name in {@code /tmp} first and serve a fake daemon in it,
 * the daemon refuses to start when it exists and is not a directory of the daemon's own user that
 * only that user may write; the client refuses such a directory too.
 */
final class SocketFile {
    private static final System.Logger LOG = System.getLogger(SocketFile.class.getName());

    /** Temporary names: {@code .sm<pid>-<random base 36>}. */
    private static final Pattern TEMPORARY = Pattern.compile("\\.sm[0-9]+-[0-9a-z]+");

    private static final int MIN_RANDOM_CHARS = 8;
    private static final int MAX_RANDOM_CHARS = 13; // a 64-bit number in base 36
    private static final Set<PosixFilePermission> SHARED_DIR = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> PRIVATE_DIR = FileModes.PRIVATE_DIR;

    private SocketFile() {}

    /** {@code /tmp/sharedmap-<uid>}: where a daemon of user {@code uid} listens when nothing else is set. */
    static Path perUserDefaultDirectory(long uid) {
        return Path.of("/tmp", "sharedmap-" + uid);
    }

    /**
     * Before recovery: makes the socket's directory (refusing a squatted per-user default), removes a
     * stale socket file a dead daemon left at {@code socket} and temporary ones beside it. Never
     * removes a live daemon's socket or anything that is not a socket.
     */
    static void prepare(Path socket) throws IOException, ServerStartException {
        Path dir = directoryOf(socket);
        long uid = processUid();
        if (dir.equals(perUserDefaultDirectory(uid))) {
            preparePerUserDirectory(dir, uid);
        } else {
            FileModes.createDirectories(dir, SHARED_DIR);
        }
        removeStaleTemporaries(dir);
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(socket, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (!attrs.isOther()) {
            throw new ServerStartException(
                    "socket path " + socket + " exists and is not a socket; refusing to remove it");
        }
        if (answers(socket)) {
            throw servedByAnother(socket);
        }
        Files.deleteIfExists(socket);
        LOG.log(System.Logger.Level.INFO, "removed stale socket " + socket + " left by a daemon that is gone");
    }

    private static ServerStartException servedByAnother(Path socket) {
        return new ServerStartException("socket " + socket + " is served by a running daemon; stop it first"
                + " (sharedmap stop --socket " + socket + ") or choose another --socket");
    }

    /** Creates the per-user default directory {@code rwx------}, or checks that nobody else could have made it. */
    static void preparePerUserDirectory(Path dir, long uid) throws IOException, ServerStartException {
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
            Files.setPosixFilePermissions(dir, PRIVATE_DIR);
            return;
        } catch (FileAlreadyExistsException e) {
            // made earlier (by this user, we must check) or by someone else
        }
        PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        long owner = ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        Set<PosixFilePermission> mode = a.permissions();
        boolean othersWrite =
                mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE);
        if (!a.isDirectory() || owner != uid || othersWrite) {
            throw new ServerStartException("the default socket directory " + dir + " is "
                    + (a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory" : "not a directory")
                    + " owned by " + a.owner().getName() + " (uid " + owner + "), mode "
                    + PosixFilePermissions.toString(mode) + ": only a directory of this user (uid " + uid
                    + ") that no one else may write is safe, since anyone can create it in /tmp and serve a fake daemon"
                    + " there. Remove it (as root or its owner), or choose another place: set XDG_RUNTIME_DIR, or --socket"
                    + " (SHAREDMAP_SOCKET)");
        }
    }

    /** Removes temporary sockets a daemon left when it died between binding and publishing. */
    private static void removeStaleTemporaries(Path dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(
                dir, p -> TEMPORARY.matcher(p.getFileName().toString()).matches())) {
            for (Path p : entries) {
                try {
                    if (Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                            .isDirectory()) {
                        Path s = p.resolve("s");
                        if (Files.exists(s, LinkOption.NOFOLLOW_LINKS) && answers(s)) {
                            continue; // another daemon starting right now
                        }
                        Files.deleteIfExists(s);
                        Files.deleteIfExists(p);
                        LOG.log(
                                System.Logger.Level.INFO,
                                "removed temporary socket " + s + " left by a daemon that died starting");
                    }
                } catch (IOException e) { // another user's, or gone meanwhile: not ours to clean
                    LOG.log(System.Logger.Level.DEBUG, "leaving " + p + ": " + e);
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot list " + dir + " for stale temporary sockets: " + e);
        }
    }

    /**
     * Whether a daemon accepts connections on {@code socket}: false when nobody listens (a stale
     * file), true when it connects.
     *
     * @throws IOException when it can tell neither (for example, no permission to connect)
     */
    private static boolean answers(Path socket) throws IOException {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (ConnectException e) {
            return false;
        }
    }

    /** Binds and listens on {@code socket} with its configured owner, group and mode from the start. */
    static ServerSocketChannel bind(Path socket, SecurityConfig security) throws IOException, ServerStartException {
        return bind(socket, security, p -> {});
    }

    /**
     * As {@link #bind(Path, SecurityConfig)}; {@code beforePublish} sees the temporary path once it
     * has its final owner, group and mode, just before it gets the final name (for tests).
     */
    static ServerSocketChannel bind(Path socket, SecurityConfig security, Consumer<Path> beforePublish)
            throws IOException, ServerStartException {
        // Bound inside a private (0700) directory: nobody else may even reach it until it has its final
        // owner, group and mode, whatever the umask and however visible the directory's name is.
        Path privateDir = temporaryName(socket);
        FileModes.createPrivateDirectories(privateDir);
        Path tmp = privateDir.resolve("s");
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        boolean published = false;
        try {
            listener.bind(UnixDomainSocketAddress.of(tmp), 256);
            applyPermissions(tmp, security);
            beforePublish.accept(tmp);
            try {
                Files.createLink(socket, tmp);
            } catch (FileAlreadyExistsException e) {
                throw servedByAnother(socket); // published by another daemon since prepare() looked
            }
            published = true;
            return listener;
        } finally {
            try {
                Files.deleteIfExists(tmp);
                Files.deleteIfExists(privateDir);
            } catch (IOException e) {
                if (!published) {
                    throw e;
                }
                LOG.log(System.Logger.Level.WARNING, "could not remove the temporary " + tmp + " (harmless): " + e);
            } finally {
                if (!published) {
                    listener.close();
                }
            }
        }
    }

    /** The directory {@code socket} is in (a relative name is taken from the working directory). */
    private static Path directoryOf(Path socket) {
        Path dir = socket.toAbsolutePath().getParent();
        return dir != null ? dir : socket.getFileSystem().getPath("/");
    }

    /** {@code .sm<pid>-<random>} beside {@code socket}, as long as the kernel's path limit allows. */
    private static Path temporaryName(Path socket) throws ServerStartException {
        Path dir = directoryOf(socket);
        String prefix = ".sm" + ProcessHandle.current().pid() + "-";
        int room = ServerConfig.MAX_SOCKET_PATH_BYTES
                - dir.toString().getBytes(StandardCharsets.UTF_8).length
                - 1
                - prefix.length()
                - "/s".length();
        if (room < MIN_RANDOM_CHARS) {
            throw new ServerStartException("--socket: the directory of " + socket + " has too long a path for the"
                    + " temporary name the daemon binds first (" + dir + "/" + prefix + " and " + MIN_RANDOM_CHARS
                    + " random characters must fit in " + ServerConfig.MAX_SOCKET_PATH_BYTES
                    + " bytes); choose a shorter"
                    + " directory");
        }
        String random = Long.toUnsignedString(new SecureRandom().nextLong(), 36);
        random = random.substring(0, Math.min(random.length(), Math.min(room, MAX_RANDOM_CHARS)));
        return dir.resolve(prefix + random);
    }

    /**
     * Gives the socket file the configured owner, group and mode (who may connect at all). Owner and
     * group are set by number: a principal looked up "by name" from digits would be the account
     * named with those digits, if there is one.
     */
    private static void applyPermissions(Path file, SecurityConfig security) throws IOException {
        UnixAccounts names = UnixAccounts.system();
        if (security.socketOwner() != null) {
            Files.setAttribute(
                    file, "unix:uid", (int) names.uid(security.socketOwner()).orElseThrow());
        }
        if (security.socketGroup() != null) {
            Files.setAttribute(
                    file, "unix:gid", (int) names.gid(security.socketGroup()).orElseThrow());
        }
        Files.setPosixFilePermissions(file, ViewSettings.posix(security.socketMode()));
    }

    /** This process's uid (Linux, from {@code /proc/self}). */
    static long processUid() throws IOException {
        return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    }
}
