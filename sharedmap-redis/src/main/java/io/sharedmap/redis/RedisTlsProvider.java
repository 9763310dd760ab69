package io.sharedmap.redis;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.PortableMapProvider;
import java.net.URI;

/** Serves {@code rediss://host:port[?ca-file=PATH]} URLs: {@code redis://} over TLS, {@link RedisMap}. */
public final class RedisTlsProvider implements PortableMapProvider {
    /** For {@link java.util.ServiceLoader}. */
    public RedisTlsProvider() {}

    @Override
    public String scheme() {
        return "rediss";
    }

    @Override
    public PortableMap connect(URI url) {
        return RedisMap.connect(RedisUrl.parse(url, false));
    }
}
