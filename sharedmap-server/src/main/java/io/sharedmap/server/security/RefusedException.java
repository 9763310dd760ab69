package io.sharedmap.server.security;

import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A request refused for who made it: its permissions or its limits. Nothing was changed.
 *
 * <p>The message may be given as a supplier, called the first time it is read: refusals are made
 * under a key's stripe lock and a usage monitor, and their messages name users and groups, which
 * may re-read {@code /etc/passwd}; the reply is formatted after those locks are released.
 */
public abstract sealed class RefusedException extends Exception
        permits PermissionDeniedException, QuotaExceededException {
    private static final long serialVersionUID = 1L;
    private transient @Nullable Supplier<String> lazy;
    private @Nullable String message;

    RefusedException(String message) {
        super(message, null, false, false);
        this.message = message;
    }

    RefusedException(Supplier<String> message) {
        super(null, null, false, false);
        this.lazy = message;
    }

    @Override
    public @Nullable String getMessage() {
        if (message == null && lazy != null) {
            message = lazy.get();
            lazy = null;
        }
        return message;
    }
}
