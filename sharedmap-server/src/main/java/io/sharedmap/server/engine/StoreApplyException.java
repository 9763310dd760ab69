package io.sharedmap.server.engine;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The mapped store could not take a durable change (its file system is full, most often): the change
 * is in the journal, so a restart with room for the store applies it, but it is not acknowledged,
 * and the journal refuses every change from then on.
 */
final class StoreApplyException extends IOException {
    private static final long serialVersionUID = 1L;

    StoreApplyException(Path storeDir, IOException cause) {
        super(
                "the mapped store in " + storeDir + " could not take the change (" + cause.getMessage()
                        + "); it is in the journal and is applied when the daemon restarts with room for the store",
                cause);
    }
}
