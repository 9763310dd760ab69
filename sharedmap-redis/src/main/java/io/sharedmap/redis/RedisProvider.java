package io.sharedmap.redis;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.PortableMapProvider;
import java.net.URI;

/** Serves {@code redis://host:port} URLs: one Redis or Valkey server, {@link RedisMap}. */
public final class RedisProvider implements PortableMapProvider {
    /** For {@link java.util.ServiceLoader}. */
    public RedisProvider() {}

    @Override
    public String scheme() {
        return "redis";
    }

    @Override
    public PortableMap connect(URI url) {
        return RedisMap.connect(RedisUrl.parse(url, false));
    }
}
