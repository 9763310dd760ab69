package io.sharedmap.cli;

import java.io.Serial;
import org.jspecify.annotations.Nullable;

/** A command failed in a way it has already explained: the message is printed, the code returned. */
final class CliException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CliException(int exitCode, @Nullable String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
