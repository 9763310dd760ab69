package io.sharedmap.server.engine;

import io.sharedmap.server.Durability;
import java.nio.file.Path;

/**
 * What the engine needs: where its files live, what an acknowledgement promises, and when to
 * compact. Ranges are checked by {@code ServerConfig}.
 */
public record EngineConfig(Path dir, Durability durability, int fsyncIntervalMs, long snapshotMinJournalBytes) {}
