package io.sharedmap.server.security;

import java.util.function.Supplier;

/** The caller may not do this to this key (its mode), or may not change limits. */
public final class PermissionDeniedException extends RefusedException {
    private static final long serialVersionUID = 1L;

    public PermissionDeniedException(String message) {
        super(message);
    }

    /** With a message built when it is first read (see {@link RefusedException}). */
    public PermissionDeniedException(Supplier<String> message) {
        super(message);
    }
}
