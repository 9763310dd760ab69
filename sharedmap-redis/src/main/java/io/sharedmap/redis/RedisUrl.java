package io.sharedmap.redis;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A {@code redis://} or {@code redis-cluster://} URL, parsed:
 * {@code redis-cluster://[user:password@]host:port[,host:port...][/][?timeout-ms=N]} (a cluster: any
 * of its nodes; the client learns the rest), {@code redis://[user:password@]host:port} (one server).
 *
 * @param url the URL as given
 * @param cluster whether it names a cluster
 * @param nodes host and port of each node named
 * @param user ACL user, or null (with a password: the default user)
 * @param password the password, or null without authentication
 * @param timeout how long one call waits for its answer (default 30 s)
 */
record RedisUrl(
        String url,
        boolean cluster,
        List<Node> nodes,
        @Nullable String user,
        @Nullable String password,
        Duration timeout) {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** One node: host and port. */
    record Node(String host, int port) {}

    static RedisUrl parse(URI url, boolean cluster) {
        String scheme = cluster ? "redis-cluster" : "redis";
        String authority = url.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw bad(url, "names no node; write " + scheme + "://host:port" + (cluster ? "[,host:port...]" : ""));
        }
        String user = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                password = decode(userInfo); // redis://password@host, as redis-cli -a
            } else {
                user = colon == 0 ? null : decode(userInfo.substring(0, colon));
                password = decode(userInfo.substring(colon + 1));
            }
        }
        List<Node> nodes = new ArrayList<>();
        for (String member : authority.split(",", -1)) {
            int colon = member.lastIndexOf(':');
            if (member.isEmpty() || colon <= 0 || colon == member.length() - 1) {
                throw bad(url, "node '" + member + "' is not host:port");
            }
            int port;
            try {
                port = Integer.parseInt(member.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw bad(url, "node '" + member + "' has no port in 1..65535");
            }
            nodes.add(new Node(member.substring(0, colon), port));
        }
        if (!cluster && nodes.size() > 1) {
            throw bad(
                    url,
                    "names " + nodes.size() + " servers; redis:// is one server, use redis-cluster:// for a"
                            + " cluster");
        }
        String path = url.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            throw bad(url, "has a path ('" + path + "'); databases other than 0 are not supported");
        }
        Duration timeout = DEFAULT_TIMEOUT;
        String query = url.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String parameter : query.split("&", -1)) {
                if (parameter.startsWith("timeout-ms=")) {
                    long ms;
                    try {
                        ms = Long.parseLong(parameter.substring("timeout-ms=".length()));
                    } catch (NumberFormatException e) {
                        ms = -1;
                    }
                    if (ms < 1 || ms > 3_600_000) {
                        throw bad(url, "timeout-ms must be 1..3600000");
                    }
                    timeout = Duration.ofMillis(ms);
                } else {
                    throw bad(url, "has an unknown parameter '" + parameter + "' (known: timeout-ms)");
                }
            }
        }
        return new RedisUrl(url.toString(), cluster, List.copyOf(nodes), user, password, timeout);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException bad(URI url, String what) {
        return new IllegalArgumentException("Redis URL " + redacted(url.toString()) + " " + what);
    }

    /** The URL without its password, for messages. */
    static String redacted(String url) {
        int scheme = url.indexOf("://");
        int at = url.lastIndexOf('@');
        return scheme < 0 || at < scheme ? url : url.substring(0, scheme + 3) + "***" + url.substring(at);
    }

    @Override
    public String toString() {
        return "RedisUrl[" + redacted(url) + "]";
    }
}
