package io.sharedmap.bench;

import io.sharedmap.client.BackendUrl;
import java.net.URI;
import java.net.URISyntaxException;
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
 * <p>{@code url:URL} (also {@code --url URL}) is any backend, already running, through sharedmap's
 * portable API ({@code SharedMap.connect(URI)}: {@code etcd://}, {@code redis-cluster://}, {@code
 * redis://}, {@code unix:}); {@code bare:URL} is the same etcd or Redis through the engine's own client
 * (jetcd, Lettuce) sending the requests sharedmap's backend sends for a GET and a SET: the two side by
 * side are the cost of the sharedmap layer.
 *
 * @param kind which store
 * @param socket the socket of a running server, or {@code null} to start one (or for a URL)
 * @param url the map of a {@link Kind#PORTABLE} or {@link Kind#BARE} target, else null
 */
public record TargetSpec(
        Kind kind, @Nullable Path socket, @Nullable URI url) {

    /** A target on a Unix socket, or started by the harness ({@code socket} null). */
    public TargetSpec(Kind kind, @Nullable Path socket) {
        this(kind, socket, null);
    }

    /** The stores the harness can drive. */
    public enum Kind {
        /** A sharedmap daemon, every request through the socket. */
        SHAREDMAP,
        /** A sharedmap daemon, GET read from its mapped store (the rest through the socket). */
        DIRECT,
        REDIS,
        /** Chronicle Map: every worker maps one persisted map file; no server (issue 6's comparison). */
        CHRONICLE,
        /** Any backend named by a URL, through sharedmap's portable API ({@code SharedMap.connect(URI)}). */
        PORTABLE,
        /** etcd or Redis named by a URL, through the engine's own client doing what sharedmap's backend does. */
        BARE;

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
        return socket == null && url == null;
    }

    /** Whether the target is named by a URL (it may be on another machine: no server pid, no CPU time). */
    public boolean remote() {
        return url != null;
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
            case "url" -> Kind.PORTABLE;
            case "bare" -> Kind.BARE;
            default ->
                throw new IllegalArgumentException("unknown target '" + s
                        + "'; expected sharedmap, sharedmap:SOCKET, direct, direct:SOCKET, redis, redis:SOCKET,"
                        + " chronicle, url:URL or bare:URL");
        };
        if (kind == Kind.PORTABLE || kind == Kind.BARE) {
            return ofUrl(kind, colon < 0 ? "" : t.substring(colon + 1));
        }
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

    /** A {@code url:} or {@code bare:} target; {@code bare:} only for the engines it has a client of. */
    static TargetSpec ofUrl(Kind kind, String url) {
        String what = kind == Kind.BARE ? "bare" : "url";
        if (url.isEmpty()) {
            throw new IllegalArgumentException(
                    "target '" + what + ":': no URL; write e.g. " + what + ":etcd://127.0.0.1:2379");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("target '" + what + ":" + url + "': not a URL (" + e.getMessage() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.isEmpty()) {
            throw new IllegalArgumentException("target '" + what + ":" + url
                    + "': the URL has no scheme; use etcd://, redis-cluster://, redis:// or unix:///path");
        }
        if (kind == Kind.BARE && !BareKv.SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("target 'bare:" + url + "': no bare client for " + scheme
                    + ":; bare: measures the engine's own client for " + String.join(", ", BareKv.SCHEMES)
                    + " (the local daemon's own client is url:unix:///path)");
        }
        return new TargetSpec(kind, null, uri);
    }

    /** For tables and charts: the scheme, e.g. {@code etcd} (sharedmap) or {@code etcd-bare} (its own client). */
    String urlLabel() {
        URI u = url;
        String scheme = u == null || u.getScheme() == null ? "?" : u.getScheme().toLowerCase(Locale.ROOT);
        return kind == Kind.BARE ? scheme + "-bare" : scheme;
    }

    @Override
    public String toString() {
        URI u = url;
        if (u != null) {
            return (kind == Kind.BARE ? "bare:" : "url:") + BackendUrl.redacted(u.toString());
        }
        return managed() ? kind.label() : kind.label() + ":" + socket;
    }
}
