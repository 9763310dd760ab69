package io.sharedmap.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The few operations the load needs, over one connection to one target. Implementations use
 * only the target's public client API: {@link SharedMapKv} the sharedmap client, {@link RedisKv}
 * Jedis, {@link PortableKv} sharedmap's portable API on any backend, {@link BareKv} jetcd and Lettuce.
 */
interface KvClient extends AutoCloseable {

    /** The value stored under {@code key}, or {@code null} if there is none. */
    byte @Nullable [] get(byte[] key);

    /** Stores {@code value} under {@code key}, acknowledged per the server's durability mode. */
    void set(byte[] key, byte[] value);

    /** One empty round trip. */
    void ping();

    /** Stores {@code value} under every key, pipelined in batches. */
    void preload(byte[][] keys, byte[] value);

    /**
     * Stores {@code values[i]} under {@code keys[i]}, every i, as one pipeline (one sync), and checks
     * every reply. The client may keep the arrays until it returns.
     *
     * @throws IllegalStateException naming the first key the store refused
     */
    void setAll(byte[][] keys, byte[][] values);

    /** The server's process id, as it reports it (for its CPU time); -1 for a target named by a URL. */
    long serverPid();

    /**
     * GETs this client answered so far from sharedmap's mapped store ({@code direct}) and
     * through the socket ({@code socket}): the client's own count ({@code SharedMap.readStats()}).
     *
     * @param viewMapped whether the client has the store mapped now
     */
    record Reads(long direct, long socket, boolean viewMapped) {}

    /** See {@link Reads}; null for a store that has no direct path (Redis). */
    default @Nullable Reads reads() {
        return null;
    }

    @Override
    void close();

    static KvClient connect(TargetSpec.Kind kind, Path socket) throws IOException {
        return connect(kind, socket, -1);
    }

    /** With the sharedmap client's spin time set to {@code clientSpinUs} microseconds (-1: its default). */
    static KvClient connect(TargetSpec.Kind kind, Path socket, long clientSpinUs) throws IOException {
        return connect(kind, socket, clientSpinUs, true);
    }

    /** As above; with {@code recovering} false, the sharedmap client has no session (no sequenced changes). */
    static KvClient connect(TargetSpec.Kind kind, Path socket, long clientSpinUs, boolean recovering)
            throws IOException {
        return switch (kind) {
            case SHAREDMAP -> SharedMapKv.connect(socket, clientSpinUs, false, recovering);
            case DIRECT -> SharedMapKv.connect(socket, clientSpinUs, true, recovering);
            case REDIS -> RedisKv.connect(socket);
            case CHRONICLE ->
                throw new IllegalArgumentException(
                        "chronicle is opened with ChronicleKv.open, in a JVM " + "started with its options");
            case PORTABLE, BARE -> throw new IllegalArgumentException(kind.label() + " targets are named by a URL");
        };
    }

    /** The client of {@code target} on {@code socket} (its own or the harness's server), or of its URL. */
    static KvClient connect(TargetSpec target, @Nullable Path socket, long clientSpinUs) throws IOException {
        return connect(target, socket, clientSpinUs, true);
    }

    /** As above; {@code recovering} as in {@link #connect(TargetSpec.Kind, Path, long, boolean)}. */
    static KvClient connect(TargetSpec target, @Nullable Path socket, long clientSpinUs, boolean recovering)
            throws IOException {
        URI url = target.url();
        if (url != null) {
            return target.kind() == TargetSpec.Kind.BARE ? BareKv.connect(url) : PortableKv.connect(url);
        }
        if (socket == null) {
            throw new IllegalArgumentException("target " + target + " has no socket");
        }
        return connect(target.kind(), socket, clientSpinUs, recovering);
    }
}
