package io.sharedmap.server.store;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Creating and mapping the store's files. A file is created readable by its owner only, given its
 * group and then its mode (so nobody outside its final audience can open it even for an instant),
 * and filled with zeros by writing them, not by growing it sparse: a memory file system that is full
 * then refuses the write here, as an {@link IOException}, instead of killing the daemon with SIGBUS
 * at a later store into a page it cannot back.
 */
final class StoreFiles {
    private static final int ZERO_BLOCK = 1 << 20;
    private static final ByteBuffer ZEROS =
            ByteBuffer.allocateDirect(ZERO_BLOCK).asReadOnlyBuffer();

    private StoreFiles() {}

    /** Who may open a side's files: permission bits and group (-1: the daemon's). */
    record Access(Set<PosixFilePermission> fileMode, long gid) {
        static final Access PRIVATE = new Access(PosixFilePermissions.fromString("rw-------"), -1);

        /** The directory's mode: search (x) wherever the files may be read, so that readers reach them. */
        Set<PosixFilePermission> dirMode() {
            Set<PosixFilePermission> d = EnumSet.of(
                    PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
            if (fileMode.contains(PosixFilePermission.GROUP_READ)) {
                d.add(PosixFilePermission.GROUP_EXECUTE);
            }
            if (fileMode.contains(PosixFilePermission.OTHERS_READ)) {
                d.add(PosixFilePermission.OTHERS_EXECUTE);
            }
            return d;
        }
    }

    /**
     * Creates {@code file} of {@code length} zero bytes with {@code access} (replacing a leftover of
     * that name) and maps it read-write in {@code arena}.
     */
    static MemorySegment create(Path file, long length, Access access, Arena arena) throws IOException {
        Files.deleteIfExists(file);
        Set<PosixFilePermission> ownerOnly =
                EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        try (FileChannel c = FileChannel.open(
                file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(ownerOnly))) {
            if (access.gid() >= 0) {
                Files.setAttribute(file, "unix:gid", (int) access.gid());
            }
            Files.setPosixFilePermissions(file, access.fileMode()); // exactly: the umask does not narrow it
            fill(c, length);
            return c.map(FileChannel.MapMode.READ_WRITE, 0, length, arena);
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw new IOException("cannot make " + file + " (" + length + " bytes): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /** Writes zeros from the end of {@code c} up to {@code length}. */
    static void fill(FileChannel c, long length) throws IOException {
        long pos = c.size();
        while (pos < length) {
            ByteBuffer z = ZEROS.duplicate();
            z.limit((int) Math.min(ZERO_BLOCK, length - pos));
            pos += c.write(z, pos);
        }
    }

    /** Maps an existing {@code file} read-write in {@code arena}, whole. */
    static MemorySegment map(Path file, Arena arena) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return c.map(FileChannel.MapMode.READ_WRITE, 0, c.size(), arena);
        }
    }

    /** Grows {@code file} with zeros to {@code length} and maps the range {@code [from, length)}. */
    static MemorySegment extend(Path file, long from, long length, Arena arena) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long before = c.size();
            try {
                fill(c, length);
            } catch (IOException e) {
                c.truncate(before); // the zeros written so far would be unused space
                throw new IOException("cannot grow " + file + " to " + length + " bytes: " + e.getMessage(), e);
            }
            return c.map(FileChannel.MapMode.READ_WRITE, from, length - from, arena);
        }
    }
}
