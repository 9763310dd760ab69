package io.sharedmap.bench;

import java.nio.file.Path;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A {@code --target}: {@code sharedmap}, {@code direct} or {@code redis} (the harness starts its own
 * server) or {@code sharedmap:SOCKET} / {@code direct:SOCKET} / {@code redis:SOCKET} (one already
 * running on that Unix socket), or {@code chronicle} (Chronicle Map: a map file every worker maps,
 * no server; for comparison only, when the library is on the class path).
 *
 * <p>{@code sharedmap} and {@code direct} are the same daemon read two ways: {@code sharedmap}
 * sends every GET through the socket (the client with {@code directReads(false)}), {@code direct}
 * answers GET from the daemon's mapped store (the client with {@code directReads(true)}, the
 * client's default since issue 6) and falls back to the socket for keys the store cannot answer. Both send
 * every other request (SET, PING, the preload) through the socket.
 *
 * @param kind which store
 * @param socket the socket of a running server, or {@code null} to start one
 */
public record TargetSpec(Kind kind, @Nullable Path socket) {

    /** The stores the harness can drive. */
    public enum Kind {
        /** A sharedmap daemon, every request through the socket. */
        SHAREDMAP,
        /** A sharedmap daemon, GET read from its mapped store (the rest through the socket). */
        DIRECT,
        REDIS,
        /** Chronicle Map: every worker maps one persisted map file; no server (issue 6's comparison). */
        CHRONICLE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the server is a sharedmap daemon (read either way). */
        public boolean sharedMap() {
            return this == SHAREDMAP || this == DIRECT;
        }
    }

    /** Whether the harness starts (and stops) the server itself. */
    public boolean managed() {
        return socket == null;
    }

    static TargetSpec parse(String s) {
        String t = s.trim();
        int colon = t.indexOf(':');
        String name = colon < 0 ? t : t.substring(0, colon);
        Kind kind = switch (name.toLowerCase(Locale.ROOT)) {
            case "sharedmap" -> Kind.SHAREDMAP;
            case "direct" -> Kind.DIRECT;
            case "redis" -> Kind.REDIS;
            case "chronicle" -> Kind.CHRONICLE;
            default ->
                throw new IllegalArgumentException(
                        "unknown target '" + s
                                + "'; expected sharedmap, sharedmap:SOCKET, direct, direct:SOCKET, redis, redis:SOCKET or chronicle");
        };
        if (colon < 0) {
            return new TargetSpec(kind, null);
        }
        if (kind == Kind.CHRONICLE) {
            throw new IllegalArgumentException(
                    "target '" + s + "': chronicle has no server to connect to; use chronicle");
        }
        String path = t.substring(colon + 1);
        if (path.isEmpty()) {
            throw new IllegalArgumentException("target '" + s + "': empty socket path");
        }
        return new TargetSpec(kind, Path.of(path));
    }

    @Override
    public String toString() {
        return managed() ? kind.label() : kind.label() + ":" + socket;
    }
}
