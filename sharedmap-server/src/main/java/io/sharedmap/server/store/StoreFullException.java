package io.sharedmap.server.store;

import java.io.IOException;

/** The store cannot take a change: one of its documented limits would be exceeded. */
public final class StoreFullException extends IOException {
    private static final long serialVersionUID = 1L;

    public StoreFullException(String message) {
        super(message);
    }
}
