package io.sharedmap.client;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * Chooses a backend by a URL's scheme: {@code unix} is the local daemon, built in; any other is
 * served by a {@link PortableMapProvider} found with {@link ServiceLoader}.
 */
final class Backends {
    /** The module that serves each scheme we know of, for the message when it is missing. */
    private static final Map<String, String> KNOWN_MODULES = Map.of(
            "etcd", "sharedmap-etcd",
            "etcds", "sharedmap-etcd",
            "redis-cluster", "sharedmap-redis",
            "rediss-cluster", "sharedmap-redis",
            "redis", "sharedmap-redis",
            "rediss", "sharedmap-redis");

    private Backends() {}

    static PortableMap connect(URI url) {
        Objects.requireNonNull(url, "url");
        String scheme = url.getScheme();
        if (scheme == null) {
            throw new IllegalArgumentException("sharedmap URL " + url
                    + " has no scheme; use unix:///path/to/socket, etcd://host:port,host:port"
                    + ", redis-cluster://host:port,... or redis://host:port");
        }
        scheme = scheme.toLowerCase(Locale.ROOT);
        if (scheme.equals("unix")) {
            return SharedMap.connect(unixSocket(url));
        }
        List<String> found = new ArrayList<>();
        for (PortableMapProvider p : ServiceLoader.load(PortableMapProvider.class)) {
            if (p.scheme().equals(scheme)) {
                return p.connect(url);
            }
            found.add(p.scheme());
        }
        String module = KNOWN_MODULES.get(scheme);
        found.addFirst("unix");
        throw new IllegalArgumentException("no sharedmap backend for URL scheme '" + scheme + "' in " + url
                + (module != null
                        ? ": add the module " + module + " (its jar and its lib/) to the class path"
                                + " (bin/sharedmap does)"
                        : ": not a scheme sharedmap knows")
                + "; schemes available here: " + String.join(", ", found));
    }

    /** The socket of a {@code unix:} URL: {@code unix:///abs/path} or {@code unix:/abs/path}. */
    static Path unixSocket(URI url) {
        String path = url.getPath();
        if (url.isOpaque() || path == null || path.isEmpty() || path.equals("/")) {
            throw new IllegalArgumentException("unix URL " + url + " names no socket; write unix:///path/to/socket");
        }
        if (url.getRawAuthority() != null) {
            throw new IllegalArgumentException("unix URL " + url + " has a host ('" + url.getRawAuthority()
                    + "'); a Unix socket is local: write unix:///path/to/socket");
        }
        return Path.of(path);
    }

    static String unixUrl(Path socket) {
        return "unix://" + socket.toAbsolutePath().toUri().getRawPath();
    }
}
