package io.sharedmap.redis;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.PortableMapProvider;
import java.net.URI;

/** Serves {@code rediss-cluster://host:port[?ca-file=PATH]} URLs: {@code redis-cluster://} over TLS, {@link RedisMap}. */
public final class RedisClusterTlsProvider implements PortableMapProvider {
    /** For {@link java.util.ServiceLoader}. */
    public RedisClusterTlsProvider() {}

    @Override
    public String scheme() {
        return "rediss-cluster";
    }

    @Override
    public PortableMap connect(URI url) {
        return RedisMap.connect(RedisUrl.parse(url, true));
    }
}
