package io.sharedmap.server.engine;

import io.sharedmap.server.security.Owner;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Where and how the engine publishes its view ({@link io.sharedmap.protocol.view.ViewDescriptor}),
 * and who will be able to read it.
 *
 * @param file the view file; replaced at every start
 * @param slotCount slots in the hash table, a power of two
 * @param slotSize bytes per slot, a power of two; a key plus value longer than {@code slotSize - 28}
 *     is served by the socket only
 * @param fileMode permission bits of the view file (read bits only matter: opening it is reading
 *     directly)
 * @param fileGid group of the view file; -1: the daemon's group
 * @param daemonUid the daemon's user, which owns the file
 */
public record ViewSettings(Path file, int slotCount, int slotSize, int fileMode, long fileGid, long daemonUid) {

    /** The permission set of an octal mode such as 0640 (the low nine bits). */
    public static Set<PosixFilePermission> posix(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE
        for (int i = 0; i < 9; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(order[i]);
            }
        }
        return set;
    }

    /**
     * Whether a key with this owner may be published to a file of mode {@code fileMode} and group
     * {@code gid} (the file's actual group): only if every user who can open the file could read the
     * key through the socket. Others may open an o+r file, so such a file gets only keys everyone may
     * read (r for owner, group and others). A g+r file gets those and the keys of its own group that
     * the owner and group may read. A file only its owner may read gets everything if that owner is
     * root, which reads every key anyway.
     */
    static boolean mayPublish(Owner o, int fileMode, long gid, long daemonUid) {
        int m = o.mode();
        if ((m & 0444) == 0444) {
            return true;
        }
        if ((fileMode & 0004) != 0) {
            return false;
        }
        if ((fileMode & 0040) != 0) {
            return o.gidLong() == gid && (m & 0440) == 0440;
        }
        return daemonUid == 0 || (o.uidLong() == daemonUid && (m & Owner.READ_OWNER) != 0);
    }
}
