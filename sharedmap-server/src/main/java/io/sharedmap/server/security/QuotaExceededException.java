package io.sharedmap.server.security;

import java.util.function.Supplier;

/** A change would take a user or group over one of its limits; the message names the limit, the usage and the request. */
public final class QuotaExceededException extends RefusedException {
    private static final long serialVersionUID = 1L;

    public QuotaExceededException(String message) {
        super(message);
    }

    /** With a message built when it is first read (see {@link RefusedException}). */
    public QuotaExceededException(Supplier<String> message) {
        super(message);
    }
}
