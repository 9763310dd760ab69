package io.sharedmap.os.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The modes the daemon gives the files and directories it makes, whatever its umask.
 *
 * <p>The data directory holds every value as stored, readable by anyone who can read its files; so
 * the daemon creates it (and each parent it has to create) {@code 0700}, and every file in it
 * {@code 0600}: the mode is passed to {@code open(2)}/{@code mkdir(2)} with the create, so there is
 * no moment with a wider mode, and a umask can only take bits away (a directory the daemon creates
 * is then set to its exact mode). Files made to be shared (the socket, the mapped store's public
 * side) get their own modes elsewhere. Directories that already exist are never changed: {@link
 * #exposureWarning} tells the operator instead.
 */
public final class FileModes {
    /** {@code rwx------}: the data directory and the parents the daemon creates for it. */
    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

    /** {@code rw-------}, at creation: every file in the data directory, temporary ones too. */
    public static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private static final Set<OpenOption> CREATE_OR_TRUNCATE =
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);

    private FileModes() {}

    /** {@link #createDirectories(Path, Set)} with {@link #PRIVATE_DIR}. */
    public static void createPrivateDirectories(Path dir) throws IOException {
        createDirectories(dir, PRIVATE_DIR);
    }

    /**
     * Creates {@code dir} and its missing parents, each with exactly {@code mode} (created with it,
     * then set to it, so the umask neither widens nor narrows it). Directories that exist, or that
     * another process creates meanwhile, keep their mode.
     */
    public static void createDirectories(Path dir, Set<PosixFilePermission> mode) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
            missing.push(p);
        }
        FileAttribute<Set<PosixFilePermission>> attribute = PosixFilePermissions.asFileAttribute(mode);
        for (Path p : missing) {
            try {
                Files.createDirectory(p, attribute);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(p)) {
                    throw e;
                }
                continue; // made by someone else meanwhile: not ours to change
            }
            Files.setPosixFilePermissions(p, mode);
        }
    }

    /**
     * Opens {@code file} for writing, created {@code 0600} if missing, emptied if it exists (and set
     * to {@code 0600}, which a file left by an older version or a crash may not be).
     */
    public static FileChannel openPrivate(Path file) throws IOException {
        FileChannel c = FileChannel.open(file, CREATE_OR_TRUNCATE, PRIVATE_FILE);
        try {
            Files.setPosixFilePermissions(file, PRIVATE_FILE.value()); // a leftover file keeps its mode otherwise
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Writes {@code text} to {@code file} as {@link #openPrivate} opens it. */
    public static void writePrivate(Path file, String text) throws IOException {
        try (FileChannel c = openPrivate(file)) {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                c.write(b);
            }
        }
    }

    /** {@code 0755} for {@code rwxr-xr-x}. */
    public static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) {
            bits |= 0400 >> p.ordinal(); // OWNER_READ .. OTHERS_EXECUTE, in that order
        }
        return String.format("%04o", bits);
    }

    /**
     * What to tell the operator when the data directory {@code dir} lets its group or other users in
     * (any of their bits), or null when it does not (or cannot be read). Every value is readable in
     * its files, so that is worth a warning at every start, not a refusal: an operator may have a
     * reason (a backup group), and a directory made by an older version should not stop an upgrade.
     */
    public static @Nullable String exposureWarning(Path dir) {
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
        Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
        open.addAll(a.permissions());
        open.retainAll(Set.of(
                PosixFilePermission.GROUP_READ,
                PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE,
                PosixFilePermission.OTHERS_READ,
                PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE));
        if (open.isEmpty()) {
            return null;
        }
        return "data directory " + dir + " is mode " + octal(a.permissions()) + " ("
                + PosixFilePermissions.toString(a.permissions()) + ", owner "
                + a.owner().getName() + ", group "
                + a.group().getName() + "): other users may reach the journal and snapshots, which hold every value;"
                + " fix: chmod 700 " + dir;
    }
}
