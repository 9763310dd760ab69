package io.sharedmap.redis;

import io.sharedmap.client.BackendUrl;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A {@code redis://} or {@code redis-cluster://} URL, parsed:
 * {@code redis-cluster://[user:password@]host:port[,host:port...][/][?timeout-ms=N]} (a cluster: any
 * of its nodes; the client learns the rest), {@code redis://[user:password@]host:port} (one server).
 * {@code rediss://} and {@code rediss-cluster://} are the same over TLS, trusting the JDK's
 * certificate authorities or those of {@code ca-file=PATH} (PEM), the server's certificate checked
 * against the host named.
 *
 * @param url the URL as given
 * @param cluster whether it names a cluster
 * @param nodes host and port of each node named
 * @param user ACL user, or null (with a password: the default user)
 * @param password the password, or null without authentication
 * @param timeout how long one call waits for its answer (default 30 s)
 * @param tls whether the servers are reached over TLS ({@code rediss://}, {@code rediss-cluster://})
 * @param caFile the certificate authorities to trust (PEM), or null for the JDK's
 */
record RedisUrl(
        String url,
        boolean cluster,
        List<Node> nodes,
        @Nullable String user,
        @Nullable String password,
        Duration timeout,
        boolean tls,
        @Nullable String caFile) {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** One node: host and port. */
    record Node(String host, int port) {}

    static RedisUrl parse(URI url, boolean cluster) {
        BackendUrl u = BackendUrl.parse(url, KIND, "node", "databases other than 0 are not supported", DEFAULT_TIMEOUT);
        if (!cluster && u.members().size() > 1) {
            throw BackendUrl.bad(
                    url,
                    KIND,
                    "names " + u.members().size() + " servers; redis:// is one server, use redis-cluster:// for a"
                            + " cluster");
        }
        String user = null;
        String password = null;
        String userInfo = u.userInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                password = BackendUrl.decode(userInfo); // redis://password@host, as redis-cli -a
            } else {
                user = colon == 0 ? null : BackendUrl.decode(userInfo.substring(0, colon));
                password = BackendUrl.decode(userInfo.substring(colon + 1));
            }
        }
        List<Node> nodes =
                u.members().stream().map(m -> new Node(m.host(), m.port())).toList();
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        boolean tls = scheme.equals("rediss") || scheme.equals("rediss-cluster");
        if (u.caFile() != null && !tls) {
            throw BackendUrl.bad(
                    url,
                    KIND,
                    "has a ca-file but no TLS; write " + (cluster ? "rediss-cluster" : "rediss")
                            + "://host:port?ca-file=PATH");
        }
        return new RedisUrl(url.toString(), cluster, nodes, user, password, u.timeout(), tls, u.caFile());
    }

    private static final String KIND = "Redis URL";

    /** The URL without its password, for messages. */
    static String redacted(String url) {
        return BackendUrl.redacted(url);
    }

    @Override
    public String toString() {
        return "RedisUrl[" + redacted(url) + "]";
    }
}
