package io.sharedmap.client;

import io.sharedmap.protocol.HelloCodec.ServerHello;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The connections of one {@link SharedMap}: an idle deque, used LIFO so the warmest connection
 * goes first. A caller borrows a connection (an idle one, or a fresh one when none is idle), uses
 * it alone, and releases it; usable connections go back to the deque while it holds fewer than
 * {@code maxIdle}, the rest are closed.
 *
 * <p>Concurrency: lock-free. {@code idleCount} may briefly disagree with the deque's size, which
 * only lets the bound be off by the number of racing releases.
 */
final class ConnectionPool implements AutoCloseable {
    private final Path socket;
    private final long clientId;
    private final int maxIdle;
    private final long spinNs;
    private final long replyTimeoutNs;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private volatile @Nullable ServerHello lastHello;
    private volatile boolean closed;

    /**
     * Connections to {@code socket}; with a non-zero {@code clientId} each opens a session for it.
     * Waiting for a reply spins for {@code spinNs} before blocking, and gives up after {@code
     * replyTimeoutNs} (0: never).
     */
    ConnectionPool(Path socket, long clientId, int maxIdle, long spinNs, long replyTimeoutNs) {
        this.socket = socket;
        this.clientId = clientId;
        this.maxIdle = maxIdle;
        this.spinNs = spinNs;
        this.replyTimeoutNs = replyTimeoutNs;
    }

    Path socket() {
        return socket;
    }

    /** The session's client id, or 0 for connections without a session. */
    long clientId() {
        return clientId;
    }

    /** Whether {@link #close} was called. */
    boolean isClosed() {
        return closed;
    }

    /** The HELLO of the most recently opened connection (the daemon's current limits). */
    ServerHello hello() {
        return Objects.requireNonNull(lastHello, "no connection opened yet (SharedMap.connect opens one)");
    }

    /** Connections idle in the pool now (tests). */
    int idleCount() {
        return idle.size();
    }

    /** An idle connection, or a new one. */
    Connection borrow() {
        Connection c = idle.pollFirst();
        if (c != null) {
            idleCount.decrementAndGet();
            return c;
        }
        return open();
    }

    /** A new connection, bypassing the idle ones. */
    Connection open() {
        if (closed) {
            throw new IllegalStateException("this SharedMap is closed");
        }
        Connection c = Connection.open(socket, clientId, spinNs, replyTimeoutNs);
        lastHello = c.hello();
        return c;
    }

    /** Takes a borrowed connection back: pooled if it is usable and there is room, else closed. */
    void release(Connection c) {
        if (!c.usable() || closed) {
            c.close();
            return;
        }
        if (idleCount.incrementAndGet() > maxIdle) {
            idleCount.decrementAndGet();
            c.close();
            return;
        }
        c.markPooled();
        idle.offerFirst(c);
        if (closed) {
            discardIdle();
        }
    }

    /** Closes every idle connection (after one turned out dead: the others likely are too). */
    void discardIdle() {
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            idleCount.decrementAndGet();
            c.close();
        }
    }

    /** Closes the idle connections; borrowed ones are closed when released. */
    @Override
    public void close() {
        closed = true;
        discardIdle();
    }
}
