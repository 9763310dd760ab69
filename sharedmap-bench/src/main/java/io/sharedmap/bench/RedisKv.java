package io.sharedmap.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

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
        } catch (JedisDataException e) {
            jedis.close();
            if (String.valueOf(e.getMessage()).startsWith("LOADING")) {
                // up, but still reading its AOF: not serving yet (a start waits for it, as for a refused connect)
                throw new IOException("redis at " + socket + " is loading its data: " + e.getMessage(), e);
            }
            throw e;
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
    public void setAll(byte[][] keys, byte[][] values) {
        List<Response<String>> replies = new ArrayList<>(keys.length);
        try (Pipeline p = jedis.pipelined()) {
            for (int i = 0; i < keys.length; i++) {
                replies.add(p.set(keys[i], values[i]));
            }
            p.sync();
        }
        for (int i = 0; i < keys.length; i++) {
            try {
                replies.get(i).get();
            } catch (JedisDataException e) {
                throw new IllegalStateException(
                        "SET " + new String(keys[i], StandardCharsets.ISO_8859_1) + " failed: " + e.getMessage(), e);
            }
        }
    }

    /** {@code INFO section} as Redis prints it ({@code name:value} lines). */
    String info(String section) {
        return jedis.info(section);
    }

    /** The server's working directory ({@code CONFIG GET dir}): where its AOF directory is. */
    Path dataDir() {
        String dir = jedis.configGet("dir").get("dir");
        if (dir == null) {
            throw new UncheckedIOException(new IOException("redis CONFIG GET dir answered nothing"));
        }
        return Path.of(dir);
    }

    /** Keys in the current database. */
    long dbSize() {
        return jedis.dbSize();
    }

    /**
     * SHUTDOWN: Redis stops accepting, writes and fsyncs its AOF, and exits; this connection is closed
     * by the server (Jedis expects that).
     */
    void shutdown() {
        jedis.shutdown();
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
