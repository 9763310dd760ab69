package io.sharedmap.client;

import io.sharedmap.protocol.ErrorCode;
import io.sharedmap.protocol.ViewCodec;
import io.sharedmap.protocol.view.ViewReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * GET without a system call: one client's mapping of the daemon's shared-memory view, when to ask
 * for it again, and the fallback to the socket. The reader type is the only part that knows the
 * view's layout ({@link ViewReader}); everything else here is the policy.
 *
 * <p>Policy: the view is asked for ({@code VIEW}, one attempt, no waiting for a daemon to come
 * back) at connect and then at most once a {@link #RETRY_NANOS} while none is mapped; one thread
 * asks at a time, the others read through the socket meanwhile. A lookup that misses (the key is
 * not in the view, or does not fit a slot) goes to the socket; so does every GET after the view is
 * retired (its daemon stopped or was replaced), and the next GET maps the new daemon's view. The
 * daemon names the generation the file must carry, so a file replaced in between is refused.
 *
 * <p>Concurrency: lock-free; any number of threads call {@link #lookup} at once.
 */
final class DirectReads implements AutoCloseable {
    /** How long a client without a view waits before asking the daemon for one again. */
    static final long RETRY_NANOS = 1_000_000_000L;

    private final boolean enabled;
    private final Path socket;
    /** Asks the daemon where its view is, once: null when it has none. */
    private final Supplier<ViewCodec.@Nullable ViewLocation> askView;

    /** The daemon's view this client reads directly; null when none is mapped. */
    private final AtomicReference<@Nullable ViewReader> view = new AtomicReference<>();
    /** Set while one thread asks the daemon for its view, so that others do not ask too. */
    private final AtomicBoolean mapping = new AtomicBoolean();
    /** The daemon does not know VIEW (an older daemon): never ask again. */
    private volatile boolean noViewOpcode;
    /** {@link System#nanoTime()} before which no new view is asked for after an attempt. */
    private volatile long nextAttemptNanos;

    private final LongAdder directHits = new LongAdder();
    private final LongAdder socketReads = new LongAdder();

    /**
     * @param enabled whether to read directly at all ({@link Options#directReads})
     * @param socket the daemon's socket: its view may also be found beside it
     * @param askView one VIEW request to the daemon, without waiting for it to come back
     */
    DirectReads(boolean enabled, Path socket, Supplier<ViewCodec.@Nullable ViewLocation> askView) {
        this.enabled = enabled;
        this.socket = socket;
        this.askView = askView;
        this.nextAttemptNanos = System.nanoTime();
    }

    /** Maps the daemon's view now, if direct reads are on (at connect). */
    void mapNow() {
        if (enabled) {
            map();
        }
    }

    /**
     * The entry of {@code key} from the view, or null when the socket must answer (no view, a miss, a
     * retired view, or {@code closed}); counts which way the GET went.
     */
    @Nullable
    Entry lookup(byte[] key, boolean closed) {
        ViewReader v = view.get();
        if (v == null && enabled && System.nanoTime() - nextAttemptNanos >= 0 && !closed) {
            v = map();
        }
        if (v != null) {
            ViewReader.Hit hit = v.lookup(key);
            if (hit != null && !closed) {
                directHits.increment();
                return new Entry(hit.value(), hit.version());
            }
            if (v.retired() && view.compareAndSet(v, null)) {
                // The daemon stopped or was replaced: this GET goes through the socket (which waits for a
                // daemon as every call does), and the next one maps the new daemon's view.
                nextAttemptNanos = System.nanoTime();
            }
        }
        socketReads.increment();
        return null;
    }

    /**
     * Asks the daemon where its view is and maps it; null (and no new attempt for {@link
     * #RETRY_NANOS}) when the daemon has none, this process may not open it, or it changed meanwhile.
     *
     * @throws ReplyTimeoutException when the daemon is stuck: a GET through the socket would wait as
     *     long again
     */
    private @Nullable ViewReader map() {
        if (noViewOpcode || !mapping.compareAndSet(false, true)) {
            return null; // another thread is asking: this GET uses the socket
        }
        try {
            nextAttemptNanos = System.nanoTime() + RETRY_NANOS;
            ViewCodec.ViewLocation where;
            try {
                where = askView.get();
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
            // The daemon's path, else the same name beside the socket as this process sees it (a socket
            // bind-mounted into a container); the generation check refuses any other daemon's view.
            Path besideSocket = socket.resolveSibling(socket.getFileName() + ".view");
            for (Path file :
                    where.file().equals(besideSocket) ? List.of(besideSocket) : List.of(where.file(), besideSocket)) {
                try {
                    ViewReader r = ViewReader.open(file, where.generation());
                    view.set(r);
                    return r;
                } catch (IOException | RuntimeException e) {
                    // for example: this user may not read the view file; the socket serves every GET
                }
            }
            return null;
        } finally {
            mapping.set(false);
        }
    }

    /** GETs answered from the view and through the socket so far, and whether a view is mapped now. */
    SharedMap.ReadStats stats() {
        ViewReader v = view.get();
        return new SharedMap.ReadStats(directHits.sum(), socketReads.sum(), v != null && !v.retired());
    }

    /** Drops the mapping (unmapped once unreachable). */
    @Override
    public void close() {
        view.set(null);
    }
}
