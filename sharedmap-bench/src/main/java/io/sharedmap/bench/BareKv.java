package io.sharedmap.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.sharedmap.client.BackendUrl;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The {@code bare:} targets: etcd through jetcd and Redis through Lettuce, the engine clients that
 * sharedmap's backends use, sending the same requests those backends send, without sharedmap's layer
 * (argument checks, result and exception mapping): beside the {@code url:} target of the same URL, the
 * cost of that layer.
 *
 * <ul>
 *   <li>etcd (as {@code EtcdMap}): GET is a linearizable {@code Range} of the key; SET a {@code Put}
 *       with {@code prev_kv}; PING a count-only {@code Range}. The client is built with the same
 *       settings.
 *   <li>Redis and Redis Cluster (as {@code RedisMap}): GET is {@code HMGET key v n}; SET is {@code EVAL}
 *       of the same Lua script (value and version kept together, the version from the primary's
 *       clock); PING is {@code PING}. The cluster client refreshes its topology the same way.
 * </ul>
 *
 * Compiled against jetcd and Lettuce ({@code provided}: {@code bin/sharedmap} puts the backends' jars
 * on the class path, and {@code sharedmap-bench/target/lib} does not ship them again). No user or
 * password: the bare clients measure an open engine.
 */
final class BareKv {
    /** The URL schemes a bare client exists for. */
    static final List<String> SCHEMES = List.of("etcd", "redis", "redis-cluster");

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private BareKv() {}

    static KvClient connect(URI url) throws IOException {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        try {
            return switch (scheme) {
                case "etcd" -> BareEtcd.connect(url);
                case "redis", "redis-cluster" -> BareRedis.connect(url, scheme.equals("redis-cluster"));
                default -> throw new IllegalArgumentException("no bare client for " + scheme + ": (" + SCHEMES + ")");
            };
        } catch (RuntimeException e) {
            throw new IOException(
                    "cannot connect the bare client to " + BackendUrl.redacted(url.toString()) + ": " + e, e);
        } catch (NoClassDefFoundError e) {
            throw new IOException(
                    "bare:" + scheme + " needs the engine's client on the class path (" + e.getMessage()
                            + "): run the bench through bin/sharedmap, which adds sharedmap-etcd/target/lib and"
                            + " sharedmap-redis/target/lib",
                    e);
        }
    }

    private static BackendUrl parse(URI url, String kind) {
        BackendUrl u = BackendUrl.parse(url, kind, "member", kind + "s name members only", TIMEOUT);
        if (u.userInfo() != null) {
            throw BackendUrl.bad(url, kind, "has a user: the bare clients measure an open engine, without one");
        }
        return u;
    }

    /** jetcd, as {@code EtcdMap} uses it. */
    private static final class BareEtcd implements KvClient {
        private static final int PRELOAD_IN_FLIGHT = 64;
        private static final ByteSequence ALL_KEYS_END = ByteSequence.from(new byte[] {0});

        private final Client client;
        private final KV kv;
        private final Duration timeout;

        private BareEtcd(Client client, Duration timeout) {
            this.client = client;
            this.kv = client.getKVClient();
            this.timeout = timeout;
        }

        static BareEtcd connect(URI url) {
            BackendUrl u = parse(url, "etcd URL");
            Client c = Client.builder()
                    .endpoints(u.members().stream().map(m -> "http://" + m).toArray(String[]::new))
                    .maxInboundMessageSize(64 * ((1 << 20) + 2048) + (1 << 20)) // EtcdMap's
                    .connectTimeout(u.timeout())
                    .retryMaxDuration(u.timeout())
                    .build();
            BareEtcd e = new BareEtcd(c, u.timeout());
            try {
                e.ping();
            } catch (RuntimeException x) {
                e.close();
                throw x;
            }
            return e;
        }

        @Override
        public byte @Nullable [] get(byte[] key) {
            GetResponse r = await(kv.get(ByteSequence.from(key)));
            List<KeyValue> kvs = r.getKvs();
            return kvs.isEmpty() ? null : kvs.getFirst().getValue().getBytes();
        }

        @Override
        public void set(byte[] key, byte[] value) {
            await(kv.put(
                    ByteSequence.from(key),
                    ByteSequence.from(value),
                    PutOption.builder().withPrevKV().build()));
        }

        @Override
        public void ping() {
            await(kv.get(ALL_KEYS_END, GetOption.builder().withCountOnly(true).build()));
        }

        @Override
        public void preload(byte[][] keys, byte[] value) {
            List<CompletableFuture<?>> window = new ArrayList<>();
            for (byte[] key : keys) {
                window.add(kv.put(ByteSequence.from(key), ByteSequence.from(value)));
                if (window.size() == PRELOAD_IN_FLIGHT) {
                    window.forEach(this::await);
                    window.clear();
                }
            }
            window.forEach(this::await);
        }

        @Override
        public void setAll(byte[][] keys, byte[][] values) {
            for (int i = 0; i < keys.length; i++) {
                set(keys[i], values[i]);
            }
        }

        @Override
        public long serverPid() {
            return -1;
        }

        @Override
        public void close() {
            client.close();
        }

        private <T> T await(CompletableFuture<T> f) {
            try {
                return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("etcd: " + e, e);
            }
        }
    }

    /** Lettuce, as {@code RedisMap} uses it. */
    private static final class BareRedis implements KvClient {
        private static final byte[] VALUE = {'v'};
        private static final byte[] VERSION = {'n'};

        /** {@code RedisMap}'s SET script, word for word: KEYS[1] key, ARGV[1] value: {created 0|1, version}. */
        static final String SET = """
                local old = redis.call('HGET', KEYS[1], 'n')
                local value = ARGV[1]
                local t = redis.call('TIME')
                local ver = tonumber(t[1]) * 1000000 + tonumber(t[2])
                if old and tonumber(old) >= ver then ver = tonumber(old) + 1 end
                redis.call('HSET', KEYS[1], 'v', value, 'n', string.format('%.0f', ver))
                if old then return {0, ver} else return {1, ver} end
                """;

        private final RedisClusterCommands<byte[], byte[]> commands;
        private final AutoCloseable connection;
        private final Runnable shutdown;

        private BareRedis(RedisClusterCommands<byte[], byte[]> commands, AutoCloseable connection, Runnable shutdown) {
            this.commands = commands;
            this.connection = connection;
            this.shutdown = shutdown;
        }

        static BareRedis connect(URI url, boolean cluster) {
            BackendUrl u = parse(url, cluster ? "redis-cluster URL" : "redis URL");
            List<RedisURI> uris = u.members().stream()
                    .map(m -> RedisURI.builder()
                            .withHost(m.host())
                            .withPort(m.port())
                            .withTimeout(u.timeout())
                            .build())
                    .toList();
            if (cluster) {
                RedisClusterClient client = RedisClusterClient.create(uris);
                client.setOptions(ClusterClientOptions.builder()
                        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                                .enableAllAdaptiveRefreshTriggers()
                                .enablePeriodicRefresh(Duration.ofSeconds(10))
                                .build())
                        .build());
                try {
                    StatefulRedisClusterConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
                    return new BareRedis(c.sync(), c, client::shutdown);
                } catch (RuntimeException e) {
                    client.shutdown();
                    throw e;
                }
            }
            RedisClient client = RedisClient.create(uris.getFirst());
            try {
                StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
                return new BareRedis(c.sync(), c, client::shutdown);
            } catch (RuntimeException e) {
                client.shutdown();
                throw e;
            }
        }

        @Override
        public byte @Nullable [] get(byte[] key) {
            var r = commands.hmget(key, VALUE, VERSION);
            return r.size() == 2 && r.get(0).hasValue() && r.get(1).hasValue()
                    ? r.get(0).getValue()
                    : null;
        }

        @Override
        public void set(byte[] key, byte[] value) {
            commands.<List<Object>>eval(SET, ScriptOutputType.MULTI, new byte[][] {key}, value);
        }

        @Override
        public void ping() {
            commands.ping();
        }

        @Override
        public void preload(byte[][] keys, byte[] value) {
            for (byte[] key : keys) {
                set(key, value);
            }
        }

        @Override
        public void setAll(byte[][] keys, byte[][] values) {
            for (int i = 0; i < keys.length; i++) {
                set(keys[i], values[i]);
            }
        }

        @Override
        public long serverPid() {
            return -1;
        }

        @Override
        public void close() {
            try {
                connection.close();
            } catch (Exception e) {
                // the shutdown below releases what is left
            } finally {
                shutdown.run();
            }
        }
    }
}
