package io.sharedmap.client;

import io.sharedmap.os.store.StoreReader;
import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ViewCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * GET without a system call: one client's mapping of the public side of the daemon's mapped store,
 * when to ask for it again, and the fallback to the socket. The reader type is the only part that
 * knows the store's layout ({@link StoreReader}); everything else here is the policy.
 *
 * <p>Policy: the store is asked for ({@code VIEW}, one attempt, no waiting for a daemon to come
 * back) at connect and then at most once a {@link #RETRY_NANOS} while none is mapped; one thread
 * asks at a time, the others read through the socket meanwhile. A lookup answers the value, or that
 * the key is absent; it goes to the socket when the store cannot tell (the key may be in the
 * private side, or the entry kept changing), and so does every GET after the store is retired (its
 * daemon stopped or was replaced): the next GET maps the store again. The daemon names the
 * generation the root must carry, so a store replaced in between is refused.
 *
 * <p>Concurrency: lock-free; any number of threads call {@link #lookup} at once.
 */
final class DirectReads implements AutoCloseable {
    /** How long a client without a store mapped waits before asking the daemon again. */
    static final long RETRY_NANOS = 1_000_000_000L;

    /** What a direct read answered: the key's entry, or null for an absent key. */
    record Answer(@Nullable Entry entry) {
        static final Answer ABSENT = new Answer(null);
    }

    private final boolean enabled;
    private final Path socket;
    /** Asks the daemon where its store's public side is, once: null when it offers none. */
    private final Supplier<ViewCodec.@Nullable ViewLocation> askStore;

    /** The daemon's store this client reads directly; null when none is mapped. */
    private final AtomicReference<@Nullable StoreReader> store = new AtomicReference<>();
    /** Set while one thread asks the daemon for its store, so that others do not ask too. */
    private final AtomicBoolean mapping = new AtomicBoolean();
    /** The daemon does not know VIEW (a daemon older than direct reads): never ask again. */
    private volatile boolean noViewOpcode;
    /** {@link System#nanoTime()} before which no new store is asked for after an attempt. */
    private volatile long nextAttemptNanos;

    private final LongAdder directHits = new LongAdder();
    private final LongAdder socketReads = new LongAdder();

    /**
     * @param enabled whether to read directly at all ({@link Options#directReads})
     * @param socket the daemon's socket: its store may also be found beside it ({@code SOCKET.store})
     * @param askStore one VIEW request to the daemon, without waiting for it to come back
     */
    DirectReads(boolean enabled, Path socket, Supplier<ViewCodec.@Nullable ViewLocation> askStore) {
        this.enabled = enabled;
        this.socket = socket;
        this.askStore = askStore;
        this.nextAttemptNanos = System.nanoTime();
    }

    /** Maps the daemon's store now, if direct reads are on (at connect). */
    void mapNow() {
        if (enabled) {
            map();
        }
    }

    /**
     * The answer for {@code key} from the store, or null when the socket must answer (no store
     * mapped, the store cannot tell, a retired store, or {@code closed}); counts which way the GET
     * went.
     */
    @Nullable
    Answer lookup(byte[] key, boolean closed) {
        StoreReader s = store.get();
        if (s == null && enabled && System.nanoTime() - nextAttemptNanos >= 0 && !closed) {
            s = map();
        }
        if (s != null) {
            StoreReader.Result got = s.lookup(key);
            if (got instanceof StoreReader.Found hit && !closed) {
                directHits.increment();
                return new Answer(new Entry(hit.value(), hit.version()));
            }
            if (got == StoreReader.ABSENT && !closed) {
                directHits.increment();
                return Answer.ABSENT;
            }
            if (s.retired() && store.compareAndSet(s, null)) {
                // The daemon stopped or was replaced: this GET goes through the socket (which waits for a
                // daemon as every call does), and the next one maps the store again. The retired files
                // are unmapped now, so their memory is freed as soon as the daemon deletes them.
                s.close();
                nextAttemptNanos = System.nanoTime();
            }
        }
        socketReads.increment();
        return null;
    }

    /**
     * Asks the daemon where its store is and maps it; null (and no new attempt for {@link
     * #RETRY_NANOS}) when the daemon offers none, this process may not open it, or it changed
     * meanwhile.
     *
     * @throws ReplyTimeoutException when the daemon is stuck: a GET through the socket would wait as
     *     long again
     */
    private @Nullable StoreReader map() {
        if (noViewOpcode || !mapping.compareAndSet(false, true)) {
            return null; // another thread is asking: this GET uses the socket
        }
        try {
            nextAttemptNanos = System.nanoTime() + RETRY_NANOS;
            ViewCodec.ViewLocation where;
            try {
                where = askStore.get();
            } catch (ProtocolViolationException e) {
                noViewOpcode =
                        e.errorCode().orElse(null) == ErrorCode.UNKNOWN_OPCODE; // a daemon older than direct reads
                return null;
            } catch (ReplyTimeoutException e) {
                throw e;
            } catch (SharedMapException e) {
                return null;
            }
            if (where == null) {
                return null;
            }
            // The daemon's path, else the link beside the socket as this process sees it (a socket
            // bind-mounted into a container); the generation check refuses any other daemon's store.
            Path besideSocket =
                    socket.resolveSibling(socket.getFileName() + ".store").resolve("public");
            for (Path dir :
                    where.dir().equals(besideSocket) ? List.of(besideSocket) : List.of(where.dir(), besideSocket)) {
                try {
                    StoreReader r = StoreReader.open(dir, where.generation());
                    StoreReader old = store.getAndSet(r);
                    if (old != null) {
                        old.close();
                    }
                    return r;
                } catch (IOException | RuntimeException e) {
                    // for example: this user may not read the store's files; the socket serves every GET
                }
            }
            return null;
        } finally {
            mapping.set(false);
        }
    }

    /** GETs answered from the store and through the socket so far, and whether the store is mapped now. */
    SharedMap.ReadStats stats() {
        StoreReader s = store.get();
        return new SharedMap.ReadStats(directHits.sum(), socketReads.sum(), s != null && !s.retired());
    }

    /** Unmaps the store (a lookup still running on another thread answers through the socket). */
    @Override
    public void close() {
        StoreReader s = store.getAndSet(null);
        if (s != null) {
            s.close();
        }
    }
}
