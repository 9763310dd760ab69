package io.sharedmap.client;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The parts every remote backend's URL shares, parsed once for all of them:
 * {@code scheme://[user-info@]host:port[,host:port...][/][?timeout-ms=N][&ca-file=PATH]}. What the
 * user info means (user and password, or a password alone) is the backend's to say, and so is
 * whether its scheme is one with TLS, which {@code ca-file} needs. Not for applications.
 *
 * @param members host and port of each member named, in the URL's order
 * @param userInfo the part before {@code @}, not yet decoded (split it, then {@link #decode}), or null
 * @param timeout {@code timeout-ms}, or the backend's default
 * @param caFile {@code ca-file}: a PEM file of the certificate authorities to trust for TLS instead of
 *     the JDK's, or null
 */
public record BackendUrl(
        List<HostPort> members,
        @Nullable String userInfo,
        Duration timeout,
        @Nullable String caFile) {
    /** One member: host and port. */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    public BackendUrl {
        members = List.copyOf(members);
    }

    /** Without {@code ca-file}. */
    public BackendUrl(List<HostPort> members, @Nullable String userInfo, Duration timeout) {
        this(members, userInfo, timeout, null);
    }

    /**
     * Parses {@code url}; a problem is an {@link IllegalArgumentException} whose message starts with
     * {@code kind} ("etcd URL") and the URL without its password.
     *
     * @param member what a member is called in messages ("member", "node")
     * @param noPath why the URL may have no path, for the message refusing one
     */
    public static BackendUrl parse(URI url, String kind, String member, String noPath, Duration defaultTimeout) {
        String authority = url.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw bad(url, kind, "names no " + member + "; write " + url.getScheme() + "://host:port[,host:port...]");
        }
        String userInfo = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
        }
        List<HostPort> members = new ArrayList<>();
        for (String m : authority.split(",", -1)) {
            int colon = m.lastIndexOf(':');
            if (m.isEmpty() || colon <= 0 || colon == m.length() - 1) {
                throw bad(url, kind, member + " '" + m + "' is not host:port");
            }
            int port;
            try {
                port = Integer.parseInt(m.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw bad(url, kind, member + " '" + m + "' has no port in 1..65535");
            }
            members.add(new HostPort(m.substring(0, colon), port));
        }
        String path = url.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            throw bad(url, kind, "has a path ('" + path + "'); " + noPath);
        }
        Duration timeout = defaultTimeout;
        String caFile = null;
        String query = url.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String parameter : query.split("&", -1)) {
                if (parameter.startsWith("ca-file=")) {
                    caFile = decode(parameter.substring("ca-file=".length()));
                    if (caFile.isEmpty()) {
                        throw bad(url, kind, "has an empty ca-file");
                    }
                    continue;
                }
                if (!parameter.startsWith("timeout-ms=")) {
                    throw bad(url, kind, "has an unknown parameter '" + parameter + "' (known: timeout-ms, ca-file)");
                }
                long ms;
                try {
                    ms = Long.parseLong(parameter.substring("timeout-ms=".length()));
                } catch (NumberFormatException e) {
                    ms = -1;
                }
                if (ms < 1 || ms > 3_600_000) {
                    throw bad(url, kind, "timeout-ms must be 1..3600000");
                }
                timeout = Duration.ofMillis(ms);
            }
        }
        return new BackendUrl(members, userInfo, timeout, caFile);
    }

    /** A percent-encoded part of the user info, decoded. */
    public static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** The refusal of {@code url}: {@code kind}, the URL without its password, and {@code what}. */
    public static IllegalArgumentException bad(URI url, String kind, String what) {
        return new IllegalArgumentException(kind + " " + redacted(url.toString()) + " " + what);
    }

    /** The URL with its user info, if any, replaced by {@code ***}, for messages. */
    public static String redacted(String url) {
        int scheme = url.indexOf("://");
        int at = url.lastIndexOf('@');
        return scheme < 0 || at < scheme ? url : url.substring(0, scheme + 3) + "***" + url.substring(at);
    }
}
