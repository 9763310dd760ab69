package io.sharedmap.server;

/** The daemon could not start; the message says why and what to do. Nothing was changed on disk. */
public final class ServerStartException extends Exception {
    private static final long serialVersionUID = 1L;

    public ServerStartException(String message) {
        super(message);
    }

    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
