package io.sharedmap.etcd;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.PortableMapProvider;
import java.net.URI;

/** Serves {@code etcd://host:port,host:port} URLs: {@link EtcdMap}. */
public final class EtcdProvider implements PortableMapProvider {
    /** For {@link java.util.ServiceLoader}. */
    public EtcdProvider() {}

    @Override
    public String scheme() {
        return "etcd";
    }

    @Override
    public PortableMap connect(URI url) {
        return EtcdMap.connect(EtcdUrl.parse(url));
    }
}
