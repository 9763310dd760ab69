package io.sharedmap.server.engine;

import io.sharedmap.server.Durability;
import java.nio.file.Path;

/**
 * What the engine needs: where its files live, what an acknowledgement promises, when to compact,
 * and where to publish its shared-memory view ({@code view} null: no view; ignored in {@code never}
 * mode). Ranges are checked by {@code ServerConfig}.
 */
public record EngineConfig(
        Path dir, Durability durability, int fsyncIntervalMs, long snapshotMinJournalBytes, ViewSettings view) {

    /** A configuration without a view. */
    public EngineConfig(Path dir, Durability durability, int fsyncIntervalMs, long snapshotMinJournalBytes) {
        this(dir, durability, fsyncIntervalMs, snapshotMinJournalBytes, null);
    }

    public EngineConfig withView(ViewSettings v) {
        return new EngineConfig(dir, durability, fsyncIntervalMs, snapshotMinJournalBytes, v);
    }
}
