package io.sharedmap.os.transport;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import org.jspecify.annotations.Nullable;

/**
 * A connected socket whose reads wait for data by spinning briefly, then blocking: the Java
 * client's transport.
 *
 * <h2>Why spin</h2>
 *
 * <p>A request/reply round trip over a local socket is a few microseconds of work, but a thread that
 * blocks in {@code read} puts its CPU to sleep, and waking it costs far more on a virtual machine
 * (tens of microseconds on a KVM guest that does not poll before halting). So a read first tries the
 * socket without blocking, {@link Thread#yield() yielding} between tries (so a runnable thread that
 * shares the CPU, maybe the peer that will answer, gets to run), for up to {@code spinNs}; only then
 * does it block. With {@code spinNs == 0} it blocks at once.
 *
 * <h2>When not to spin</h2>
 *
 * <p>A read spins only when all of these hold: at most {@link SpinLimiter#max()} threads of the
 * limiter spin already; the machine has no more runnable threads than CPUs ({@link IdleCpus}), so
 * the spin takes no CPU from a thread with work; and this channel's recent waits were short (see
 * {@link #waited}). Otherwise it waits at once, without spinning (see below).
 *
 * <h2>Waiting in a selector, not in {@code read}</h2>
 *
 * <p>The socket is put in non-blocking mode at its first read or write and stays so; a wait is an
 * {@code epoll_wait} on a {@link Selector} of the channel's own for just the event it needs. A
 * thread blocked in {@code read(2)} on a Unix stream socket is woken by every wake-up of that
 * socket's wait queue, including "room to write" (which the peer causes each time it reads a
 * request this side wrote): a spurious wake-up that costs both sides a context switch, and on a
 * virtual machine an interrupt between CPUs, per round trip. {@code epoll} wakes a waiter only for
 * the events it asked for. The price is two system calls (the {@code read} that found nothing and
 * the {@code epoll_wait}) and two more descriptors per channel (the selector's epoll instance and
 * its wake-up event). A virtual thread that waits here parks and frees its carrier, as in a blocking
 * read (JDK 25's selector waits for virtual threads through the JDK's poller).
 *
 * <h2>Threads</h2>
 *
 * <p>One thread at a time reads and writes (the owner). {@link #close()} may be called from any
 * thread and wakes an owner waiting to read or write (an {@link AsynchronousCloseException});
 * {@link SocketChannel#shutdownInput()} on {@link #channel()} from another thread makes a waiting
 * or spinning read return -1. An owner interrupted while it waits closes the channel and gets a
 * {@link ClosedByInterruptException}, as a blocking channel would.
 *
 * <h2>Writes</h2>
 *
 * <p>{@link #write} writes everything it is given. A heap buffer is written in pieces of at most
 * {@value #HEAP_WRITE_CHUNK} bytes, so the JDK's temporary native copy of a heap buffer stays small
 * however large the value.
 */
public final class SpinChannel implements Closeable {
    /** The default spin budget, in nanoseconds: about two local round trips. */
    public static final long DEFAULT_SPIN_NS = 50_000;

    /** Largest piece of a heap buffer handed to the kernel in one write. */
    static final int HEAP_WRITE_CHUNK = 256 * 1024;

    private final SocketChannel channel;
    private final long spinNs;
    private final SpinLimiter limiter;
    /** Where the owner waits; closed by {@link #close()}, which wakes it. */
    private final Selector selector;
    /** Owner thread only: the channel's registration with {@link #selector}, made at the first I/O. */
    private @Nullable SelectionKey key;
    /** Owner thread only: see {@link #waited}. */
    private long recentWaitNs;
    /**
     * Owner thread only: how many reads in a row found nothing at their first try, up to {@link
     * #SKIP_FIRST_READ_AFTER}; see {@link #read}.
     */
    private int emptyFirstReads;

    /** After this many reads in a row found nothing at once, reads wait before they try. */
    static final int SKIP_FIRST_READ_AFTER = 4;
    /** A wait that ended sooner than this found data that was (nearly) there already. */
    static final long IMMEDIATE_NS = 5_000;

    private SpinChannel(SocketChannel channel, long spinNs, SpinLimiter limiter, Selector selector) {
        this.channel = channel;
        this.spinNs = spinNs;
        this.limiter = limiter;
        this.selector = selector;
    }

    /**
     * Wraps {@code channel} (in blocking mode; connected, or to be connected by the caller before the
     * first read or write, so that another thread may {@link #close} it while it connects).
     *
     * @param spinNs how long a read spins before blocking, in nanoseconds; 0 blocks at once
     * @param limiter how many threads may spin at once, shared by the channels it is given to
     * @throws IOException if the channel cannot be put in blocking mode or no selector can be opened
     * @throws IllegalArgumentException when {@code spinNs} is negative
     */
    public static SpinChannel open(SocketChannel channel, long spinNs, SpinLimiter limiter) throws IOException {
        if (spinNs < 0) {
            throw new IllegalArgumentException("spin time " + spinNs + " ns is negative");
        }
        channel.configureBlocking(true);
        return new SpinChannel(channel, spinNs, limiter, Selector.open());
    }

    /** The underlying channel: for socket options and {@code shutdownInput}. */
    public SocketChannel channel() {
        return channel;
    }

    /** The spin budget in nanoseconds. */
    public long spinNs() {
        return spinNs;
    }

    /** The channel's registration, made (and the channel made non-blocking) at the first I/O. */
    private SelectionKey key() throws IOException {
        SelectionKey k = key;
        if (k == null) {
            channel.configureBlocking(false);
            try {
                k = channel.register(selector, SelectionKey.OP_READ);
            } catch (ClosedSelectorException e) {
                throw closed(e);
            }
            key = k;
        }
        return k;
    }

    /**
     * Waits until the socket is ready for {@code op} ({@link SelectionKey#OP_READ} or {@link
     * SelectionKey#OP_WRITE}), or the channel is closed or shut down for input, or the owner is
     * interrupted (which closes the channel).
     */
    private void await(int op) throws IOException {
        SelectionKey k = key();
        try {
            k.interestOps(op); // a no-op when unchanged: only a write that waited changes it, twice
            selector.select(ready -> {});
        } catch (ClosedSelectorException | CancelledKeyException e) {
            throw closed(e);
        }
        if (Thread.currentThread().isInterrupted()) {
            close();
            throw new ClosedByInterruptException();
        }
        if (!channel.isOpen()) {
            throw new AsynchronousCloseException();
        }
    }

    private static IOException closed(RuntimeException cause) {
        IOException e = new AsynchronousCloseException();
        e.initCause(cause);
        return e;
    }

    /**
     * Reads at least one byte into {@code dst}, waiting as long as it takes.
     *
     * <p>A read first tries without waiting, then spins or waits (see the class comment). When the
     * last {@value #SKIP_FIRST_READ_AFTER} reads all found nothing at their first try and spinning
     * would not pay (the peer is slow, as when many client processes share the daemon), it waits at
     * once and saves the system call that would have found nothing; a wait that ends within {@value
     * #IMMEDIATE_NS} ns shows the data was already there, and the next read tries first again.
     *
     * @return the bytes read (more than 0), -1 at the end of the stream, 0 only when {@code dst} is full
     */
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        key();
        boolean spinMayPay = spinNs > 0 && recentWaitNs <= 2 * spinNs;
        boolean tryFirst = spinMayPay || emptyFirstReads < SKIP_FIRST_READ_AFTER;
        int n;
        if (tryFirst) {
            n = channel.read(dst);
            if (n != 0) {
                emptyFirstReads = 0;
                return n; // no wait at all
            }
            emptyFirstReads = Math.min(emptyFirstReads + 1, SKIP_FIRST_READ_AFTER);
        }
        long start = System.nanoTime();
        if (spinMayPay && limiter.tryAcquire()) {
            try {
                do {
                    Thread.yield();
                    n = channel.read(dst);
                    if (n != 0) {
                        waited(start);
                        return n;
                    }
                } while (System.nanoTime() - start < spinNs);
            } finally {
                limiter.release();
            }
        }
        do {
            await(SelectionKey.OP_READ);
            n = channel.read(dst);
        } while (n == 0);
        if (!tryFirst && System.nanoTime() - start < IMMEDIATE_NS) {
            emptyFirstReads = 0; // the data was there: try first again
        }
        waited(start);
        return n;
    }

    /**
     * Learns how long reads wait for data: a moving average (weight 1/8) of the waits, each counted as
     * at most {@code 4 * spinNs}. A read spins only while that average is at most twice the spin
     * budget: when the peer takes longer than any spin (many client processes queue for the daemon),
     * spinning would only take CPU from processes that have work. A wait that ended in a blocked read
     * still counts, so a channel that stopped spinning sees when spinning would pay again.
     */
    private void waited(long start) {
        long w = Math.min(System.nanoTime() - start, 4 * spinNs);
        recentWaitNs += (w - recentWaitNs) >> 3;
    }

    /**
     * Reads exactly {@code dst.remaining()} bytes.
     *
     * @throws EOFException when the stream ends first
     */
    public void readFully(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (read(dst) < 0) {
                throw new EOFException("the peer closed the connection");
            }
        }
    }

    /** Writes all of {@code src}. On failure, {@code src}'s position tells how much left. */
    public void write(ByteBuffer src) throws IOException {
        key();
        while (src.hasRemaining()) {
            int n;
            if (!src.isDirect() && src.remaining() > HEAP_WRITE_CHUNK) {
                n = channel.write(src.slice(src.position(), HEAP_WRITE_CHUNK));
                src.position(src.position() + n);
            } else {
                n = channel.write(src);
            }
            if (n == 0) {
                await(SelectionKey.OP_WRITE); // the socket buffer is full: a slow reader
            }
        }
    }

    /** Writes all of {@code srcs}, in order. On failure, their positions tell how much left. */
    public void write(ByteBuffer[] srcs) throws IOException {
        key();
        int first = 0;
        while (true) {
            while (first < srcs.length && !srcs[first].hasRemaining()) {
                first++;
            }
            if (first == srcs.length) {
                return;
            }
            int end = first;
            while (end < srcs.length && !isLargeHeap(srcs[end])) {
                end++;
            }
            long n;
            if (end == first) { // a large heap buffer comes first: one piece of it
                ByteBuffer b = srcs[first];
                n = channel.write(b.slice(b.position(), HEAP_WRITE_CHUNK));
                b.position(b.position() + (int) n);
            } else { // everything before the next large heap buffer, in one gather write
                n = channel.write(srcs, first, end - first);
            }
            if (n == 0) {
                await(SelectionKey.OP_WRITE);
            }
        }
    }

    private static boolean isLargeHeap(ByteBuffer b) {
        return !b.isDirect() && b.remaining() > HEAP_WRITE_CHUNK;
    }

    /** Whether the socket is open. */
    public boolean isOpen() {
        return channel.isOpen();
    }

    /**
     * Closes the socket; wakes the owner if it waits. Idempotent, any thread. Closing the selector
     * deregisters the channel, which is what releases its descriptor (and shows the peer the end of
     * the stream).
     */
    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            selector.close();
        }
    }

    @Override
    public String toString() {
        return "SpinChannel[" + channel + ", spin " + spinNs + " ns]";
    }
}
