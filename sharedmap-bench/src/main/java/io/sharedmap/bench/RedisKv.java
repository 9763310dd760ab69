package io.sharedmap.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** The load against Redis, through Jedis over a Unix socket (see {@link UnixSocket}). */
final class RedisKv implements KvClient {
    private static final int PRELOAD_BATCH = 1000;

    private final Jedis jedis;

    private RedisKv(Jedis jedis) {
        this.jedis = jedis;
    }

    static RedisKv connect(Path socket) throws IOException {
        Jedis jedis = new Jedis(() -> {
            try {
                return UnixSocket.connect(socket);
            } catch (IOException e) {
                throw new JedisConnectionException("cannot connect to redis at " + socket + ": " + e.getMessage(), e);
            }
        });
        try {
            jedis.ping();
        } catch (JedisConnectionException e) {
            jedis.close();
            throw new IOException(e.getMessage(), e);
        }
        return new RedisKv(jedis);
    }

    @Override
    public byte @Nullable [] get(byte[] key) {
        return jedis.get(key);
    }

    @Override
    public void set(byte[] key, byte[] value) {
        jedis.set(key, value);
    }

    @Override
    public void ping() {
        jedis.ping();
    }

    @Override
    public void preload(byte[][] keys, byte[] value) {
        for (int from = 0; from < keys.length; from += PRELOAD_BATCH) {
            try (Pipeline p = jedis.pipelined()) {
                for (int i = from; i < Math.min(keys.length, from + PRELOAD_BATCH); i++) {
                    p.set(keys[i], value);
                }
                p.sync();
            }
        }
    }

    @Override
    public long serverPid() {
        return Long.parseLong(infoField(jedis.info("server"), "process_id"));
    }

    /** The server's version, e.g. {@code 7.0.15}. */
    String serverVersion() {
        return infoField(jedis.info("server"), "redis_version");
    }

    static String infoField(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        throw new UncheckedIOException(new IOException("redis INFO has no " + name));
    }

    @Override
    public void close() {
        jedis.close();
    }
}
