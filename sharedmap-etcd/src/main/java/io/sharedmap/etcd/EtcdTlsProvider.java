package io.sharedmap.etcd;

import io.sharedmap.client.PortableMap;
import io.sharedmap.client.PortableMapProvider;
import java.net.URI;

/** Serves {@code etcds://host:port,host:port[?ca-file=PATH]} URLs: {@link EtcdMap} over TLS. */
public final class EtcdTlsProvider implements PortableMapProvider {
    /** For {@link java.util.ServiceLoader}. */
    public EtcdTlsProvider() {}

    @Override
    public String scheme() {
        return "etcds";
    }

    @Override
    public PortableMap connect(URI url) {
        return EtcdMap.connect(EtcdUrl.parse(url));
    }
}
