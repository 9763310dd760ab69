package io.sharedmap.redis;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.PortableMapProvider;
import java.net.URI;

/** Serves {@code redis-cluster://host:port,...} URLs: a Redis or Valkey Cluster, {@link RedisMap}. */
public final class RedisClusterProvider implements PortableMapProvider {
    /** For {@link java.util.ServiceLoader}. */
    public RedisClusterProvider() {}

    @Override
    public String scheme() {
        return "redis-cluster";
    }

    @Override
    public PortableMap connect(URI url) {
        return RedisMap.connect(RedisUrl.parse(url, true));
    }
}
