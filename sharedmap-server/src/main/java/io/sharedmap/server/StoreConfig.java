package io.sharedmap.server;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The mapped store (docs/OPERATIONS.md, "The mapped store" and "Direct reads"): where its files
 * live, and whether clients may read it directly.
 *
 * <p>Who may read it directly follows who may connect: its public side is readable by the socket's
 * owner, by its group if the group may connect, and by everyone if everyone may connect (the read
 * bits of the public files are the write bits of {@code --socket-mode}); the files' group is the
 * socket's. Keys that someone able to open the files could not read through the socket are kept in
 * the private side, which only the daemon opens.
 *
 * @param directReads offer direct reads (not in {@code never} mode, which acknowledges before the
 *     store has a change); without them the public side is readable by the daemon's user only
 * @param dir the store's directory, or null for the default ({@link StorePlacement#defaultDirectory})
 */
public record StoreConfig(boolean directReads, @Nullable Path dir) {
    public static final StoreConfig DEFAULTS = new StoreConfig(true, null);
    public static final StoreConfig NO_DIRECT_READS = new StoreConfig(false, null);

    public StoreConfig withDir(Path d) {
        return new StoreConfig(directReads, d);
    }
}
