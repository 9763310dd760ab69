package io.sharedmap.server.engine;

import io.sharedmap.server.security.Owner;
import io.sharedmap.server.store.MappedStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * Where the engine keeps its mapped store ({@link MappedStore}) and who may read its public side
 * directly.
 *
 * @param dir the store's directory (best on a memory file system: its files are the data's
 *     working copy, not its durable copy)
 * @param publicFileMode permission bits of the public side's files (read bits only matter: opening
 *     them is reading directly); {@code 0600} keeps every other process out
 * @param publicGid group of the public side's files; -1: the daemon's
 * @param daemonUid the daemon's user, which owns the files
 * @param announce whether clients are told where the public side is (VIEW), so that they read it
 */
public record StoreSettings(Path dir, int publicFileMode, long publicGid, long daemonUid, boolean announce) {

    /** A store that only the daemon reads, in {@code dataDir/store} (tests, tools, and no direct reads). */
    public static StoreSettings privateIn(Path dataDir) {
        return new StoreSettings(dataDir.resolve("store"), 0600, -1, currentUid(), false);
    }

    static long currentUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    /** The store's settings, with the public side's actual group {@code gid}. */
    MappedStore.Settings toStore(long gid) {
        return new MappedStore.Settings(
                dir, publicFileMode, publicGid, new PublishPolicy(publicFileMode, gid, daemonUid));
    }

    /**
     * Whether a key with a given owner may be in the public side, whose files have mode {@code
     * fileMode} and group {@code gid}: only if every user who can open them could read the key
     * through the socket. Others may open an o+r file, so it gets only keys everyone may read (r for
     * owner, group and others). A g+r file gets those and the keys of its own group that the owner
     * and group may read. Files only their owner may read get everything if that owner is root, which
     * reads every key anyway.
     */
    record PublishPolicy(int fileMode, long gid, long daemonUid) implements Predicate<Owner> {
        @Override
        public boolean test(Owner o) {
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
}
