package io.sharedmap.server.store;

import java.io.IOException;

/** A store file is damaged or inconsistent; the store cannot be trusted and is rebuilt from the journal. */
public final class StoreCorruptException extends IOException {
    private static final long serialVersionUID = 1L;

    public StoreCorruptException(String message) {
        super(message);
    }
}
