package io.sharedmap.cli;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapPaths;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --url URL} (or {@code $SHAREDMAP_URL}) beside {@code --socket}, for the commands every
 * backend serves ({@code get}, {@code set}, {@code del}, {@code cas}, {@code keys}): which map to
 * talk to. An explicit option wins over the environment; {@code --url} and {@code --socket}
 * together are a usage error; {@code unix:} URLs are the daemon on that socket, as {@code --socket}.
 */
final class MapOption {
    @Option(
            names = "--url",
            paramLabel = "URL",
            description = "The map to use: unix:///path/to/socket (the local daemon, as --socket),"
                    + " etcd://host:port[,host:port...], redis-cluster://host:port[,host:port...] or"
                    + " redis://host:port (the sharedmap-etcd and sharedmap-redis modules, which bin/sharedmap"
                    + " adds); etcds://, rediss-cluster:// and rediss:// over TLS (?ca-file=PATH: the authorities"
                    + " to trust); $SHAREDMAP_URL sets it. See docs/SCALE-OUT.md.")
    @Nullable
    String url;

    @Mixin
    SocketOption socket;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** The URL to use instead of the socket, or null for the socket. */
    @Nullable
    URI target(Map<String, String> env) {
        boolean socketGiven = mixee.commandLine().getParseResult().hasMatchedOption("--socket");
        if (url != null && socketGiven) {
            throw new CliException(ExitCodes.USAGE, "give --url or --socket, not both");
        }
        String chosen = url != null ? url : socketGiven ? null : env.get(SharedMapPaths.URL_ENV);
        if (chosen == null || chosen.isEmpty()) {
            return null;
        }
        String from = url != null ? "--url" : "$" + SharedMapPaths.URL_ENV;
        try {
            URI uri = new URI(chosen);
            if (uri.getScheme() == null) {
                throw new CliException(
                        ExitCodes.USAGE,
                        from + ": '" + chosen + "' has no scheme; use unix:///path/to/socket, etcd://host:port,..."
                                + " or redis-cluster://host:port,...");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new CliException(ExitCodes.USAGE, from + ": '" + chosen + "' is not a URL (" + e.getMessage() + ")");
        }
    }

    /**
     * The map: the daemon on the socket (a plain client, as every daemon command) or the backend the
     * URL names.
     */
    PortableMap connect() {
        URI target = target(System.getenv());
        return target == null ? socket.connect() : connect(target, socket);
    }

    /**
     * The map {@code target} names: a {@code unix:} URL is the daemon on that socket (a plain client
     * with {@code socket}'s reply timeout), any other the backend its scheme chooses. A malformed URL
     * or a scheme without a backend is a usage error.
     */
    static PortableMap connect(URI target, SocketOption socket) {
        try {
            String scheme = target.getScheme();
            if (scheme != null && scheme.toLowerCase(Locale.ROOT).equals("unix")) {
                return socket.connect(SharedMapPaths.socketOf(target));
            }
            return SharedMap.connect(target);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
    }
}
