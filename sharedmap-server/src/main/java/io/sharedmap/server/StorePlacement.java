package io.sharedmap.server;

import io.sharedmap.os.files.FileModes;
import io.sharedmap.server.store.MappedStore;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Where the mapped store lives, and how a starting daemon finds the stores that earlier daemons
 * left, so that their clients never go on reading them.
 *
 * <p>The store's files are the data's working copy (the journal and snapshots are its durable
 * copy), read and written as memory: they belong on a memory file system. By default they are in
 * {@code /dev/shm/sharedmap-<uid>/<16 hex digits naming the socket>}, or beside the socket ({@code
 * SOCKET.store}) on a machine without {@code /dev/shm}; {@code --store-dir} chooses another place.
 * {@code /dev/shm} is writable by everyone, like {@code /tmp}: the per-user directory is made
 * {@code rwx--x--x} (clients of other users must reach the public files, never list them) and
 * refused unless it is the daemon user's own and only that user may write it.
 *
 * <p>Finding earlier stores: a daemon always links {@code SOCKET.store} to its store's directory
 * and writes the directory into {@code DATA/store-path}. At start, before anything is acknowledged,
 * a store found through either that is not the one this daemon uses is retired (its clients go
 * back to the socket) and deleted. The previous release's view file ({@code SOCKET.view}, {@code
 * DATA/view-path}) is retired and deleted the same way.
 *
 * <p>Orphans: a store also records its data directory ({@code STORE/data-dir}). A daemon starting in
 * the per-user directory of {@code /dev/shm} deletes the stores beside its own whose data directory
 * no longer exists (a deleted test or scratch directory): nothing could ever use them again, and
 * they hold memory until the machine reboots. A data directory exists before its daemon makes its
 * store, so a store being made is never taken for an orphan.
 */
final class StorePlacement {
    private static final System.Logger LOG = System.getLogger(StorePlacement.class.getName());
    /** In the data directory: the store's directory (text), for the next daemon. */
    static final String STORE_RECORD = "store-path";

    static final String VIEW_RECORD = "view-path";
    /** In the store's directory: its data directory (text), so that an orphan can be recognised. */
    static final String DATA_RECORD = "data-dir";

    private static final Set<PosixFilePermission> TRAVERSE_ONLY = PosixFilePermissions.fromString("rwx--x--x");

    private StorePlacement() {}

    /** {@code SOCKET.store}: the link to the store of the daemon serving {@code socket}. */
    static Path link(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".store");
    }

    /** The default store directory of a daemon of user {@code uid} serving {@code socket}. */
    static Path defaultDirectory(Path socket, long uid) {
        Path shm = Path.of("/dev/shm");
        if (!Files.isDirectory(shm)) {
            return link(socket);
        }
        return shm.resolve("sharedmap-" + uid)
                .resolve(name(socket.toAbsolutePath().toString()));
    }

    private static String name(String socket) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(socket.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Makes the store's directory's parent when it is the per-user directory in {@code /dev/shm}, or
     * checks that nobody else could have made it.
     */
    static void prepare(Path storeDir, long uid) throws IOException, ServerStartException {
        Path parent = storeDir.getParent();
        if (parent == null || !parent.equals(Path.of("/dev/shm", "sharedmap-" + uid))) {
            FileModes.createDirectories(
                    parent != null ? parent : storeDir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return;
        }
        try {
            Files.createDirectory(parent, PosixFilePermissions.asFileAttribute(TRAVERSE_ONLY));
            Files.setPosixFilePermissions(parent, TRAVERSE_ONLY);
            return;
        } catch (FileAlreadyExistsException e) {
            // made earlier (by this user, we must check) or by someone else
        }
        PosixFileAttributes a = Files.readAttributes(parent, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        long owner = ((Number) Files.getAttribute(parent, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        Set<PosixFilePermission> mode = a.permissions();
        if (!a.isDirectory()
                || owner != uid
                || mode.contains(PosixFilePermission.GROUP_WRITE)
                || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new ServerStartException("the store directory " + parent + " is "
                    + (a.isSymbolicLink() ? "a symbolic link" : a.isDirectory() ? "a directory" : "not a directory")
                    + " owned by uid " + owner + ", mode " + PosixFilePermissions.toString(mode)
                    + ": only a directory of this"
                    + " user (uid " + uid
                    + ") that no one else may write is safe, since anyone can create it in /dev/shm."
                    + " Remove it (as root or its owner), or choose another place with --store-dir");
        }
    }

    /**
     * Retires and deletes every earlier store and view found through {@code socket} and {@code
     * dataDir} that is not at {@code storeDir}.
     *
     * @throws ServerStartException if one is there and cannot be retired (for example, it belongs to
     *     another user); starting anyway could leave its readers behind
     */
    static void retireLeftovers(Path dataDir, Path socket, Path storeDir) throws ServerStartException, IOException {
        Set<Path> stores = new LinkedHashSet<>();
        Path link = link(socket);
        if (Files.isSymbolicLink(link)) {
            stores.add(link.resolveSibling(Files.readSymbolicLink(link))
                    .toAbsolutePath()
                    .normalize());
        } else if (Files.isDirectory(link)) {
            stores.add(link.toAbsolutePath().normalize()); // a store beside the socket itself
        }
        Path record = dataDir.resolve(STORE_RECORD);
        if (Files.isRegularFile(record)) {
            String recorded = Files.readString(record, StandardCharsets.UTF_8).strip();
            if (!recorded.isEmpty()) {
                stores.add(Path.of(recorded).toAbsolutePath().normalize());
            }
        }
        stores.remove(storeDir.toAbsolutePath().normalize());
        for (Path s : stores) {
            try {
                if (Files.isDirectory(s)) {
                    MappedStore.discard(s);
                    LOG.log(
                            System.Logger.Level.INFO,
                            "retired and deleted the mapped store an earlier daemon left at " + s);
                }
            } catch (IOException e) {
                throw new ServerStartException(
                        "cannot retire the mapped store an earlier daemon left at " + s + ": " + e
                                + "; its readers could go on reading old values. Remove the directory (it holds no data the journal"
                                + " does not), or start the daemon as the user who owns it",
                        e);
            }
        }
        Set<Path> views = new LinkedHashSet<>();
        views.add(socket.resolveSibling(socket.getFileName() + ".view"));
        Path viewRecord = dataDir.resolve(VIEW_RECORD);
        if (Files.isRegularFile(viewRecord)) {
            String recorded =
                    Files.readString(viewRecord, StandardCharsets.UTF_8).strip();
            if (!recorded.isEmpty()) {
                views.add(Path.of(recorded));
            }
        }
        for (Path v : views) {
            try {
                if (retireLegacyView(v)) {
                    LOG.log(System.Logger.Level.INFO, "retired the view an earlier release's daemon left at " + v);
                    Files.deleteIfExists(v);
                }
            } catch (IOException e) {
                throw new ServerStartException(
                        "cannot retire the shared-memory view an earlier daemon left at " + v + ": " + e
                                + "; its readers could go on reading old values. Remove the file (it holds no data)",
                        e);
            }
        }
        Files.deleteIfExists(viewRecord);
    }

    /**
     * Marks a view file of the release before the mapped store (magic "SMAPVIEW", state word at byte
     * 24: 2 RETIRED) retired, so its readers go back to the socket. Returns whether it was one.
     */
    private static boolean retireLegacyView(Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (Arena arena = Arena.ofConfined();
                FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (c.size() < 64) {
                return false;
            }
            MemorySegment h = c.map(FileChannel.MapMode.READ_WRITE, 0, 64, arena);
            ValueLayout.OfLong le = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
            if (h.get(le, 0) != 0x5745_4956_5041_4D53L) { // "SMAPVIEW"
                return false;
            }
            le.varHandle().setRelease(h, 24L, 2L);
            return true;
        }
    }

    /** Writes down where this daemon's store is: {@code DATA/store-path} and the link beside the socket. */
    static void record(Path dataDir, Path socket, Path storeDir) throws IOException {
        FileModes.writePrivate(dataDir.resolve(STORE_RECORD), storeDir.toAbsolutePath() + "\n");
        FileModes.writePrivate(storeDir.resolve(DATA_RECORD), dataDir.toAbsolutePath() + "\n");
        Path link = link(socket);
        if (link.toAbsolutePath().normalize().equals(storeDir.toAbsolutePath().normalize())) {
            return; // the store is beside the socket itself
        }
        Path tmp = link.resolveSibling(link.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Path target = storeDir.toAbsolutePath();
        if (target.getParent() != null
                && target.getParent().equals(link.toAbsolutePath().getParent())) {
            target = target.getFileName(); // beside the socket: a relative link, so it moves with the directory
        }
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Deletes the stores beside {@code storeDir}, in the per-user directory of {@code /dev/shm}, whose
     * data directory is gone (see the class comment). Never fails the start: a store that cannot be
     * removed is only logged.
     */
    static void removeOrphans(Path storeDir, long uid) {
        Path parent = storeDir.getParent();
        if (parent == null || !parent.equals(Path.of("/dev/shm", "sharedmap-" + uid))) {
            return;
        }
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(parent)) {
            for (Path other : siblings) {
                Path record = other.resolve(DATA_RECORD);
                if (other.equals(storeDir) || !Files.isRegularFile(record, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                String data = Files.readString(record, StandardCharsets.UTF_8).strip();
                if (data.isEmpty() || Files.exists(Path.of(data))) {
                    continue;
                }
                try {
                    MappedStore.discard(other); // retired first: a client still reading it goes to its socket
                    deleteTree(other);
                    LOG.log(
                            System.Logger.Level.INFO,
                            "removed the store " + other + " of data directory " + data + ", which no longer exists");
                } catch (IOException e) {
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "cannot remove the store " + other + " of data directory " + data
                                    + ", which no longer exists: " + e);
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot look for orphaned stores in " + parent + ": " + e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
