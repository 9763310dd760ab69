package io.sharedmap.etcd;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An {@code etcd://} URL, parsed: {@code etcd://[user:password@]host:port[,host:port...][/][?timeout-ms=N]}.
 * The members are reached over plain HTTP/2 (etcd's {@code --listen-client-urls http://...}).
 *
 * @param url the URL as given
 * @param endpoints {@code http://host:port} of each member, in the URL's order
 * @param user etcd user (RBAC), or null without authentication
 * @param password the user's password, or null
 * @param timeout how long one call waits for its answer (default 30 s)
 */
record EtcdUrl(
        String url,
        List<String> endpoints,
        @Nullable String user,
        @Nullable String password,
        Duration timeout) {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    static EtcdUrl parse(URI url) {
        String authority = url.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw bad(url, "names no member; write etcd://host:port[,host:port...]");
        }
        String user = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                throw bad(url, "has a user without a password; write etcd://user:password@host:port");
            }
            user = decode(userInfo.substring(0, colon));
            password = decode(userInfo.substring(colon + 1));
        }
        List<String> endpoints = new ArrayList<>();
        for (String member : authority.split(",", -1)) {
            int colon = member.lastIndexOf(':');
            if (member.isEmpty() || colon <= 0 || colon == member.length() - 1) {
                throw bad(url, "member '" + member + "' is not host:port");
            }
            int port;
            try {
                port = Integer.parseInt(member.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw bad(url, "member '" + member + "' has no port in 1..65535");
            }
            endpoints.add("http://" + member);
        }
        String path = url.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            throw bad(url, "has a path ('" + path + "'); etcd URLs name members only");
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
        return new EtcdUrl(url.toString(), List.copyOf(endpoints), user, password, timeout);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException bad(URI url, String what) {
        return new IllegalArgumentException("etcd URL " + redacted(url) + " " + what);
    }

    /** The URL without its password, for messages. */
    static String redacted(URI url) {
        String s = url.toString();
        String authority = url.getRawAuthority();
        int at = authority == null ? -1 : authority.lastIndexOf('@');
        return at < 0 ? s : s.replace(authority, "***@" + authority.substring(at + 1));
    }

    @Override
    public String toString() {
        return "EtcdUrl[" + redacted(URI.create(url)) + "]";
    }
}
