package io.sharedmap.server.engine;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * The journal could not write or sync; no change after the failure is acknowledged. The daemon
 * keeps answering reads of data that was already durable.
 */
public final class JournalFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    JournalFailedException(@Nullable String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
