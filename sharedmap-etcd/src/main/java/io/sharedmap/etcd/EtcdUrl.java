package io.sharedmap.etcd;

import io.sharedmap.client.BackendUrl;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An {@code etcd://} or {@code etcds://} URL, parsed: {@code
 * etcd://[user:password@]host:port[,host:port...][/][?timeout-ms=N]}. {@code etcd://} reaches the
 * members over plain HTTP/2 (etcd's {@code --listen-client-urls http://...}), {@code etcds://} over
 * TLS ({@code https://...}), trusting the JDK's certificate authorities or those of {@code
 * &ca-file=PATH} (PEM).
 *
 * @param url the URL as given
 * @param endpoints {@code http://host:port} (or {@code https://}) of each member, in the URL's order
 * @param user etcd user (RBAC), or null without authentication
 * @param password the user's password, or null
 * @param timeout how long one call waits for its answer (default 30 s)
 * @param tls whether the members are reached over TLS ({@code etcds://})
 * @param caFile the certificate authorities to trust (PEM), or null for the JDK's
 */
record EtcdUrl(
        String url,
        List<String> endpoints,
        @Nullable String user,
        @Nullable String password,
        Duration timeout,
        boolean tls,
        @Nullable String caFile) {
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    static EtcdUrl parse(URI url) {
        BackendUrl u = BackendUrl.parse(url, KIND, "member", "etcd URLs name members only", DEFAULT_TIMEOUT);
        String user = null;
        String password = null;
        String userInfo = u.userInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                throw BackendUrl.bad(url, KIND, "has a user without a password; write etcd://user:password@host:port");
            }
            user = BackendUrl.decode(userInfo.substring(0, colon));
            password = BackendUrl.decode(userInfo.substring(colon + 1));
        }
        boolean tls = "etcds".equalsIgnoreCase(url.getScheme());
        if (u.caFile() != null && !tls) {
            throw BackendUrl.bad(url, KIND, "has a ca-file but no TLS; write etcds://host:port,...?ca-file=PATH");
        }
        List<String> endpoints = u.members().stream()
                .map(m -> (tls ? "https://" : "http://") + m)
                .toList();
        return new EtcdUrl(url.toString(), endpoints, user, password, u.timeout(), tls, u.caFile());
    }

    private static final String KIND = "etcd URL";

    /** The URL without its password, for messages. */
    static String redacted(URI url) {
        return BackendUrl.redacted(url.toString());
    }

    @Override
    public String toString() {
        return "EtcdUrl[" + redacted(URI.create(url)) + "]";
    }
}
