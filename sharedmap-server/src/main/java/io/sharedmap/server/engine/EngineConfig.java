package io.sharedmap.server.engine;

import io.sharedmap.server.Durability;
import java.nio.file.Path;

/**
 * What the engine needs: where its files live, what an acknowledgement promises, when to compact,
 * and where its mapped store lives and who reads it. Ranges are checked by {@code ServerConfig}.
 */
public record EngineConfig(
        Path dir, Durability durability, int fsyncIntervalMs, long snapshotMinJournalBytes, StoreSettings store) {

    /** A configuration whose store only the daemon reads, in {@code dir/store}. */
    public EngineConfig(Path dir, Durability durability, int fsyncIntervalMs, long snapshotMinJournalBytes) {
        this(dir, durability, fsyncIntervalMs, snapshotMinJournalBytes, StoreSettings.privateIn(dir));
    }

    public EngineConfig withStore(StoreSettings s) {
        return new EngineConfig(dir, durability, fsyncIntervalMs, snapshotMinJournalBytes, s);
    }
}
