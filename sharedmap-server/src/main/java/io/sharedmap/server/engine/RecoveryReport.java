package io.sharedmap.server.engine;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * What recovery found at start.
 *
 * @param snapshot number of the snapshot loaded, or -1 if none
 * @param snapshotEntries entries loaded from it
 * @param segmentsReplayed journal segments read after it
 * @param recordsReplayed journal records read (applied or already covered by the snapshot)
 * @param droppedBytes bytes of a torn or corrupt journal tail that were dropped, 0 if none
 * @param dropReason why they were dropped, or null
 * @param savedTail where the dropped bytes were saved, or null
 * @param lastVersion the highest version in the store after recovery
 * @param durationMs time recovery took
 * @param storeContinued whether the mapped store was continued (only the journal after its
 *     checkpoint replayed into it), rather than rebuilt
 * @param storeRebuiltBecause why the store was rebuilt, or null
 * @param storeRecords journal records applied to the store
 */
public record RecoveryReport(
        long snapshot,
        long snapshotEntries,
        int segmentsReplayed,
        long recordsReplayed,
        long droppedBytes,
        @Nullable String dropReason,
        @Nullable Path savedTail,
        long lastVersion,
        long durationMs,
        boolean storeContinued,
        @Nullable String storeRebuiltBecause,
        long storeRecords) {}
