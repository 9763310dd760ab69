package io.sharedmap.bench;

import io.sharedmap.client.Entry;
import io.sharedmap.client.Options;
import io.sharedmap.client.Pipeline;
import io.sharedmap.client.Response;
import io.sharedmap.client.SetResult;
import io.sharedmap.client.SharedMap;
import io.sharedmap.client.SharedMapException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The load against sharedmap, through its public client API: GET through the socket (target
 * {@code sharedmap}, {@code directReads(false)}) or from the daemon's mapped store (target
 * {@code direct}, {@code directReads(true)}); everything else through the socket.
 */
final class SharedMapKv implements KvClient {
    private static final int PRELOAD_BATCH = 1000;

    private final SharedMap map;

    private SharedMapKv(SharedMap map) {
        this.map = map;
    }

    static SharedMapKv connect(Path socket, long clientSpinUs, boolean directReads) throws IOException {
        return connect(socket, clientSpinUs, directReads, true);
    }

    /** As above; with {@code recovering} false, a client without a session, whose changes are not sequenced. */
    static SharedMapKv connect(Path socket, long clientSpinUs, boolean directReads, boolean recovering)
            throws IOException {
        // Set explicitly either way: the client's default changed to direct reads in issue 6.
        Options options = Options.defaults().directReads(directReads).recovering(recovering);
        if (clientSpinUs >= 0) {
            options = options.spinTime(Duration.ofNanos(clientSpinUs * 1000));
        }
        try {
            return new SharedMapKv(SharedMap.connect(socket, options));
        } catch (SharedMapException e) {
            throw new IOException("cannot connect to sharedmap at " + socket + ": " + e.getMessage(), e);
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
        for (int from = 0; from < keys.length; from += PRELOAD_BATCH) {
            try (Pipeline p = map.pipelined()) {
                for (int i = from; i < Math.min(keys.length, from + PRELOAD_BATCH); i++) {
                    p.set(keys[i], value);
                }
                p.sync();
            }
        }
    }

    @Override
    public void setAll(byte[][] keys, byte[][] values) {
        List<Response<SetResult>> replies = new ArrayList<>(keys.length);
        try (Pipeline p = map.pipelined()) {
            for (int i = 0; i < keys.length; i++) {
                replies.add(p.set(keys[i], values[i]));
            }
            p.sync();
        }
        for (int i = 0; i < keys.length; i++) {
            try {
                replies.get(i).get();
            } catch (SharedMapException e) {
                throw new IllegalStateException(
                        "SET " + new String(keys[i], StandardCharsets.ISO_8859_1) + " failed: " + e.getMessage(), e);
            }
        }
    }

    /** The daemon's STATS (its counters and settings, by name). */
    Map<String, String> stats() {
        return map.stats();
    }

    @Override
    public long serverPid() {
        String pid = map.stats().get("pid");
        if (pid == null) {
            throw new IllegalStateException("the daemon's STATS has no pid");
        }
        return Long.parseLong(pid);
    }

    @Override
    public Reads reads() {
        SharedMap.ReadStats s = map.readStats();
        return new Reads(s.direct(), s.socket(), s.viewMapped());
    }

    @Override
    public void close() {
        map.close();
    }
}
