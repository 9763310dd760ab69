package io.sharedmap.bench;

import io.sharedmap.client.BackendUrl;
import io.sharedmap.client.Entry;
import io.sharedmap.client.PortableMap;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The load through sharedmap's portable API on any backend a URL names ({@code SharedMap.connect(URI)}:
 * etcd, Redis, Redis Cluster, or the local daemon with its default client on {@code unix:}): the
 * {@code url:} targets. The API has no pipeline, so the preload is one SET at a time; there is no
 * server process to read a pid or CPU time of.
 */
final class PortableKv implements KvClient {
    private final PortableMap map;

    private PortableKv(PortableMap map) {
        this.map = map;
    }

    static PortableKv connect(URI url) throws IOException {
        try {
            return new PortableKv(SharedMap.connect(url));
        } catch (SharedMapException e) {
            throw new IOException(
                    "cannot connect to " + BackendUrl.redacted(url.toString()) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public byte @Nullable [] get(byte[] key) {
        Optional<Entry> e = map.get(key);
        return e.isPresent() ? e.get().value() : null;
    }

    @Override
    public void set(byte[] key, byte[] value) {
        map.set(key, value);
    }

    @Override
    public void ping() {
        map.ping();
    }

    @Override
    public void preload(byte[][] keys, byte[] value) {
        for (byte[] key : keys) {
            map.set(key, value);
        }
    }

    @Override
    public void setAll(byte[][] keys, byte[][] values) {
        for (int i = 0; i < keys.length; i++) {
            try {
                map.set(keys[i], values[i]);
            } catch (SharedMapException e) {
                throw new IllegalStateException(
                        "SET " + new String(keys[i], StandardCharsets.ISO_8859_1) + " failed: " + e.getMessage(), e);
            }
        }
    }

    /** No server process of ours: -1. */
    @Override
    public long serverPid() {
        return -1;
    }

    @Override
    public @Nullable Reads reads() {
        if (map instanceof SharedMap local) { // unix: the daemon's client, direct reads as it defaults to
            SharedMap.ReadStats s = local.readStats();
            return new Reads(s.direct(), s.socket(), s.viewMapped());
        }
        return null;
    }

    @Override
    public void close() {
        map.close();
    }
}
