package io.sharedmap.server.engine;

import java.io.IOException;

/** A file in the data directory is not in a form this sharedmap can use; the message names it. */
public final class StoreFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public StoreFormatException(String message) {
        super(message);
    }
}
